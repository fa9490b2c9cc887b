/* A face from three clicks, shared by the admin's face editor and a person's own-template page.
 *
 * The eyes give the face's width and tilt, the mouth its height. The nose tip lies halfway from the eyes
 * to the mouth, the mouth corners 0.41 eye distances either side of the mouth (the proportions of
 * insightface's five-point template), and the box reaches 1.15 eye distances beside the eyes' midpoint,
 * 1.1 eye-to-mouth heights above the eyes and 0.75 below the mouth. Points are in the picture's pixels;
 * W and H (its size) keep everything inside it.
 */
(function () {
  "use strict";
  const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));

  function faceFromThree(a, b, mouth, W, H) {
    const [left, right] = a[0] <= b[0] ? [a, b] : [b, a];
    const d = Math.max(Math.hypot(right[0] - left[0], right[1] - left[1]), 1);
    const u = [(right[0] - left[0]) / d, (right[1] - left[1]) / d];
    let v = [-u[1], u[0]];
    const c = [(left[0] + right[0]) / 2, (left[1] + right[1]) / 2];
    const m = [mouth[0] - c[0], mouth[1] - c[1]];
    if (m[0] * v[0] + m[1] * v[1] < 0) v = [-v[0], -v[1]];
    const h = Math.max(m[0] * v[0] + m[1] * v[1], 0.3 * d);
    const along = m[0] * u[0] + m[1] * u[1];
    const at = (s, t) => [clamp(c[0] + s * u[0] + t * v[0], 0, W), clamp(c[1] + s * u[1] + t * v[1], 0, H)];
    const kps = [left, right, at(along / 2, h / 2), at(along - 0.41 * d, h), at(along + 0.41 * d, h)];
    const half = 1.15 * d;
    const corners = [at(-half, -1.1 * h), at(half, -1.1 * h), at(-half + along, 1.75 * h), at(half + along, 1.75 * h)];
    const xs = corners.map((p) => p[0]);
    const ys = corners.map((p) => p[1]);
    return { box: [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)], kps };
  }

  window.FaceThree = { faceFromThree };
})();
