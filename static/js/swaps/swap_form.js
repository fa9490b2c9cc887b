// The swap form: check each photo for a usable face as soon as it is chosen. A new file is uploaded
// at once (it lands in My photos) and becomes the chosen photo; the face that will be used is shown.
// Without JavaScript the same checks happen when the form is sent.
(function () {
  "use strict";
  var form = document.getElementById("swap-form");
  if (!form) return;
  var checkUrl = form.dataset.checkUrl;
  var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;

  form.querySelectorAll("fieldset.role").forEach(function (fieldset) {
    var role = fieldset.dataset.role;
    var upload = fieldset.querySelector("input.photo-upload");
    var status = fieldset.querySelector(".face-check");

    function checkUpload() {
      if (!upload.files.length) return;
      var data = new FormData();
      data.append("role", role);
      data.append("file", upload.files[0]);
      check(data);
    }
    upload.addEventListener("change", checkUpload);
    // A file chosen before this script ran (a slow connection) is checked now.
    checkUpload();
    fieldset.addEventListener("change", function (event) {
      if (event.target.type !== "radio") return;
      var data = new FormData();
      data.append("role", role);
      data.append("image", event.target.value);
      check(data);
    });

    function check(data) {
      show("checking", [text("p", "Checking the photo…")]);
      fetch(checkUrl, { method: "POST", body: data, headers: { "X-CSRFToken": csrf }, credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok && response.status !== 400) throw new Error("status " + response.status);
          return response.json();
        })
        .then(function (result) {
          if (result.image) {
            upload.value = "";  // stored now: the form sends its id, not the file again
            addOption(result.image, result.ok);
          }
          var parts = [];
          if (result.face_url) {
            var crop = document.createElement("img");
            crop.className = "face-crop";
            crop.src = result.face_url;
            crop.alt = "The face that will be used";
            crop.width = 96;
            crop.height = 96;
            parts.push(crop);
          }
          parts.push(text("p", result.message));
          (result.notes || []).forEach(function (note) {
            parts.push(text("p", note, "note"));
          });
          show(result.ok ? "ok" : "bad", parts);
        })
        .catch(function () {
          show("bad", [text("p", "We could not check this photo just now; it will be checked when you send the form.")]);
        });
    }

    function addOption(image, select) {
      var existing = form.querySelectorAll("input[type=radio][value='" + image.id + "']");
      if (!existing.length) {
        form.querySelectorAll("fieldset.role").forEach(function (other) {
          var option = document.createElement("label");
          option.className = "photo-option";
          option.title = image.filename;
          var radio = document.createElement("input");
          radio.type = "radio";
          radio.name = other.dataset.role + "_photo";
          radio.value = image.id;
          var thumb = document.createElement("img");
          thumb.src = image.thumbnail_url;
          thumb.alt = image.filename;
          option.appendChild(radio);
          option.appendChild(thumb);
          other.querySelector(".photo-picker").prepend(option);
          other.querySelector(".picker-title").hidden = false;
        });
      }
      if (select) {
        fieldset.querySelector("input[type=radio][value='" + image.id + "']").checked = true;
      }
    }

    function show(state, parts) {
      status.className = "face-check " + state;
      status.replaceChildren.apply(status, parts);
    }
  });

  function text(tag, content, className) {
    var element = document.createElement(tag);
    element.textContent = content;
    if (className) element.className = className;
    return element;
  }
})();
