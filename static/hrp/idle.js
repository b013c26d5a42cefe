// Automatic logoff in the browser (HIPAA 164.312(a)(2)(iii)). The server ends an idle session
// on its own; this script keeps the screen in step with it, so a chart is not left on display
// after the session is gone, and warns before, counting down the time actually left.
//
// The server's clock decides. The page starts from the time the server says this session has
// left (data-idle-remaining, from the clinic's idle setting as it is now). Activity in the page
// (keys, clicks, scrolling, touches) is reported at most once a minute, and each answer brings
// the setting and the time left again. While the page sits idle it asks, without counting as
// activity, every minute or so (data-idle-status-url): a change of the clinic's idle setting
// reaches pages already open, and a session the server has ended clears the screen.
(function () {
  "use strict";
  var body = document.body;
  var idleSeconds = parseInt(body.dataset.idleSeconds || "0", 10);
  var keepaliveUrl = body.dataset.keepaliveUrl;
  var statusUrl = body.dataset.idleStatusUrl;
  var timedOutUrl = body.dataset.timedOutUrl;
  if (!idleSeconds || !keepaliveUrl || !timedOutUrl) {
    return;
  }
  var remaining = parseInt(body.dataset.idleRemaining || String(idleSeconds), 10);
  // When the server will end the session unless activity is reported before then.
  var deadline = Date.now() + remaining * 1000;
  var lastActivity = Date.now();
  var lastReported = Date.now();
  var lastAsked = Date.now();
  var signingOut = false;
  var reporting = false;
  var warning = document.getElementById("idle-warning");
  var warningText = document.getElementById("idle-warning-text");
  var stay = document.getElementById("idle-stay");
  var csrf = (function () {
    try {
      return JSON.parse(body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (e) {
      return "";
    }
  })();

  function warnBeforeSeconds() {
    return Math.min(120, Math.floor(idleSeconds / 3));
  }

  // How often an idle page asks the server: often enough that a shorter setting takes effect
  // within a minute, and at least twice inside the warning window of a short limit.
  function askEverySeconds() {
    return Math.max(2, Math.min(60, Math.floor(idleSeconds / 6)));
  }

  // Signing out changes state, so it is a POST with the CSRF token, never a plain link.
  function signOut() {
    if (signingOut) {
      return;
    }
    signingOut = true;
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

  // The server's answer: the setting as it is now and the time left. Anything but 204 means
  // the server has already ended the session (it redirects to sign-in).
  function adopt(response) {
    reporting = false;
    if (response.status !== 204) {
      signOut();
      return;
    }
    var seconds = parseInt(response.headers.get("X-Idle-Seconds") || "", 10);
    var left = parseInt(response.headers.get("X-Idle-Remaining") || "", 10);
    if (seconds > 0) {
      idleSeconds = seconds;
    }
    if (left >= 0) {
      deadline = Date.now() + left * 1000;
    }
    tick();
  }

  function report() {
    lastReported = Date.now();
    lastAsked = Date.now();
    reporting = true;
    return fetch(keepaliveUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrf },
      redirect: "manual",
    })
      .then(adopt, function () {})
      .then(function () {
        reporting = false;
      });
  }

  function ask() {
    lastAsked = Date.now();
    if (!statusUrl) {
      return;
    }
    fetch(statusUrl, { credentials: "same-origin", redirect: "manual" }).then(adopt, function () {});
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

  function clock(seconds) {
    var s = Math.max(0, Math.ceil(seconds));
    var minutes = Math.floor(s / 60);
    var rest = s % 60;
    return minutes + ":" + (rest < 10 ? "0" : "") + rest;
  }

  function tick() {
    if (signingOut) {
      return;
    }
    var now = Date.now();
    var left = (deadline - now) / 1000;
    if (left <= 0) {
      signOut();
      return;
    }
    if (left <= warnBeforeSeconds()) {
      // Activity not yet reported (under a minute old) is reported now instead of warning;
      // no warning either while that answer is on its way.
      if (lastActivity > lastReported) {
        report();
        return;
      }
      if (reporting) {
        return;
      }
      if (warning) {
        if (warningText && warningText.dataset.template) {
          warningText.textContent = warningText.dataset.template.replace("%(time)s", clock(left));
        }
        if (warning.hidden) {
          warning.hidden = false;
          if (stay) {
            stay.focus();
          }
        }
      }
    } else if (warning && !warning.hidden) {
      warning.hidden = true; // the limit was lengthened meanwhile
    }
    if (now - lastAsked > askEverySeconds() * 1000) {
      ask();
    }
  }

  ["keydown", "mousedown", "touchstart", "scroll", "wheel"].forEach(function (name) {
    window.addEventListener(name, activity, { passive: true });
  });
  if (stay) {
    stay.addEventListener("click", activity);
  }
  // A page shown again from the browser's back/forward cache has a stale timer: ask.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) {
      ask();
    }
  });
  tick();
  window.setInterval(tick, 1000);
})();
