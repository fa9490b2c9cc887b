// The swap form: look for faces in each photo as soon as it is chosen. A new file is uploaded at once
// (it lands in My photos only if a face can be used) and becomes the chosen photo; its usable faces show
// as crops to tap. "Swap who is who" swaps the two people's photos and faces without sending the form.
// Without JavaScript the same checks happen when the form is sent, and "Swap who is who" is a submit.
(function () {
  "use strict";
  var form = document.getElementById("swap-form");
  if (!form) return;
  var checkUrl = form.dataset.checkUrl;
  var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  var people = {};
  // Django's JavaScript catalogue gives gettext; without it (it failed to load) the English stays.
  var gettext = window.gettext || function (message) { return message; };
  var interpolate = window.interpolate || function (format, values) {
    return format.replace(/%\(([a-z_]+)\)s/g, function (match, name) { return values[name]; });
  };

  form.querySelectorAll("fieldset.role").forEach(function (fieldset) {
    var role = fieldset.dataset.role;
    var upload = fieldset.querySelector("input.photo-upload");
    var status = fieldset.querySelector(".face-check");
    var person = (people[role] = { fieldset: fieldset, check: check, clear: clear });
    // The file last sent for checking: a refused one can be turned here and sent again (it was not stored).
    var lastFile = null;

    function checkFile(file) {
      lastFile = file;
      var data = new FormData();
      data.append("role", role);
      data.append("file", file);
      check(data);
    }

    function checkUpload() {
      if (!upload.files.length) return;
      checkFile(upload.files[0]);
    }
    upload.addEventListener("change", checkUpload);
    // A file chosen before this script ran (a slow connection) is checked now.
    checkUpload();
    fieldset.addEventListener("change", function (event) {
      if (event.target.name === role + "_face") {
        // A face tapped: "the largest is chosen for now" no longer holds.
        status.querySelectorAll(".note").forEach(function (note) { note.remove(); });
        makeRoomFor(role, event.target.value);
        return;
      }
      if (event.target.type !== "radio" || event.target.name !== role + "_photo") return;
      check(photoData(event.target.value, null));
    });

    function photoData(imageId, face) {
      var data = new FormData();
      data.append("role", role);
      data.append("image", imageId);
      if (face !== null && face !== undefined) data.append("face", face);
      return data;
    }
    person.photoData = photoData;

    var faceGiven = false;
    // filled: this photo was put here because the other partner chose a photo of the two of you.
    function check(data, filled) {
      faceGiven = data.has("face");
      // The other partner's choice: the server does not offer the one face of a photo to both.
      var otherRole = role === "husband" ? "wife" : "husband";
      var otherPhoto = form.querySelector("input[name=" + otherRole + "_photo]:checked");
      var otherFace = form.querySelector("input[name=" + otherRole + "_face]:checked");
      if (otherPhoto) {
        data.append("partner_image", otherPhoto.value);
        data.append("partner_face", otherFace ? otherFace.value : "0");
      }
      if (!data.has("file")) lastFile = null;
      show("checking", [text("p", gettext("Looking for faces…"))]);
      fetch(checkUrl, { method: "POST", body: data, headers: { "X-CSRFToken": csrf }, credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok && response.status !== 400 && response.status !== 413) throw new Error("status " + response.status);
          return response.json();
        })
        .then(function (result) {
          upload.value = "";  // stored now (or refused): the form sends the photo's id, not the file again
          if (result.image && result.ok) {
            addOption(result.image);
          } else if (!result.ok) {
            // A refused photo is not kept and nothing stays chosen under its reason.
            fieldset.querySelectorAll("input[name=" + role + "_photo]").forEach(function (radio) { radio.checked = false; });
          }
          var parts = [];
          if (result.faces && result.faces.length) parts.push(faceChoices(avoidPartnersFace(result)));
          parts.push(text("p", result.message));
          var notes = result.notes || [];
          if (filled && result.ok) {
            notes = [
              role === "husband"
                ? gettext("A photo of the two of you: the largest face is you, the next one your partner. Tap a face to change it.")
                : gettext("The same photo of the two of you: the face next in size is your partner's. Tap a face to change it."),
            ];
          }
          notes.forEach(function (note) {
            parts.push(text("p", note, "note"));
          });
          if (!result.ok && lastFile && /face/i.test(result.message)) parts.push(turnButtons());
          show(result.ok ? "ok" : "bad", parts);
          fieldset.querySelectorAll(".errorlist").forEach(function (old) { old.remove(); });
          if (result.ok && result.image && result.faces && result.faces.length > 1 && !faceGiven) {
            fillBoth(role, result.image.id);
          }
        })
        .catch(function () {
          show("bad", [text("p", gettext("We could not check this photo just now; it will be checked when you send the form."))]);
        });
    }

    // The same photo of the two of you chosen for both: preselect a face the other one has not taken.
    function avoidPartnersFace(result) {
      var faces = result.faces;
      if (faces.length < 2 || faceGiven) return faces;
      var otherRole = role === "husband" ? "wife" : "husband";
      var otherPhoto = form.querySelector("input[name=" + otherRole + "_photo]:checked");
      var otherFace = form.querySelector("input[name=" + otherRole + "_face]:checked");
      if (!otherPhoto || !otherFace || !result.image || otherPhoto.value !== String(result.image.id)) return faces;
      var taken = Number(otherFace.value);
      var free = faces.filter(function (face) { return face.index !== taken; })[0];
      return faces.map(function (face) {
        return { index: face.index, url: face.url, note: face.note, chosen: face.index === free.index };
      });
    }

    // "Turn left / Turn right" for a photo whose face was not found: it may lie on its side.
    function turnButtons() {
      var group = document.createElement("p");
      group.className = "turn-buttons";
      group.appendChild(text("span", gettext("Sideways? Turn it:") + " "));
      [["left", "↺ " + gettext("Turn left"), -1], ["right", "↻ " + gettext("Turn right"), 1]].forEach(function (spec) {
        var button = document.createElement("button");
        button.type = "button";
        button.className = "button button-small turn-" + spec[0];
        button.textContent = spec[1];
        button.addEventListener("click", function () { turn(spec[2]); });
        group.appendChild(button);
      });
      return group;
    }

    function turn(direction) {
      var file = lastFile;
      show("checking", [text("p", gettext("Turning the photo…"))]);
      createImageBitmap(file, { imageOrientation: "from-image" })
        .then(function (bitmap) {
          var canvas = document.createElement("canvas");
          canvas.width = bitmap.height;
          canvas.height = bitmap.width;
          var context = canvas.getContext("2d");
          context.translate(canvas.width / 2, canvas.height / 2);
          context.rotate((direction * Math.PI) / 2);
          context.drawImage(bitmap, -bitmap.width / 2, -bitmap.height / 2);
          return new Promise(function (resolve, reject) {
            canvas.toBlob(function (blob) { return blob ? resolve(blob) : reject(new Error("encode")); }, "image/jpeg", 0.92);
          });
        })
        .then(function (blob) {
          var name = (file.name || "photo").replace(/\.[^.]*$/, "") + ".jpg";
          checkFile(new File([blob], name, { type: "image/jpeg" }));
        })
        .catch(function () {
          show("bad", [text("p", gettext("This browser cannot turn this photo; turn it in your phone's photo app and upload it again."))]);
        });
    }

    function faceChoices(faces) {
      var group = document.createElement("div");
      group.className = "face-choices";
      group.setAttribute("role", "radiogroup");
      group.setAttribute("aria-label", role === "husband" ? gettext("Which face is yours") : gettext("Which face is your partner's"));
      faces.forEach(function (face) {
        var label = document.createElement("label");
        label.className = "face-choice";
        var radio = document.createElement("input");
        radio.type = "radio";
        radio.name = role + "_face";
        radio.value = face.index;
        radio.checked = face.chosen;
        var crop = document.createElement("img");
        crop.className = "face-crop";
        crop.src = face.url;
        crop.alt = interpolate(gettext("Face %(number)s"), { number: face.index + 1 }, true);
        crop.width = 96;
        crop.height = 96;
        label.appendChild(radio);
        label.appendChild(crop);
        if (face.note) label.appendChild(text("span", face.note.charAt(0).toUpperCase() + face.note.slice(1), "face-note"));
        group.appendChild(label);
      });
      return group;
    }

    function addOption(image) {
      var existing = form.querySelectorAll("input[type=radio][value='" + image.id + "'][name$=_photo]");
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
          option.appendChild(text("span", image.filename, "photo-option-name"));
          option.appendChild(text("span", image.uploaded, "photo-option-date"));
          other.querySelector(".photo-picker").prepend(option);
          other.querySelector(".picker-title").hidden = false;
        });
      }
      fieldset.querySelector("input[name=" + role + "_photo][value='" + image.id + "']").checked = true;
    }

    function clear() {
      fieldset.querySelectorAll("input[name=" + role + "_photo]").forEach(function (radio) { radio.checked = false; });
      show("", [text("p", gettext("Choose a photo: we look for faces straight away."), "muted")]);
    }

    function show(state, parts) {
      status.className = "face-check " + state;
      status.replaceChildren.apply(status, parts);
    }
  });

  function otherOf(role) {
    return role === "husband" ? "wife" : "husband";
  }

  // One photo of the two of you fills both places: the partner without a photo gets the same one. The
  // largest face is yours and the next your partner's, whichever side the photo was chosen on; tapping
  // a face or "Swap who is who" changes that.
  function fillBoth(role, imageId) {
    var other = otherOf(role);
    if (!people[other] || form.querySelector("input[name=" + other + "_photo]:checked")) return;
    var radio = form.querySelector("input[name=" + other + "_photo][value='" + imageId + "']");
    if (!radio) return;
    radio.checked = true;
    var faces = { husband: "0", wife: "1" };
    people[other].check(people[other].photoData(imageId, faces[other]), true);
    if (role === "wife") people.wife.check(people.wife.photoData(imageId, faces.wife), true);
  }

  // A face tapped that the other partner has in the same photo: the other partner moves to a face
  // nobody has, at once, and is told so (no dead end when the form is sent).
  function makeRoomFor(role, faceValue) {
    var other = otherOf(role);
    var photo = form.querySelector("input[name=" + role + "_photo]:checked");
    var otherPhoto = form.querySelector("input[name=" + other + "_photo]:checked");
    var otherFace = form.querySelector("input[name=" + other + "_face]:checked");
    if (!photo || !otherPhoto || photo.value !== otherPhoto.value || !otherFace || otherFace.value !== faceValue) return;
    var free = Array.prototype.filter.call(
      form.querySelectorAll("input[name=" + other + "_face]"),
      function (radio) { return radio.value !== faceValue; }
    )[0];
    if (!free) return;
    free.checked = true;
    var status = people[other].fieldset.querySelector(".face-check");
    status.querySelectorAll(".note").forEach(function (note) { note.remove(); });
    var note = document.createElement("p");
    note.className = "note moved";
    note.textContent =
      other === "wife"
        ? gettext("You took this face, so your partner is now the other one.")
        : gettext("Your partner took this face, so you are now the other one.");
    status.appendChild(note);
  }

  var switchButton = document.getElementById("switch-places");
  if (switchButton) {
    switchButton.addEventListener("click", function (event) {
      event.preventDefault();
      var roles = Object.keys(people);
      var picked = roles.map(function (role) {
        var photo = form.querySelector("input[name=" + role + "_photo]:checked");
        var face = form.querySelector("input[name=" + role + "_face]:checked");
        return { image: photo ? photo.value : null, face: face ? face.value : null };
      });
      roles.forEach(function (role, i) {
        var other = picked[roles.length - 1 - i];
        var person = people[role];
        if (!other.image) {
          person.clear();
          return;
        }
        person.fieldset.querySelector("input[name=" + role + "_photo][value='" + other.image + "']").checked = true;
        person.check(person.photoData(other.image, other.face));
      });
    });
  }

  function text(tag, content, className) {
    var element = document.createElement(tag);
    element.textContent = content;
    if (className) element.className = className;
    return element;
  }
})();
