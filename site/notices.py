"""MkDocs hook: the bulletin board (公告栏) on Material's blog plugin.

Registered as its own hook in ``mkdocs.yml`` (after ``site/hooks.py``). The blog plugin
(``blog_dir: notices``) does the lists, categories, archive and pagination; this hook adds
what it lacks:

ASCII URLs
    every post must set ``slug:`` (lowercase ASCII words joined by ``-``); category pages
    take their slugs from ``CATEGORY_SLUGS``, which is also the list of allowed categories
    (a post naming another category fails the build).
Expiring notices
    a post may set ``expires:`` (ISO 8601, e.g. ``2026-12-02T18:00:00+08:00``; without an
    offset the time is Beijing time). From that moment on, at the next build, the notice is
    left out of every list (blog index, category and archive pages with their pagination),
    of the RSS feed and of the search index; its own page stays reachable with an "已结束"
    note on top. "Now" is the build time, or ``BUTLER_BUILD_TIME`` (ISO 8601) when set, so
    the site must be rebuilt at least daily for expiry to take effect. A malformed value
    fails the build.
Outage notices on the home page
    a notice of the category ``停水停电通知`` must set ``expires:`` (when water, power or gas
    is back) and may set ``starts:`` (when it goes off, the same format). Until it ends, the
    home page lists it with its times, "正在进行" once ``starts`` has passed, "即将开始"
    before: ``outages(posts, now)`` picks them, soonest first, and ``site/hooks.py`` gives
    the home page ``outage_notices()``. Like expiry, this is decided at build time.

Pinned notices are the blog plugin's own ``pin: true`` (sorted first in every list).
"""
from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from urllib.parse import urljoin
from zoneinfo import ZoneInfo

import yaml
from material.plugins.blog.structure import Archive, Category, View
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import InclusionLevel

# Category names as residents read them -> the ASCII slug of the category page's URL.
CATEGORY_SLUGS = {
    "社区动态": "community",
    "政策法规": "policies",
    "生活常识": "tips",
    "停水停电通知": "outages",
}
OUTAGE_CATEGORY = "停水停电通知"  # its notices say when the outage ends, and go on the home page
BUILD_TIME_ENV = "BUTLER_BUILD_TIME"
ZONE = ZoneInfo("Asia/Shanghai")  # the estate's clock: times without an offset are local
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
BLOG_PLUGIN = "material/blog"
RSS_PLUGIN = "rss"
COMMUNITY_FILE = Path(__file__).resolve().parent / "data" / "community.yml"
FEED_DESCRIPTION = "物业公告：停水停电通知、小区动态、政策法规、生活常识"

_state: dict = {}


# --------------------------------------------------------------------------- pure parts


def parse_time(value, where: str) -> datetime:
    """An ISO 8601 date-time (string, or the datetime YAML already made of it) as an aware
    datetime; local (Beijing) time when it has no offset. A bare date is refused: a notice
    ends at a time of day."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            value = None
    if not isinstance(value, datetime):  # None, a date, a number, a list ...
        raise PluginError(f"{where}: {value!r} is not a date and time; write it in ISO 8601 "
                          "like 2026-12-02T18:00:00+08:00 (date, 'T', time, optional offset)")
    return value if value.tzinfo else value.replace(tzinfo=ZONE)


def build_time(environ=os.environ) -> datetime:
    """'Now' for expiry: ``BUTLER_BUILD_TIME`` when set, else the clock."""
    raw = environ.get(BUILD_TIME_ENV)
    if not raw:
        return datetime.now(ZONE)
    return parse_time(raw, BUILD_TIME_ENV)


def expires_at(meta: dict, where: str) -> datetime | None:
    """The ``expires:`` of a post's front matter, checked; None when the notice never ends."""
    if "expires" not in meta:
        return None
    value = meta["expires"]
    if isinstance(value, date) and not isinstance(value, datetime):
        raise PluginError(f"{where}: expires: {value} has no time of day; write when the notice "
                          f"ends, like {value}T18:00:00+08:00")
    return parse_time(value, f"{where}: expires")


