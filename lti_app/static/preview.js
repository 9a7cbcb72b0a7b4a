// Author preview (development only): reload the page when the case file changes on disk.
// Polls the same-origin version endpoint once a second; the CSP allows scripts from 'self'
// only, so this lives here and not inline in the page.
(function () {
  "use strict";
  var holder = document.querySelector("[data-version-url]");
  if (!holder || !window.fetch) { return; }
  var url = holder.getAttribute("data-version-url");
  var shown = holder.getAttribute("data-version");

  function poll() {
    fetch(url, { cache: "no-store", credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (data && data.version && data.version !== shown) {
          window.location.reload();
          return;
        }
        window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 1000); });  // server restarting: try again
  }
  window.setTimeout(poll, 1000);
})();
