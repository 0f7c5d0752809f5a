// The schedule grid: drag a shift onto another week of the same person's row to open the assignment's page with
// its slots of that week. Without this file (or without a mouse) each shift's link opens the same page.
document.addEventListener("DOMContentLoaded", () => {
  const grid = document.querySelector("[data-schedule-grid]");
  if (!grid) return;
  const status = document.querySelector("[data-schedule-status]");
  let dragged = null;

  const targetOf = (event) => {
    const cell = event.target.closest ? event.target.closest("td[data-week]") : null;
    if (!cell || !dragged || cell.parentElement !== dragged.closest("tr")) return null;
    return cell === dragged.closest("td") ? null : cell;
  };

  grid.addEventListener("dragstart", (event) => {
    const shift = event.target.closest && event.target.closest("a[data-move]");
    if (!shift) return;
    dragged = shift;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/uri-list", shift.href);
  });
  grid.addEventListener("dragover", (event) => {
    const cell = targetOf(event);
    if (!cell) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    cell.classList.add("drop-target");
  });
  grid.addEventListener("dragleave", (event) => {
    const cell = event.target.closest && event.target.closest("td");
    if (cell) cell.classList.remove("drop-target");
  });
  grid.addEventListener("drop", (event) => {
    const cell = targetOf(event);
    if (!cell) return;
    event.preventDefault();
    cell.classList.remove("drop-target");
    // The slot finder, searching the week it was dropped on at every site: choosing a slot there shows what the
    // move will do before it is made.
    const week = grid.querySelector(`thead th[data-week="${cell.getAttribute("data-week")}"]`);
    const address = new URL(dragged.getAttribute("data-move"), window.location.href);
    address.searchParams.set("start", week.getAttribute("data-start"));
    address.searchParams.set("end", week.getAttribute("data-end"));
    address.searchParams.set("site", "any");
    if (status) status.textContent = "Opening the shift's slots in week " + cell.getAttribute("data-week") + "…";
    window.location.assign(address.toString());
  });
  grid.addEventListener("dragend", () => {
    grid.querySelectorAll(".drop-target").forEach((cell) => cell.classList.remove("drop-target"));
    dragged = null;
  });
});