def starts_at(meta: dict, where: str, end: datetime | None) -> datetime | None:
    """The ``starts:`` of a post's front matter (when the outage begins), checked against its end."""
    if "starts" not in meta:
        return None
    start = parse_time(meta["starts"], f"{where}: starts")
    if end is not None and start >= end:
        raise PluginError(f"{where}: starts: {start.isoformat()} is not before expires: {end.isoformat()}")
    return start


@dataclass(frozen=True)
class Outage:
    """A current or coming outage notice, as the home page lists it."""

    src_uri: str  # the post's Markdown file under docs_dir, for a link to it
    title: str
    starts: datetime | None
    ends: datetime
    ongoing: bool  # started (or no start given) at the build time

    @property
    def when(self) -> str:
        """``12 月 8 日 08:00 至 12:00`` in Beijing time; ``至 12 月 2 日 18:00`` without a start."""
        end = self.ends.astimezone(ZONE)
        end_day = f"{end.month} 月 {end.day} 日"
        if self.starts is None:
            return f"至 {end_day} {end:%H:%M}"
        start = self.starts.astimezone(ZONE)
        start_text = f"{start.month} 月 {start.day} 日 {start:%H:%M}"
        same_day = start.date() == end.date()
        return f"{start_text} 至 {'' if same_day else end_day + ' '}{end:%H:%M}"

    @property
    def state(self) -> str:
        return "正在进行" if self.ongoing else "即将开始"


def post_title(post) -> str:
    """A post's title: ``title:`` in its front matter, else its first ``# `` heading."""
    if post.meta.get("title"):
        return str(post.meta["title"])
    for line in post.markdown.splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    raise PluginError(f"{_src(post)}: a notice needs a title ('# ' heading or 'title:')")


def outages(posts, now: datetime) -> list[Outage]:
    """The outage notices among ``posts`` (the blog plugin's) that have not ended at ``now``,
    the soonest first."""
    found = []
    for post in posts:
        if OUTAGE_CATEGORY not in (post.config.categories or []):
            continue
        where = _src(post)
        end = expires_at(post.meta, where)
        if end is None:
            raise PluginError(f"{where}: a {OUTAGE_CATEGORY} notice needs 'expires:' (when the outage "
                              "ends), or it would stay on the home page for ever")
        start = starts_at(post.meta, where, end)
        if end <= now:
            continue
        found.append(Outage(post.file.src_uri, post_title(post), start, end, start is None or start <= now))
    return sorted(found, key=lambda o: (o.starts or o.ends, o.ends))


def category_slug(name: str, separator: str = "-") -> str:
    """The blog plugin's ``categories_slugify``: a fixed ASCII slug per allowed category."""
    try:
        return CATEGORY_SLUGS[name]
    except KeyError:
        raise PluginError(f"unknown notice category {name!r}; the categories are "
                          f"{list(CATEGORY_SLUGS)} (site/notices.py)") from None


def local_text(moment: datetime) -> str:
    """``2026 年 12 月 2 日 18:00`` in Beijing time."""
    moment = moment.astimezone(ZONE)
    return f"{moment.year} 年 {moment.month} 月 {moment.day} 日 {moment:%H:%M}"


def ended_note(moment: datetime) -> str:
    return ('!!! note "已结束"\n\n'
            f"    本通知所说的事项已于 {local_text(moment)} 结束，通知已从公告列表撤下，这里仅保留备查。\n\n")


def _after_title(markdown: str, block: str) -> str:
    """``block`` inserted after the page's first-line ``# title`` (or on top without one)."""
    head, newline, rest = markdown.partition("\n")
    if head.startswith("# "):
        return f"{head}\n\n{block}{rest.lstrip(chr(10))}"
    return block + markdown


# --------------------------------------------------------------------------- events


def _blog(config):
    plugin = config.plugins.get(BLOG_PLUGIN)
    if plugin is None:
        raise PluginError(f"site/notices.py needs the {BLOG_PLUGIN} plugin in mkdocs.yml")
    return plugin


