// Albums. On the form: count the ticked scenes and stop at the maximum. On the album page: each change of
// a tile is pushed (server-sent events, swaps/push.py) and the tiles' states are read then, so each tile
// fills in as its picture is made; a failed tile offers "Try again". Without EventSource the states are
// read every 2 s. Without JavaScript the album page refreshes itself until every tile is done.
(function () {
  "use strict";
  var gettext = window.gettext || function (message) { return message; };
  var interpolate = window.interpolate || function (format, values) {
    return format.replace(/%\(([a-z_]+)\)s/g, function (match, name) { return values[name]; });
  };

  var form = document.querySelector("form.album-form");
  if (form) {
    var max = Number(form.dataset.maxTemplates);
    var count = document.getElementById("album-count");
    var boxes = form.querySelectorAll("input[name=templates]");
    var update = function () {
      var ticked = form.querySelectorAll("input[name=templates]:checked").length;
      count.textContent = interpolate(gettext("(%(ticked)s of at most %(max)s ticked)"), { ticked: ticked, max: max }, true);
      boxes.forEach(function (box) { box.disabled = !box.checked && ticked >= max; });
    };
    boxes.forEach(function (box) { box.addEventListener("change", update); });
    update();
  }

  var album = document.getElementById("album");
  if (!album || album.dataset.finished === "1") return;
  var url = album.dataset.statusUrl;
  var POLL_MS = 2000;
  var source = null;
  var reading = false;
  var again = false;
  var summary = document.getElementById("album-summary");
  var download = document.getElementById("album-download");

  // Reads the tiles' states; with pushed events, once per change (a change during a read: read again).
  function read() {
    if (reading) { again = true; return; }
    reading = true;
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
            label.textContent = item.error_message || gettext("We could not make this one.");
          } else {
            label.className = "badge badge-" + item.status;
            label.textContent = item.step;
          }
          state.replaceChildren(label);
          // A swap whose partner did not answer in time is not tried again: the page offers a new invitation.
          tile.querySelector(".album-retry").hidden = !item.can_retry;
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
        reading = false;
        if (data.finished) {
          if (source) source.close();
        } else if (again) {
          again = false;
          read();
        } else if (!source) {
          window.setTimeout(read, POLL_MS);
        }
      })
      .catch(function () {
        reading = false;
        window.setTimeout(read, POLL_MS);
      });
  }

  if (window.EventSource && album.dataset.eventsUrl) {
    source = new EventSource(album.dataset.eventsUrl);
    source.onmessage = function () { read(); };
    source.onerror = function () {
      if (source && source.readyState === EventSource.CLOSED) {
        source = null;
        window.setTimeout(read, POLL_MS);
      }
    };
  } else {
    read();
  }
})();
