// Asks before anything destructive: any button or form carrying data-confirm.
document.addEventListener("click", function (event) {
  var target = event.target.closest("[data-confirm]");
  if (target && !window.confirm(target.getAttribute("data-confirm"))) {
    event.preventDefault();
  }
});

// A heading's own line breaks (周三<br>12-09) stay; other runs of white space become one space.
function heading(th) {
  return (th.innerText || th.textContent).replace(/[^\S\n]+/g, " ").replace(/ *\n+ */g, "\n").trim();
}

// Stacked tables (table.stack, a card per row on a phone): each cell shows its column's heading, so a phone reads
// "姓名 张子涵" instead of a bare value. A cell that already has data-label keeps it.
function labelStackedTables(root) {
  root.querySelectorAll("table.stack").forEach(function (table) {
    var head = table.tHead && table.tHead.rows[table.tHead.rows.length - 1];
    if (!head) { return; }
    var headings = [];
    Array.prototype.forEach.call(head.cells, function (th) {
      for (var i = 0; i < th.colSpan; i++) { headings.push(heading(th)); }
    });
    Array.prototype.forEach.call(table.tBodies, function (body) {
      Array.prototype.forEach.call(body.rows, function (row) {
        var column = 0;
        Array.prototype.forEach.call(row.cells, function (cell) {
          if (cell.tagName === "TD" && cell.colSpan === 1 && !cell.hasAttribute("data-label") && headings[column]) {
            cell.setAttribute("data-label", headings[column]);
          }
          column += cell.colSpan;
        });
      });
    });
  });
}
labelStackedTables(document);
