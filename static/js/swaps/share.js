// Sharing a result in one tap: "Copy link" puts a share link on the clipboard and says "Copied" beside
// it; "Share…" opens the phone's share sheet (Web Share API) with the picture itself as a file where the
// browser can share files (on an iPhone that sheet has "Save to Photos"), else with the link. Without
// this script the link stays in its field to select, and the picture has its Download button.
(function () {
  "use strict";
  var gettext = window.gettext || function (message) { return message; };

  function copyText(text, field) {
    if (navigator.clipboard && navigator.clipboard.writeText) return navigator.clipboard.writeText(text);
    return new Promise(function (resolve, reject) {
      field.select();
      return document.execCommand("copy") ? resolve() : reject(new Error("copy"));
    });
  }

  document.querySelectorAll("button.copy-link").forEach(function (button) {
    var field = document.getElementById(button.dataset.copy);
    var said = button.parentNode.querySelector(".copied");
    button.hidden = false;
    button.addEventListener("click", function () {
      copyText(field.value, field)
        .then(function () {
          said.textContent = gettext("Copied");
          window.setTimeout(function () { said.textContent = ""; }, 4000);
        })
        .catch(function () {
          field.select();
          said.textContent = gettext("Press and hold the link to copy it.");
        });
    });
  });

  var share = document.getElementById("share-picture");
  if (!share || !navigator.share) return;
  share.hidden = false;
  var picture = null;
  // Fetched ahead, so the share sheet opens within the tap (browsers allow it only then).
  fetch(share.dataset.fileUrl, { credentials: "same-origin" })
    .then(function (response) {
      if (!response.ok) throw new Error("status " + response.status);
      return response.blob();
    })
    .then(function (blob) {
      var file = new File([blob], share.dataset.fileName, { type: blob.type || "image/jpeg" });
      if (navigator.canShare && navigator.canShare({ files: [file] })) picture = file;
    })
    .catch(function () { picture = null; });

  share.addEventListener("click", function () {
    var data = { title: share.dataset.title };
    if (picture) data.files = [picture];
    if (share.dataset.url) data.url = share.dataset.url;
    if (!data.files && !data.url) {
      document.getElementById("share").scrollIntoView({ block: "start" });
      return;
    }
    navigator.share(data).catch(function () { /* closed without sharing */ });
  });
})();
