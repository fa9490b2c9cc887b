// The gallery: a new sort order applies at once (without pressing Search), and a row of chips wider than
// the screen fades out at the side it continues on, so it is plain that it scrolls.
(function () {
  "use strict";
  var sort = document.getElementById("tpl-sort");
  if (sort && sort.form) {
    sort.addEventListener("change", function () {
      if (sort.form.requestSubmit) sort.form.requestSubmit();
      else sort.form.submit();
    });
  }

  function hint(row) {
    var more = row.scrollWidth - row.clientWidth;
    row.classList.toggle("has-more-right", more > 1 && row.scrollLeft < more - 1);
    row.classList.toggle("has-more-left", more > 1 && row.scrollLeft > 1);
  }
  Array.prototype.forEach.call(document.querySelectorAll(".chips"), function (row) {
    hint(row);
    row.addEventListener("scroll", function () { hint(row); }, { passive: true });
    window.addEventListener("resize", function () { hint(row); });
  });
})();
