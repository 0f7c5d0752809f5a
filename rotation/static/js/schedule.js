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

// The department filter: as HR types, the departments whose name contains the text are offered under the field
// (the browser's own list). Without this file the field takes a department's name as typed.
document.addEventListener("DOMContentLoaded", () => {
  const input = document.querySelector("input[data-departments]");
  const list = input && document.getElementById(input.getAttribute("list"));
  if (!list) return;
  let timer = null;
  let asked = 0;
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const text = input.value.trim();
      const mine = ++asked;
      if (text.length < 2) { list.replaceChildren(); return; }
      const address = new URL(input.dataset.departments, window.location.href);
      address.searchParams.set("q", text);
      try {
        const response = await fetch(address, { headers: { Accept: "application/json" } });
        if (!response.ok || mine !== asked) return;
        const found = await response.json();
        list.replaceChildren(...found.departments.map((name) => {
          const option = document.createElement("option");
          option.value = name;
          return option;
        }));
      } catch {
        // offline or refused: the field still takes a name as typed
      }
    }, 150);
  });
});
