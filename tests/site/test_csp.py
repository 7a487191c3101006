"""The Content-Security-Policy (template.yaml's response headers policy, which the local
front sends too) allows no inline script, and the built site needs none: every inline
script of every page would have to be listed by its sha256 hash in script-src, and no
element carries an event handler attribute or a javascript: URL (hashes cannot allow
those). Material's own inline scripts are moved to files by site/overrides/partials/."""
from __future__ import annotations

import base64
import hashlib
from html.parser import HTMLParser
from pathlib import Path

from infra.template import load_template, security_headers

# Script types a browser runs (HTML's JavaScript MIME types, modules, import maps);
# anything else (application/json such as Material's __config) is data.
JS_TYPES = {"", "module", "importmap", "text/javascript", "application/javascript", "text/ecmascript",
            "application/ecmascript", "application/x-javascript", "text/jscript"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "xlink:href"}


def csp_directives() -> dict[str, list[str]]:
    policy = security_headers(load_template())["Content-Security-Policy"]
    directives = {}
    for part in policy.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


class _Scripts(HTMLParser):
    """Inline scripts (exact text), event handler attributes and javascript: URLs."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.inline: list[str] = []
        self.handlers: list[str] = []
        self._script: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        a = {k.lower(): v or "" for k, v in attrs}
        for name, value in a.items():
            if name.startswith("on"):
                self.handlers.append(f"<{tag} {name}=...>")
            if name in URL_ATTRIBUTES and value.strip().lower().startswith("javascript:"):
                self.handlers.append(f"<{tag} {name}={value[:40]}>")
        if tag == "script":
            runs = a.get("type", "").split(";")[0].strip().lower() in JS_TYPES
            self._script = [] if runs and "src" not in a else None

    def handle_data(self, data):
        if self._script is not None:
            self._script.append(data)

    def handle_endtag(self, tag):
        if tag == "script" and self._script is not None:
            self.inline.append("".join(self._script))
            self._script = None


def scan(html: str) -> _Scripts:
    parser = _Scripts()
    parser.feed(html)
    parser.close()
    return parser


def sha256_source(script: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode() + "'"


def test_script_src_allows_no_inline_script_and_no_eval():
    script_src = csp_directives()["script-src"]

    assert "'self'" in script_src
    assert not {"'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", "*", "data:", "blob:"} & set(script_src)
    assert csp_directives()["object-src"] == ["'none'"]


def test_every_inline_script_in_the_built_site_is_hashed_in_the_csp(built_site: Path):
    script_src = set(csp_directives()["script-src"])
    pages = sorted(built_site.rglob("*.html"))
    missing = {}
    for path in pages:
        for script in scan(path.read_text(encoding="utf-8")).inline:
            if sha256_source(script) not in script_src:
                missing.setdefault(script[:80], []).append(str(path.relative_to(built_site)))

    assert len(pages) > 50
    assert missing == {}, {text: f"{len(where)} pages, e.g. {where[0]}" for text, where in missing.items()}


def test_no_page_has_event_handler_attributes_or_javascript_urls(built_site: Path):
    found = {str(path.relative_to(built_site)): scan(path.read_text(encoding="utf-8")).handlers
             for path in built_site.rglob("*.html")}

    assert {page: handlers for page, handlers in found.items() if handlers} == {}


def test_the_theme_scripts_come_from_files_on_every_page(built_site: Path):
    home = (built_site / "index.html").read_text(encoding="utf-8")
    deep = (built_site / "notices/2026/11/22/winter-pipe-protection/index.html").read_text(encoding="utf-8")

    assert '<script src="assets/javascripts/theme-storage.js" data-md-scope="."></script>' in home
    assert '<script src="../../../../../assets/javascripts/theme-storage.js" data-md-scope="../../../../..">' in deep
    assert (built_site / "assets/javascripts/theme-storage.js").is_file()


def test_the_scanner_finds_what_the_csp_would_block():
    found = scan('<script>alert(1)</script><script type="application/json">{}</script>'
                 '<script src="x.js"></script><script type="module">go()</script>'
                 '<button onclick="x()">b</button><a href=" JavaScript:void(0)">a</a>')

    assert found.inline == ["alert(1)", "go()"]
    assert len(found.handlers) == 2
    # the hash a browser computes for <script>alert(1)</script> (CSP Level 3 example)
    assert sha256_source("alert(1)") == "'sha256-bhHHL3z2vDgxUt0W3dWQOrprscmda2Y5pLsLg4GF+pI='"
