"""Emergency plans, their printing, their offline copy (sw.js) and the QR repair posters,
read from the built site and from the modules that make them."""
from __future__ import annotations

import importlib.util
import re
import shutil
from pathlib import Path
from urllib.parse import quote, unquote, urljoin, urlsplit

import pytest
import yaml

from tests.site import scan
from tests.site.conftest import ROOT

CONTENT = ROOT / "site" / "content"
EMERGENCY_SOURCES = CONTENT / "emergency"
STYLESHEET = CONTENT / "assets" / "stylesheets" / "emergency.css"
# The plans the service plan (§6 and §2(四)) asks for, by page.
PLANS = {
    "fire": "火灾",
    "earthquake": "地震",
    "elevator": "电梯困人",
    "security": "治安事件",
    "water-outage": "停水",
    "power-outage": "停电",
}
PARTS = ("plan-now", "plan-call", "plan-assemble", "plan-staff")
# What Material prints unless told otherwise: header, tabs, navigation and table of
# contents (sidebars), search, footer.
CHROME = (".md-header", ".md-tabs", ".md-sidebar", ".md-nav", ".md-search", ".md-footer")


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"butler_site_{name}_under_test", ROOT / "site" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    import sys
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def offline():
    return _load("offline")


@pytest.fixture(scope="module")
def posters():
    return _load("posters")


@pytest.fixture(scope="module")
def site_url() -> str:
    return yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))["site_url"]


def _page(built_site: Path, url: str) -> str:
    return (built_site / url / "index.html").read_text(encoding="utf-8")


def _section(article: str, part: str) -> str:
    """The HTML from the <h2 id=part> to the next <h2> (or the end of the article)."""
    match = re.search(rf'<h2 id="{part}">.*?</h2>(.*?)(?=<h2\b|$)', article, re.S)
    assert match, f"no section {part}"
    return match.group(1)


def _dials(community: dict) -> dict[str, dict]:
    return {str(p["dial"]): p for p in community["phones"].values()}


# ------------------------------------------------------------------ the plans


@pytest.mark.parametrize("slug", PLANS)
def test_every_plan_page_has_the_four_parts(built_site, slug):
    article = scan.article(_page(built_site, f"emergency/{slug}"))
    h1 = [e for e in scan.elements(article) if e.tag == "h1"]
    assert len(h1) == 1 and PLANS[slug] in h1[0].text

    now, call, assemble, staff = (_section(article, part) for part in PARTS)
    for name, part in (("what a resident does", now), ("what staff do", staff)):
        steps = [e for e in scan.elements(part) if e.tag == "li" and not e.inside("ul")]
        assert part.lstrip().startswith("<ol>"), f"{name}: not a numbered list"
        assert 3 <= len(steps) <= 8, f"{name}: {len(steps)} steps, short numbered steps expected"
    buttons = [e for e in scan.elements(call) if e.tag == "a" and "call-button" in e.attrs.get("class", "").split()]
    assert len(buttons) >= 2 and all(b.attrs["href"].startswith("tel:") for b in buttons)
    assert len(re.findall(r"[\u4e00-\u9fff]", re.sub(r"<[^>]+>", "", assemble))) > 10, "where to assemble is empty"


def test_the_hub_links_every_plan_and_keeps_the_numbers(built_site, community):
    article = scan.article(_page(built_site, "emergency"))
    links = {e.attrs.get("href") for e in scan.elements(article) if e.tag == "a"}
    assert {f"{slug}/" for slug in PLANS} <= links
    buttons = {e.attrs["href"] for e in scan.elements(article) if "call-button" in e.attrs.get("class", "").split()}
    assert buttons == {f"tel:{community['phones'][k]['dial']}" for k in community["emergency_page_phones"]}