@event_priority(10)  # before the RSS plugin reads its settings
def on_config(config, **kwargs):
    _state["now"] = build_time()
    _state["expired"] = {}
    blog = _blog(config)
    # Set here rather than in mkdocs.yml, which stays free of !!python tags.
    blog.config.categories_slugify = category_slug
    blog.config.categories_allowed = list(CATEGORY_SLUGS)
    rss = config.plugins.get(RSS_PLUGIN)
    if rss is not None:
        # The feed says whose notices these are, from the same file as the pages.
        community = yaml.safe_load(COMMUNITY_FILE.read_text(encoding="utf-8"))
        rss.config.feed_title = rss.config.feed_title or f"{community['short_name']}公告"
        rss.config.feed_description = rss.config.feed_description or FEED_DESCRIPTION
        if not rss.config.image and config.site_url:
            rss.config.image = urljoin(config.site_url, config.theme["favicon"])  # else <url>None</url>
    return config


def _src(post) -> str:
    return f"site/content/{post.file.src_uri}"


def _check_slug(post) -> None:
    slug = post.config.slug
    if not isinstance(slug, str) or not SLUG.match(slug):
        raise PluginError(f"{_src(post)}: set 'slug:' to lowercase ASCII words joined by '-' "
                          f"(e.g. water-outage-building-5), found {slug!r}")


def _per_page(plugin, view) -> int | None:
    """Posts per page of a view as the blog plugin paginates it; None without pagination."""
    prefix = {Archive: "archive", Category: "categories"}.get(type(view))
    enabled = plugin.config.get(f"{prefix}_pagination") if prefix else None
    if not (plugin.config.pagination if enabled is None else enabled):
        return None
    per_page = plugin.config.get(f"{prefix}_pagination_per_page") if prefix else None
    return per_page or plugin.config.pagination_per_page


def _prune(view, gone: set[str], per_page: int | None, files) -> bool:
    """Drop expired posts from a view and its paginated copies (which share its list of
    posts); False when none is left."""
    view.posts[:] = [p for p in view.posts if p.file.src_uri not in gone]
    if per_page and view.pages:
        keep = max(1, math.ceil(len(view.posts) / per_page))
        for page in view.pages[keep:]:
            files.remove(page.file)
        del view.pages[keep:]
    return bool(view.posts)


@event_priority(-60)  # after the blog plugin (-50) has read the posts and made its views
def on_files(files, config, **kwargs):
    plugin = _blog(config)
    now, expired = _state["now"], _state["expired"]
    outages(plugin.blog.posts, now)  # checks every outage notice's expires and starts
    for post in plugin.blog.posts:
        _check_slug(post)
        end = expires_at(post.meta, _src(post))
        starts_at(post.meta, _src(post), end)
        if end is not None and end <= now:
            expired[post.file.src_uri] = (post, end)
    if not expired:
        return files
    for post, _ in expired.values():
        post.file.inclusion = InclusionLevel.NOT_IN_NAV  # still built, listed nowhere
        post.meta["draft"] = True                         # mkdocs-rss-plugin skips drafts
        post.meta["search"] = {"exclude": True}           # Material's search skips these
    for view in [plugin.blog, *plugin.blog.views]:
        if not _prune(view, set(expired), _per_page(plugin, view), files) and isinstance(view, Archive):
            plugin.blog.views.remove(view)  # a year without a current notice gets no page
            files.remove(view.file)
    return files


@event_priority(-60)  # after the blog plugin has linked its current posts to the index
def on_nav(nav, config, files, **kwargs):
    index = _blog(config).blog
    for post, _ in _state["expired"].values():
        post.parent = index  # the post page's "back" link
    return nav


def on_page_markdown(markdown, page, **kwargs):
    expired = _state.get("expired", {}).get(page.file.src_uri)
    if expired is not None:
        return _after_title(markdown, ended_note(expired[1]))
    if isinstance(page, View) and not page.posts:  # a list whose notices have all ended
        return markdown.rstrip("\n") + "\n\n目前没有有效的通知。\n"
    return markdown
