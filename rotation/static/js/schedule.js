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
  const offer = () => {
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
  };
  input.addEventListener("input", offer);
  // Text typed while the page was still loading, before this script ran, is offered for at once.
  if (input.value !== input.defaultValue) offer();
});

// Scrolling to the foot of the grid's box brings the next 50 people into it, up to MOST_ROWS rows on the page;
// the pager under the grid stays for keyboards, for more people than that, and for pages without this file.
const MOST_ROWS = 1000;

document.addEventListener("DOMContentLoaded", () => {
  const grid = document.querySelector("[data-schedule-grid]");
  const box = grid && grid.closest(".schedule-scroll");
  if (!box || !("IntersectionObserver" in window)) return;
  const status = document.querySelector("[data-schedule-status]");
  const summary = document.querySelector("[data-schedule-summary] [role='status']");
  const first = summary && (summary.textContent.match(/Showing ([\d,]+)–/) || [])[1];
  let loading = false;

  const observer = new IntersectionObserver((entries) => {
    if (entries.some((entry) => entry.isIntersecting)) more();
  }, { root: box, rootMargin: "0px 0px 300px 0px" });
  const watchLastRow = () => {
    observer.disconnect();
    const last = grid.tBodies[0].lastElementChild;
    if (last && grid.tBodies[0].rows.length < MOST_ROWS) observer.observe(last);
  };

  async function more() {
    const next = document.querySelector(".pager a[rel='next']");
    if (!next || loading) return;
    loading = true;
    try {
      const response = await fetch(next.href, { headers: { Accept: "text/html" } });
      if (!response.ok) return;
      const page = new DOMParser().parseFromString(await response.text(), "text/html");
      const rows = [...page.querySelectorAll("[data-schedule-grid] tbody tr")];
      grid.tBodies[0].append(...rows);
      const following = page.querySelector(".pager a[rel='next']");
      if (following) {
        next.href = following.href;
      } else {
        document.querySelectorAll(".pager a[rel='next'], .pager a[rel='last']").forEach((link) => link.remove());
      }
      const said = page.querySelector("[data-schedule-summary] [role='status']");
      if (summary && said && first) summary.textContent = said.textContent.replace(/Showing [\d,]+–/, `Showing ${first}–`);
      if (status) status.textContent = `${rows.length} more people shown.`;
    } catch {
      return;  // offline: the pager's links still work when the network returns
    } finally {
      loading = false;
    }
    watchLastRow();
  }
  watchLastRow();
});
