// Show the pressure (previous year outturn − previous year budget, £'000) as the figures are
// typed. The server works it out again on save: this is only a preview.
(function () {
  "use strict";
  var budget = document.getElementById("id_previous_year_budget");
  var outturn = document.getElementById("id_previous_year_outturn");
  var output = document.querySelector(".pressure-preview output");
  if (!budget || !outturn || !output) { return; }
  function read(text) {
    var t = String(text).replace(/[£,\s]/g, "");
    var negative = false;
    if (/^\(.*\)$/.test(t)) { negative = true; t = t.slice(1, -1); }
    if (t === "" || t === "-" || !/^-?\d*\.?\d+$/.test(t)) { return null; }
    var n = Number(t);
    return negative ? -n : n;
  }
  function update() {
    var b = read(budget.value), o = read(outturn.value);
    if (b === null || o === null) { output.textContent = "—"; return; }
    // Work in thousandths to keep decimal figures exact for display.
    var p = Math.round(o * 1000) - Math.round(b * 1000);
    output.textContent = (p / 1000).toLocaleString("en-GB", { maximumFractionDigits: 3 });
  }
  budget.addEventListener("input", update);
  outturn.addEventListener("input", update);
  update();
})();
