// Readiness Portal: the little JavaScript the pages need. Every page works without it.
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  // Every htmx request carries the CSRF token as a header.
  document.addEventListener("htmx:configRequest", function (event) {
    event.detail.headers["X-CSRFToken"] = csrfToken();
  });

  var toastTimer;
  function toast(message) {
    var box = document.getElementById("toast");
    if (!box) { return; }
    box.textContent = message;
    box.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { box.hidden = true; }, 6000);
  }

  // Errors that htmx does not swap (403, 404, 500...) still tell the user something.
  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    var messages = {
      400: "The request was refused. Reload the page and try again.",
      401: "Your session ended. Please sign in again.",
      403: "Your role does not allow this change.",
      404: "That no longer exists.",
      413: "That is larger than the portal accepts.",
      429: "Too many attempts. Wait a few minutes.",
      503: "The database cannot be reached right now. Try again shortly."
    };
    toast(messages[xhr.status] || "Something went wrong. Try again.");
  });
  document.addEventListener("htmx:sendError", function () {
    toast("The portal cannot be reached. Check your connection.");
  });

  // Confirmation for buttons that carry data-confirm, without inline script.
  document.addEventListener("click", function (event) {
    var target = event.target.closest("[data-confirm]");
    if (target && !window.confirm(target.getAttribute("data-confirm"))) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  // "Select all" checkboxes: <input type=checkbox data-check-all="name">.
  document.addEventListener("change", function (event) {
    var all = event.target.closest("[data-check-all]");
    if (!all) { return; }
    var name = all.getAttribute("data-check-all");
    document.querySelectorAll('input[type=checkbox][name="' + name + '"]').forEach(function (box) {
      box.checked = all.checked;
    });
  });
})();
