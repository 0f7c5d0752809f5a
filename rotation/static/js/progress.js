// While background work runs (a plan run, an import), follow its progress and show the outcome when it is done.
// The box names its progress URL; the JSON says {done, step, steps, label}. Without this file the page
// offers a plain "Refresh" link instead.
document.addEventListener("DOMContentLoaded", () => {
  const box = document.querySelector("[data-progress-url]");
  if (!box) return;
  const url = box.getAttribute("data-progress-url");
  const step = box.querySelector("[data-step]");
  const label = box.querySelector("[data-label]");
  const bar = box.querySelector("progress[max]");
  const every = 1500;

  const follow = async () => {
    let progress;
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (!response.ok) return; // signed out or gone: the Refresh link still works
      progress = await response.json();
    } catch {
      window.setTimeout(follow, every * 2); // the server may be busy; try again a little later
      return;
    }
    if (progress.done) {
      window.location.reload();
      return;
    }
    if (step) step.textContent = String(Math.min(progress.step + 1, progress.steps));
    if (label) label.textContent = progress.label;
    if (bar) {
      bar.value = progress.step;
      bar.max = progress.steps;
    }
    window.setTimeout(follow, every);
  };
  window.setTimeout(follow, every);
});
