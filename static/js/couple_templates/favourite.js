// The heart on a template: marked or unmarked without leaving the page (which used to reload and jump to
// the top). Without this script the heart's form still posts and comes back to the same page.
(function () {
  "use strict";

  function say(text) {
    var status = document.getElementById("fav-status");
    if (!status) {
      status = document.createElement("p");
      status.id = "fav-status";
      status.className = "fav-status";
      status.setAttribute("role", "status");
      document.body.appendChild(status);
    }
    status.textContent = text;
    status.classList.add("is-shown");
    clearTimeout(say.timer);
    say.timer = setTimeout(function () { status.classList.remove("is-shown"); }, 3000);
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form.tpl-fav") || !window.fetch) return;
    event.preventDefault();
    var button = form.querySelector(".tpl-fav-button");
    if (button.disabled) return;
    button.disabled = true;
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (response) {
        var json = (response.headers.get("Content-Type") || "").indexOf("application/json") === 0;
        if (!response.ok || !json) throw new Error("not answered here");
        return response.json();
      })
      .then(function (answer) {
        button.disabled = false;
        button.classList.toggle("is-on", answer.favourite);
        button.setAttribute("aria-pressed", answer.favourite ? "true" : "false");
        button.setAttribute("aria-label", answer.label);
        button.textContent = answer.favourite ? "♥" : "♡";
        button.focus({ preventScroll: true });
        say(answer.message);
      })
      .catch(function () {
        // Logged out meanwhile, or the server refused: the ordinary post says why.
        button.disabled = false;
        form.submit();
      });
  });
})();
