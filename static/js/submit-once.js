// 确认导入 posts once: a second click while the first is on its way would send the file again
// (the server refuses to import it twice, but the person would only see that answer).
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!form.matches("form[data-submit-once]")) {
    return;
  }
  if (form.dataset.submitting === "yes") {
    event.preventDefault();
    return;
  }
  form.dataset.submitting = "yes";
});

// Back on the page from the browser's history, the form may be sent again on purpose (the
// server then says the file was already imported).
window.addEventListener("pageshow", () => {
  for (const form of document.querySelectorAll("form[data-submitting]")) {
    delete form.dataset.submitting;
  }
});
