// What a person sent must not be lost with a failed page (a server error, the database down).
//
// On every page: when a form is posted, its typed text (text boxes and text areas, never
// passwords or hidden fields) is kept in this tab's sessionStorage, which no other tab, no
// other site and no server sees, and which ends with the tab. The next page that opens
// normally (the save worked, or the form came back with its text to correct) clears it. Only
// the standalone failure pages (500.html, 409.html) show it, so it can be copied back.
(function () {
  "use strict";
  var KEY = "hrp-unsent";
  var store;
  try {
    store = window.sessionStorage;
  } catch (e) {
    return; // storage disabled: the failure page still explains Back
  }
  if (!store) {
    return;
  }
  var failurePage = document.body && document.body.dataset.unsentShow !== undefined;

  function labelFor(field) {
    if (field.id) {
      var label = document.querySelector('label[for="' + field.id + '"]');
      if (label) {
        return label.textContent.trim();
      }
    }
    return field.getAttribute("aria-label") || field.name;
  }

  if (!failurePage) {
    store.removeItem(KEY);
    document.addEventListener(
      "submit",
      function (event) {
        var form = event.target;
        if (!form || (form.method || "").toLowerCase() !== "post") {
          return;
        }
        var fields = [];
        form.querySelectorAll("textarea, input[type=text], input:not([type])").forEach(function (field) {
          if (field.name && field.value.trim()) {
            fields.push({ label: labelFor(field), value: field.value });
          }
        });
        if (fields.length) {
          store.setItem(KEY, JSON.stringify({ path: window.location.pathname, fields: fields }));
        } else {
          store.removeItem(KEY);
        }
      },
      true
    );
    return;
  }

  var section = document.getElementById("unsent");
  var holder = document.getElementById("unsent-fields");
  var saved = null;
  try {
    saved = JSON.parse(store.getItem(KEY) || "null");
  } catch (e) {
    saved = null;
  }
  if (!section || !holder || !document.body.dataset.unsentShow || !saved || !saved.fields) {
    return;
  }
  saved.fields.forEach(function (entry, index) {
    var id = "unsent-" + index;
    var label = document.createElement("label");
    label.className = "form-label mt-2";
    label.htmlFor = id;
    label.textContent = entry.label;
    var box = document.createElement("textarea");
    box.className = "form-control";
    box.id = id;
    box.rows = 4;
    box.readOnly = true;
    box.value = entry.value;
    holder.appendChild(label);
    holder.appendChild(box);
  });
  section.hidden = false;
})();
