// The offline page: lists the pages kept on this device (by their titles), and tries the page asked for again.
document.addEventListener("DOMContentLoaded", async () => {
  document.querySelector("[data-retry]").addEventListener("click", () => window.location.reload());
  if (!("caches" in window)) return;
  const list = document.querySelector("[data-kept-pages]");
  const cache = await caches.open("rotation-pages");
  const kept = await cache.keys();
  for (const request of kept) {
    const response = await cache.match(request, { ignoreVary: true });
    if (!response) continue;
    const html = await response.text();
    const title = new DOMParser().parseFromString(html, "text/html").title.replace(/ · Rotation$/, "");
    const item = document.createElement("li");
    const link = document.createElement("a");
    link.href = request.url;
    link.textContent = title || new URL(request.url).pathname;
    item.append(link);
    list.append(item);
  }
  if (kept.length) document.querySelector("[data-kept-empty]").hidden = true;
});
