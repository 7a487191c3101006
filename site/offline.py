"""The service worker that keeps the emergency pages readable without a network.

After the build, ``write_service_worker`` writes ``sw.js`` at the site root from the
template ``site/service-worker.js``, filling in:

``PRECACHE``
    site-relative URLs fetched on install and then served cache-first: every page under
    ``emergency/`` and everything those pages load (stylesheets, scripts, icons, the
    search worker and index when the site has search, and whatever the stylesheets
    reference with ``url(...)``, such as fonts)
``VERSION``
    a hash of those URLs and the bytes of their files: a build that changes any of them
    gives a new ``sw.js``, the browser installs it, and the new worker drops the old cache

Only files of the built site are listed; the API (``/api/*``) never is, and the worker
itself refuses to cache it. Everything here is pure over a built site directory, so the
tests call it on a copy.
"""
from __future__ import annotations

import hashlib
import json
import posixpath
import re
from collections.abc import Iterable
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlsplit

OFFLINE_DIRS = ("emergency",)   # every page under these is cached on install
TEMPLATE = Path(__file__).resolve().parent / "service-worker.js"
WORKER_NAME = "sw.js"
NEVER_CACHED = ("api/", "photo-uploads/")  # the API, and residents' photos

_CSS_URL = re.compile(r"""url\(\s*['"]?([^'")]+)""", re.I)


class OfflineError(ValueError):
    """A page the worker must cache refers to a file the build did not produce."""


class _References(HTMLParser):
    """Local files a page loads by itself: stylesheets, icons, scripts, and the search
    worker named in Material's ``__config``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.search: list[str] = []  # worker and index, when the theme's config names them
        self._config = False

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if tag == "link" and set(a.get("rel", "").split()) & {"stylesheet", "icon", "manifest", "preload"}:
            self.found.append(a.get("href", ""))
        elif tag == "script":
            if a.get("src"):
                self.found.append(a["src"])
            self._config = a.get("id") == "__config"

    def handle_data(self, data):
        if self._config:
            config = json.loads(data)
            base = config.get("base", ".")
            if config.get("search"):
                self.search = [config["search"], posixpath.join(base, "search/search_index.json")]

    def handle_endtag(self, tag):
        if tag == "script":
            self._config = False


def _is_local(reference: str) -> bool:
    parts = urlsplit(reference)
    return bool(reference) and not parts.scheme and not parts.netloc


def page_url(site_dir: Path, html_file: Path) -> str:
    """``emergency/fire/index.html`` → ``emergency/fire/`` (site-relative)."""
    relative = html_file.relative_to(site_dir).as_posix()
    return relative[: -len("index.html")] if relative.endswith("index.html") else relative


def file_for(site_dir: Path, url: str) -> Path:
    path = urlsplit(url).path
    return site_dir / (path + "index.html" if path.endswith("/") or not path else path)


def _resolve(base_url: str, reference: str) -> str:
    """A reference made in the file at ``base_url``, as a site-relative URL."""
    absolute = urljoin("https://site.invalid/" + base_url, urldefrag(reference)[0])
    return urlsplit(absolute).path.lstrip("/")


def offline_pages(site_dir: Path) -> list[str]:
    return sorted(page_url(site_dir, f) for d in OFFLINE_DIRS for f in (site_dir / d).rglob("index.html"))


def page_assets(site_dir: Path, url: str) -> list[str]:
    """Site-relative URLs of the files the page at ``url`` loads, stylesheet references included."""
    parser = _References()
    parser.feed(file_for(site_dir, url).read_text(encoding="utf-8"))
    found = [_resolve(url, r) for r in parser.found if _is_local(r)]
    search = [_resolve(url, r) for r in parser.search]
    if search and file_for(site_dir, search[-1]).is_file():  # Material loads them only with search on
        found += search
    for css in [u for u in found if u.endswith(".css")]:
        text = file_for(site_dir, css).read_text(encoding="utf-8") if file_for(site_dir, css).is_file() else ""
        found += [_resolve(css, r) for r in _CSS_URL.findall(text) if _is_local(r.strip())]
    return found


def precache_urls(site_dir: Path) -> list[str]:
    """Every offline page and what it loads, sorted; fails when a file is missing."""
    urls: set[str] = set()
    for url in offline_pages(site_dir):
        urls.add(url)
        urls.update(page_assets(site_dir, url))
    missing = sorted(u for u in urls if not file_for(site_dir, u).is_file())
    if missing:
        raise OfflineError(f"offline pages refer to files that were not built: {missing}")
    bad = sorted(u for u in urls if u.startswith(NEVER_CACHED))
    if bad:
        raise OfflineError(f"never cached, yet an offline page loads them: {bad}")
    return sorted(urls)


def cache_version(entries: Iterable[tuple[str, bytes]]) -> str:
    """A short hash of (URL, content) pairs, independent of their order."""
    digest = hashlib.sha256()
    for url, content in sorted(entries):
        digest.update(url.encode("utf-8") + b"\0" + hashlib.sha256(content).digest())
    return digest.hexdigest()[:16]


def service_worker(site_dir: Path, template: str) -> str:
    urls = precache_urls(site_dir)
    version = cache_version((u, file_for(site_dir, u).read_bytes()) for u in urls)
    return (template
            .replace("__PRECACHE__", json.dumps(urls, indent=2))
            .replace("__NEVER_CACHED__", json.dumps(list(NEVER_CACHED)))
            .replace("__VERSION__", json.dumps(version)))


def write_service_worker(site_dir: Path, template_path: Path = TEMPLATE) -> Path:
    target = site_dir / WORKER_NAME
    target.write_text(service_worker(site_dir, template_path.read_text(encoding="utf-8")), encoding="utf-8")
    return target


def read_worker(text: str) -> tuple[list[str], str]:
    """(PRECACHE, VERSION) back out of a written ``sw.js`` (for the tests and staff checks)."""
    precache = re.search(r"const PRECACHE = (\[.*?\]);", text, re.S)
    version = re.search(r'const VERSION = "([0-9a-f]+)";', text)
    if not precache or not version:
        raise OfflineError("sw.js has no PRECACHE list or VERSION")
    return json.loads(precache.group(1)), version.group(1)
