// "Add another milestone" without a round trip. Without JavaScript the same button posts the
// form back and the server adds the row, so nothing typed is lost either way.
(function () {
  "use strict";
  var button = document.getElementById("add-milestone");
  var template = document.getElementById("milestone-template");
  var rows = document.getElementById("milestone-rows");
  var total = document.getElementById("id_milestones-TOTAL_FORMS");
  if (!button || !template || !rows || !total) { return; }
  button.addEventListener("click", function (event) {
    event.preventDefault();
    var index = parseInt(total.value, 10) || 0;
    var html = template.innerHTML.replace(/__prefix__/g, String(index)).replace(/__number__/g, String(index + 1));
    var holder = document.createElement("div");
    holder.innerHTML = html;
    var row = holder.firstElementChild;
    rows.appendChild(row);
    total.value = String(index + 1);
    var first = row.querySelector("textarea, input:not([type=hidden])");
    if (first) { first.focus(); }
  });
})();
