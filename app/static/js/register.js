// The register: a tap posts the child's mark with fetch and updates the row in place (no reload). Without this
// script the same form posts and the page comes back at the child's row.
(function () {
  var register = document.getElementById("register");
  if (!register || !window.fetch) { return; }
  var lastButton = null;

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (all, name) { return values[name] === undefined ? all : values[name]; });
  }

  function hhmm(iso) { return (iso || "").slice(11, 16); }

  function show(row, data, label) {
    row.querySelectorAll("button.tap").forEach(function (button) {
      button.setAttribute("aria-pressed", button.value === data.status ? "true" : "false");
    });
    row.classList.remove("excused");
    var values = {mark: label, who: data.marked_by, time: hhmm(data.marked_at)};
    row.querySelector('[data-field="current"]').textContent = fill(register.getAttribute("data-current-text"), values);
    if (data.changed) {
      var item = document.createElement("li");
      item.textContent = fill(register.getAttribute("data-history-text"), values);
      row.querySelector('[data-field="history"]').appendChild(item);
      var count = row.querySelector('[data-field="history-count"]');
      count.textContent = String(parseInt(count.textContent, 10) + 1);
    }
  }

  function fail(row, message) {
    var error = row.querySelector('[data-field="error"]');
    error.textContent = message;
    error.hidden = false;
  }

  register.addEventListener("click", function (event) {
    var button = event.target.closest("button.tap");
    if (button) { lastButton = button; }
  });

  register.addEventListener("submit", function (event) {
    var form = event.target.closest("form.register-taps");
    var button = event.submitter || lastButton;
    if (!form || !button || button.form !== form) { return; }
    event.preventDefault();
    var row = form.closest(".register-row");
    var body = new FormData(form);
    body.set("status", button.value);
    row.querySelector('[data-field="error"]').hidden = true;
    row.setAttribute("aria-busy", "true");
    fetch(form.action, {method: "POST", body: body, credentials: "same-origin",
                        headers: {"Accept": "application/json"}})
      .then(function (response) {
        return response.json().then(function (data) { return {ok: response.ok, data: data}; });
      })
      .then(function (answer) {
        if (answer.ok) { show(row, answer.data, button.textContent.trim()); } else { fail(row, answer.data.error); }
      })
      .catch(function () { fail(row, register.getAttribute("data-failed-text")); })
      .then(function () { row.removeAttribute("aria-busy"); });
  });
})();
