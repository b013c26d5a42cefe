// The access report's Print button. A script file, not an onclick attribute: the CSP allows
// scripts from our own origin only.
document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll("[data-print-page]")) {
    button.addEventListener("click", () => window.print());
  }
});
