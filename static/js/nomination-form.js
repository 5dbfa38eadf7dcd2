// The nomination page's form is sent once (static/js/submit-once.js): its move buttons save
// what was typed and then move the nomination, and a second click on its way would arrive
// as a stale copy of the page, refused as someone else's save.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("nomination_form");
  if (form) {
    form.dataset.submitOnce = "";
  }
});
