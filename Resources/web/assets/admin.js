// Balcão admin: small progressive enhancements. Every page works without this file.
(function () {
  "use strict";
  // The CSRF token for fetch/XHR requests: send it as the X-CSRF-Token header.
  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }
  window.balcao = window.balcao || {};
  window.balcao.csrfToken = csrfToken;

  // Forms and buttons with data-confirm="…" ask before submitting (deletions).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var message = form.getAttribute("data-confirm") || (event.submitter && event.submitter.getAttribute("data-confirm"));
    if (message && !window.confirm(message)) { event.preventDefault(); }
  });

  // Success messages fade after a few seconds; errors stay.
  document.addEventListener("DOMContentLoaded", function () {
    var flash = document.querySelector(".flash-success, .flash-info");
    if (flash) { setTimeout(function () { flash.classList.add("flash-hidden"); }, 6000); }
  });
})();
