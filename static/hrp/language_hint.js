// The language hint as the clinician types (hrp/language.py): under each textarea marked
// data-language-hint, a gentle suggestion of person-first words when the text holds a
// stigmatising term. It never blocks anything and never changes the text. The terms come
// from core:language_hints (hrp/data/language_hints.json), fetched only when a hinted field is on
// the page; the client's own
// words are never marked, so never hinted.
(function () {
  "use strict";
  // Read now: document.currentScript is only set while the script first runs.
  var script = document.currentScript;
  var terms = [], wording = {};

  function load() {
    if (!document.querySelector("textarea[data-language-hint]")) {
      return;
    }
    fetch(script.dataset.termsUrl, { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) return;
        wording = data;
        terms = data.terms.map(function (t) {
          return {
            re: new RegExp("\\b(?:" + t.pattern + ")\\b", "i"),
            term: t.term,
            suggest: t.suggest,
          };
        });
        start();
      })
      .catch(function () { /* no hint is better than a broken page */ });
  }

  function found(text) {
    var out = [];
    terms.forEach(function (t) {
      var m = t.re.exec(text);
      if (m) {
        out.push({ found: m[0], suggest: t.suggest });
      }
    });
    return out;
  }

  function box(field) {
    var id = (field.id || field.name) + "-language-hint";
    var el = document.getElementById(id);
    if (!el) {
      el = document.createElement("div");
      el.id = id;
      el.className = "language-hint mt-2 small";
      el.setAttribute("aria-live", "polite");
      el.hidden = true;
      field.insertAdjacentElement("afterend", el);
    }
    return el;
  }

  function show(field) {
    var hints = found(field.value || "");
    var el = box(field);
    el.textContent = "";
    if (!hints.length) {
      el.hidden = true;
      return;
    }
    var p = document.createElement("p");
    p.className = "mb-1";
    p.textContent = wording.intro;
    var ul = document.createElement("ul");
    ul.className = "mb-0";
    hints.forEach(function (h) {
      var li = document.createElement("li");
      var alternatives = h.suggest.map(function (s) { return "“" + s + "”"; }).join(" / ");
      li.textContent = wording.line
        .replace("%(found)s", h.found)
        .replace("%(alternatives)s", alternatives);
      ul.appendChild(li);
    });
    el.appendChild(p);
    el.appendChild(ul);
    el.hidden = false;
  }

  var timers = new WeakMap();

  function start() {
    document.addEventListener("input", function (event) {
      var field = event.target;
      if (!(field instanceof HTMLTextAreaElement) || !field.hasAttribute("data-language-hint")) {
        return;
      }
      clearTimeout(timers.get(field));
      timers.set(field, setTimeout(function () { show(field); }, 400));
    });
    // Text already there (a draft, a form returned with errors) is looked at once on load.
    document.querySelectorAll("textarea[data-language-hint]").forEach(function (field) {
      if (field.value) {
        show(field);
      }
    });
  }

  load();
})();
