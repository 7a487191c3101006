"""The bulletin board (公告栏): ASCII URLs, pinned notices first, expiring notices leave
every list and the feed, the RSS feed itself, and what fails the build."""
from __future__ import annotations

import re
import runpy
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urljoin, urlsplit

import pytest
import yaml
from mkdocs.exceptions import PluginError

from bench.site_scale import POSTS, build, copy_site
from tests.site import scan
from tests.site.conftest import ROOT

notices = SimpleNamespace(**runpy.run_path(str(ROOT / "site" / "notices.py")))
SITE_URL = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))["site_url"]
FEED = "feed_rss_created.xml"
WATER = "water-outage-building-5-2026-12"  # an outage notice that ends at its `expires`


def front_matter(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8").split("---\n")[1])


META = {p.stem: front_matter(p) for p in sorted((ROOT / POSTS).glob("*.md"))}
ENDS = sorted(m["expires"] for m in META.values() if "expires" in m)


def post_path(site: Path, slug: str) -> Path:
    """The built page of a post, found by its slug (the blog puts the date in front)."""
    found = list((site / "notices").rglob(f"{slug}/index.html"))
    assert len(found) == 1, f"{slug}: built {len(found)} times"
    return found[0]


def url_of(site: Path, page: Path) -> str:
    return "/" + page.parent.relative_to(site).as_posix() + "/"


def list_pages(site: Path) -> list[Path]:
    """Every list of notices: the index, category and archive pages, with their further pages."""
    notices_dir = site / "notices"
    found = [notices_dir / "index.html"]
    for sub in ("page", "category", "archive"):
        found += sorted((notices_dir / sub).rglob("index.html"))
    return found


def listed(site: Path, page: Path) -> list[str]:
    """URLs (from the site root) of the notices a list page shows, in order."""
    base = url_of(site, page)
    return [urljoin(base, e.attrs["href"]) for e in scan.elements(page.read_text(encoding="utf-8"))
            if e.tag == "a" and "toclink" in e.attrs.get("class", "").split()
            and any(t == "article" and "md-post" in a.get("class", "").split() for t, a in e.ancestors)]


def heading(html: str) -> str:
    """The content of a list page (Material's blog.html puts it in a <header>, then the posts)."""
    match = re.search(r'<header class="md-typeset">(.*?)</header>', html, re.S)
    assert match, "not a blog list page"
    return match.group(1)


def feed_links(site: Path) -> list[str]:
    channel = ET.parse(site / FEED).getroot().find("channel")
    return [item.findtext("link") for item in channel.iter("item")]


# ------------------------------------------------------------------ URLs and categories


@pytest.mark.parametrize("name,slug", sorted(notices.CATEGORY_SLUGS.items()))
def test_every_category_has_a_page_at_its_ascii_url(built_site, name, slug):
    page = built_site / "notices" / "category" / slug / "index.html"
    assert page.is_file(), f"no category page for {name} at /notices/category/{slug}/"
    title = re.search(r"<h1[^>]*>(.*?)</h1>", heading(page.read_text(encoding="utf-8")), re.S)
    assert title and title.group(1).strip() == name


def test_every_post_uses_a_known_category():
    for stem, meta in META.items():
        assert meta.get("categories"), stem
        assert set(meta["categories"]) <= set(notices.CATEGORY_SLUGS), stem


def test_every_notice_url_is_ascii(built_site):
    assert len(META) >= 10
    for meta in META.values():
        url = url_of(built_site, post_path(built_site, meta["slug"]))
        assert url.isascii() and notices.SLUG.match(meta["slug"]), url
    for path in (built_site / "notices").rglob("*"):
        assert path.relative_to(built_site).as_posix().isascii(), path


def test_pinned_notice_is_first_on_the_index_and_in_its_category(built_site):
    pinned = [m for m in META.values() if m.get("pin") is True]
    assert len(pinned) == 1, "the demo has one pinned notice"
    url = url_of(built_site, post_path(built_site, pinned[0]["slug"]))
    assert listed(built_site, built_site / "notices" / "index.html")[0] == url
    category = notices.CATEGORY_SLUGS[pinned[0]["categories"][0]]
    assert listed(built_site, built_site / "notices" / "category" / category / "index.html")[0] == url
    newer = [m for m in META.values() if m["date"] > pinned[0]["date"]]
    assert newer, "a newer notice must exist, or sorting by date alone would pass this test"


# ------------------------------------------------------------------ the feed


def test_feed_parses_and_every_item_links_to_a_built_notice(built_site):
    links = feed_links(built_site)
    assert links, "the feed has no items"
    for link in links:
        assert link.startswith(SITE_URL), link
        path = urlsplit(link).path
        assert path.startswith("/notices/"), link
        assert (built_site / path.lstrip("/") / "index.html").is_file(), link


def test_notices_page_links_the_feed(built_site):
    html = (built_site / "notices" / "index.html").read_text(encoding="utf-8")
    feeds = [e.attrs["href"] for e in scan.elements(html) if e.tag == "link"
             and e.attrs.get("rel") == "alternate" and e.attrs.get("type") == "application/rss+xml"]
    visible = [e.attrs["href"] for e in scan.elements(html) if e.tag == "a"  # in the page's <header>
               and e.attrs.get("type") == "application/rss+xml"]
    for href in feeds[:1] + visible:
        assert urljoin("/notices/", href) == f"/{FEED}", href
    assert feeds and visible
    assert (built_site / FEED).is_file()


# ------------------------------------------------------------------ expiry


@pytest.fixture(scope="module")
def builds(tmp_path_factory) -> SimpleNamespace:
    """The repository's site built twice: before the first notice ends (all current) and
    after the last one has ended."""
    found = {}
    for name, moment in (("before", ENDS[0] - timedelta(hours=1)), ("after", ENDS[-1] + timedelta(minutes=1))):
        out = tmp_path_factory.mktemp(name)
        result = build(ROOT, out, BUTLER_BUILD_TIME=moment.isoformat())
        assert result.returncode == 0, result.stdout + result.stderr
        found[name] = out
    return SimpleNamespace(**found)


def test_demo_has_outage_notices_that_end_after_others_begin():
    assert len(ENDS) >= 2 and WATER in {m["slug"] for m in META.values() if "expires" in m}


def test_a_current_notice_is_in_every_list_it_belongs_to_and_the_feed(builds):
    site = builds.before
    url = url_of(site, post_path(site, WATER))
    shown = {page.relative_to(site).as_posix() for page in list_pages(site) if url in listed(site, page)}
    year = META[WATER]["date"].year
    assert {"notices/category/outages/index.html", f"notices/archive/{year}/index.html"} <= shown
    assert any(p in shown for p in ("notices/index.html", "notices/page/2/index.html"))
    assert SITE_URL.rstrip("/") + url in feed_links(site)


def test_an_expired_notice_is_in_no_list_nor_the_feed(builds):
    site = builds.after
    for meta in META.values():
        url = url_of(site, post_path(site, meta["slug"]))
        lists = [page for page in list_pages(site) if url in listed(site, page)]
        in_feed = SITE_URL.rstrip("/") + url in feed_links(site)
        if "expires" in meta:
            assert not lists and not in_feed, f"{url} still listed in {lists} (feed: {in_feed})"
        else:
            assert lists and in_feed, f"current notice {url} is missing"


def test_an_expired_notice_page_stays_with_an_ended_note(builds):
    html = post_path(builds.after, WATER).read_text(encoding="utf-8")
    assert "已结束" in scan.article(html)
    before = post_path(builds.before, WATER).read_text(encoding="utf-8")
    assert "已结束" not in scan.article(before)


def test_lists_shrink_without_leaving_empty_pages(builds):
    count = len(META)
    assert count > 10 >= count - len(ENDS), "the demo should fill two pages before and one after"
    assert (builds.before / "notices" / "page" / "2" / "index.html").is_file()
    assert not (builds.after / "notices" / "page" / "2").exists()
    outages = (builds.after / "notices" / "category" / "outages" / "index.html").read_text(encoding="utf-8")
    assert "目前没有有效的通知" in heading(outages)


# ------------------------------------------------------------------ what fails the build


@pytest.mark.parametrize("line,reason", [
    ("expires: 下周三", "ISO 8601"),
    ("expires: 2026-12-02", "no time of day"),
    ("slug: 五号楼停水", "slug"),
])
def test_bad_notice_front_matter_fails_the_build(tmp_path, line, reason):
    root = copy_site(tmp_path / "copy")
    text = (root / POSTS / f"{WATER}.md").read_text(encoding="utf-8")
    key = line.split(":")[0]
    lines = [line if part.startswith(f"{key}:") else part for part in text.split("\n")]
    assert lines != text.split("\n")
    (root / POSTS / f"{WATER}.md").write_text("\n".join(lines), encoding="utf-8")
    result = build(root, tmp_path / "out")
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert f"{WATER}.md" in output and reason in output, output[-2000:]


def test_malformed_build_time_fails_the_build(tmp_path):
    result = build(ROOT, tmp_path / "out", BUTLER_BUILD_TIME="tomorrow")
    assert result.returncode != 0
    assert "BUTLER_BUILD_TIME" in result.stdout + result.stderr


# ------------------------------------------------------------------ the hook's parts


def test_times_without_offset_are_beijing_time():
    moment = notices.parse_time("2026-12-02T18:00", "x")
    assert moment == datetime.fromisoformat("2026-12-02T10:00:00+00:00")
    assert notices.local_text(moment) == "2026 年 12 月 2 日 18:00"


def test_build_time_comes_from_the_environment():
    assert notices.build_time({"BUTLER_BUILD_TIME": "2030-01-01T00:00:00+08:00"}).year == 2030
    assert abs(notices.build_time({}) - datetime.now().astimezone()) < timedelta(minutes=1)


def test_unknown_category_has_no_slug():
    assert notices.category_slug("停水停电通知") == "outages"
    with pytest.raises(PluginError, match="社区新闻"):
        notices.category_slug("社区新闻")


def test_ended_note_goes_under_the_title():
    out = notices._after_title("# 标题\n\n正文\n", "NOTE\n\n")
    assert out == "# 标题\n\nNOTE\n\n正文\n"


def test_scanner_ignores_canonical_and_alternate_links_only():
    html = ('<link rel="canonical" href="https://cuihu.example.com/x/">'
            '<link rel="alternate" type="application/rss+xml" href="https://cuihu.example.com/f.xml">'
            '<link rel="stylesheet alternate" href="https://cdn.example/x.css">'
            '<link href="https://cdn.example/y.css">')
    assert len(scan.third_party_html(html)) == 2


# ------------------------------------------------------------------ outages on the home page

POWER = "power-outage-buildings-1-2-2026-12"  # 12 月 8 日 08:00–12:00, buildings 1 and 2
BEIJING = "+08:00"


def home_outages(site: Path) -> list[tuple[str, str, str, str]]:
    """(state, title, times, link from the site root) of every notice the home page lists."""
    html = (site / "index.html").read_text(encoding="utf-8")
    found = []
    for e in scan.elements(html):
        if e.tag == "li" and "home-outage" in e.attrs.get("class", "").split():
            found.append({"notice": e.attrs["data-notice"]})
        elif found and e.inside("li", **{"data-notice": found[-1]["notice"]}):
            if e.tag == "a":
                found[-1].update(title=e.text.strip(), link=urljoin("/", e.attrs["href"]))
            elif e.tag == "span":
                found[-1][e.attrs["class"]] = e.text.strip()
    return [(f["home-outage__state"], f["title"], f["home-outage__when"], f["link"]) for f in found]


@pytest.fixture(scope="module")
def dated(tmp_path_factory) -> dict[str, Path]:
    """The repository's site built at three set moments around the 12 月 8 日 power cut
    (never at today's date)."""
    found = {}
    for name, moment in (("dec4", "2026-12-04T10:00:00"), ("during", "2026-12-08T09:30:00"),
                         ("ended", "2026-12-08T12:00:00")):
        out = tmp_path_factory.mktemp(name)
        result = build(ROOT, out, BUTLER_BUILD_TIME=moment + BEIJING)
        assert result.returncode == 0, result.stdout + result.stderr
        found[name] = out
    return found


def test_home_page_shows_the_coming_power_cut_and_not_the_ended_water_cut(dated):
    site = dated["dec4"]
    url = url_of(site, post_path(site, POWER))
    assert home_outages(site) == [("即将开始", "12 月 8 日 1 号楼、2 号楼计划停电", "12 月 8 日 08:00 至 12:00", url)]
    html = (site / "index.html").read_text(encoding="utf-8")
    # Near the top: before the quick actions, not below a pinned notice somewhere else.
    assert html.index('id="home-outages"') < html.index('class="quick-actions"')


def test_home_page_says_an_outage_is_on_while_it_lasts_and_drops_it_at_its_end(dated):
    assert [state for state, *_ in home_outages(dated["during"])] == ["正在进行"]
    assert home_outages(dated["ended"]) == []
    assert 'id="home-outages"' not in (dated["ended"] / "index.html").read_text(encoding="utf-8")


def test_home_page_lists_every_current_outage_soonest_first(builds):
    """Before the first outage ends, all three demo outages are current or coming."""
    listed_slugs = [link.rstrip("/").rsplit("/", 1)[-1] for *_, link in home_outages(builds.before)]
    outage_posts = sorted((m["starts"], m["slug"]) for m in META.values() if "停水停电通知" in m["categories"])
    assert listed_slugs == [slug for _, slug in outage_posts]
    assert home_outages(builds.after) == []


def _post(slug: str, categories: list[str], **meta) -> SimpleNamespace:
    return SimpleNamespace(meta=meta, markdown=f"# {slug} 的标题\n\n正文\n",
                           config=SimpleNamespace(categories=categories),
                           file=SimpleNamespace(src_uri=f"notices/posts/{slug}.md"))


def test_outages_are_the_outage_notices_not_yet_ended_soonest_first():
    now = notices.parse_time("2026-12-04T10:00", "now")
    posts = [
        _post("later", ["停水停电通知"], starts="2026-12-20T08:00", expires="2026-12-20T12:00"),
        _post("over", ["停水停电通知"], starts="2026-12-02T09:00", expires="2026-12-02T18:00"),
        _post("now", ["停水停电通知"], starts="2026-12-04T08:00", expires="2026-12-05T18:00"),
        _post("no-start", ["停水停电通知"], expires="2026-12-10T18:00"),
        _post("news", ["社区动态"], expires="2026-12-30T18:00"),
    ]
    found = notices.outages(posts, now)
    assert [o.src_uri.rsplit("/", 1)[-1] for o in found] == ["now.md", "no-start.md", "later.md"]
    assert [(o.state, o.when) for o in found] == [
        ("正在进行", "12 月 4 日 08:00 至 12 月 5 日 18:00"),
        ("正在进行", "至 12 月 10 日 18:00"),
        ("即将开始", "12 月 20 日 08:00 至 12:00"),
    ]
    assert found[0].title == "now 的标题"


@pytest.mark.parametrize("meta,reason", [
    ({}, "needs 'expires:'"),
    ({"starts": "2026-12-08T12:00", "expires": "2026-12-08T08:00"}, "is not before expires"),
    ({"starts": "明天", "expires": "2026-12-08T08:00"}, "ISO 8601"),
])
def test_an_outage_notice_must_say_when_it_ends(meta, reason):
    with pytest.raises(PluginError, match=re.escape(reason)):
        notices.outages([_post("bad", ["停水停电通知"], **meta)], notices.parse_time("2026-12-01T00:00", "now"))


def test_an_outage_notice_without_expires_fails_the_build(tmp_path):
    root = copy_site(tmp_path / "copy")
    path = root / POSTS / f"{POWER}.md"
    text = path.read_text(encoding="utf-8")
    lines = [line for line in text.split("\n") if not line.startswith(("expires:", "starts:"))]
    assert len(lines) == len(text.split("\n")) - 2
    path.write_text("\n".join(lines), encoding="utf-8")
    result = build(root, tmp_path / "out", BUTLER_BUILD_TIME="2026-12-04T10:00:00+08:00")
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert f"{POWER}.md" in output and "needs 'expires:'" in output, output[-2000:]
