// Submits the form that returns to the LMS (Deep Linking response), as LTI expects.
document.getElementById("autopost").submit();
