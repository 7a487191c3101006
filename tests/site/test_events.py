"""The event calendar (社区活动): the events page, a page per event and the iCalendar feeds,
all generated from ``site/data/events.yml``.

What the pages and feeds should hold is worked out here from the YAML itself, with
``dateutil.rrule`` rather than ``site/events.py``'s own loop, and compared with what the
build wrote. The session build runs at the real time; a second build into a temporary
directory fixes ``BUTLER_BUILD_TIME`` at noon on 2027-01-01, the day before a calligraphy
week that is called off, so the coming-up list and the month tables have a known answer.
The ``*_can_fail`` tests feed the page checks a tampered page; a broken data file fails
the build."""
from __future__ import annotations

import calendar
import re
from datetime import date, datetime, timedelta
from pathlib import Path
from urllib.parse import urljoin, urlsplit
from zoneinfo import ZoneInfo

import icalendar
import pytest
import yaml
from dateutil.rrule import WEEKLY, rrule, rrulestr

from tests.site import scan
from tests.site.conftest import ROOT
from tests.site.test_survey_pages import DATA_DIR as SURVEY_DIR
from tests.site.test_survey_pages import build

EVENTS_FILE = ROOT / "site" / "data" / "events.yml"
TZ = ZoneInfo("Asia/Shanghai")
FIXED = datetime(2027, 1, 1, 12, 0, tzinfo=TZ)
FIXED_MONTHS = ((2027, 1), (2027, 2), (2027, 3))
LABELS = {"festival": "节日庆典", "family": "亲子活动", "sports": "文体比赛", "interest": "兴趣小组",
          "drill": "应急演练"}
VEVENT_PROPERTIES = ("UID", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY", "LOCATION", "DESCRIPTION", "URL",
                     "CATEGORIES")
HOST = "https://site.test"  # any origin: built links are resolved against it


# ------------------------------------------------------------------ expected, from the YAML