def test_every_tel_link_dials_a_number_from_community_yml(built_site, community):
    dials = _dials(community)
    pages = sorted((built_site / "emergency").rglob("index.html")) + sorted((built_site / "posters").rglob("index.html"))
    assert len(pages) >= 1 + len(PLANS) + 1
    seen = 0
    for path in pages:
        for element in scan.elements(scan.article(path.read_text(encoding="utf-8"))):
            href = element.attrs.get("href", "") if element.tag == "a" else ""
            if not href.startswith("tel:"):
                continue
            seen += 1
            phone = dials.get(href.removeprefix("tel:"))
            assert phone, f"{path}: {href} is not a number in community.yml"
            # The link shows the number it dials (and a call button its name as well).
            assert phone["display"] in element.text, f"{path}: {href} shows {element.text!r}"
            if "call-button" in element.attrs.get("class", "").split():
                assert phone["name"] in element.text
    assert seen > 30


@pytest.mark.parametrize("source", sorted(EMERGENCY_SOURCES.glob("*.md")), ids=lambda p: p.name)
def test_plan_sources_type_no_phone_number(source):
    """Numbers come from community.yml through tel()/call_button(), never typed in a page."""
    text = source.read_text(encoding="utf-8")
    assert "tel:" not in text
    assert not re.findall(r"\d{3,}", text), "a phone-like number is typed in the page"


def test_assembly_points_come_from_community_yml_marked_as_examples(built_site, community):
    points = community["assembly_points"]
    for key, point in points.items():
        assert "示例" in point["name"], f"assembly point {key} is not marked as an example"
    evacuation = {k for k, p in points.items() if p.get("buildings")}
    for building in community["buildings"]:
        assert [k for k in evacuation if building["number"] in points[k]["buildings"]], building
    used = set()
    for slug in PLANS:
        assemble = _section(scan.article(_page(built_site, f"emergency/{slug}")), "plan-assemble")
        for element in scan.elements(assemble):
            if "data-point" in element.attrs:
                key = element.attrs["data-point"]
                used.add(key)
                assert points[key]["name"] in element.text and points[key]["where"] in element.text
    for slug in ("fire", "earthquake"):
        assemble = _section(scan.article(_page(built_site, f"emergency/{slug}")), "plan-assemble")
        assert {e.attrs["data-point"] for e in scan.elements(assemble) if "data-point" in e.attrs} == evacuation
    assert used == set(points), f"assembly points no plan names: {set(points) - used}"


def test_a_building_without_an_assembly_point_fails_the_build():
    hooks = _load("emergency_hooks")
    community = {"buildings": [{"number": 1}, {"number": 2}],
                 "assembly_points": {"square": {"name": "广场（示例）", "where": "南门", "buildings": [1]}}}
    with pytest.raises(Exception, match="building 2 must evacuate to exactly one"):
        hooks.check_assembly_points(community)
    community["assembly_points"]["court"] = {"name": "球场（示例）", "where": "北门", "buildings": [1, 2]}
    with pytest.raises(Exception, match="building 1 must evacuate to exactly one"):
        hooks.check_assembly_points(community)


# ------------------------------------------------------------------ printing


def _print_rules(css: str) -> list[tuple[list[str], str]]:
    """(selectors, declarations) of every rule inside @media print blocks."""
    rules = []
    for match in re.finditer(r"@media\s+print\s*\{", css):
        depth, start = 1, match.end()
        i = start
        while depth:
            depth += {"{": 1, "}": -1}.get(css[i], 0)
            i += 1
        block = re.sub(r"/\*.*?\*/", "", css[start:i - 1], flags=re.S)
        for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", block):
            rules.append(([s.strip() for s in selectors.split(",")], body))
    return rules


def test_print_stylesheet_hides_the_site_chrome(built_site):
    rules = _print_rules(STYLESHEET.read_text(encoding="utf-8"))
    hidden = {s for selectors, body in rules if re.search(r"display:\s*none", body) for s in selectors}
    assert set(CHROME) <= hidden, f"printed: {set(CHROME) - hidden}"
    for slug in ("", *PLANS):
        page = _page(built_site, f"emergency/{slug}".rstrip("/"))
        assert "assets/stylesheets/emergency.css" in page


