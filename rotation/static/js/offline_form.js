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

  const missing = () => {
    if (!form.querySelector("[name='area_id']").value) return "Choose the process area.";
    if (!form.querySelector("[name='kind']:checked")) return "Say what you saw.";
    if (!form.querySelector("[name='what_happened']").value.trim()) return "Say what happened.";
    return "";
  };

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const answer = missing();
    problem.textContent = answer;
    problem.hidden = !answer;
    if (answer) return;
    await window.rotationDevice.keepNew(form, crypto.randomUUID(), photos);
    form.querySelectorAll("input, select, textarea, button").forEach((element) => { element.disabled = true; });
    status.textContent = navigator.onLine
      ? "Kept on this device, and being filed now."
      : "Kept on this device: it is filed when the network returns.";
    window.rotationDevice.sendAll();
  });
});
