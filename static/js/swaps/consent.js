// The invitation link for a partner: "Copy link" puts it on the clipboard; "Share…" opens the phone's
// share sheet (Web Share API) with it. Without this script the link stays in its field to select.
(function () {
  "use strict";
  var gettext = window.gettext || function (message) { return message; };
  var field = document.getElementById("partner-invite-url");
  if (!field) return;
  var said = field.parentNode.querySelector(".copied");
  var copy = document.getElementById("partner-invite-copy");
  var share = document.getElementById("partner-invite-share");
  copy.hidden = false;
  copy.addEventListener("click", function () {
    var done = navigator.clipboard && navigator.clipboard.writeText
      ? navigator.clipboard.writeText(field.value)
      : Promise.reject(new Error("no clipboard"));
    done.then(function () {
      said.textContent = gettext("Copied");
    }).catch(function () {
      field.select();
      said.textContent = document.execCommand("copy") ? gettext("Copied") : gettext("Press and hold the link to copy it.");
    });
  });
  if (navigator.share) {
    share.hidden = false;
    share.addEventListener("click", function () {
      navigator.share({ title: share.dataset.title, url: share.dataset.url }).catch(function () {});
    });
  }
  // The swap page: once the partner has agreed, the swap runs and this card goes.
  var task = document.getElementById("task");
  if (task && task.dataset.statusUrl) {
    var timer = window.setInterval(function () {
      fetch(task.dataset.statusUrl, { headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store" })
        .then(function (response) {
          if (response.status === 404) window.location.reload();  // declined: the swap is gone
          return response.ok ? response.json() : null;
        })
        .then(function (data) {
          if (data && !data.waiting_for_partner) {
            window.clearInterval(timer);
            document.getElementById("partner-waiting").hidden = true;
            var progress = document.getElementById("task-progress-card");
            if (progress) progress.hidden = false;
          }
        })
        .catch(function () {});
    }, 2000);
  }
})();
