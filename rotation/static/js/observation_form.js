// The observation form while its author types: similar observations already filed (with "Me too" in place), a
// warning when the text names someone, saving the draft in the background, photos uploaded without leaving the
// page, and the first answer in error brought into view. Without this file the form still works; the author
// saves and uploads with the buttons.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("observation-form");
  if (!form || !form.dataset.checkUrl) return;

  const csrfInput = form.querySelector("input[name='csrf_token']");
  const csrfToken = csrfInput ? csrfInput.value : "";
  const field = (id) => document.getElementById(id);
  const similarBox = field("similar");
  const blameBox = field("blame-warning");
  const statusLine = field("autosave-status");
  const main = form.closest("main") || document.body;

  // --- After a failed submit: the first answer in error, in view and focused -------------------------------

  const focusField = (target) => {
    if (!target) return;
    const input = target.matches("fieldset") ? target.querySelector("input, select, textarea") : target;
    const details = target.closest("details");
    if (details) details.open = true;
    target.scrollIntoView({ block: "center" });
    if (input) input.focus({ preventScroll: true });
  };
  focusField(form.querySelector("[aria-invalid='true']"));
  document.querySelectorAll(".error-summary a[href^='#']").forEach((link) => link.addEventListener("click", (event) => {
    const target = document.getElementById(link.getAttribute("href").slice(1));
    if (!target) return;
    event.preventDefault();
    focusField(target.closest("fieldset[aria-invalid='true']") || target);
  }));

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
    heading.textContent = form.dataset.autosaveUrl
      ? "Someone may have seen this already. “Me too” adds your shift to theirs instead of filing this draft."
      : "Someone may have seen this already.";
    const list = document.createElement("ul");
    matches.forEach((match) => {
      const item = document.createElement("li");
      const link = document.createElement("a");
      link.href = match.url;
      link.textContent = match.title;
      const seconds = match.seconds ? ` · ${match.seconds} saw it too` : "";
      item.append(link, ` — ${match.area}${seconds} `);
      if (form.dataset.autosaveUrl && form.dataset.secondUrl) {
        const button = document.createElement("button");
        button.type = "button";
        button.className = "secondary me-too";
        button.textContent = "Me too";
        button.setAttribute("aria-label", `Me too: ${match.title}`);
        button.addEventListener("click", () => meToo(match, button));
        item.append(button);
      }
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

  // --- Photos and files, uploaded in the background: what is typed stays as it is ---------------------------

  const evidenceForm = field("evidence-form");
  const evidenceList = field("evidence-list");
  const uploadError = field("files-error");
  const uploadStatus = field("upload-status");

  const showUploadError = (text) => {
    if (!uploadError) return;
    uploadError.textContent = text;
    uploadError.hidden = !text;
  };

  const evidenceItem = (item) => {
    const entry = document.createElement("li");
    if (item.photo) {
      const image = document.createElement("img");
      image.src = item.url;
      image.alt = item.filename;
      entry.append(image);
    }
    const link = document.createElement("a");
    link.href = item.url;
    link.textContent = item.filename;
    const size = document.createElement("small");
    size.className = "muted";
    size.textContent = `${item.kb} KB`;
    const remove = document.createElement("form");
    remove.method = "post";
    remove.action = item.remove_url;
    remove.className = "inline-form";
    const token = document.createElement("input");
    token.type = "hidden";
    token.name = "csrf_token";
    token.value = csrfToken;
    const button = document.createElement("button");
    button.type = "submit";
    button.className = "link-button";
    button.textContent = "Remove";
    button.setAttribute("aria-label", `Remove ${item.filename}`);
    remove.append(token, button);
    entry.append(" ", link, " ", size, " ", remove);
    return entry;
  };

  // What waits on this device for this observation (no network when it was added), listed with the photos.
  // (The form's "action" property is its buttons named action: the address is read from the attribute.)
  const deviceUrls = () => ({
    edit: new URL(form.getAttribute("action") || window.location.href, window.location.href).href,
    autosave: form.dataset.autosaveUrl,
    evidence: evidenceForm ? evidenceForm.getAttribute("action") : "",
  });
  const showKept = (record) => {
    if (!evidenceList) return;
    evidenceList.querySelectorAll(".kept-on-device").forEach((entry) => entry.remove());
    (record ? record.photos : []).forEach((photo) => {
      const entry = document.createElement("li");
      entry.className = "kept-on-device";
      const image = document.createElement("img");
      image.src = URL.createObjectURL(photo.blob);
      image.alt = photo.name;
      const note = document.createElement("small");
      note.className = "muted";
      note.textContent = "kept on this device, sent when the network returns";
      entry.append(image, " ", photo.name, " ", note);
      evidenceList.append(entry);
    });
    if (record && record.photos.length) {
      evidenceList.hidden = false;
      if (field("evidence-none")) field("evidence-none").hidden = true;
    }
  };

  const upload = async (input) => {
    if (!input.files || input.files.length === 0) return;
    // The files chosen now: the field may be cleared, or hold the next choice, before this upload is answered.
    const files = Array.from(input.files);
    const data = new FormData();
    data.set("csrf_token", csrfToken);
    files.forEach((file) => data.append("files", file));
    showUploadError("");
    if (uploadStatus) uploadStatus.textContent = "Uploading…";
    try {
      const response = await fetch(evidenceForm.action, {
        method: "POST", body: data, headers: { Accept: "application/json", "X-CSRFToken": csrfToken },
      });
      const answer = await response.json().catch(() => null);
      if (response.ok && answer) {
        answer.added.forEach((item) => evidenceList.append(evidenceItem(item)));
        evidenceList.hidden = false;
        if (field("evidence-none")) field("evidence-none").hidden = true;
        if (uploadStatus) uploadStatus.textContent = answer.message;
      } else {
        if (uploadStatus) uploadStatus.textContent = "";
        showUploadError((answer && answer.message) ||
          (response.status === 413 ? "That is too large to upload at once; add the photos one by one." :
            "The upload did not work; reload the page and try again."));
      }
    } catch {
      // No network: the photos are kept on this device (shrunk) and sent when it returns.
      if (window.rotationDevice && form.dataset.autosaveUrl) {
        const record = await window.rotationDevice.keepPhotos(form, deviceUrls(), files);
        showKept(record);
        if (uploadStatus) uploadStatus.textContent = "No connection: kept on this device, sent when the network returns.";
      } else {
        if (uploadStatus) uploadStatus.textContent = "";
        showUploadError("No connection: the photo was not added. Try again when you have a signal.");
      }
    } finally {
      input.value = "";
    }
  };

  if (evidenceForm && evidenceList) {
    evidenceForm.querySelectorAll("input[type='file']").forEach((input) => {
      input.addEventListener("change", () => upload(input));
    });
    if (field("upload-button")) field("upload-button").hidden = true;
    evidenceForm.querySelectorAll(".no-js-only").forEach((note) => { note.hidden = true; });
  }

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
      if (window.rotationDevice) {
        await window.rotationDevice.keepAnswers(form, deviceUrls()).catch(() => null);
        status("No connection: kept on this device, sent when the network returns.");
      } else {
        status("Not saved: no connection. It will be tried again when you type.");
      }
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
  // Answers given while the page was still loading, before this file ran (a slow connection on the floor), are
  // saved like the ones typed after.
  const givenBeforeLoading = [...form.elements].some((element) => {
    if (!element.name || element.type === "file" || element.type === "hidden") return false;
    if (element.type === "checkbox" || element.type === "radio") return element.checked !== element.defaultChecked;
    if (element.tagName === "SELECT") {
      const options = [...element.options];
      const initial = options.find((option) => option.defaultSelected) || (element.multiple ? null : options[0]);
      return options.some((option) => option.selected !== (option === initial));
    }
    return "defaultValue" in element && element.value !== element.defaultValue;
  });
  if (givenBeforeLoading) { changed = true; saveSoon(); }
  form.addEventListener("submit", (event) => {
    saveSoon.cancel();
    changed = false;
    const submitting = event.submitter && event.submitter.value === "submit";
    if (navigator.onLine || !window.rotationDevice) return;
    // No network: the page cannot be sent. Kept on this device instead, and submitted when the network returns.
    event.preventDefault();
    window.rotationDevice.keepAnswers(form, deviceUrls(), { submit: submitting }).then(() => {
      status(submitting
        ? "No connection: your observation is kept on this device and submitted when the network returns."
        : "No connection: kept on this device, sent when the network returns.");
    });
  });

  // Kept on this device from an earlier visit without signal: the answers back in the form, the photos listed,
  // and all of it sent (then submitted, if Submit was pressed) as soon as there is a network.
  let sendingKept = false;
  const sendKept = async () => {
    if (!window.rotationDevice || sendingKept || !navigator.onLine) return;
    const record = await window.rotationDevice.get(form.dataset.observation).catch(() => null);
    if (!record) return;
    sendingKept = true;
    try {
      status("Sending what was kept on this device…");
      const outcome = await window.rotationDevice.sendKept(record);
      showKept(record);
      if (outcome === "problem") { status(record.problem); return; }
      if (outcome !== "sent") return;
      if (record.submit) {
        await window.rotationDevice.forget(record.id);
        const button = form.ownerDocument.querySelector("button[form='observation-form'][value='submit']");
        form.requestSubmit(button || undefined);  // the form's own Submit: its messages appear beside the fields
        return;
      }
      await window.rotationDevice.forget(record.id);
      status(`Saved at ${clock()}`);
      window.location.reload();  // the photos as the server now holds them
    } catch {
      status("No connection: kept on this device, sent when the network returns.");
    } finally {
      sendingKept = false;
      window.rotationDevice.announce();
    }
  };
  if (window.rotationDevice) {
    window.rotationDevice.get(form.dataset.observation).then((record) => {
      if (!record) return;
      const kept = new Map();
      (record.fields || []).forEach(([name, value]) => kept.set(name, [...(kept.get(name) || []), value]));
      kept.forEach((values, name) => {
        form.querySelectorAll(`[name="${CSS.escape(name)}"]`).forEach((input) => {
          if (input.type === "radio" || input.type === "checkbox") input.checked = values.includes(input.value);
          else input.value = values[0];
        });
      });
      showKindQuestions();
      showKept(record);
      status(navigator.onLine ? "" : (record.submit
        ? "No connection: your observation is kept on this device and submitted when the network returns."
        : "No connection: kept on this device, sent when the network returns."));
      sendKept();
    }).catch(() => null);
    window.addEventListener("online", sendKept);
  }
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") { saveSoon.cancel(); save({ leaving: true }); }
  });

  // --- "Me too" instead of this draft, in place, and taking it back ---------------------------------------

  const hideWhileSeconded = Array.from(main.querySelectorAll(
    "#observation-form, #evidence, .final-actions, .danger-zone, .error-summary, .form-errors"));
  let panel = null;

  const showPanel = (text, takeBackUrl) => {
    if (!panel) {
      panel = document.createElement("div");
      panel.id = "me-too-done";
      panel.className = "me-too-done";
      panel.setAttribute("role", "status");
      panel.tabIndex = -1;
      form.before(panel);
    }
    panel.replaceChildren();
    const message = document.createElement("p");
    message.textContent = text;
    panel.append(message);
    if (takeBackUrl) {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = "Take back";
      button.addEventListener("click", () => takeBack(takeBackUrl, button));
      const mine = document.createElement("a");
      mine.href = form.dataset.mineUrl;
      mine.textContent = "My observations";
      panel.append(button, " ", mine);
    }
    panel.hidden = false;
    panel.focus();
  };

  const meToo = async (match, button) => {
    button.disabled = true;
    saveSoon.cancel();
    await save();
    const data = new FormData();
    data.set("csrf_token", csrfToken);
    data.set("draft", form.dataset.observation);
    try {
      const response = await fetch(form.dataset.secondUrl.replace(/\/0\/second$/, `/${match.id}/second`), {
        method: "POST", body: data, headers: { Accept: "application/json", "X-CSRFToken": csrfToken },
      });
      const answer = await response.json().catch(() => null);
      if (response.ok && answer && answer.seconded) {
        hideWhileSeconded.forEach((element) => { element.hidden = true; });
        showPanel(answer.message, answer.take_back_url);
      } else {
        button.disabled = false;
        const refusal = document.createElement("small");
        refusal.className = "field-error";
        refusal.setAttribute("role", "alert");
        refusal.textContent = (answer && answer.message) || "That did not work; reload the page and try again.";
        button.after(" ", refusal);
      }
    } catch {
      button.disabled = false;
    }
  };

  const takeBack = async (url, button) => {
    button.disabled = true;
    const data = formData();
    data.set("restore", "1");
    try {
      const response = await fetch(url, {
        method: "POST", body: data, headers: { Accept: "application/json", "X-CSRFToken": csrfToken },
      });
      const answer = await response.json().catch(() => null);
      if (!response.ok || !answer || !answer.taken_back) {
        button.disabled = false;
        showPanel((answer && answer.message) || "That did not work; reload the page and try again.", url);
        return;
      }
      if (answer.draft) {
        // The draft is back under a new number: every address on the page follows it.
        const old = `/observations/${form.dataset.observation}/`;
        const now = `/observations/${answer.draft}/`;
        main.querySelectorAll("form[action]").forEach((each) => {
          each.setAttribute("action", each.getAttribute("action").replace(old, now));
        });
        form.setAttribute("action", answer.edit_url);
        form.dataset.observation = String(answer.draft);
        form.dataset.autosaveUrl = answer.autosave_url;
        window.history.replaceState(null, "", answer.edit_url);
      }
      hideWhileSeconded.forEach((element) => {
        if (!element.matches(".error-summary, .form-errors")) element.hidden = false;
      });
      status("");
      showPanel(answer.message, null);
      showSimilar([]);
      check();
    } catch {
      button.disabled = false;
    }
  };
});