def test_print_stylesheet_prints_numbers_beside_names_and_keeps_boxes_whole():
    rules = _print_rules(STYLESHEET.read_text(encoding="utf-8"))
    by_selector: dict[str, str] = {}
    for selectors, body in rules:
        for s in selectors:
            by_selector[s] = by_selector.get(s, "") + body
    assert re.search(r"display:\s*inline", by_selector[".md-typeset .call-button__number"])
    assert re.search(r"display:\s*inline", by_selector[".md-typeset .call-button__name"])
    assert "break-inside: avoid" in by_selector[".md-typeset .call-button"]
    assert "break-inside: avoid" in by_selector[".md-typeset .assembly-points > li"]
    assert "break-after: page" in by_selector[".md-typeset .poster"]
    assert re.search(r"@page\s*\{\s*size:\s*A4", STYLESHEET.read_text(encoding="utf-8"))


def test_print_rule_parser_can_fail():
    css = ".md-header { display: none } @media print { .md-footer { display: none } .x { color: red } }"
    hidden = {s for selectors, body in _print_rules(css) if "display: none" in body for s in selectors}
    assert hidden == {".md-footer"}


# ------------------------------------------------------------------ offline: sw.js


def _assets_of(built_site: Path, url: str) -> set[str]:
    """What a page loads, read independently of site/offline.py."""
    found = set()
    for e in scan.elements(_page(built_site, url)):
        ref = ""
        if e.tag == "link" and set(e.attrs.get("rel", "").split()) & {"stylesheet", "icon"}:
            ref = e.attrs.get("href", "")
        elif e.tag == "script":
            ref = e.attrs.get("src", "")
        if ref and not urlsplit(ref).scheme:
            found.add(urlsplit(urljoin(f"https://x/{url}/", ref)).path.lstrip("/"))
    return found


def test_sw_js_lists_every_emergency_page_and_what_it_loads(built_site, offline):
    precache, version = offline.read_worker((built_site / "sw.js").read_text(encoding="utf-8"))
    pages = {"emergency/"} | {f"emergency/{slug}/" for slug in PLANS}
    assert pages <= set(precache)
    for url in pages:
        assets = _assets_of(built_site, url.rstrip("/"))
        assert any(a.endswith(".css") for a in assets) and any(a.endswith(".js") for a in assets)
        assert assets <= set(precache), f"{url} loads {assets - set(precache)}, not cached"
    assert all((built_site / (u + "index.html" if u.endswith("/") else u)).is_file() for u in precache)
    assert not [u for u in precache if u.startswith(("api", "photo-uploads"))]
    assert version == offline.cache_version((u, offline.file_for(built_site, u).read_bytes()) for u in precache)


def test_sw_js_never_caches_the_api_and_is_registered_from_every_page(built_site):
    worker = (built_site / "sw.js").read_text(encoding="utf-8")
    assert 'const NEVER_CACHED = ["api/", "photo-uploads/"];' in worker
    assert "neverCached(url)) return;" in worker  # left to the network, before any cache
    pages = sorted(built_site.rglob("index.html"))
    assert len(pages) > 20
    for path in pages:
        scripts = [e.attrs.get("src", "") for e in scan.elements(path.read_text(encoding="utf-8"))
                   if e.tag == "script"]
        assert [s for s in scripts if s.endswith("assets/javascripts/offline.js")], f"{path}: no registration"


def test_sw_js_version_changes_when_a_cached_page_changes(built_site, offline, tmp_path):
    template = (ROOT / "site" / "service-worker.js").read_text(encoding="utf-8")
    copy = tmp_path / "site"
    shutil.copytree(built_site, copy)
    _, before = offline.read_worker(offline.service_worker(copy, template))
    assert before == offline.read_worker((built_site / "sw.js").read_text(encoding="utf-8"))[1]

    page = copy / "emergency" / "fire" / "index.html"
    page.write_text(page.read_text(encoding="utf-8").replace("火灾应急预案", "火灾应急预案（修订）"), encoding="utf-8")
    _, after = offline.read_worker(offline.service_worker(copy, template))
    assert after != before

    (copy / "service" / "standards" / "index.html").write_text("not cached", encoding="utf-8")
    assert offline.read_worker(offline.service_worker(copy, template))[1] == after


