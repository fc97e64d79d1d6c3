// The afternoon board refreshes itself: every 20 s it reads /day/board.json and rewrites the numbers. When an
// alert or a late child appears or goes, it offers a reload (a resolve note being typed is never thrown away).
(function () {
  var board = document.getElementById("board");
  if (!board || !window.fetch) { return; }
  var url = board.getAttribute("data-json-url");

  function set(card, name, value) {
    var el = card.querySelector('[data-field="' + name + '"]');
    if (el && value !== undefined && el.textContent !== String(value)) { el.textContent = String(value); return true; }
    return false;
  }

  function show(data) {
    var changed = false;
    data.sessions.forEach(function (s) {
      var card = board.querySelector('[data-session="' + s.id + '"].board-session');
      if (!card) { changed = true; return; }
      ["present", "expected", "staff", "staff_needed"].forEach(function (name) { set(card, name, s[name]); });
      var present = card.querySelector('[data-field="present"]');
      if (present) { present.setAttribute("data-value", String(s.present)); }
      if (!s.estimated) {
        var taken = card.querySelector('[data-field="register_taken"]');
        if (taken) { taken.textContent = taken.getAttribute(s.register_taken ? "data-yes" : "data-no"); }
      }
      if (set(card, "not_collected", s.not_collected)) { changed = true; }
      if (card.classList.contains("overdue") !== (s.overdue > 0)) { changed = true; }
    });
    var ids = data.alerts.map(function (a) { return a.id; }).join(",");
    if (ids !== board.getAttribute("data-alerts")) { changed = true; }
    board.querySelector('[data-field="generated_at"]').textContent = data.generated_at.slice(11, 16);
    if (changed) { board.querySelector('[data-field="reload"]').hidden = false; }
  }

  function poll() {
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.json(); })
      .then(show)
      .catch(function () {})
      .then(function () { window.setTimeout(poll, 20000); });
  }
  window.setTimeout(poll, 20000);
})();
