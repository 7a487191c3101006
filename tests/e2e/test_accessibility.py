"""Every page type on a phone in Chromium: axe-core finds no violation, the page asks for
nothing from another origin, and the home page stays small.

axe-core comes from npm (package.json, installed by `make test`) and is injected into
each page; it runs every rule it has except the experimental ones.
"""
import gzip
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.site.conftest import PAGES

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
HOME_BUDGET = 100 * 1024  # bytes transferred for the home page, compressed, everything included


def url_of(built_path: str) -> str:
    return "/" + built_path.removesuffix("index.html")


def axe_violations(page) -> list[dict]:
    assert AXE.exists(), "axe-core is missing: run `make test` (npm ci) first"
    # Evaluated through the DevTools protocol: a <script> tag would be an inline script,
    # which the site's CSP (script-src 'self') refuses.
    page.evaluate(AXE.read_text(encoding="utf-8") + "\n;0")
    return page.evaluate("""async () => {
        const result = await axe.run(document, { resultTypes: ['violations'] });
        return result.violations.map((v) => ({
            id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ') + ' :: ' + n.failureSummary),
        }));
    }""")


@pytest.mark.parametrize("key", list(PAGES))
def test_axe_finds_no_violation_and_nothing_is_asked_of_another_origin(phone, local_stack, key):
    origin = urlsplit(local_stack.url).netloc
    requests = []
    phone.on("request", lambda request: requests.append(request.url))
    phone.goto(url_of(PAGES[key]))
    phone.wait_for_load_state("networkidle")

    elsewhere = [u for u in requests if urlsplit(u).scheme in ("http", "https") and urlsplit(u).netloc != origin]
    assert requests and elsewhere == []
    assert axe_violations(phone) == []


def test_the_axe_check_can_fail(phone):
    phone.goto("/")
    phone.evaluate("""() => {
        const img = document.createElement('img');
        img.src = 'data:image/gif;base64,R0lGODlhAQABAAAAACw=';
        document.querySelector('main, body').appendChild(img);
    }""")

    assert "image-alt" in [v["id"] for v in axe_violations(phone)]


def test_the_home_page_transfers_at_most_100_kb_compressed(phone):
    sizes = {}

    def record(response):
        if response.request.url.startswith(("data:", "blob:")):
            return
        try:
            body = response.body()
        except Exception:  # noqa: BLE001 - redirects and aborted requests have no body
            return
        sizes[response.request.url] = len(gzip.compress(body, compresslevel=6))

    phone.on("response", record)
    phone.goto("/")
    phone.wait_for_load_state("networkidle")

    total = sum(sizes.values())
    assert any(u.endswith((".css",)) for u in sizes) and any(u.endswith(".js") for u in sizes)
    assert total <= HOME_BUDGET, sorted(sizes.items(), key=lambda item: -item[1])[:8]
