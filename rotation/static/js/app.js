// Small progressive enhancements; every page works without this file.
document.addEventListener("DOMContentLoaded", () => {
  // Focus the first field that has an error, so keyboard users land on it.
  const invalid = document.querySelector("[aria-invalid='true']");
  if (invalid) invalid.focus();
  foldMenu();
  keepForOffline();
});

// The menu: on a phone or tablet it folds behind the Menu button with every group listed; on a wide screen each
// group is a dropdown, one open at a time, closed by Escape or a click elsewhere.
function foldMenu() {
  const button = document.querySelector(".menu-button");
  const menu = document.getElementById("main-menu");
  if (!button || !menu) return;
  const narrow = window.matchMedia("(max-width: 1023.98px)");
  document.documentElement.classList.add("js-menu");
  button.hidden = false;
  button.addEventListener("click", () => {
    const open = button.getAttribute("aria-expanded") !== "true";
    button.setAttribute("aria-expanded", String(open));
    menu.classList.toggle("open", open);
  });
  const groups = [...menu.querySelectorAll("details.menu-group")];
  const fit = () => groups.forEach((group) => { group.open = narrow.matches; });
  narrow.addEventListener("change", fit);
  fit();
  for (const group of groups) {
    group.addEventListener("toggle", () => {
      if (group.open && !narrow.matches) groups.forEach((other) => { if (other !== group) other.open = false; });
    });
  }
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || narrow.matches) return;
    const open = groups.find((group) => group.open);
    if (open) {
      open.open = false;
      open.querySelector("summary").focus();
    }
  });
}

// Signed in: install the service worker (the app works without signal), and keep this page and the pages it
// links to that a leader needs on the floor. Signed out: nothing of an earlier sign-in stays on this device.
const KEEP_FRESH_FOR = 30 * 60 * 1000;
const MOST_LINKS_KEPT = 8;

// The observations kept on the device without signal (device_drafts.js), forgotten on signing out even by a
// browser that ignores the Clear-Site-Data header; a sign-in that merely expired keeps them to send later.
const DEVICE_DRAFTS = "rotation-device";

async function keepForOffline() {
  if (document.documentElement.hasAttribute("data-clear-device") && window.indexedDB) {
    indexedDB.deleteDatabase(DEVICE_DRAFTS);
  }
  if (!("serviceWorker" in navigator) || !("caches" in window)) return;
  if (!document.documentElement.hasAttribute("data-signed-in")) {
    const registrations = await navigator.serviceWorker.getRegistrations();
    await Promise.all(registrations.map((registration) => registration.unregister()));
    const names = await caches.keys();
    await Promise.all(names.filter((name) => name.startsWith("rotation-") || name.startsWith("workbox-"))
      .map((name) => caches.delete(name)));
    return;
  }
  try {
    await navigator.serviceWorker.register("/service-worker.js", { scope: "/" });
  } catch {
    return;  // a browser that refuses (private mode, no https) still has every page online
  }
  const meta = document.querySelector("meta[name='rotation-kept-pages']");
  const patterns = JSON.parse(meta ? meta.content : "[]").map((pattern) => new RegExp(pattern));
  const kept = (url) => url.origin === window.location.origin && patterns.some((pattern) => pattern.test(url.pathname));
  const here = new URL(window.location.href);
  if (!kept(here)) return;
  // The links on the page, and the forms a shift offers for use without signal (My rotation's shift cards).
  const offered = [...document.querySelectorAll("[data-offline-form]")].map((card) => card.dataset.offlineForm);
  const links = [...document.querySelectorAll("a[href]")].map((link) => link.href).concat(offered)
    .map((href) => new URL(href, window.location.href))
    .filter((url) => kept(url) && url.search === "" && url.pathname !== here.pathname);
  const paths = [here.pathname, ...new Set(links.map((url) => url.pathname))].slice(0, MOST_LINKS_KEPT + 1);
  const cache = await caches.open("rotation-pages");
  for (const path of paths) {
    const copy = await cache.match(path, { ignoreVary: true });
    const age = copy ? Date.now() - new Date(copy.headers.get("Date") || 0).getTime() : Infinity;
    if (age < KEEP_FRESH_FOR) continue;
    try {
      const response = await fetch(path, { credentials: "same-origin", redirect: "error" });
      if (response.ok) await cache.put(path, response);
    } catch {
      // offline or signed out meanwhile: keep what is there
    }
  }
}