@pytest.fixture(scope="module")
def data() -> dict:
    return yaml.safe_load(EVENTS_FILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def site_url() -> str:
    return yaml.load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"), Loader=yaml.BaseLoader)["site_url"]


def local(value) -> datetime:
    return datetime.fromisoformat(str(value)).replace(tzinfo=TZ)


def expected_dates(event: dict) -> list[tuple[datetime, datetime]]:
    """(start, end) of every occurrence of one event of the YAML."""
    start, end = local(event["start"]), local(event["end"])
    if "weekly" not in event:
        return [(start, end)]
    weekly = event["weekly"]
    skipped = {date.fromisoformat(str(d)) for d in weekly.get("except", [])}
    last = datetime.combine(date.fromisoformat(str(weekly["until"])), start.timetz())
    return [(s, s + (end - start)) for s in rrule(WEEKLY, dtstart=start, until=last) if s.date() not in skipped]


def expected_occurrences(data: dict) -> list[tuple[datetime, str]]:
    """(start, slug) of every occurrence, soonest first."""
    return sorted((s, e["slug"]) for e in data["events"] for s, _ in expected_dates(e))


def expected_upcoming(data: dict, now: datetime) -> list[tuple[datetime, str]]:
    ends = {(s, e["slug"]): end for e in data["events"] for s, end in expected_dates(e)}
    return [o for o in expected_occurrences(data) if ends[o] > now][: data["upcoming"]]


# ------------------------------------------------------------------ reading the built pages


def _at(moment: str) -> datetime:
    return datetime.fromisoformat(moment)


def _slug(href: str, page_url: str) -> str:
    """The event slug a link on the page at ``page_url`` points to (events/<slug>/)."""
    match = re.fullmatch(r"/events/([a-z0-9-]+)/", urlsplit(urljoin(HOST + page_url, href)).path)
    assert match, f"{href} does not link an event page"
    return match.group(1)


def upcoming_on_page(html: str) -> list[tuple[datetime, str]]:
    """(start, slug) of every item of the coming-up list, in page order."""
    found = []
    for element in scan.elements(scan.article(html)):
        if element.tag == "li" and element.inside("ol", id="events-upcoming"):
            found.append([None, element.attrs.get("data-event")])
        elif element.tag == "time" and element.inside("ol", id="events-upcoming"):
            found[-1][0] = _at(element.attrs["datetime"])
        elif element.tag == "a" and element.inside("ol", id="events-upcoming"):
            assert _slug(element.attrs["href"], "/events/") == found[-1][1], element.attrs
    return [tuple(item) for item in found]


def upcoming_problems(html: str, data: dict, now: datetime) -> list[str]:
    shown = upcoming_on_page(html)
    problems = [f"{slug} at {start} is over at {now}" for start, slug in shown
                if all(end <= now for s, end in expected_dates(_event(data, slug)) if s == start)]
    if shown != sorted(shown):
        problems.append("the list is not in time order")
    if shown != expected_upcoming(data, now):
        problems.append(f"the list is {shown}, expected {expected_upcoming(data, now)}")
    return problems


def _event(data: dict, slug: str) -> dict:
    return next(e for e in data["events"] if e["slug"] == slug)


def month_problems(html: str, year: int, month: int, today: date, data: dict) -> list[str]:
    """What is wrong with the table of one month: headers, one cell per day in its weekday's
    column, rows of seven, today marked, and in each day cell exactly the occurrences that
    start that day, linked to their pages."""
    table_id = f"events-month-{year}-{month:02d}"
    table = [e for e in scan.elements(html) if e.inside("table", id=table_id) or e.attrs.get("id") == table_id]
    if not table:
        return [f"no table {table_id}"]
    problems = []
    captions = [e.text for e in table if e.tag == "caption"]
    if captions != [f"{year} 年 {month} 月"]:
        problems.append(f"caption {captions}")
    headers = [(e.text, e.attrs.get("scope")) for e in table if e.tag == "th"]
    if headers != [(d, "col") for d in "一二三四五六日"]:
        problems.append(f"weekday headers {headers}")
    days = []
    for r, row in enumerate(scan.rows(html, table_id)):
        if len(row.cells) != 7:
            problems.append(f"row {r} has {len(row.cells)} cells")
        for c, cell in enumerate(row.cells):
            if "data-date" in cell.attrs:
                day = date.fromisoformat(cell.attrs["data-date"])
                days.append(day)
                if day.weekday() != c:
                    problems.append(f"{day} is in column {c + 1}, it is a 周{'一二三四五六日'[day.weekday()]}")
                if (cell.attrs.get("aria-current") == "date") != (day == today):
                    problems.append(f"{day}: aria-current {cell.attrs.get('aria-current')!r}, today is {today}")
    length = calendar.monthrange(year, month)[1]
    if days != [date(year, month, d) for d in range(1, length + 1)]:
        problems.append(f"{len(days)} day cells, not the {length} days of {year}-{month:02d} in order")
    shown: dict[str, set] = {}
    for e in table:
        if e.tag == "a":
            cell = next(a for t, a in e.ancestors if t == "td")
            shown.setdefault(cell["data-date"], set()).add(("link", _slug(e.attrs["href"], "/events/")))
            clock = re.match(r"\s*(\d\d):(\d\d) ", e.text)
            if clock:
                day = date.fromisoformat(cell["data-date"])
                shown[cell["data-date"]].add(("time", datetime(day.year, day.month, day.day, int(clock[1]),
                                                               int(clock[2]), tzinfo=TZ)))
    expected: dict[str, set] = {}
    for start, slug in expected_occurrences(data):
        if (start.year, start.month) == (year, month):
            expected.setdefault(start.date().isoformat(), set()).update({("link", slug), ("time", start)})
    if shown != expected:
        problems.append(f"day cells hold {sorted(shown.items())}, expected {sorted(expected.items())}")
    return problems


def article_times(html: str) -> list[datetime]:
    return [_at(e.attrs["datetime"]) for e in scan.elements(scan.article(html)) if e.tag == "time"]


# ------------------------------------------------------------------ builds


@pytest.fixture(scope="module")
def fixed_site(tmp_path_factory) -> Path:
    """The site built as if it were noon on 2027-01-01 in Shanghai."""
    out = tmp_path_factory.mktemp("events-fixed")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("BUTLER_BUILD_TIME", FIXED.isoformat())
        result = build(out, SURVEY_DIR)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    return out


def read(site: Path, path: str) -> str:
    return (site / path).read_text(encoding="utf-8")


def feed(site: Path, path: str) -> icalendar.Calendar:
    return icalendar.Calendar.from_ical((site / path).read_bytes())


# ------------------------------------------------------------------ pages


def test_every_event_has_a_page(built_site, data, community):
    assert len(data["events"]) >= 15
    for event in data["events"]:
        html = read(built_site, f"events/{event['slug']}/index.html")
        body = scan.article(html)
        headings = [e.text for e in scan.elements(body) if e.tag == "h1"]
        assert headings == [event["title"]], event["slug"]
        for text in (event["place"], LABELS[event["category"]]):
            assert text in body, (event["slug"], text)
        ics = [e.attrs["href"] for e in scan.elements(body) if e.tag == "a" and e.attrs.get("id") == "event-ics"]
        assert ics == [f"{event['slug']}.ics"], event["slug"]
        assert (built_site / "events" / event["slug"] / ics[0]).is_file()
        calls = [e.attrs["href"] for e in scan.elements(body) if e.tag == "a" and e.attrs["href"].startswith("tel:")]
        phone = event.get("registration", {}).get("phone")
        assert calls == ([f"tel:{community['phones'][phone]['dial']}"] if phone else []), event["slug"]


def test_event_pages_show_every_date_and_the_rule_in_words(built_site, data):
    for event in data["events"]:
        html = read(built_site, f"events/{event['slug']}/index.html")
        assert article_times(html) == [s for s, _ in expected_dates(event)], event["slug"]
        if "weekly" in event:
            start = local(event["start"])
            assert f"每周{'一二三四五六日'[start.weekday()]} {start:%H:%M}" in scan.article(html)
            for day in event["weekly"].get("except", []):
                day = date.fromisoformat(str(day))
                assert f"{day.year} 年 {day.month} 月 {day.day} 日" in scan.article(html), (event["slug"], day)


def test_upcoming_list_at_a_fixed_time(fixed_site, data):
    html = read(fixed_site, "events/index.html")
    assert upcoming_problems(html, data, FIXED) == []
    shown = upcoming_on_page(html)
    assert len(shown) == data["upcoming"]
    called_off = (datetime(2027, 1, 2, 9, 30, tzinfo=TZ), "calligraphy-group")
    assert called_off not in shown  # an exception date of the weekly group, the day after FIXED
    assert (datetime(2027, 1, 9, 9, 30, tzinfo=TZ), "calligraphy-group") in shown
    assert all(start >= FIXED for start, _ in shown)


def test_upcoming_list_now(built_site, data):
    html = read(built_site, "events/index.html")
    shown = upcoming_on_page(html)
    assert shown == sorted(shown) and set(shown) <= set(expected_occurrences(data))
    # Built moments ago: nothing that ended an hour before the test started may be listed.
    ends = {(s, e["slug"]): end for e in data["events"] for s, end in expected_dates(e)}
    assert all(ends[o] > datetime.now(TZ) - timedelta(hours=1) for o in shown)


@pytest.mark.parametrize("year,month", FIXED_MONTHS)
def test_month_tables_at_a_fixed_time(fixed_site, data, year, month):
    assert month_problems(read(fixed_site, "events/index.html"), year, month, FIXED.date(), data) == []


def test_month_tables_show_three_months_and_one_today(fixed_site):
    html = read(fixed_site, "events/index.html")
    tables = [e.attrs.get("id") for e in scan.elements(html) if e.tag == "table"]
    assert tables == [f"events-month-{y}-{m:02d}" for y, m in FIXED_MONTHS]
    current = [e.attrs["data-date"] for e in scan.elements(html) if e.attrs.get("aria-current") == "date"]
    assert current == ["2027-01-01"]


def test_month_table_of_a_known_month(fixed_site):
    # February 2027 starts on a Monday and has 28 days: four full rows, nothing to pad.
    rows = scan.rows(read(fixed_site, "events/index.html"), "events-month-2027-02")
    assert [[c.attrs.get("data-date") for c in row.cells] for row in rows] == [
        [f"2027-02-{d:02d}" for d in range(week * 7 + 1, week * 7 + 8)] for week in range(4)]
    # March 2027 starts on a Monday too and ends on a Wednesday: five rows, four empty cells.
    rows = scan.rows(read(fixed_site, "events/index.html"), "events-month-2027-03")
    assert len(rows) == 5 and [c.attrs.get("data-date") for c in rows[-1].cells] == [
        "2027-03-29", "2027-03-30", "2027-03-31", None, None, None, None]


def test_month_tables_now(built_site, data):
    today = datetime.now(TZ).date()
    html = read(built_site, "events/index.html")
    year, month = today.year, today.month
    assert month_problems(html, year, month, today, data) == []


def test_events_page_links_resolve(built_site):
    html = read(built_site, "events/index.html")
    hrefs = [e.attrs["href"] for e in scan.elements(scan.article(html)) if e.tag == "a"]
    assert hrefs
    for href in hrefs:
        path = urlsplit(urljoin(HOST + "/events/", href)).path.lstrip("/")
        target = built_site / path / "index.html" if path.endswith("/") or not path else built_site / path
        assert target.is_file(), href


def test_events_page_offers_every_feed_with_its_address(built_site, site_url):
    body = scan.article(read(built_site, "events/index.html"))
    feeds = {e.attrs["href"] for e in scan.elements(body) if e.tag == "a" and e.attrs["href"].endswith(".ics")}
    assert feeds == {"all.ics", *(f"{code}.ics" for code in LABELS)}
    for name in feeds:
        assert f"<code>{site_url}events/{name}</code>" in body
    assert "iPhone" in body and "安卓" in body


def test_nav_and_home_link_the_events_page(page_html):
    nav = [e for e in scan.elements(page_html("home")) if e.tag == "a" and e.text.strip() == "社区活动"]
    assert any(a.attrs["href"] in ("events/", "./events/") for a in nav)
    assert 'href="events/"' in scan.article(page_html("home"))


# ------------------------------------------------------------------ the page checks can fail


def test_upcoming_check_can_fail(fixed_site, data):
    html = read(fixed_site, "events/index.html")
    items = re.findall(r"<li class=\"event-item.*?</li>", html)
    swapped = html.replace(items[0], "@@").replace(items[1], items[0]).replace("@@", items[1])
    assert upcoming_problems(swapped, data, FIXED) != []
    assert upcoming_problems(html, data, FIXED - timedelta(days=7)) != []  # a week earlier: more to show


def test_month_check_can_fail(fixed_site, data):
    html = read(fixed_site, "events/index.html")
    assert month_problems(html, 2027, 1, FIXED.date() + timedelta(days=1), data) != []  # wrong today
    cut = re.sub(r'<td class="events-calendar__day" data-date="2027-03-31">.*?</td>',
                 '<td class="events-calendar__pad"></td>', html)
    assert any("day cells" in p for p in month_problems(cut, 2027, 3, FIXED.date(), data))
    moved = html.replace('data-date="2027-01-09"', 'data-date="2027-01-10"')
    assert month_problems(moved, 2027, 1, FIXED.date(), data) != []


# ------------------------------------------------------------------ feeds


def _vevents(cal: icalendar.Calendar) -> list:
    return list(cal.walk("VEVENT"))


def _uids(cal: icalendar.Calendar) -> set[str]:
    return {str(v["UID"]) for v in _vevents(cal)}


def _feeds(data: dict) -> list[str]:
    return ["events/all.ics", *(f"events/{c}.ics" for c in LABELS),
            *(f"events/{e['slug']}/{e['slug']}.ics" for e in data["events"])]


def test_feeds_are_valid_calendars(built_site, data, site_url):
    for path in _feeds(data):
        raw = (built_site / path).read_bytes()
        assert raw.startswith(b"BEGIN:VCALENDAR\r\n") and raw.endswith(b"END:VCALENDAR\r\n"), path
        cal = feed(built_site, path)
        assert str(cal["VERSION"]) == "2.0" and str(cal["CALSCALE"]) == "GREGORIAN", path
        assert str(cal["METHOD"]) == "PUBLISH" and str(cal["PRODID"]), path
        assert str(cal["X-WR-CALNAME"]) and str(cal["X-WR-TIMEZONE"]) == "Asia/Shanghai", path
        assert [str(t["TZID"]) for t in cal.walk("VTIMEZONE")] == ["Asia/Shanghai"], path
        for vevent in _vevents(cal):
            missing = [p for p in VEVENT_PROPERTIES if p not in vevent]
            assert not missing, (path, vevent.get("UID"), missing)
            for key in ("DTSTART", "DTEND"):
                assert vevent[key].params.get("TZID") == "Asia/Shanghai", (path, key)
            slug = str(vevent["UID"]).split("@")[0]
            assert str(vevent["UID"]) == f"{slug}@{urlsplit(site_url).hostname}"
            assert str(vevent["URL"]) == f"{site_url}events/{slug}/"
            assert (built_site / "events" / slug / "index.html").is_file()


def test_feeds_hold_the_events_of_the_data(built_site, data, site_url):
    host = urlsplit(site_url).hostname
    by_uid = {f"{e['slug']}@{host}": e for e in data["events"]}
    cal = feed(built_site, "events/all.ics")
    assert _uids(cal) == set(by_uid) and len(_vevents(cal)) == len(by_uid)
    for vevent in _vevents(cal):
        event = by_uid[str(vevent["UID"])]
        assert str(vevent["SUMMARY"]) == event["title"] and str(vevent["LOCATION"]) == event["place"]
        assert vevent.decoded("DTSTART") == local(event["start"]) and vevent.decoded("DTEND") == local(event["end"])
        assert [str(c) for c in vevent["CATEGORIES"].cats] == [LABELS[event["category"]]]
        assert ("RRULE" in vevent) == ("weekly" in event)
    for event in data["events"]:
        single = feed(built_site, f"events/{event['slug']}/{event['slug']}.ics")
        assert _uids(single) == {f"{event['slug']}@{host}"}


@pytest.mark.parametrize("code", sorted(LABELS))
def test_category_feeds_hold_exactly_their_category(built_site, data, site_url, code):
    host = urlsplit(site_url).hostname
    cal = feed(built_site, f"events/{code}.ics")
    assert _uids(cal) == {f"{e['slug']}@{host}" for e in data["events"] if e["category"] == code}
    assert _uids(cal), f"no demo event in category {code}"
    assert LABELS[code] in str(cal["X-WR-CALNAME"])


def _expand(vevent) -> list[datetime]:
    """The starts a calendar app computes: DTSTART, expanded by RRULE, minus EXDATE."""
    start = vevent.decoded("DTSTART")
    if "RRULE" not in vevent:
        return [start]
    exdates = vevent.get("EXDATE", [])
    skipped = {d.dt for group in (exdates if isinstance(exdates, list) else [exdates]) for d in group.dts}
    rule = rrulestr(vevent["RRULE"].to_ical().decode(), dtstart=start)
    assert vevent["RRULE"]["UNTIL"][0].tzinfo is not None  # UNTIL in UTC with a TZID start
    return [s for s in rule if s not in skipped]


def test_recurrence_expands_to_the_dates_on_the_page(built_site, data):
    weekly = 0
    for vevent in _vevents(feed(built_site, "events/all.ics")):
        slug = str(vevent["UID"]).split("@")[0]
        page = read(built_site, f"events/{slug}/index.html")
        assert _expand(vevent) == article_times(page), slug
        weekly += "RRULE" in vevent
    assert weekly >= 3  # the calligraphy, painting and photography groups


def test_uids_are_stable_across_builds(built_site, fixed_site):
    def uids(site):
        return {str(v["URL"]): str(v["UID"]) for v in _vevents(feed(site, "events/all.ics"))}

    def stamps(site):
        return {v.decoded("DTSTAMP") for v in _vevents(feed(site, "events/all.ics"))}

    assert uids(built_site) == uids(fixed_site)
    assert stamps(fixed_site) == {FIXED}  # the builds did differ: DTSTAMP is the build time
    assert stamps(built_site) != stamps(fixed_site)


# ------------------------------------------------------------------ broken data


def _write(tmp_path: Path, change) -> Path:
    data = yaml.safe_load(EVENTS_FILE.read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / "events.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _set(slug: str, key: str, value):
    """A change to one event of the data; ``key`` may be dotted (``weekly.until``)."""
    def change(data: dict) -> None:
        *parents, name = key.split(".")
        target = _event(data, slug)
        for parent in parents:
            target = target[parent]
        target[name] = value
    return change


BROKEN = {
    "unknown category": (_set("fire-drill", "category", "sport"), r"fire-drill\): unknown category 'sport'"),
    "end before start": (_set("fire-drill", "end", "2026-12-05 09:00"),
                         r"end 2026-12-05 09:00 is not after start 2026-12-05 09:30"),
    "bad date": (_set("fire-drill", "start", "2026-13-05 09:30"), r"start '2026-13-05 09:30' is not a date"),
    "date without a time": (_set("fire-drill", "start", "2026-12-05"), r"is not a date and time"),
    "bad until": (_set("calligraphy-group", "weekly.until", "2027-02-30"), r"weekly\.until '2027-02-30' is not a date"),
    "exception not a weekly date": (_set("calligraphy-group", "weekly.except", ["2027-01-03"]),
                                    r"weekly\.except 2027-01-03 is not one of its dates"),
    "unknown phone": (_set("fire-drill", "registration.phone", "office"),
                      r"registration\.phone 'office' is not a phone"),
    "slug twice": (_set("chess-tournament", "slug", "fire-drill"), r"slugs used twice: \['fire-drill'\]"),
    "typo in a key": (_set("fire-drill", "palce", "东门"), r"unknown keys \['palce'\]"),
    "missing place": (lambda d: _event(d, "fire-drill").pop("place"), r"missing \['place'\]"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_hook_refuses_broken_events(hooks, tmp_path, community, case):
    from mkdocs.exceptions import PluginError

    change, message = BROKEN[case]
    path = _write(tmp_path, change)
    with pytest.raises(PluginError, match=message):
        hooks.load_events(path, community["phones"])


def test_hook_accepts_the_demo_events(hooks, community, data):
    loaded = hooks.load_events(EVENTS_FILE, community["phones"])
    assert [e.slug for e in loaded.events] == [e["slug"] for e in data["events"]]


def test_hook_refuses_a_bad_build_time(hooks, monkeypatch):
    from mkdocs.exceptions import PluginError

    monkeypatch.setenv("BUTLER_BUILD_TIME", "next tuesday")
    with pytest.raises(PluginError, match="BUTLER_BUILD_TIME"):
        hooks._build_time()


def test_a_broken_events_file_fails_the_build(tmp_path):
    change, message = BROKEN["unknown category"]
    path = _write(tmp_path, change)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("BUTLER_EVENTS_DATA", str(path))
        result = build(tmp_path / "site", SURVEY_DIR)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert re.search(message, output) and str(path) in output, output[-2000:]
    assert not (tmp_path / "site" / "events" / "all.ics").exists()
