// Automatic logoff in the browser (HIPAA 164.312(a)(2)(iii)). The server ends an idle session
// on its own; this script keeps the screen in step with it, so a chart is not left on display
// after the session is gone, and warns two minutes before.
//
// Activity in the page (keys, clicks, scrolling, touches) counts as use: it is reported to the
// server at most once a minute, so someone typing a long note is not signed out mid-sentence.
(function () {
  "use strict";
  var body = document.body;
  var idleSeconds = parseInt(body.dataset.idleSeconds || "0", 10);
  var keepaliveUrl = body.dataset.keepaliveUrl;
  var timedOutUrl = body.dataset.timedOutUrl;
  if (!idleSeconds || !keepaliveUrl || !timedOutUrl) {
    return;
  }
  var warnBeforeSeconds = Math.min(120, Math.floor(idleSeconds / 3));
  var lastActivity = Date.now();
  var lastReported = Date.now();
  var warning = document.getElementById("idle-warning");
  var csrf = (function () {
    try {
      return JSON.parse(body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (e) {
      return "";
    }
  })();

  // Signing out changes state, so it is a POST with the CSRF token, never a plain link.
  function signOut() {
    var form = document.createElement("form");
    form.method = "post";
    form.action = timedOutUrl;
    var token = document.createElement("input");
    token.type = "hidden";
    token.name = "csrfmiddlewaretoken";
    token.value = csrf;
    form.appendChild(token);
    document.body.appendChild(form);
    form.submit();
  }

  function report() {
    lastReported = Date.now();
    return fetch(keepaliveUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrf },
    }).then(function (response) {
      // A refused keepalive means the server already ended the session.
      if (response.status !== 204) {
        signOut();
      }
    });
  }

  function activity() {
    lastActivity = Date.now();
    // Any use of the page while the warning shows (the button included) answers it.
    var warned = warning && !warning.hidden;
    if (warned) {
      warning.hidden = true;
    }
    if (warned || Date.now() - lastReported > 60000) {
      report();
    }
  }

  ["keydown", "mousedown", "touchstart", "scroll", "wheel"].forEach(function (name) {
    window.addEventListener(name, activity, { passive: true });
  });
  var stay = document.getElementById("idle-stay");
  if (stay) {
    stay.addEventListener("click", activity);
  }

  window.setInterval(function () {
    var idleFor = (Date.now() - lastActivity) / 1000;
    if (idleFor >= idleSeconds) {
      signOut();
    } else if (warning && idleFor >= idleSeconds - warnBeforeSeconds && warning.hidden) {
      warning.hidden = false;
      if (stay) {
        stay.focus();
      }
    }
  }, 5000);
})();
