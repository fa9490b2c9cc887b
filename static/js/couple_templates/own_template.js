/* A person's own template: the face search's progress, then who goes where.
 *
 * The radio buttons for "You" and "Your partner" are the real form; this script follows the search
 * (reloading the page once it is done) and lets the person tap the ringed faces instead: the first tap
 * chooses you, the next your partner; "Switch" swaps them. "Mark a face: 3 clicks" adds a face the search
 * missed the way curators mark drawn faces in the admin (static/js/couple_templates/face_three.js): the
 * eye on the picture's left, the eye on the right, the middle of the mouth.
 */
(function () {
  "use strict";
  const scene = document.querySelector("[data-own-scene]");
  if (!scene) return;
  const NS = "http://www.w3.org/2000/svg";
  const say = (name) => scene.dataset[`say${name}`] || "";
  const hint = scene.querySelector("[data-hint]");
  const message = scene.querySelector("[data-message]");

  if (scene.dataset.finished !== "1") {
    const bar = scene.querySelector("[data-progress-bar]");
    const poll = () =>
      fetch(scene.dataset.statusUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then((response) => (response.ok ? response.json() : null))
        .then((state) => {
          if (state && state.finished) {
            window.location.reload();
            return;
          }
          if (state) {
            bar.value = state.progress;
            message.textContent = state.message;
          }
          window.setTimeout(poll, 1000);
        })
        .catch(() => window.setTimeout(poll, 2000));
    window.setTimeout(poll, 500);
    return;
  }

  const svg = scene.querySelector("[data-overlay]");
  const form = scene.querySelector("[data-couple-form]");
  const marked = form.querySelector("input[name=marked]");
  const switchButton = form.querySelector("[data-switch]");
  const markButton = form.querySelector("[data-mark-three]");
  const markHelp = form.querySelector("[data-mark-help]");
  const W = Number(scene.dataset.width) || 1;
  const H = Number(scene.dataset.height) || 1;
  const known = Number(scene.dataset.known) || 0;
  const faces = [];
  let picking = "you";
  let clicks = null; // the three points while marking

  const checked = (role) => form.querySelector(`input[name=${role}]:checked`);
  const value = (role) => (checked(role) ? Number(checked(role).value) : null);

  function choose(role, index) {
    const input = form.querySelector(`input[name=${role}][value="${index}"]`);
    if (input) input.checked = true;
    const other = role === "you" ? "partner" : "you";
    if (value(other) === index) {
      const left = form.querySelector(`input[name=${other}]:checked`);
      if (left) left.checked = false;
    }
    picking = other;
    paint();
  }

  function paint() {
    for (const group of svg.querySelectorAll("[data-face]")) {
      const index = Number(group.dataset.face);
      group.classList.toggle("role-husband", value("you") === index);
      group.classList.toggle("role-wife", value("partner") === index);
    }
    for (const fieldset of form.querySelectorAll("[data-role-picker]")) {
      fieldset.classList.toggle("is-picking", fieldset.dataset.rolePicker === picking);
    }
  }

  function toPicture(event) {
    const matrix = svg.getScreenCTM();
    const point = new DOMPoint(event.clientX, event.clientY).matrixTransform(matrix.inverse());
    return [Math.min(W, Math.max(0, point.x)), Math.min(H, Math.max(0, point.y))];
  }

  function addOption(role, index) {
    const label = document.createElement("label");
    label.className = "own-option";
    const input = document.createElement("input");
    input.type = "radio";
    input.name = role;
    input.value = String(index);
    label.append(input, ` ${say("Face")} ${index + 1}`);
    form.querySelector(`[data-options=${role}]`).appendChild(label);
  }

  function addFace(face) {
    faces.push(face);
    marked.value = JSON.stringify(faces);
    const index = known + faces.length - 1;
    const [x1, y1, x2, y2] = face.box;
    const group = document.createElementNS(NS, "g");
    group.setAttribute("class", "own-face own-face-manual");
    group.dataset.face = String(index);
    const ring = document.createElementNS(NS, "ellipse");
    const attrs = { class: "own-ring", cx: (x1 + x2) / 2, cy: (y1 + y2) / 2, rx: 0.62 * (x2 - x1), ry: 0.7 * (y2 - y1) };
    for (const [key, val] of Object.entries(attrs)) ring.setAttribute(key, val);
    ring.setAttribute("vector-effect", "non-scaling-stroke");
    const number = document.createElementNS(NS, "text");
    number.setAttribute("class", "own-ring-number");
    number.setAttribute("x", attrs.cx);
    number.setAttribute("y", attrs.cy);
    number.textContent = String(index + 1);
    group.append(ring, number);
    svg.appendChild(group);
    addOption("you", index);
    addOption("partner", index);
    const role = value("you") === null ? "you" : value("partner") === null ? "partner" : picking;
    choose(role, index);
  }

  function stopMarking(text) {
    clicks = null;
    scene.classList.remove("is-marking");
    markButton.textContent = markButton.dataset.label;
    for (const dot of svg.querySelectorAll(".own-mark-dot")) dot.remove();
    if (text) hint.textContent = text;
  }

  svg.addEventListener("pointerdown", (event) => {
    if (event.button !== 0) return;
    if (clicks) {
      event.preventDefault();
      const at = toPicture(event);
      clicks.push(at);
      const dot = document.createElementNS(NS, "circle");
      dot.setAttribute("class", "own-mark-dot");
      dot.setAttribute("cx", at[0]);
      dot.setAttribute("cy", at[1]);
      dot.setAttribute("r", Math.max(3, Math.max(W, H) / 150));
      svg.appendChild(dot);
      if (clicks.length === 3) {
        const face = window.FaceThree.faceFromThree(clicks[0], clicks[1], clicks[2], W, H);
        stopMarking(say("Marked"));
        addFace({ box: face.box.map((v) => Math.round(v * 10) / 10), kps: face.kps.map(([x, y]) => [Math.round(x * 10) / 10, Math.round(y * 10) / 10]) });
      } else {
        hint.textContent = say(String(clicks.length + 1));
      }
      return;
    }
    const group = event.target.closest("[data-face]");
    if (group) choose(picking, Number(group.dataset.face));
  });

  markButton.dataset.label = markButton.textContent;
  markButton.addEventListener("click", () => {
    if (clicks) {
      stopMarking(hint.dataset.default);
      return;
    }
    clicks = [];
    // The clicks go on the picture: bring it into view (the button sits below it).
    svg.scrollIntoView({ block: "nearest" });
    scene.classList.add("is-marking");
    markButton.textContent = say("Cancel");
    hint.textContent = say("1");
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && clicks) stopMarking(hint.dataset.default);
  });
  switchButton.addEventListener("click", () => {
    const you = value("you");
    const partner = value("partner");
    if (you === null || partner === null) return;
    choose("you", partner);
    choose("partner", you);
    picking = "you";
    paint();
  });
  for (const fieldset of form.querySelectorAll("[data-role-picker]")) {
    fieldset.addEventListener("click", () => {
      picking = fieldset.dataset.rolePicker;
      paint();
    });
    fieldset.addEventListener("change", paint);
  }
  hint.dataset.default = hint.textContent;
  switchButton.hidden = false;
  markButton.hidden = false;
  markHelp.hidden = false;
  if (value("you") !== null && value("partner") === null) picking = "partner";
  paint();
})();
