// The nomination page's form is sent once (static/js/submit-once.js): its move buttons save
// what was typed and then move the nomination, and a second click on its way would arrive
// as a stale copy of the page, refused as someone else's save.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("nomination_form");
  if (form) {
    form.dataset.submitOnce = "";
  }
});

// Reading a Word report leaves the page: with typed changes not yet saved, say so instead of
// losing them.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("nomination_form");
  const upload = document.getElementById("report-upload-form");
  if (!form || !upload) {
    return;
  }
  let dirty = false;
  form.addEventListener("input", () => {
    dirty = true;
  });
  upload.addEventListener("submit", (event) => {
    if (dirty) {
      event.preventDefault();
      event.stopImmediatePropagation();
      const note = document.getElementById("report-unsaved");
      note.hidden = false;
      note.focus();
    }
  });
});
