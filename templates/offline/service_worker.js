/* Rotation's service worker: keeps the shell and the pages a leader needs on the floor, for use without signal.
   Workbox is vendored under static/vendor/workbox; nothing is loaded from elsewhere. */
importScripts({{ (workbox ~ "workbox-sw.js")|tojson }});
workbox.setConfig({ modulePathPrefix: {{ workbox|tojson }}, debug: false });

const REVISION = {{ revision|tojson }};
const OFFLINE_PAGE = {{ offline_page|tojson }};
const PAGES = "rotation-pages";
const PAGES_KEPT = {{ pages_kept|list|tojson }}.map((pattern) => new RegExp(pattern));

workbox.core.clientsClaim();
workbox.core.skipWaiting();

workbox.precaching.cleanupOutdatedCaches();
workbox.precaching.precacheAndRoute(
  [OFFLINE_PAGE, ...{{ shell|tojson }}].map((url) => ({ url, revision: REVISION })),
  { ignoreURLParametersMatching: [/.*/] },
);

// The pages kept on the device: always from the network when there is one, the kept copy when there is none.
workbox.routing.registerRoute(
  ({ request, url }) => request.mode === "navigate" && url.origin === self.location.origin
    && PAGES_KEPT.some((pattern) => pattern.test(url.pathname)),
  new workbox.strategies.NetworkFirst({
    cacheName: PAGES,
    matchOptions: { ignoreVary: true },
    plugins: [
      // A redirect (to the log-in page) or an error is never kept.
      new workbox.cacheableResponse.CacheableResponsePlugin({ statuses: [200] }),
      new workbox.expiration.ExpirationPlugin({ maxEntries: 40, maxAgeSeconds: 14 * 24 * 3600 }),
    ],
  }),
);

// Styles, scripts and images: shown at once from the device, refreshed in the background.
workbox.routing.registerRoute(
  ({ url }) => url.origin === self.location.origin && url.pathname.startsWith("/static/"),
  new workbox.strategies.StaleWhileRevalidate({ cacheName: "rotation-static" }),
);

// Any other page: from the network only (nothing else is kept), and without a network the offline page, which
// lists what is kept.
workbox.routing.registerRoute(
  ({ request }) => request.mode === "navigate",
  new workbox.strategies.NetworkOnly(),
);

// When the network fails for a page: the offline page.
workbox.routing.setCatchHandler(async ({ request }) => {
  if (request.mode === "navigate") {
    const page = await workbox.precaching.matchPrecache(OFFLINE_PAGE);
    if (page) return page;
  }
  return Response.error();
});
