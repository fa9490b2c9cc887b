// Albums. On the form: count the ticked scenes and stop at the maximum. On the album page: poll the
// tiles' states about twice a second and fill each tile in as its picture is made; a failed tile
// offers "Try again". Without JavaScript the album page refreshes itself until every tile is done.
(function () {
  "use strict";

  var form = document.querySelector("form.album-form");
  if (form) {
    var max = Number(form.dataset.maxTemplates);
    var count = document.getElementById("album-count");
    var boxes = form.querySelectorAll("input[name=templates]");
    var update = function () {
      var ticked = form.querySelectorAll("input[name=templates]:checked").length;
      count.textContent = "(" + ticked + " of at most " + max + " ticked)";
      boxes.forEach(function (box) { box.disabled = !box.checked && ticked >= max; });
    };
    boxes.forEach(function (box) { box.addEventListener("change", update); });
    update();
  }

  var album = document.getElementById("album");
  if (!album || album.dataset.finished === "1") return;
  var url = album.dataset.statusUrl;
  var summary = document.getElementById("album-summary");
  var download = document.getElementById("album-download");

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (!response.ok) throw new Error("status " + response.status);
        return response.json();
      })
      .then(function (data) {
        var done = 0;
        data.items.forEach(function (item) {
          var tile = album.querySelector(".album-tile[data-task='" + item.id + "']");
          if (!tile) return;
          tile.className = "album-tile card is-" + item.status;
          var state = tile.querySelector(".album-tile-state");
          var label = document.createElement("span");
          if (item.status === "failed") {
            label.className = "errorlist";
            label.textContent = item.error_message || "We could not make this one.";
          } else {
            label.className = "badge badge-" + item.status;
            label.textContent = item.step;
          }
          state.replaceChildren(label);
          tile.querySelector(".album-retry").hidden = item.status !== "failed";
          if (item.result_url) {
            done += 1;
            var img = tile.querySelector("img");
            if (img && !img.classList.contains("album-result")) {
              img.src = item.result_url;
              img.className = "album-result";
            }
          }
        });
        summary.textContent = done + " of " + data.items.length + " pictures ready.";
        download.hidden = done === 0;
        if (!data.finished) window.setTimeout(poll, 500);
      })
      .catch(function () { window.setTimeout(poll, 2000); });
  }
  poll();
})();
