// The task page: poll the status endpoint about once a second and move the progress bar; when the
// swap has finished, reload so the server renders the result (or the error). Without JavaScript the
// page refreshes itself (a <noscript> meta refresh).
(function () {
  "use strict";
  var task = document.getElementById("task");
  if (!task) return;

  setUpCompare();
  if (task.dataset.finished === "1") return;

  var bar = document.getElementById("task-progress");
  var step = document.getElementById("task-step");
  var percent = document.getElementById("task-percent");
  var url = task.dataset.statusUrl;

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (!response.ok) throw new Error("status " + response.status);
        return response.json();
      })
      .then(function (data) {
        bar.value = data.progress;
        bar.textContent = data.progress + " %";
        percent.textContent = data.progress + " %";
        step.textContent = data.step;
        if (data.finished) {
          // Let the full bar (or the stop) show for a moment, then the server renders the outcome.
          window.setTimeout(function () { window.location.reload(); }, 600);
        } else {
          window.setTimeout(poll, 1000);
        }
      })
      .catch(function () {
        // A network hiccup: keep trying, a little slower.
        window.setTimeout(poll, 3000);
      });
  }
  window.setTimeout(poll, 1000);

  function setUpCompare() {
    var compare = document.getElementById("compare");
    if (!compare || !compare.querySelector(".compare-before")) return;
    var range = compare.querySelector(".compare-range");
    compare.classList.add("compare-js");
    range.hidden = false;
    document.querySelector(".compare-hint").hidden = false;
    function update() {
      compare.style.setProperty("--pos", range.value + "%");
    }
    range.addEventListener("input", update);
    update();
  }
})();
