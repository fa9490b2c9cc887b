// Every form of the site: after a form comes back with errors, the first one is scrolled into view,
// focused and announced (on a phone it is otherwise far below the fold and nothing seems to happen).
// A file over the upload limit is refused here with its real size, before anything is sent, so the rest
// of the form stays as it was typed; the server refuses it too when this script does not run.
(function () {
  "use strict";
  var gettext = window.gettext || function (message) { return message; };
  var interpolate = window.interpolate || function (format, values) {
    return format.replace(/%\(([a-z_]+)\)s/g, function (match, name) { return values[name]; });
  };
  var ERRORS = "form .errorlist, form .form-errors, form .message.error, .messages .message.error, [data-form-error]";

  function megabytes(bytes) {
    var value = bytes / (1024 * 1024);
    return (value >= 10 ? Math.round(value) : Math.round(value * 10) / 10) + " MB";
  }

  // Shown, scrolled to the middle of the screen, focused and read out.
  function reveal(element) {
    if (!element.hasAttribute("role")) element.setAttribute("role", "alert");
    if (!element.hasAttribute("tabindex")) element.setAttribute("tabindex", "-1");
    element.scrollIntoView({ block: "center" });
    element.focus({ preventScroll: true });
  }
  window.formsReveal = reveal;

  function firstError() {
    var found = Array.prototype.filter.call(document.querySelectorAll(ERRORS), function (element) {
      return element.offsetParent !== null && element.textContent.trim() !== "";
    });
    return found[0];
  }

  var error = firstError();
  if (error) reveal(error);

  var limit = Number(document.body.dataset.uploadMaxBytes || 0);
  // Capture phase: a too-large file is taken out before a page's own script sends it to be checked.
  document.addEventListener(
    "change",
    function (event) {
      var input = event.target;
      if (!limit || !input.matches || !input.matches("input[type=file]") || !input.files) return;
      var big = Array.prototype.filter.call(input.files, function (file) { return file.size > limit; });
      var old = input.parentNode.querySelector(".file-too-large");
      if (old) old.remove();
      if (!big.length) return;
      var kept = new DataTransfer();
      Array.prototype.forEach.call(input.files, function (file) {
        if (file.size <= limit) kept.items.add(file);
      });
      input.files = kept.files;
      var message = document.createElement("p");
      message.className = "errorlist file-too-large";
      message.setAttribute("aria-live", "assertive");
      message.textContent = big
        .map(function (file) {
          return interpolate(
            gettext("“%(name)s” is %(size)s; the limit is %(limit)s. Try a smaller copy or a screenshot."),
            { name: file.name, size: megabytes(file.size), limit: megabytes(limit) },
            true
          );
        })
        .join(" ");
      input.insertAdjacentElement("afterend", message);
      reveal(message);
      if (!kept.files.length) event.stopPropagation();
    },
    true
  );
})();
