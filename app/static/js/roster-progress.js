// Polls a roster job's JSON status while the engine works; survives a reload (the job lives in the database).
(function () {
  var box = document.getElementById("job-progress");
  if (!box) { return; }
  var url = box.getAttribute("data-status-url");
  function show(data) {
    var p = data.progress || {};
    var fields = {status: data.status_label || data.status, staffed: p.staffed, needed: p.needed, elapsed: p.elapsed};
    Object.keys(fields).forEach(function (name) {
      var el = box.querySelector('[data-field="' + name + '"]');
      if (el && fields[name] !== undefined && fields[name] !== null) { el.textContent = fields[name]; }
    });
    var warning = box.querySelector('[data-field="warning"]');
    if (warning) { warning.textContent = data.warning || ""; warning.hidden = !data.warning; }
    var bar = box.querySelector("progress");
    if (bar) { bar.max = p.needed || 1; bar.value = p.staffed || 0; }
  }
  function poll() {
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.json(); })
      .then(function (data) {
        show(data);
        if (data.finished) { window.location.assign(data.url); } else { window.setTimeout(poll, 1000); }
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 500);
})();
