/* Face editor on the admin's template change page.
 *
 * The coordinate fields in the faces table are the real form; this script only draws them over the
 * picture and fills them by pointer: drag a box to move it (its key points follow), drag its corner to
 * resize it, or "Mark a face by hand": drag a box, then click the five key points. "Mark a face: 3 clicks"
 * is the quick way for drawn art: click the two eyes and the mouth, and the box and the five key points
 * follow from them (see faceFromThree). Without JavaScript the server-drawn boxes stay and the fields can
 * be typed in.
 */
(function () {
  "use strict";
  const editor = document.querySelector("[data-face-editor]");
  if (!editor) return;
  const svg = editor.querySelector("[data-overlay]");
  const hint = editor.querySelector("[data-hint]");
  const markButton = editor.querySelector("[data-mark-face]");
  const threeButton = editor.querySelector("[data-mark-three]");
  const W = Number(editor.dataset.width) || 1;
  const H = Number(editor.dataset.height) || 1;
  const unit = Math.max(W, H, 1) / 100;
  const font = Math.max(11, 2.2 * unit);
  const dot = Math.max(2, 0.5 * unit);
  const handle = Math.max(5, 0.9 * unit);
  const NS = "http://www.w3.org/2000/svg";
  const gettext = window.gettext || ((message) => message);
  const interpolate =
    window.interpolate || ((format, values) => format.replace(/%\(([a-z_]+)\)s/g, (match, name) => values[name]));
  const step = (where, number, total) =>
    interpolate(gettext("Click %(where)s (%(number)s of %(total)s)."), { where, number, total }, true);
  const POINTS = [
    gettext("the eye on the picture's left"),
    gettext("the eye on the picture's right"),
    gettext("the nose tip"),
    gettext("the mouth corner on the picture's left"),
    gettext("the mouth corner on the picture's right"),
  ];
  const THREE = [
    gettext("the eye on the picture's left"),
    gettext("the eye on the picture's right"),
    gettext("the middle of the mouth"),
  ];
  const defaultHint = hint.textContent;
  const round = (v) => Math.round(v * 10) / 10;
  const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));

  let drag = null; // {kind: "move" | "resize" | "mark-box", row, start, box, kps}
  let mark = null; // {box: [x1, y1, x2, y2] | null, kps: [], three: bool}

  const rows = () => Array.from(document.querySelectorAll("[data-face-row]"));
  const field = (row, name) => document.getElementById(`id_${row.dataset.faceRow}_${name}`);
  // The first row for a new face that is still empty (the form has two: both faces of a drawn couple).
  const newRow = () =>
    Array.from(document.querySelectorAll('[data-face-row^="new"]')).find((row) => !field(row, "x1").value) || null;
  const markedRows = [];
  const rowByPrefix = (prefix) => document.querySelector(`[data-face-row="${prefix}"]`);

  function parseKps(text) {
    return text
      .trim()
      .split(/[;\s]+/)
      .map((part) => part.split(",").map(Number))
      .filter((p) => p.length === 2 && p.every((v) => Number.isFinite(v)));
  }

  function readFace(row) {
    const box = ["x1", "y1", "x2", "y2"].map((n) => parseFloat(field(row, n).value));
    if (box.some((v) => !Number.isFinite(v))) return null;
    const remove = field(row, "delete");
    return {
      box,
      kps: parseKps(field(row, "kps").value),
      role: field(row, "role").value,
      removed: remove ? remove.checked : false,
      number: row.dataset.number,
    };
  }

  function writeFace(row, box, kps) {
    ["x1", "y1", "x2", "y2"].forEach((n, i) => {
      field(row, n).value = round(box[i]);
    });
    field(row, "kps").value = kps.map(([x, y]) => `${round(x)},${round(y)}`).join(" ");
  }

  function el(name, attrs, parent) {
    const node = document.createElementNS(NS, name);
    for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
    parent.appendChild(node);
    return node;
  }

  function drawFace(face, prefix) {
    const [x1, y1, x2, y2] = face.box;
    if (!(x2 > x1 && y2 > y1)) return;
    const g = el("g", { class: `face face-${face.role || "none"}`, "data-row": prefix }, svg);
    el("rect", { class: "face-box", x: x1, y: y1, width: x2 - x1, height: y2 - y1, "data-drag": "move" }, g);
    face.kps.forEach(([x, y]) => el("circle", { class: "face-kp", cx: x, cy: y, r: dot }, g));
    const label = face.role ? `${face.number} ${face.role}` : String(face.number);
    const tagH = font * 1.35;
    const tagY = Math.max(0, y1 - tagH);
    el("rect", { class: "face-tag", x: x1, y: tagY, width: font * (0.62 * label.length + 0.8), height: tagH, rx: dot }, g);
    el("text", { class: "face-label", x: x1 + font * 0.4, y: tagY + font * 1.02, "font-size": font }, g).textContent =
      label;
    el("rect", { class: "face-handle", x: x2 - handle, y: y2 - handle, width: handle * 2, height: handle * 2, "data-drag": "resize" }, g);
  }

  function draw() {
    svg.replaceChildren();
    for (const row of rows()) {
      const face = readFace(row);
      if (face && !face.removed) drawFace(face, row.dataset.faceRow);
    }
    if (mark && mark.three) {
      const g = el("g", { class: "face face-marking" }, svg);
      mark.kps.forEach(([x, y]) => el("circle", { class: "face-kp", cx: x, cy: y, r: dot * 1.6 }, g));
    }
    if (mark && mark.box) {
      const [x1, y1, x2, y2] = mark.box;
      const g = el("g", { class: "face face-marking" }, svg);
      el("rect", { class: "face-box", x: Math.min(x1, x2), y: Math.min(y1, y2), width: Math.abs(x2 - x1), height: Math.abs(y2 - y1) }, g);
      mark.kps.forEach(([x, y]) => el("circle", { class: "face-kp", cx: x, cy: y, r: dot * 1.4 }, g));
    }
  }

  function toPicture(event) {
    const matrix = svg.getScreenCTM();
    if (!matrix) return [0, 0];
    const point = new DOMPoint(event.clientX, event.clientY).matrixTransform(matrix.inverse());
    return [clamp(point.x, 0, W), clamp(point.y, 0, H)];
  }

  function say(text) {
    hint.textContent = text;
  }

  /* A face from three clicks (static/js/couple_templates/face_three.js, shared with a person's own
   * template page). */
  const faceFromThree = (a, b, mouth) => window.FaceThree.faceFromThree(a, b, mouth, W, H);

  /* Roles for faces marked here: the one free role, or with both free and two faces marked, the husband
   * on the left and the wife on the right (as for detected faces); the table's selects can change them. */
  function proposeRoles() {
    const taken = new Set(rows().map((row) => field(row, "role").value).filter(Boolean));
    const free = ["husband", "wife"].filter((role) => !taken.has(role));
    const open = markedRows.filter((row) => !field(row, "role").value && field(row, "x1").value);
    if (free.length === 1 && open.length >= 1) {
      field(open[open.length - 1], "role").value = free[0];
    } else if (free.length === 2 && open.length === 2) {
      const centre = (row) => parseFloat(field(row, "x1").value) + parseFloat(field(row, "x2").value);
      const [first, second] = open.slice().sort((p, q) => centre(p) - centre(q));
      field(first, "role").value = "husband";
      field(second, "role").value = "wife";
    }
  }

  function startMarking(three) {
    if (!newRow()) {
      say(gettext("Two new faces are marked already: save, then mark more."));
      return;
    }
    mark = { box: null, kps: [], three };
    editor.classList.add("is-marking");
    (three ? threeButton : markButton).textContent = gettext("Cancel marking");
    say(
      three
        ? `${step(THREE[0], 1, 3)} ${gettext("Esc cancels.")}`
        : gettext("Drag a box around the face (forehead to chin). Esc cancels.")
    );
    draw();
  }

  function stopMarking(message) {
    mark = null;
    drag = null;
    editor.classList.remove("is-marking");
    markButton.textContent = gettext("Mark a face by hand");
    if (threeButton) threeButton.textContent = gettext("Mark a face: 3 clicks");
    say(message || defaultHint);
    draw();
  }

  function finishMarking() {
    const row = newRow();
    if (mark.three) {
      const face = faceFromThree(...mark.kps);
      writeFace(row, face.box, face.kps);
    } else {
      const [a, b, c, d] = mark.box;
      writeFace(row, [Math.min(a, c), Math.min(b, d), Math.max(a, c), Math.max(b, d)], mark.kps);
    }
    markedRows.push(row);
    proposeRoles();
    const role = field(row, "role");
    const message =
      newRow() && !role.value
        ? gettext("Face %(number)s is marked. Mark the other face the same way, or choose its role in the table below, then save.")
        : gettext("Face %(number)s is marked. Check or choose its role in the table below, then save.");
    stopMarking(interpolate(message, { number: row.dataset.number }, true));
    if (!role.value) role.focus();
    row.scrollIntoView({ block: "nearest", behavior: "smooth" });
  }

  svg.addEventListener("pointerdown", (event) => {
    if (event.button !== 0) return;
    const at = toPicture(event);
    if (mark && mark.three) {
      event.preventDefault();
      mark.kps.push(at);
      if (mark.kps.length === THREE.length) finishMarking();
      else say(step(THREE[mark.kps.length], mark.kps.length + 1, 3));
      draw();
      return;
    }
    if (mark) {
      event.preventDefault();
      if (!mark.box) {
        mark.box = [at[0], at[1], at[0], at[1]];
        drag = { kind: "mark-box" };
        svg.setPointerCapture(event.pointerId);
      } else {
        mark.kps.push(at);
        if (mark.kps.length === POINTS.length) finishMarking();
        else say(step(POINTS[mark.kps.length], mark.kps.length + 1, 5));
      }
      draw();
      return;
    }
    const kind = event.target.dataset && event.target.dataset.drag;
    const group = event.target.closest("g[data-row]");
    if (!kind || !group) return;
    const row = rowByPrefix(group.dataset.row);
    const face = row && readFace(row);
    if (!face) return;
    event.preventDefault();
    drag = { kind, row, start: at, box: face.box.slice(), kps: face.kps.map((p) => p.slice()) };
    svg.setPointerCapture(event.pointerId);
  });

  svg.addEventListener("pointermove", (event) => {
    if (!drag) return;
    const at = toPicture(event);
    if (drag.kind === "mark-box") {
      mark.box[2] = at[0];
      mark.box[3] = at[1];
    } else if (drag.kind === "move") {
      const [x1, y1, x2, y2] = drag.box;
      const dx = clamp(at[0] - drag.start[0], -x1, W - x2);
      const dy = clamp(at[1] - drag.start[1], -y1, H - y2);
      writeFace(drag.row, [x1 + dx, y1 + dy, x2 + dx, y2 + dy], drag.kps.map(([x, y]) => [x + dx, y + dy]));
    } else if (drag.kind === "resize") {
      const [x1, y1] = drag.box;
      writeFace(drag.row, [x1, y1, Math.max(x1 + 8, at[0]), Math.max(y1 + 8, at[1])], drag.kps);
    }
    draw();
  });

  function endDrag() {
    if (!drag) return;
    if (drag.kind === "mark-box") {
      const [a, b, c, d] = mark.box;
      if (Math.abs(c - a) < 8 || Math.abs(d - b) < 8) {
        mark.box = null;
        say(gettext("That box is too small: drag from one corner of the face to the other."));
      } else {
        say(
          interpolate(gettext("Now click %(where)s (%(number)s of %(total)s)."), { where: POINTS[0], number: 1, total: 5 }, true)
        );
      }
    } else if (drag.row) {
      drag.row.classList.add("is-changed");
    }
    drag = null;
    draw();
  }
  svg.addEventListener("pointerup", endDrag);
  svg.addEventListener("pointercancel", endDrag);

  markButton.addEventListener("click", () => (mark ? stopMarking() : startMarking(false)));
  if (threeButton) threeButton.addEventListener("click", () => (mark ? stopMarking() : startMarking(true)));
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && mark) stopMarking(gettext("Marking cancelled."));
  });
  document.querySelector(".tpl-face-table").addEventListener("input", draw);
  document.querySelector(".tpl-face-table").addEventListener("change", draw);
  editor.classList.add("is-enhanced");
  draw();
})();
