/* skillcard's service worker: makes /check and the holder's /my/phone work with no network. It keeps the page (fetched
   without cookies, so no one's session is cached), its CSS and scripts, and the latest
   verifier bundle; each is fetched from the network first and the kept copy used when the
   network fails. Nothing else is touched. */
"use strict";
var CACHE = "skillcard-check-v2";
var SHELL = [
  "/check", "/static/skillcard.css", "/static/htmx.min.js", "/static/check.js",
  "/static/offline-verify.js", "/static/offline-presentation.js", "/static/vendor/jsQR.js",
  "/static/manifest.webmanifest",
  "/static/icon-192.png", "/api/v1/bundle",
  /* the holder's phone card (holder-card.js): a shell with nothing personal in it */
  "/my/phone", "/static/holder-card.js", "/static/vendor/qrcode-generator.js",
  "/static/mycard.webmanifest",
];
var PAGES = ["/check", "/my/phone"];  /* kept only as fetched at install (anonymous) */

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    return cache.addAll(SHELL.map(function (url) { return new Request(url, { credentials: "omit" }); }));
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) { return n !== CACHE; }).map(function (n) { return caches.delete(n); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (event) {
  var request = event.request, url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (SHELL.indexOf(url.pathname) < 0) return;
  event.respondWith(fetch(request).then(function (response) {
    // the page is kept only as fetched at install (anonymous); the rest is kept fresh
    if (response.ok && PAGES.indexOf(url.pathname) < 0) {
      var copy = response.clone();
      caches.open(CACHE).then(function (cache) { cache.put(url.pathname, copy); });
    }
    return response;
  }).catch(function () {
    return caches.match(url.pathname).then(function (kept) { return kept || Response.error(); });
  }));
});
