// The export page's 全选 box: ticks or clears every column (django-import-export's own
// toggle is an inline handler, which the Content-Security-Policy does not run).
document.addEventListener("DOMContentLoaded", () => {
  const toggle = document.querySelector("[data-export-select-all]");
  if (!toggle) {
    return;
  }
  const boxes = () => document.querySelectorAll(".export-column-list input[type='checkbox']");
  toggle.addEventListener("change", () => {
    boxes().forEach((box) => {
      box.checked = toggle.checked;
    });
  });
  // Untick one column and 全选 no longer claims all of them.
  document.querySelector(".export-column-list").addEventListener("change", () => {
    toggle.checked = Array.from(boxes()).every((box) => box.checked);
  });
});
