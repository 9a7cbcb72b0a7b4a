// LTI client-side postMessages ("platform storage"), as the 1EdTech lti-postmessage-library
// does it: keep the OIDC state in a frame of the platform when third-party cookies are
// blocked. Messages go only to the platform's origin; answers are accepted only from it,
// with the message_id we sent; after a timeout we fall back (cookie, or a clear message).
(function () {
  var box = document.getElementById("lti-storage");
  if (!box) { return; }
  var mode = box.getAttribute("data-mode");
  var origin = box.getAttribute("data-origin");
  var state = box.getAttribute("data-state");
  var targetName = box.getAttribute("data-target");
  var frame = null;
  try {
    frame = targetName === "_parent" ? window.parent : window.parent.frames[targetName];
  } catch (e) { frame = null; }

  function send(subject, extra, done) {
    var id = "stegvis-" + Math.random().toString(36).slice(2) + Date.now();
    var finished = false;
    function onMessage(event) {
      var data = event.data || {};
      if (event.origin !== origin || data.message_id !== id ||
          data.subject !== subject + ".response") { return; }
      finished = true;
      window.removeEventListener("message", onMessage);
      done(data.error ? null : data);
    }
    window.addEventListener("message", onMessage);
    var message = { subject: subject, message_id: id };
    for (var k in extra) { message[k] = extra[k]; }
    if (!frame || frame === window) { done(null); return; }
    frame.postMessage(message, origin);
    setTimeout(function () {
      if (!finished) { window.removeEventListener("message", onMessage); done(null); }
    }, 2000);
  }

  var key = "lti_state_" + state;
  if (mode === "put") {
    send("lti.put_data", { key: key, value: state }, function () {
      window.location.replace(box.getAttribute("data-next"));
    });
  } else {
    send("lti.get_data", { key: key }, function (answer) {
      if (answer && answer.value === state) {
        box.querySelector("input[name=state]").value = answer.value;
        box.submit();
      } else {
        document.getElementById("storage-failed").hidden = false;
      }
    });
  }
})();
