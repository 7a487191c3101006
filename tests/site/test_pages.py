"""Site-wide page details: the Chinese 404 page (numbers from community.yml), the estate's own
logo and favicon, and no stray space between Chinese text and the names templates put in it
(site/cjk_spacing.py), on every built page."""
from __future__ import annotations

import html as html_lib
import importlib.util
import re
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
import yaml

from tests.site import scan
from tests.site.conftest import ROOT

OVERRIDES = ROOT / "site" / "overrides"
ICON = OVERRIDES / ".icons" / "butler" / "estate.svg"
SITE_URL = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))["site_url"]
ROOT_PATH = urlsplit(SITE_URL).path  # where the 404 page's links start: it is served at any depth

_spec = importlib.util.spec_from_file_location("butler_site_cjk_spacing", ROOT / "site" / "cjk_spacing.py")
cjk_spacing = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cjk_spacing)
CJK = f"[{cjk_spacing.CJK}]"


def page_of(site: Path, href: str) -> Path:
    """The built file a root-relative link of the site opens."""
    assert href.startswith(ROOT_PATH), href
    path = site / href[len(ROOT_PATH):]
    return path / "index.html" if href.endswith("/") else path


# ------------------------------------------------------------------ the 404 page


def test_404_page_is_in_chinese_with_the_way_home(built_site, community):
    html = (built_site / "404.html").read_text(encoding="utf-8")
    assert "Not found" not in html and '<html lang="zh"' in html
    ids = scan.by_id(scan.article(html))
    assert ids["not-found"].text == "找不到这个页面"
    home = ids["not-found-home"]
    assert home.attrs["href"] == ROOT_PATH and community["short_name"] in home.text
    assert f"<title>找不到这个页面 - {community['site_name']}</title>" in html
    links = [e.attrs["href"] for e in scan.elements(scan.article(html))
             if e.tag == "a" and not e.attrs["href"].startswith("tel:")]
    assert len(links) >= 5
    for href in links:  # root-relative, so they work from /any/depth/ the 404 is served at
        assert page_of(built_site, href).is_file(), href


def test_404_page_offers_the_hotline_and_every_emergency_number_from_community_yml(built_site, community):
    article = scan.article((built_site / "404.html").read_text(encoding="utf-8"))
    calls = [(e.attrs["href"], e.text) for e in scan.elements(article)
             if e.tag == "a" and e.attrs["href"].startswith("tel:")]
    phones = community["phones"]
    keys = community["emergency_page_phones"]
    assert keys[0] == "hotline" and {"fire", "police", "ambulance", "gas"} <= set(keys)
    assert [href for href, _ in calls] == [f"tel:{phones[k]['dial']}" for k in keys]
    for (_, text), key in zip(calls, keys, strict=True):
        assert phones[key]["name"] in text and phones[key]["display"] in text


def test_404_templates_type_no_number(community):
    """The numbers come from community.yml only: none is written in the templates."""
    sources = "".join(p.read_text(encoding="utf-8") for p in (OVERRIDES / "404.html",
                                                                  OVERRIDES / "macros" / "calls.html"))
    for phone in community["phones"].values():
        assert str(phone["dial"]) not in sources and str(phone["display"]) not in sources


# ------------------------------------------------------------------ logo and favicon


def test_header_shows_the_estate_logo_not_materials_book(page_html):
    path = re.search(r'<path d="([^"]+)"', ICON.read_text(encoding="utf-8")).group(1)
    for key in ("home", "charter_budget", "notice"):
        html = page_html(key)
        logo = re.search(r'class="md-header__button md-logo".*?</a>', html, re.S).group(0)
        assert path in logo, key
    assert "Pictogrammers" in (ICON.parent / "LICENSE").read_text(encoding="utf-8")


def test_favicon_is_the_logo_icon(built_site, page_html):
    favicon = built_site / "assets" / "images" / "favicon.svg"
    path = re.search(r'<path d="([^"]+)"', ICON.read_text(encoding="utf-8")).group(1)
    assert path in favicon.read_text(encoding="utf-8")
    for key in ("home", "charter_budget"):
        link = next(e for e in scan.elements(page_html(key)) if e.tag == "link" and e.attrs.get("rel") == "icon")
        assert link.attrs["href"].endswith("assets/images/favicon.svg")
    link = next(e for e in scan.elements((built_site / "404.html").read_text(encoding="utf-8"))
                if e.tag == "link" and e.attrs.get("rel") == "icon")
    assert page_of(built_site, link.attrs["href"]) == favicon


