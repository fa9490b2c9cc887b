// The task page. While the swap runs, its state is pushed to the page (server-sent events from the push
// path, swaps/push.py): each step is shown the moment the worker reports it, and a step the worker passed
// between two events is still ticked off, in order, in the same instant (never held on screen after the
// work). When it has finished, the result (or the error) is read from the server and put in place of the
// progress, without reloading the page. A browser without EventSource asks the status JSON every 2 s;
// served without the push process, the events answer once with "retry: 2000", so EventSource itself asks
// every 2 s. Without JavaScript the page refreshes itself every 2 seconds (a <noscript> meta refresh).
// The result: shown whole; "Compare" shows the original while held (or, tapped, until tapped again);
// the before/after slider only when asked for.
(function () {
  "use strict";
  var gettext = window.gettext || function (message) { return message; };
  var task = document.getElementById("task");
  if (!task) return;

  setUpCompare();
  setUpZoom();
  if (task.dataset.finished === "1") return;

  var POLL_MS = 2000;
  var bar = document.getElementById("task-progress");
  var stepText = document.getElementById("task-step");
  var percent = document.getElementById("task-percent");
  var ahead = document.getElementById("task-ahead");
  var steps = Array.prototype.slice.call(document.querySelectorAll("#task-steps .task-step"));
  var url = task.dataset.statusUrl;
  var shown = currentIndex();
  var finished = false;
  var source = null;

  function currentIndex() {
    var index = 0;
    steps.forEach(function (step, i) {
      if (!step.classList.contains("is-todo")) index = i;
    });
    return index;
  }

  function render(done) {
    steps.forEach(function (step, i) {
      var state = i < shown || (done && i === shown) ? "done" : i === shown ? "current" : "todo";
      step.className = "task-step is-" + state;
    });
  }

  function show(data) {
    if (finished) return;
    bar.value = data.progress;
    bar.textContent = data.progress + " %";
    percent.textContent = data.progress + " %";
    stepText.textContent = data.step;
    if (ahead) ahead.textContent = data.ahead ? "(" + data.ahead + " swap" + (data.ahead === 1 ? "" : "s") + " ahead of yours)" : "";
    var failed = data.status === "failed";
    shown = Math.max(shown, data.finished && !failed ? steps.length - 1 : data.phase);
    render(data.finished && !failed);
    if (data.finished) {
      finished = true;
      if (source) source.close();
      showResult();
    }
  }

  // The finished page's result (or error) in place of the progress: one request, no reload.
  function showResult() {
    fetch(window.location.href, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (!response.ok) throw new Error("status " + response.status);
        return response.text();
      })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("task");
        if (!fresh || fresh.dataset.finished !== "1") throw new Error("not finished");
        task.replaceWith(document.adoptNode(fresh));
        task = fresh;
        setUpCompare();
        setUpZoom();
        // The share buttons' script runs again over the new content.
        var share = document.querySelector("script[src*='js/swaps/share']");
        if (share) {
          var again = document.createElement("script");
          again.src = share.src;
          document.body.appendChild(again);
        }
      })
      .catch(function () { window.location.reload(); });
  }

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (!response.ok) throw new Error("status " + response.status);
        return response.json();
      })
      .then(function (data) {
        show(data);
        if (!finished) window.setTimeout(poll, POLL_MS);
      })
      .catch(function () {
        // A network hiccup: keep trying.
        window.setTimeout(poll, POLL_MS);
      });
  }

  if (window.EventSource && task.dataset.eventsUrl) {
    source = new EventSource(task.dataset.eventsUrl);
    source.onmessage = function (event) { show(JSON.parse(event.data)); };
    source.onerror = function () {
      // Refused (not a stream, an error status): EventSource gives up; the status JSON every 2 s instead.
      if (source && source.readyState === EventSource.CLOSED && !finished) {
        source = null;
        window.setTimeout(poll, POLL_MS);
      }
    };
  } else {
    poll();
  }

  // The result is shown at its own size or smaller. When smaller, a tap (or the button) shows it at 100 %
  // in a scrolling frame, centred where it was tapped; another tap fits it again. Pinching works too: the
  // page never forbids zooming, and the frame lets the fingers through.
  function setUpZoom() {
    var compare = document.getElementById("compare");
    var img = document.getElementById("result-image");
    var controls = document.getElementById("zoom-controls");
    var button = document.getElementById("zoom-toggle");
    if (!compare || !img || !controls) return;
    var stage = img.parentNode;

    function fits() {
      return img.naturalWidth > 0 && img.getBoundingClientRect().width >= img.naturalWidth - 1;
    }
    function refresh() {
      var zoomed = compare.classList.contains("is-zoomed");
      var can = zoomed || !fits();
      compare.classList.toggle("can-zoom", can);
      controls.hidden = !can;
    }
    function zoom(on, fx, fy) {
      if (on && (compare.classList.contains("compare-slider") || compare.classList.contains("show-before"))) {
        compare.classList.remove("compare-slider", "show-before");
      }
      compare.classList.toggle("is-zoomed", on);
      button.setAttribute("aria-pressed", on ? "true" : "false");
      button.textContent = on ? gettext("Fit to the screen") : gettext("Zoom to 100 %");
      if (on) {
        stage.scrollLeft = fx * img.naturalWidth - stage.clientWidth / 2;
        stage.scrollTop = fy * img.naturalHeight - stage.clientHeight / 2;
      }
      refresh();
    }
    img.addEventListener("click", function (event) {
      if (compare.classList.contains("is-zoomed")) return zoom(false);
      if (fits()) return;
      var box = img.getBoundingClientRect();
      zoom(true, (event.clientX - box.left) / box.width, (event.clientY - box.top) / box.height);
    });
    button.addEventListener("click", function () {
      zoom(!compare.classList.contains("is-zoomed"), 0.5, 0.5);
    });
    if (img.complete) refresh();
    img.addEventListener("load", refresh);
    window.addEventListener("resize", refresh);
  }

  function setUpCompare() {
    var compare = document.getElementById("compare");
    var controls = document.getElementById("compare-controls");
    if (!compare || !controls) return;
    var hold = document.getElementById("compare-hold");
    var sliderButton = document.getElementById("compare-slider");
    var range = compare.querySelector(".compare-range");
    var details = document.getElementById("original-details");
    if (details) details.hidden = true;  // the buttons do its job
    controls.hidden = false;
    var showing = false;
    var pressStart = 0;
    var wasShowing = false;

    function showOriginal(on) {
      showing = on;
      compare.classList.toggle("show-before", on);
      hold.setAttribute("aria-pressed", on ? "true" : "false");
      hold.textContent = on ? gettext("Showing the original (tap for your swap)") : gettext("Compare with the original");
    }
    hold.addEventListener("pointerdown", function () {
      pressStart = Date.now();
      wasShowing = showing;
      if (sliderOn()) setSlider(false);
      showOriginal(true);
    });
    hold.addEventListener("pointerup", function () {
      // Held: back to the swap on release. Tapped: it stays switched.
      showOriginal(Date.now() - pressStart > 350 ? false : !wasShowing);
    });
    hold.addEventListener("pointerleave", function () {
      if (pressStart && Date.now() - pressStart > 350) showOriginal(false);
      pressStart = 0;
    });
    hold.addEventListener("click", function (event) {
      if (event.detail === 0) showOriginal(!showing);  // keyboard
    });

    function sliderOn() {
      return compare.classList.contains("compare-slider");
    }
    function setSlider(on) {
      compare.classList.toggle("compare-slider", on);
      range.hidden = !on;
      sliderButton.setAttribute("aria-pressed", on ? "true" : "false");
      sliderButton.textContent = on ? gettext("Hide the slider") : gettext("Use a slider");
      update();
    }
    sliderButton.addEventListener("click", function () {
      showOriginal(false);
      setSlider(!sliderOn());
    });
    function update() {
      compare.style.setProperty("--pos", range.value + "%");
    }
    range.addEventListener("input", update);
  }
})();
