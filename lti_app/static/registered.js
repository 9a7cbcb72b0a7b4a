// Dynamic Registration §3.6: tell the platform the registration is done so it can close
// the window or frame and refresh its tool list.
(function () {
  var target = window.opener || window.parent;
  function close() {
    if (target && target !== window) {
      target.postMessage({ subject: "org.imsglobal.lti.close" }, "*");
    }
  }
  close();
  document.getElementById("lukk").addEventListener("click", close);
})();
