// Keeps "places left" current: every 20 seconds reads the offering's places.json (the element carrying
// data-places-url) and updates each element carrying data-places-activity="<activity id>". Stops quietly on errors.
(function () {
  var source = document.querySelector("[data-places-url]");
  if (!source || !window.fetch) { return; }
  var url = source.getAttribute("data-places-url");
  var EVERY = 20000;

  function show(data) {
    var left = (data && data.activities) || {};
    document.querySelectorAll("[data-places-activity]").forEach(function (el) {
      var n = left[el.getAttribute("data-places-activity")];
      if (typeof n === "number") { el.textContent = String(n); }
    });
  }

  function poll() {
    if (document.hidden) { window.setTimeout(poll, EVERY); return; }  // no requests from a tab nobody looks at
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) {
        if (!response.ok) { throw new Error("places: " + response.status); }
        return response.json();
      })
      .then(function (data) {
        show(data);
        window.setTimeout(poll, EVERY);
      })
      .catch(function () { /* the numbers on the page stay as they were */ });
  }

  window.setTimeout(poll, EVERY);
})();
