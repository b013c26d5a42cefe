// The note editor's autosave (htmx on #note-form).
(function () {
  "use strict";
  var form = document.getElementById("note-form");
  if (!form) {
    return;
  }

  // A random key for this editor, sent with every save. When a save's answer is lost (a
  // timeout, a restart, Back after an error page), the next save comes from the older version
  // number; the key tells the server it is this same editor going on, not someone else's
  // change to check against. The hidden field keeps it when the browser restores the page.
  var saveKey = form.querySelector("input[name=save_key]");
  if (saveKey && !saveKey.value) {
    if (window.crypto && window.crypto.randomUUID) {
      saveKey.value = window.crypto.randomUUID();
    } else {
      var bytes = new Uint8Array(16);
      window.crypto.getRandomValues(bytes);
      saveKey.value = Array.prototype.map
        .call(bytes, function (b) {
          return ("0" + b.toString(16)).slice(-2);
        })
        .join("");
    }
  }

  // The autosave answers 409 when the draft was saved elsewhere (a conflict, shown with both
  // texts) or has been signed meanwhile. htmx drops error responses by default; swap these in
  // so the person sees why nothing was saved. (A second htmx-config meta tag cannot do this:
  // htmx reads only the first one, which base.html sets.)
  form.addEventListener("htmx:beforeSwap", function (event) {
    var detail = event.detail;
    if (detail.xhr.status === 409 && detail.target && detail.target.id === "autosave-status") {
      detail.shouldSwap = true;
      detail.isError = false;
    }
  });

  // "Save draft" and "Save and sign…" post the whole form with its version number. Leaving a
  // field for one of these buttons starts an autosave, and the autosave's answer brings the
  // next version number: a submit sent before it arrives would carry a stale version and be
  // refused as a conflict with this very page. So a submit waits for autosaves in flight.
  var inFlight = 0;
  var waitingSubmitter = null;

  function submitWhenIdle() {
    if (waitingSubmitter && inFlight === 0) {
      var submitter = waitingSubmitter;
      waitingSubmitter = null;
      form.requestSubmit(submitter);
    }
  }

  form.addEventListener("htmx:beforeSend", function () {
    inFlight += 1;
  });
  form.addEventListener("htmx:afterRequest", function () {
    inFlight = Math.max(0, inFlight - 1);
    // After htmx has started any queued autosave (hx-sync queue last), which counts again.
    window.setTimeout(submitWhenIdle, 0);
  });
  form.addEventListener("submit", function (event) {
    submitting = true;
    if (inFlight > 0) {
      event.preventDefault();
      waitingSubmitter = event.submitter || form.querySelector("button[type=submit]");
    }
  });

  // Between a keystroke and the autosave that carries it, the text exists only in this page:
  // say so in the status line, and ask before the page is closed or left.
  var status = document.getElementById("autosave-status");
  var edits = 0;
  var savedEdits = 0;
  var sentEdits = 0;
  var submitting = false;
  form.addEventListener("input", function () {
    edits += 1;
    // Set only when it changes, so a screen reader announces it once, not per keystroke.
    if (status && status.dataset.unsavedText && status.textContent !== status.dataset.unsavedText) {
      status.textContent = status.dataset.unsavedText;
    }
  });
  form.addEventListener("htmx:beforeSend", function () {
    sentEdits = edits;
  });
  form.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail.successful && event.detail.xhr.status === 200) {
      savedEdits = Math.max(savedEdits, sentEdits);
    }
  });
  window.addEventListener("beforeunload", function (event) {
    if (!submitting && edits > savedEdits) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
})();
