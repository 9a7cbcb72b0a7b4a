// After each choice the page reloads (post/redirect/get). Move keyboard and screen-reader
// focus to what is new on the page (WCAG 2.4.3): the feedback on the choice if there is
// one, otherwise the heading of the new step. Nothing here is needed to play the case.
document.addEventListener("DOMContentLoaded", function () {
  var target = document.getElementById("tilbakemelding") ||
    (document.querySelector(".notices") ? document.querySelector(".notices") : null);
  if (target) {
    target.setAttribute("tabindex", "-1");
    target.focus();
  }
});
