/* Accessibility that every page shares, written once (the CSP allows no inline script).

   1. A refused form gets an error summary at its top: a heading, one link per field in error
      (label and message) that moves focus to the field, and focus moves to the summary so a
      screen reader reads it first. The fields keep their own messages; without JavaScript
      those still show beside each field.
   2. What the server says after a save or a refusal (Django messages) is announced: a live
      region present from the start announces only what changes in it, so the text is copied
      into an empty live region once the page has loaded.
   3. A table wider than its box scrolls, and a keyboard user must be able to reach and scroll
      it: the box becomes focusable, a named region, only while it overflows. */
(function () {
  "use strict";

  function labelFor(field) {
    if (field.id) {
      var label = document.querySelector('label[for="' + CSS.escape(field.id) + '"]');
      if (label) return label.textContent.replace(/\*\s*$/, "").trim();
    }
    var group = field.closest("fieldset");
    var legend = group && group.querySelector("legend");
    if (legend) return legend.textContent.replace(/\*\s*$/, "").trim();
    return field.getAttribute("aria-label") || field.name || "";
  }

  function messageFor(field) {
    var container = field.closest(".mb-3, fieldset, .form-check, div") || field.parentElement;
    var feedback = container && container.querySelector(".invalid-feedback, .errorlist");
    return feedback ? feedback.textContent.trim() : "";
  }

  function errorSummary() {
    var main = document.getElementById("main");
    if (!main || main.querySelector(".error-summary")) return;
    var fields = Array.prototype.filter.call(
      main.querySelectorAll("form .is-invalid, form [aria-invalid='true']"),
      function (field) { return field.matches("input, select, textarea"); }
    );
    var formErrors = main.querySelectorAll("form .alert-danger li, form .alert-danger > p");
    if (!fields.length && !formErrors.length) return;
    var form = (fields[0] || formErrors[0]).closest("form");
    var box = document.createElement("div");
    box.className = "error-summary alert alert-danger";
    box.setAttribute("tabindex", "-1");
    box.setAttribute("role", "group");
    box.setAttribute("aria-labelledby", "error-summary-title");
    var heading = document.createElement("h2");
    heading.className = "h5";
    heading.id = "error-summary-title";
    // A form may say more (e.g. that nothing was saved); the page's default is neutral.
    heading.textContent = form.dataset.errorSummaryTitle || document.body.dataset.errorSummaryTitle
      || "Please check the following:";
    box.appendChild(heading);
    var list = document.createElement("ul");
    list.className = "mb-0";
    var seen = {};
    fields.forEach(function (field) {
      var key = field.name || field.id;
      if (seen[key]) return;
      seen[key] = true;
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.className = "alert-link";
      link.href = "#" + (field.id || "");
      var message = messageFor(field);
      link.textContent = labelFor(field) + (message ? ": " + message : "");
      link.addEventListener("click", function (event) {
        event.preventDefault();
        field.focus();
        field.scrollIntoView({ block: "center" });
      });
      item.appendChild(link);
      list.appendChild(item);
    });
    Array.prototype.forEach.call(formErrors, function (error) {
      var item = document.createElement("li");
      item.textContent = error.textContent.trim();
      list.appendChild(item);
    });
    box.appendChild(list);
    form.parentNode.insertBefore(box, form);
    box.focus();
  }

  function announceMessages() {
    var messages = document.querySelectorAll("#main .messages .alert");
    if (!messages.length) return;
    var region = document.getElementById("announcer");
    if (!region) return;
    var text = Array.prototype.map.call(messages, function (m) { return m.textContent.trim(); });
    // After the first paint, so assistive technology sees a change in a live region it knows.
    window.setTimeout(function () { region.textContent = text.join(" "); }, 300);
  }

  function markScrollable(box) {
    var overflows = box.scrollWidth > box.clientWidth + 1;
    if (overflows && !box.hasAttribute("tabindex")) {
      box.setAttribute("tabindex", "0");
      box.setAttribute("role", "region");
      box.dataset.scrollRegion = "1";
      if (!box.hasAttribute("aria-label") && !box.hasAttribute("aria-labelledby")) {
        var caption = box.querySelector("caption");
        var heading = caption || box.previousElementSibling;
        var name = heading && /^(CAPTION|H[1-6])$/.test(heading.tagName) ? heading.textContent : "";
        box.setAttribute("aria-label", (name || document.title.split(" · ")[0]).trim());
      }
    } else if (!overflows && box.dataset.scrollRegion) {
      box.removeAttribute("tabindex");
      box.removeAttribute("role");
      box.removeAttribute("aria-label");
      delete box.dataset.scrollRegion;
    }
  }

  var observer = "ResizeObserver" in window
    ? new ResizeObserver(function (entries) {
        entries.forEach(function (entry) { markScrollable(entry.target); });
      })
    : null;

  function watchTables(root) {
    (root || document).querySelectorAll(".table-responsive").forEach(function (box) {
      markScrollable(box);
      if (observer) observer.observe(box);
    });
  }

  function start() {
    watchTables(document);
    errorSummary();
    announceMessages();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
  document.addEventListener("htmx:afterSettle", function (event) { watchTables(event.target); });
})();
