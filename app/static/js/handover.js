// The hand-over page: signs a child out without leaving the page. Each form carrying data-signout posts with fetch
// (Accept: application/json, the same contract as the plain form) and shows the answer in its child's card; without
// JavaScript the forms post and the page comes back.
(function () {
  if (!window.fetch || !window.FormData) { return; }

  function card(form) { return form.closest("[data-child]"); }

  function show(form, data, ok) {
    var item = card(form);
    var message = item.querySelector("[data-message]");
    if (ok) {
      var done = item.querySelector("[data-signed-out]");
      var badge = document.createElement("span");
      badge.className = "badge ok";
      badge.textContent = (data.already ? item.getAttribute("data-already-text") : item.getAttribute("data-done-text"))
        + " " + (data.at || "") + (data.adult_name ? " · " + data.adult_name : "");
      done.textContent = "";
      done.appendChild(badge);
      item.classList.add("done");
      item.querySelectorAll("form").forEach(function (f) { f.remove(); });
      if (message) { message.textContent = ""; }
    } else if (message) {
      message.textContent = data.error + (typeof data.tries_left === "number" ? " (" + item.getAttribute(
        "data-tries-text").replace("{n}", String(data.tries_left)) + ")" : "");
    }
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-signout") || event.defaultPrevented) { return; }
    event.preventDefault();
    var button = form.querySelector("button");
    if (button) { button.disabled = true; }
    fetch(form.action, {method: "POST", body: new FormData(form), credentials: "same-origin",
                        headers: {"Accept": "application/json"}})
      .then(function (response) {
        return response.json().then(function (data) { show(form, data, response.ok); });
      })
      .catch(function () { form.submit(); })  // the plain form still works
      .then(function () {
        if (button) { button.disabled = false; }
        var input = form.querySelector("input[name=code]");
        if (input) { input.value = ""; }
      });
  });
})();
