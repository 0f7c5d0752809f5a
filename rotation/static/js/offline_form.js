// The observation form kept on the phone (observations/offline_form.html): three answers and photos, kept on the
// device on Submit, with a key of the phone's own so that the observation is filed once however often it is sent.
// Without this file the form posts to "start an observation" as any other.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("offline-observation-form");
  if (!form || !window.rotationDevice || !window.crypto || !crypto.randomUUID) return;
  const status = document.getElementById("offline-status");
  const problem = document.getElementById("offline-problem");
  const list = document.getElementById("offline-photos");
  const camera = document.getElementById("photo");
  const photos = [];

  camera.addEventListener("change", () => {
    for (const file of camera.files) {
      photos.push(file);
      const item = document.createElement("li");
      item.textContent = file.name;
      list.append(item);
    }
    list.hidden = photos.length === 0;
    camera.value = "";
  });

  // Each missing answer is said beside its question, as the server's form says it; the first gets the focus.
  const questions = [
    { name: "area_id", answered: () => form.querySelector("[name='area_id']").value, message: "Choose the process area." },
    { name: "kind", answered: () => form.querySelector("[name='kind']:checked"), message: "Say what you saw." },
    { name: "what_happened", answered: () => form.querySelector("[name='what_happened']").value.trim(),
      message: "Say what happened." },
  ];
  const controls = (name) => [...form.querySelectorAll(`[name='${name}']`)];
  const mark = ({ name, message }, missing) => {
    const id = `${name}-error`;
    let note = document.getElementById(id);
    const fields = controls(name);
    if (!missing) {
      if (note) note.remove();
      fields.forEach((field) => field.removeAttribute("aria-invalid"));
      return;
    }
    if (!note) {
      note = document.createElement("small");
      note.id = id;
      note.className = "field-error";
      const last = fields[fields.length - 1];
      const after = name === "kind" ? last.closest("fieldset") : last;
      const help = after.nextElementSibling;
      (help && help.classList.contains("help") ? help : after).after(note);  // below the hint, as the server puts it
    }
    note.textContent = message;
    fields.forEach((field) => {
      field.setAttribute("aria-invalid", "true");
      const described = (field.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
      if (!described.includes(id)) field.setAttribute("aria-describedby", [...described, id].join(" "));
    });
  };

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const missing = questions.filter((question) => !question.answered());
    questions.forEach((question) => mark(question, missing.includes(question)));
    problem.textContent = missing.length ? missing.map((question) => question.message).join(" ") : "";
    problem.hidden = missing.length === 0;
    if (missing.length) {
      const first = controls(missing[0].name)[0];
      first.focus();
      first.scrollIntoView({ block: "center" });
      return;
    }
    await window.rotationDevice.keepNew(form, crypto.randomUUID(), photos);
    form.querySelectorAll("input, select, textarea, button").forEach((element) => { element.disabled = true; });
    status.textContent = navigator.onLine
      ? "Kept on this device, and being filed now."
      : "Kept on this device: it is filed when the network returns.";
    window.rotationDevice.sendAll();
  });
});
