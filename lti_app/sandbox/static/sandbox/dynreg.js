/*
 * LTI Dynamic Registration, platform side: wait for the tool's registration page (in the
 * iframe) to post {subject: "org.imsglobal.lti.close"}, then close the iframe and show the
 * registrations. Only a message from that iframe and the tool's origin counts.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  var toolOrigin = script.getAttribute("data-tool-origin");
  var doneUrl = script.getAttribute("data-done-url");
  var frame = document.getElementById("dynreg-frame");
  var status = document.getElementById("dynreg-status");
  window.addEventListener("message", function (event) {
    if (!frame || event.source !== frame.contentWindow || event.origin !== toolOrigin) {
      return;
    }
    var data = event.data;
    if (data === null || typeof data !== "object" || data.subject !== "org.imsglobal.lti.close") {
      return;
    }
    frame.remove();
    frame = null;
    status.textContent = "Registreringen er fullført. Henter registreringene …";
    window.location.assign(doneUrl);
  });
})();
