// The observation form while its author types: similar observations already filed, a warning when the text
// names someone, and saving the draft in the background. Without this file the form still works; the author
// saves with the buttons.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("observation-form");
  if (!form || !form.dataset.checkUrl) return;

  const csrfInput = form.querySelector("input[name='csrf_token']");
  const csrfToken = csrfInput ? csrfInput.value : "";
  const field = (id) => document.getElementById(id);
  const similarBox = field("similar");
  const blameBox = field("blame-warning");
  const statusLine = field("autosave-status");
  const TEXT_FIELDS = ["what_happened", "contact_driver", "why_1", "why_2", "why_3", "why_4", "why_5",
    "frontline_quote", "suggested_fix"];

  const debounce = (action, delay) => {
    let timer = null;
    const run = () => { window.clearTimeout(timer); timer = window.setTimeout(action, delay); };
    run.cancel = () => window.clearTimeout(timer);
    return run;
  };

  // --- Questions that only matter for one kind (the contact's driver, which waste) ----------------------------

  const showKindQuestions = () => {
    const chosen = form.querySelector("input[name='kind']:checked");
    document.querySelectorAll(".kind-only").forEach((block) => {
      const errors = block.querySelector(".field-error");
      block.hidden = !errors && (!chosen || chosen.value !== block.dataset.kind);
    });
  };
  form.querySelectorAll("input[name='kind']").forEach((radio) => radio.addEventListener("change", showKindQuestions));
  showKindQuestions();

  // --- Similar observations and the blame guard -----------------------------------------------------------

  let latestCheck = 0;

  const checkRequest = () => {
    const params = new URLSearchParams();
    params.set("title", field("title") ? field("title").value : "");
    // What happened, and every other field a name could slip into (the whys, the quote).
    const text = TEXT_FIELDS.map((id) => (field(id) ? field(id).value : "")).filter(Boolean).join("\n");
    params.set("text", text.slice(0, 10000));
    if (field("area_id") && field("area_id").value) params.set("area", field("area_id").value);
    if (form.dataset.observation) params.set("observation", form.dataset.observation);
    const url = new URL(form.dataset.checkUrl, window.location.href);
    const short = new URL(url);
    params.forEach((value, name) => short.searchParams.set(name, value));
    // Long texts go in the body: servers refuse very long addresses.
    if (short.href.length <= 2000) return fetch(short, { headers: { Accept: "application/json" } });
    return fetch(url, {
      method: "POST",
      body: params,
      headers: { Accept: "application/json", "X-CSRFToken": csrfToken },
    });
  };

  const showSimilar = (matches) => {
    if (!similarBox) return;
    similarBox.replaceChildren();
    similarBox.hidden = matches.length === 0;
    if (matches.length === 0) return;
    const heading = document.createElement("p");
    heading.textContent = "Someone may have seen this already: open it and add yours with “Me too”.";
    const list = document.createElement("ul");
    matches.forEach((match) => {
      const item = document.createElement("li");
      const link = document.createElement("a");
      link.href = match.url;
      link.target = "_blank";
      link.rel = "noopener";
      link.textContent = match.title;
      const seconds = match.seconds ? ` · ${match.seconds} saw it too` : "";
      item.append(link, ` — ${match.area}${seconds}`);
      list.append(item);
    });
    similarBox.append(heading, list);
  };

  const showBlame = (blame) => {
    if (!blameBox) return;
    blameBox.classList.add("warning");
    blameBox.textContent = blame ? blame.message : "";
    blameBox.hidden = !blame;
  };

  const check = async () => {
    const ticket = ++latestCheck;
    try {
      const response = await checkRequest();
      if (!response.ok) return;
      const answer = await response.json();
      if (ticket !== latestCheck) return; // a newer check is on its way
      showSimilar(answer.similar || []);
      showBlame(answer.blame);
    } catch {
      // Offline or a hiccup: keep what is shown; the next keystroke tries again.
    }
  };

  const checkSoon = debounce(check, 400);
  ["title", ...TEXT_FIELDS].forEach((id) => { if (field(id)) field(id).addEventListener("input", checkSoon); });
  if (field("area_id")) field("area_id").addEventListener("change", checkSoon);
  if ((field("title") && field("title").value) || (field("what_happened") && field("what_happened").value)) check();

  // --- Saving the draft as the author goes ----------------------------------------------------------------

  if (!form.dataset.autosaveUrl) return;
  let changed = false;
  let saving = false;

  const status = (text) => { if (statusLine) statusLine.textContent = text; };
  const clock = () => new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", hour12: false });

  const formData = () => {
    const data = new FormData(form);
    form.querySelectorAll("input[type='file']").forEach((input) => { if (input.name) data.delete(input.name); });
    return data;
  };

  const reasonFor = (code) => {
    if (code === 400) return "the page has expired; reload it and try again.";
    if (code === 401 || code === 403) return "you are signed out; sign in again in another tab.";
    if (code === 413) return "it is too long.";
    return "something went wrong; use Save draft.";
  };

  const save = async ({ leaving = false } = {}) => {
    if (!changed) return;
    if (saving) { saveSoon(); return; } // never two saves at once: try again after this one
    saving = true;
    changed = false;
    try {
      const response = await fetch(form.dataset.autosaveUrl, {
        method: "POST",
        body: formData(),
        headers: { Accept: "application/json", "X-CSRFToken": csrfToken },
        keepalive: leaving,
      });
      // A page instead of an answer means the sign-in page: the session has ended.
      const answer = await response.json().catch(() => null);
      if (response.ok && answer && answer.saved !== false) {
        status(`Saved at ${clock()}`);
      } else {
        changed = true;
        status(`Not saved: ${(answer && answer.message) || reasonFor(response.ok ? 401 : response.status)}`);
      }
    } catch {
      changed = true;
      status("Not saved: no connection. It will be tried again when you type.");
    } finally {
      saving = false;
    }
  };

  const saveSoon = debounce(save, 2000);
  const edited = (event) => {
    if (event.target.type === "file") return;
    changed = true;
    saveSoon();
  };
  form.addEventListener("input", edited);
  form.addEventListener("change", edited);
  form.addEventListener("submit", () => { saveSoon.cancel(); changed = false; });
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") { saveSoon.cancel(); save({ leaving: true }); }
  });
});