# ------------------------------------------------------------------ Chinese spacing


def estate_names(community: dict) -> set[str]:
    """Every name and number of community.yml that templates put into Chinese sentences."""
    names = {community["name"], community["short_name"], community["site_name"],
             community["service_center"]["name"]}
    names |= {p["name"] for p in community.get("assembly_points", {}).values()}
    names |= {p["name"] for p in community["phones"].values()}
    names |= {p["display"] for p in community["phones"].values()}
    return names


def visible_text(html: str) -> str:
    html = re.sub(r"<(script|style|svg)\b.*?</\1>", " ", html, flags=re.S)
    return html_lib.unescape(re.sub(r"<[^>]+>", "", html))


def stray_spaces(text: str, names: set[str]) -> list[str]:
    """Places where a space stands between Chinese text and one of ``names`` (either side)."""
    found = []
    for name in names:
        quoted = re.escape(name)
        for pattern in (f"{CJK}[ \u00a0]+{quoted}", f"{quoted}[ \u00a0]+{CJK}"):
            if re.match(CJK, name[0] if pattern.startswith(CJK) else name[-1]):
                found += [m.group(0) for m in re.finditer(pattern, text)]
    return found


def test_no_page_has_a_space_between_chinese_and_an_estate_name(built_site, community):
    names = estate_names(community)
    pages = sorted(built_site.rglob("*.html"))
    assert len(pages) > 50
    problems = {}
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert cjk_spacing.OPEN not in text and cjk_spacing.CLOSE not in text, page
        found = stray_spaces(visible_text(text), names)
        if found:
            problems[page.relative_to(built_site).as_posix()] = found
    assert not problems
    assert "要为翠湖花园做什么" in visible_text((built_site / "charter" / "index.html").read_text(encoding="utf-8"))


def test_space_check_can_fail(community):
    names = estate_names(community)
    assert stray_spaces("管家要为 翠湖花园 做什么", names) == ["为 翠湖花园", "翠湖花园 做"]
    assert stray_spaces("0571-8888-0000（示例号码） 询问", names)
    assert not stray_spaces("管家要为翠湖花园做什么，收回 452 份答卷", names)


@pytest.mark.parametrize(("rendered", "tidy"), [
    ("为 {翠湖花园} 做什么", "为翠湖花园做什么"),
    ("{翠湖花园} （示例）", "翠湖花园（示例）"),
    ("请拨打 {<a href=\"tel:1\">0571（示例号码）</a>} 询问", "请拨打 <a href=\"tel:1\">0571（示例号码）</a>询问"),
    ("是 {{翠湖}} 和 {花园} 的", "是翠湖和花园的"),
    ("收回 {452} 份答卷", "收回 452 份答卷"),            # digits keep their space
    ("示例 {Wi-Fi} 密码", "示例 Wi-Fi 密码"),             # so does Latin text
    ("报修类别 必填", "报修类别 必填"),                  # typed, not interpolated
    ("为\n{翠湖花园}\n做", "为\n翠湖花园\n做"),           # line breaks are the author's
])
def test_tidy_drops_spaces_only_between_chinese_and_an_interpolated_value(rendered, tidy):
    marked = rendered.replace("{", cjk_spacing.OPEN).replace("}", cjk_spacing.CLOSE)
    assert cjk_spacing.tidy(marked) == tidy


def test_every_rendered_page_gets_the_tidy(hooks, community):
    hooks.on_config(SimpleNamespace(extra={}, site_name="", site_description=""))
    page = SimpleNamespace(meta={"render": True}, file=SimpleNamespace(src_uri="x.md"))
    text = ("{% macro name() %}{{ community.short_name }}{% endmacro %}"
            "为 {{ community.short_name }} 做什么；为 {{ name() }} 服务；共 {{ 600 }} 户")
    out = hooks.on_page_markdown(text, page=page, config=None, files=None)
    short = community["short_name"]
    assert out == f"为{short}做什么；为{short}服务；共 600 户"
