/*
 * Service worker: the emergency pages open without a network after one visit.
 * Template: site/offline.py writes it to the site root as /sw.js after each build, with
 * PRECACHE (site-relative URLs: every emergency page and what it loads) and VERSION (a
 * hash of those files) filled in. A new build with any change gives a new sw.js: the
 * browser installs it, it fetches the new files, and the old cache is deleted.
 *
 * - Precached files: cache first (they only change with a new VERSION).
 * - Other pages and files of the site: network first; a copy is kept, used when offline.
 * - The API and residents' photos (NEVER_CACHED): never cached, never answered from cache.
 * Plain ES2017, no libraries.
 */
'use strict';

const VERSION = __VERSION__;
const PRECACHE = __PRECACHE__;
const NEVER_CACHED = __NEVER_CACHED__;
const PREFIX = 'butler-';
const STATIC_CACHE = PREFIX + 'offline-' + VERSION;
const PAGES_CACHE = PREFIX + 'pages-' + VERSION;

const ROOT = new URL('./', self.location).href; // the site root: where sw.js lives
const PRECACHED = new Set(PRECACHE.map((path) => new URL(path, ROOT).href));

function siteRelative(url) { return url.href.slice(ROOT.length); }

function neverCached(url) {
  const path = siteRelative(url);
  return NEVER_CACHED.some((prefix) => path === prefix.replace(/\/$/, '') || path.startsWith(prefix));
}

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches.open(STATIC_CACHE)
      .then((cache) => cache.addAll(PRECACHE.map((path) => new Request(new URL(path, ROOT).href,
        { cache: 'reload' }))))
      .then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys
        .filter((key) => key.startsWith(PREFIX) && key !== STATIC_CACHE && key !== PAGES_CACHE)
        .map((key) => caches.delete(key))))
      .then(() => self.clients.claim()));
});

async function cacheFirst(request, key) {
  const cached = await caches.match(key, { cacheName: STATIC_CACHE });
  return cached || fetch(request);
}

async function networkFirst(request) {
  try {
    const response = await fetch(request);
    if (response.ok && response.type === 'basic') {
      const copy = response.clone();
      caches.open(PAGES_CACHE).then((cache) => cache.put(request, copy));
    }
    return response;
  } catch (error) {
    const cached = await caches.match(request, { cacheName: PAGES_CACHE });
    if (cached) return cached;
    throw error;
  }
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || !url.href.startsWith(ROOT) || neverCached(url)) return;
  url.hash = '';
  url.search = '';
  if (PRECACHED.has(url.href)) {
    event.respondWith(cacheFirst(request, url.href));
  } else {
    event.respondWith(networkFirst(request));
  }
});