def test_cache_version_depends_on_content_not_order(offline):
    a = [("emergency/", b"one"), ("assets/x.css", b"two")]
    assert offline.cache_version(a) == offline.cache_version(list(reversed(a)))
    assert offline.cache_version(a) != offline.cache_version([("emergency/", b"one!"), ("assets/x.css", b"two")])
    assert offline.cache_version(a) != offline.cache_version([("emergency/x/", b"one"), ("assets/x.css", b"two")])


def test_a_missing_asset_fails_the_build(built_site, offline, tmp_path):
    copy = tmp_path / "site"
    shutil.copytree(built_site, copy)
    (copy / "assets" / "stylesheets" / "emergency.css").unlink()
    with pytest.raises(offline.OfflineError, match="emergency.css"):
        offline.precache_urls(copy)


# ------------------------------------------------------------------ QR posters


def _posters_on(html: str) -> list[scan.Element]:
    return [e for e in scan.elements(scan.article(html)) if e.tag == "section" and "poster" in e.attrs.get("class", "").split()]


def test_one_poster_per_building_and_per_elevator(built_site, community, site_url):
    index = scan.article(_page(built_site, "posters"))
    links = {e.attrs.get("href") for e in scan.elements(index) if e.tag == "a"}
    expected = []
    for building in community["buildings"]:
        n = building["number"]
        assert f"building-{n}/" in links
        found = [(e.attrs["data-location"], e.attrs["data-url"]) for e in _posters_on(_page(built_site, f"posters/building-{n}"))]
        places = [f"{n}号楼"] + [f"{n}号楼{u}单元电梯" for u in range(1, building["units"] + 1)]
        assert found == [(p, f"{site_url.rstrip('/')}/repairs/#location={quote(p, safe='')}") for p in places]
        expected += places
    assert len(expected) == sum(1 + b["units"] for b in community["buildings"])


def test_each_qr_code_opens_the_repair_form_at_its_place(built_site, community, site_url):
    """No QR reader here: the SVG on the page must be the one segno makes for the expected
    address (and that address decodes to the place)."""
    import segno

    building = community["buildings"][2]
    html = _page(built_site, f"posters/building-{building['number']}")
    for poster in _posters_on(html):
        place = poster.attrs["data-location"]
        url = f"{site_url.rstrip('/')}/repairs/#location={quote(place, safe='')}"
        assert unquote(urlsplit(url).fragment.removeprefix("location=")) == place
        svg = segno.make(url, error="m", micro=False).svg_inline(dark="#000", omitsize=True, svgclass="poster__qr",
                                                                 lineclass=None)
        block = re.search(rf'<section[^>]*id="{poster.attrs["id"]}".*?</section>', html, re.S).group(0)
        assert svg in block, f"{place}: the QR code does not encode {url}"
        other = segno.make(url + "x", error="m", micro=False).svg_inline(dark="#000", omitsize=True,
                                                                         svgclass="poster__qr", lineclass=None)
        assert other not in block  # the comparison can fail


def test_posters_are_not_in_the_nav_nor_the_search(built_site):
    home = (built_site / "index.html").read_text(encoding="utf-8")
    assert "posters/" not in " ".join(e.attrs.get("href", "") for e in scan.elements(home) if e.inside("nav"))
    index = built_site / "search" / "search_index.json"
    if index.is_file():
        assert '"location":"posters/' not in index.read_text(encoding="utf-8").replace(" ", "")


def test_posters_need_an_absolute_site_url(posters):
    with pytest.raises(posters.PosterError, match="site_url"):
        posters.require_site_url(None)
    with pytest.raises(posters.PosterError):
        posters.repair_url("/relative/", "3号楼")
    assert posters.repair_url("https://x.example.cn", "3号楼") == \
        "https://x.example.cn/repairs/#location=3%E5%8F%B7%E6%A5%BC"
