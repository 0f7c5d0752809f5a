// Observations kept on this device while there is no network: what was typed, the photos added (shrunk on the
// device, which also drops their metadata) and a Submit pressed. They are sent when the network returns, each
// once: the draft's own number keys its answers and its submission, and the server keeps one copy of a photo per
// observation. Signing out clears them with everything else the app kept (Clear-Site-Data, and app.js).
window.rotationDevice = (() => {
  const DATABASE = "rotation-device";
  const STORE = "observations";
  const LONGEST_SIDE = 1600;

  const open = () => new Promise((resolve, reject) => {
    const request = indexedDB.open(DATABASE, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: "id" });
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });

  const inStore = async (mode, action) => {
    const database = await open();
    return new Promise((resolve, reject) => {
      const transaction = database.transaction(STORE, mode);
      const request = action(transaction.objectStore(STORE));
      transaction.oncomplete = () => { database.close(); resolve(request ? request.result : undefined); };
      transaction.onerror = () => { database.close(); reject(transaction.error); };
    });
  };

  const get = (id) => inStore("readonly", (store) => store.get(String(id)));
  const all = () => inStore("readonly", (store) => store.getAll());
  const put = (record) => inStore("readwrite", (store) => store.put(record));
  const forget = (id) => inStore("readwrite", (store) => store.delete(String(id)));

  const blank = (id, urls) => ({ id: String(id), urls, fields: null, submit: false, photos: [], problem: "" });

  const answersOf = (form) => {
    const fields = [];
    new FormData(form).forEach((value, name) => {
      if (typeof value === "string" && name !== "csrf_token" && name !== "action") fields.push([name, value]);
    });
    return fields;
  };

  // Changes to a kept observation are made one after another, each on the record as the last one left it: two
  // photos chosen in quick succession (or a photo while the answers are autosaved) both stay.
  let changes = Promise.resolve();
  const change = (id, urls, edit) => {
    const next = changes.then(async () => {
      const record = (await get(id)) || blank(id, urls);
      record.urls = urls;
      edit(record);
      await put(record);
      return record;
    });
    changes = next.catch(() => undefined);
    return next;
  };

  // What was typed, and whether Submit was pressed.
  const keepAnswers = async (form, urls, { submit = false } = {}) => {
    const fields = answersOf(form);
    const record = await change(form.dataset.observation, urls, (kept) => {
      kept.fields = fields;
      kept.submit = kept.submit || submit;
      kept.problem = "";
    });
    announce();
    return record;
  };

  // A photo is shrunk to at most 1600 px on its longest side and re-encoded as JPEG: small enough to send on a
  // poor signal, and without the camera's metadata (place, time, device). Other files are kept as they are.
  const shrink = async (file) => {
    if (!file.type.startsWith("image/") || typeof createImageBitmap !== "function") return { name: file.name, blob: file };
    try {
      const bitmap = await createImageBitmap(file);
      const scale = Math.min(1, LONGEST_SIDE / Math.max(bitmap.width, bitmap.height));
      const canvas = document.createElement("canvas");
      canvas.width = Math.round(bitmap.width * scale);
      canvas.height = Math.round(bitmap.height * scale);
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.85));
      return { name: file.name.replace(/\.[^.]*$/, "") + ".jpg", blob: blob || file };
    } catch {
      return { name: file.name, blob: file };
    }
  };

  const keepPhotos = async (form, urls, files) => {
    const photos = [];
    for (const file of files) photos.push(await shrink(file));  // the slow part, before taking a turn
    const record = await change(form.dataset.observation, urls, (kept) => { kept.photos.push(...photos); });
    announce();
    return record;
  };

  // An observation begun on the phone (no draft yet): the phone's own key files it once, however often sent.
  const keepNew = async (form, key, files) => {
    const record = blank(`new-${key}`, { start: form.getAttribute("action") });
    record.key = key;
    record.assignment = form.dataset.assignment;
    record.fields = answersOf(form).filter(([name]) => name !== "assignment");
    record.submit = true;
    for (const file of files) record.photos.push(await shrink(file));
    await put(record);
    announce();
    return record;
  };

  // Starts the draft of an observation begun on the phone; the server answers with its form's address.
  const begin = async (record) => {
    const data = formData([["assignment", record.assignment], ["device_key", record.key]]);
    const response = await fetch(record.urls.start, { method: "POST", body: data });
    const found = new URL(response.url).pathname.match(/^\/observations\/(\d+)\/edit$/);
    if (!response.ok || !found) {
      record.problem = "Not filed: this shift's window for observations is not open.";
      record.urls.edit = `/observations/new?assignment=${encodeURIComponent(record.assignment)}`;
      await put(record);
      return false;
    }
    const base = `/observations/${found[1]}`;
    record.urls = { ...record.urls, edit: `${base}/edit`, autosave: `${base}/autosave`, evidence: `${base}/evidence` };
    await put(record);
    return true;
  };

  const csrf = () => {
    const input = document.querySelector("input[name='csrf_token']");
    return input ? input.value : "";
  };

  const post = (url, body) => fetch(url, {
    method: "POST", body, headers: { Accept: "application/json", "X-CSRFToken": csrf() },
  });

  const formData = (fields) => {
    const data = new FormData();
    data.set("csrf_token", csrf());
    (fields || []).forEach(([name, value]) => data.append(name, value));
    return data;
  };

  // Sends one kept observation's answers and photos. Returns "sent" (nothing left but a Submit, if pressed),
  // "gone" (it is no longer a draft: nothing to send), "problem" (the server refused: record.problem says why),
  // or throws when the network fails (everything stays kept).
  const sendKept = async (record) => {
    if (record.fields) {
      const response = await post(record.urls.autosave, formData(record.fields));
      if (response.status === 409) { await forget(record.id); return "gone"; }
      if (!response.ok) {
        const answer = await response.json().catch(() => null);
        record.problem = (answer && answer.message) || "Some answers need a look.";
        await put(record);
        return "problem";
      }
    }
    while (record.photos.length) {
      const photo = record.photos[0];
      const data = formData([]);
      data.append("files", photo.blob, photo.name);
      const response = await post(record.urls.evidence, data);
      const answer = await response.json().catch(() => null);
      if (response.status === 422) {
        record.problem = (answer && answer.message) || `${photo.name} was not added.`;
        record.photos.shift();
        await put(record);
        return "problem";
      }
      if (!response.ok) throw new Error(`upload refused: ${response.status}`);
      record.photos.shift();
      await put(record);
    }
    return "sent";
  };

  // Submits a kept observation from any page: the form's own Submit, read back from where it lands.
  const submitKept = async (record) => {
    const data = formData(record.fields);
    data.set("action", "submit");
    const response = await fetch(record.urls.edit, { method: "POST", body: data });
    const landed = new URL(response.url).pathname;
    if (response.ok && landed !== new URL(record.urls.edit, window.location.href).pathname) {
      await forget(record.id);
      // Filed from the form kept on the phone, still open: on to the observation as filed.
      if (record.key && document.getElementById("offline-observation-form")) window.location.assign(response.url);
      return "submitted";
    }
    record.submit = false;
    record.problem = "It needs a look before it can be submitted.";
    await put(record);
    return "problem";
  };

  // Everything kept, sent while the network lasts. The observation form sends its own (it shows the answers).
  let sending = false;
  const sendAll = async ({ except = null } = {}) => {
    if (sending || !navigator.onLine) return;
    sending = true;
    try {
      for (const record of await all()) {
        if (record.id === except || record.problem) continue;
        if (record.urls.start && !record.urls.autosave && !(await begin(record))) continue;
        const outcome = await sendKept(record);
        if (outcome === "sent" && record.submit) await submitKept(record);
        else if (outcome === "sent") await forget(record.id);
      }
    } catch {
      // the network went again: what is left stays kept
    } finally {
      sending = false;
      announce();
    }
  };

  // A line on every page while something waits on this device, with a link to each.
  const announce = async () => {
    const line = document.getElementById("device-waiting");
    if (!line || !window.indexedDB) return;
    const records = await all().catch(() => []);
    line.replaceChildren();
    line.hidden = records.length === 0;
    if (records.length === 0) return;
    const waiting = records.filter((record) => !record.problem);
    const problems = records.filter((record) => record.problem);
    if (waiting.length) {
      const text = document.createElement("p");
      text.textContent = `${waiting.length} observation${waiting.length === 1 ? "" : "s"} kept on this device, ` +
        (navigator.onLine ? "being sent now." : "sent when the network returns.");
      line.append(text);
    }
    problems.forEach((record) => {
      const text = document.createElement("p");
      const link = document.createElement("a");
      // The form opens with what it lacks beside each answer (?check=1), where the phone's copy was refused.
      const target = new URL(record.urls.edit, window.location.href);
      if (/^\/observations\/\d+\/edit$/.test(target.pathname)) target.searchParams.set("check", "1");
      link.href = target.href;
      link.textContent = `Observation ${record.id}`;
      text.append(link, `: ${record.problem}`);
      line.append(text);
    });
  };

  // My rotation without signal: a shift's "File an observation" opens the form kept on the phone instead (a new
  // draft needs the network), and a shift without that button offers the kept form while there is no network.
  const offerKeptForms = () => {
    document.querySelectorAll("[data-offline-form]").forEach((card) => {
      const url = card.dataset.offlineForm;
      const start = card.querySelector("form[action$='/observations/new']");
      if (start) {
        start.addEventListener("submit", (event) => {
          if (navigator.onLine) return;
          event.preventDefault();
          window.location.assign(url);
        });
        return;
      }
      const actions = card.querySelector(".actions");
      if (!actions) return;
      const link = document.createElement("a");
      link.href = url;
      link.textContent = "File an observation without signal";
      const show = () => { link.hidden = navigator.onLine; };
      show();
      window.addEventListener("online", show);
      window.addEventListener("offline", show);
      actions.prepend(link);
    });
  };

  document.addEventListener("DOMContentLoaded", () => {
    if (!window.indexedDB || !document.documentElement.hasAttribute("data-signed-in")) return;
    offerKeptForms();
    const form = document.getElementById("observation-form");
    const except = form && form.dataset.observation ? String(form.dataset.observation) : null;
    announce();
    sendAll({ except });
    window.addEventListener("online", () => sendAll({ except }));
    window.addEventListener("offline", announce);
  });

  return { get, forget, put, keepAnswers, keepPhotos, keepNew, sendKept, sendAll, announce };
})();
