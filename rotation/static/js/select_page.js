// "Select all on this page" for lists whose rows carry checkboxes; without this file each row is ticked by hand.
document.addEventListener("DOMContentLoaded", () => {
  for (const all of document.querySelectorAll("input[type='checkbox'][data-selects]")) {
    const label = all.closest("label");
    if (label) label.hidden = false;
    const boxes = () => document.querySelectorAll(`input[type='checkbox'][name='${all.dataset.selects}']`);
    all.addEventListener("change", () => {
      for (const box of boxes()) box.checked = all.checked;
    });
    for (const box of boxes()) {
      box.addEventListener("change", () => {
        const ticked = [...boxes()].filter((each) => each.checked).length;
        all.checked = ticked === boxes().length;
        all.indeterminate = ticked > 0 && ticked < boxes().length;
      });
    }
  }
});
