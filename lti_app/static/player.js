// Player helpers. Nothing here is needed to play when cookies work.
document.addEventListener("DOMContentLoaded", function () {
  var KEY = "stegvis-play-token";

  // After a launch where the browser may drop our cookies: keep the play token in this
  // frame's sessionStorage (never in a URL) and go on to the player.
  var launched = document.getElementById("launched");
  if (launched) {
    try { sessionStorage.setItem(KEY, launched.getAttribute("data-play-token")); } catch (e) {}
    window.location.replace(launched.getAttribute("data-next"));
    return;
  }

  // A page reached without the cookie: post the kept play token to see it.
  var resume = document.getElementById("resume");
  if (resume) {
    var token = null;
    try { token = sessionStorage.getItem(KEY); } catch (e) {}
    if (token) {
      resume.querySelector("input[name=play_token]").value = token;
      resume.submit();
    } else {
      document.getElementById("resume-failed").hidden = false;
    }
    return;
  }

  // After each choice the page reloads (post/redirect/get). Move keyboard and
  // screen-reader focus to what is new (WCAG 2.4.3): the feedback on the choice.
  var target = document.getElementById("tilbakemelding") || document.querySelector(".notices");
  if (target) {
    target.setAttribute("tabindex", "-1");
    target.focus();
  }
});
