"""The community event calendar (社区活动): events kept as data, their occurrences, the
pages that list them and the iCalendar feeds phones subscribe to.

Pure: no file or network access. The hook (``site/hooks.py``) reads
``site/data/events.yml``, hands the parsed YAML to ``parse`` and publishes what the
functions here return:

* ``parse``: the data checked into a ``Calendar`` (``EventDataError`` names the event and
  the reason for anything wrong: an unknown key or category, a bad date, an end before
  its start, an exception date that is not one of the weekly dates, an unknown phone);
* ``Event.occurrences``: the dates an event takes place on (a weekly event once a week
  from ``start`` until ``weekly.until``, minus ``weekly.except``), in local time;
* ``upcoming_html`` / ``month_html``: the list of what comes next and one month as a
  ``<table>`` calendar, readable without JavaScript;
* ``event_markdown``: the page of one event;
* ``feed``: an RFC 5545 calendar (one VEVENT per event, a weekly event as one VEVENT with
  RRULE and EXDATE, times with TZID=Asia/Shanghai, the UID ``<slug>@<site host>`` so it
  is the same in every build).

Every time is an aware ``datetime`` in Asia/Shanghai.
"""
from __future__ import annotations

import calendar as gregorian
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from html import escape
from typing import NamedTuple
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import icalendar

TZ_NAME = "Asia/Shanghai"
TZ = ZoneInfo(TZ_NAME)
WEEK = timedelta(days=7)
WEEKDAYS = "一二三四五六日"  # Monday first, as Chinese calendars print them
MONTHS_SHOWN = 3  # the month view: the build's month and the two after it
PRODID = "-//Butler community site//Event calendar//ZH"
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
CJK_BREAK = re.compile(r"(?<=[^\x00-\x7f])\s+(?=[^\x00-\x7f])")


@dataclass(frozen=True)
class Category:
    code: str  # also the name of its feed: /events/<code>.ics
    label: str


CATEGORIES = (
    Category("festival", "节日庆典"),
    Category("family", "亲子活动"),
    Category("sports", "文体比赛"),
    Category("interest", "兴趣小组"),
    Category("drill", "应急演练"),
)
CATEGORY_BY_CODE = {c.code: c for c in CATEGORIES}


class EventDataError(ValueError):
    """The events data is wrong; the message says where and why."""


@dataclass(frozen=True)
class Weekly:
    until: date  # the date of the last week
    exceptions: tuple[date, ...] = ()


@dataclass(frozen=True)
class Registration:
    note: str
    phone: str | None = None  # a key of community.yml's phones
    phone_display: str | None = None  # the number as printed, for the feeds


@dataclass(frozen=True)
class Event:
    slug: str
    title: str
    category: Category
    start: datetime
    end: datetime
    place: str
    description: str
    weekly: Weekly | None = None
    registration: Registration | None = None

    def occurrences(self) -> tuple[Occurrence, ...]:
        if self.weekly is None:
            return (Occurrence(self, self.start, self.end),)
        length = self.end - self.start
        found, start = [], self.start
        while start.date() <= self.weekly.until:
            if start.date() not in self.weekly.exceptions:
                found.append(Occurrence(self, start, start + length))
            start += WEEK
        return tuple(found)


class Occurrence(NamedTuple):
    """One date an event takes place on."""
    event: Event
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Feed:
    path: str  # under the site root, e.g. events/all.ics
    name: str  # X-WR-CALNAME
    events: tuple[Event, ...]


@dataclass(frozen=True)
class Calendar:
    upcoming: int  # occurrences in the "coming up" list
    events: tuple[Event, ...]

    def occurrences(self) -> list[Occurrence]:
        """Every occurrence of every event, soonest first."""
        return sorted((o for e in self.events for o in e.occurrences()), key=lambda o: (o.start, o.event.slug))

    def upcoming_after(self, now: datetime) -> list[Occurrence]:
        """The next ``upcoming`` occurrences not over at ``now`` (one under way is listed)."""
        return [o for o in self.occurrences() if o.end > now][: self.upcoming]

    def feeds(self, calendar_name: str) -> list[Feed]:
        """All events, then one feed per category (published even while empty, so a
        subscription never breaks)."""
        return [Feed("events/all.ics", f"{calendar_name}社区活动", self.events)] + [
            Feed(f"events/{c.code}.ics", f"{calendar_name}社区活动·{c.label}",
                 tuple(e for e in self.events if e.category == c)) for c in CATEGORIES]


# --------------------------------------------------------------------------- reading the data

TOP_KEYS = ("upcoming", "events")
EVENT_KEYS = ("slug", "title", "category", "start", "end", "place", "description", "weekly", "registration")
REQUIRED = EVENT_KEYS[:7]


def _unknown(where: str, found: Mapping, allowed: Iterable[str]) -> None:
    unknown = [str(k) for k in found if k not in allowed]
    if unknown:
        raise EventDataError(f"{where}: unknown keys {unknown} (allowed: {', '.join(allowed)})")


def _text(entry: Mapping, key: str, where: str) -> str:
    """Stripped text; a line break between two Chinese characters (a folded YAML line)
    is dropped rather than read as a space."""
    value = entry.get(key)
    if not isinstance(value, str) or not value.strip():
        raise EventDataError(f"{where}: {key} must be some text")
    return CJK_BREAK.sub("", value.strip())


def _moment(value, where: str) -> datetime:
    """A local date and time: '2026-12-05 09:30' (or a YAML timestamp)."""
    if isinstance(value, str) and len(value.strip()) > 10:
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            pass
    if not isinstance(value, datetime):
        raise EventDataError(f"{where} {value!r} is not a date and time (write it like 2026-12-05 09:30)")
    return value.replace(tzinfo=TZ) if value.tzinfo is None else value.astimezone(TZ)


def _date(value, where: str) -> date:
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value.strip())
        except ValueError:
            pass
    if not isinstance(value, date) or isinstance(value, datetime):
        raise EventDataError(f"{where} {value!r} is not a date (write it like 2027-01-30)")
    return value


def _weekly(value, start: datetime, where: str) -> Weekly:
    if not isinstance(value, Mapping) or "until" not in value:
        raise EventDataError(f"{where}.weekly needs until: the date of the last week")
    _unknown(f"{where}.weekly", value, ("until", "except"))
    until = _date(value["until"], f"{where}.weekly.until")
    if until < start.date():
        raise EventDataError(f"{where}.weekly.until {until} is before the first date {start.date()}")
    exceptions = value.get("except") or []
    if not isinstance(exceptions, list):
        raise EventDataError(f"{where}.weekly.except must be a list of dates, like [2027-01-02]")
    dates = tuple(_date(d, f"{where}.weekly.except") for d in exceptions)
    for day in dates:
        if day.weekday() != start.weekday() or not start.date() <= day <= until:
            raise EventDataError(
                f"{where}.weekly.except {day} is not one of its dates "
                f"(every 周{WEEKDAYS[start.weekday()]} from {start.date()} to {until})")
    return Weekly(until, dates)


def _registration(value, phones: Mapping[str, Mapping], where: str) -> Registration:
    if not isinstance(value, Mapping):
        raise EventDataError(f"{where}.registration needs note (and may name a phone)")
    _unknown(f"{where}.registration", value, ("note", "phone"))
    note = _text(value, "note", f"{where}.registration")
    key = value.get("phone")
    if key is None:
        return Registration(note)
    if key not in phones:
        raise EventDataError(f"{where}.registration.phone {key!r} is not a phone in community.yml "
                             f"(one of {', '.join(phones)})")
    return Registration(note, key, str(phones[key]["display"]))


def _event(index: int, entry, phones: Mapping[str, Mapping]) -> Event:
    where = f"events[{index}]"
    if not isinstance(entry, Mapping):
        raise EventDataError(f"{where}: expected a mapping of {', '.join(REQUIRED)}")
    if isinstance(entry.get("slug"), str):
        where = f"{where} ({entry['slug']})"
    _unknown(where, entry, EVENT_KEYS)
    missing = [k for k in REQUIRED if k not in entry]
    if missing:
        raise EventDataError(f"{where}: missing {missing}")
    slug = _text(entry, "slug", where)
    if not SLUG.match(slug):
        raise EventDataError(f"{where}: slug {slug!r} must be lower-case ASCII words joined by hyphens")
    category = CATEGORY_BY_CODE.get(entry["category"])
    if category is None:
        known = ", ".join(f"{c.code} ({c.label})" for c in CATEGORIES)
        raise EventDataError(f"{where}: unknown category {entry['category']!r} (one of {known})")
    start, end = _moment(entry["start"], f"{where}: start"), _moment(entry["end"], f"{where}: end")
    if end <= start:
        raise EventDataError(f"{where}: end {end:%Y-%m-%d %H:%M} is not after start {start:%Y-%m-%d %H:%M}")
    weekly = _weekly(entry["weekly"], start, where) if "weekly" in entry else None
    registration = _registration(entry["registration"], phones, where) if "registration" in entry else None
    return Event(slug, _text(entry, "title", where), category, start, end, _text(entry, "place", where),
                 _text(entry, "description", where), weekly, registration)


def site_address(site_url: str | None) -> str:
    """mkdocs.yml's ``site_url``, ending with "/": feeds need absolute links, and its host
    makes the UIDs."""
    if not isinstance(site_url, str) or urlsplit(site_url).scheme not in ("http", "https") \
            or not urlsplit(site_url).hostname:
        raise EventDataError(f"site_url {site_url!r} must be the site's address, like https://example.com/ "
                             "(set it in mkdocs.yml: calendar apps need absolute links)")
    return site_url.rstrip("/") + "/"


def parse(data, phones: Mapping[str, Mapping]) -> Calendar:
    """The events data (parsed YAML) checked; ``phones`` is community.yml's ``phones``."""
    if not isinstance(data, Mapping):
        raise EventDataError(f"expected a mapping of {', '.join(TOP_KEYS)} at the top level")
    _unknown("top level", data, TOP_KEYS)
    upcoming = data.get("upcoming")
    if type(upcoming) is not int or upcoming < 1:
        raise EventDataError(f"upcoming {upcoming!r} must be a whole number, 1 or more")
    entries = data.get("events")
    if not isinstance(entries, list):
        raise EventDataError("events must be a list")
    found = tuple(_event(i, entry, phones) for i, entry in enumerate(entries))
    slugs = [e.slug for e in found]
    twice = sorted({s for s in slugs if slugs.count(s) > 1})
    if twice:
        raise EventDataError(f"slugs used twice: {twice}")
    return Calendar(upcoming, found)


def build_time(value: str | None) -> datetime:
    """``BUTLER_BUILD_TIME`` (ISO 8601; without an offset it is Shanghai time) or now."""
    if not value:
        return datetime.now(TZ)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise EventDataError(f"build time {value!r} is not ISO 8601, like 2027-01-01T12:00+08:00") from None
    return moment.replace(tzinfo=TZ) if moment.tzinfo is None else moment.astimezone(TZ)


# --------------------------------------------------------------------------- words


def date_text(day: date) -> str:
    return f"{day.year} 年 {day.month} 月 {day.day} 日"


def day_text(day: date) -> str:
    return f"{date_text(day)}（周{WEEKDAYS[day.weekday()]}）"


def when_text(start: datetime, end: datetime) -> str:
    """``2026 年 12 月 5 日（周六）09:30–10:30``; an end on another day is written in full."""
    if end.date() == start.date():
        return f"{day_text(start)}{start:%H:%M}–{end:%H:%M}"
    return f"{day_text(start)}{start:%H:%M} 至 {day_text(end)}{end:%H:%M}"


def recurrence_text(event: Event) -> str:
    """The weekly rule in words; an empty string for a one-off event."""
    if event.weekly is None:
        return ""
    text = (f"每周{WEEKDAYS[event.start.weekday()]} {event.start:%H:%M}–{event.end:%H:%M}，"
            f"从 {date_text(event.start)}到 {date_text(event.weekly.until)}，共 {len(event.occurrences())} 次")
    if event.weekly.exceptions:
        text += "；" + "、".join(date_text(d) for d in event.weekly.exceptions) + "暂停"
    return text + "。"


def _time(moment: datetime, text: str) -> str:
    return f'<time datetime="{moment.isoformat(timespec="minutes")}">{escape(text)}</time>'


# --------------------------------------------------------------------------- pages


def page_src(slug: str) -> str:
    """Where an event's generated page sits in docs_dir (its URL is /events/<slug>/)."""
    return f"events/{slug}.md"


def ics_src(slug: str) -> str:
    return f"events/{slug}/{slug}.ics"


def upcoming_html(occurrences: list[Occurrence], href: Callable[[str], str]) -> str:
    """The coming occurrences as an ordered list; ``href(slug)`` links an event's page."""
    if not occurrences:
        return '<p class="events-none" id="events-upcoming">近期暂时没有安排活动。</p>'
    items = []
    for o in occurrences:
        e = o.event
        items.append(
            f'<li class="event-item event-item--{e.category.code}" data-event="{e.slug}">'
            f'<a class="event-item__title" href="{escape(href(e.slug))}">{escape(e.title)}</a>'
            f'<span class="event-item__when">{_time(o.start, when_text(o.start, o.end))}</span>'
            f'<span class="event-item__meta">{escape(e.category.label)} · {escape(e.place)}</span></li>')
    return '<ol class="events-upcoming" id="events-upcoming">' + "".join(items) + "</ol>"


def months_from(today: date, count: int = MONTHS_SHOWN) -> list[tuple[int, int]]:
    """(year, month) of ``today``'s month and the ``count - 1`` after it."""
    index = today.year * 12 + today.month - 1
    return [(y, m + 1) for y, m in (divmod(index + i, 12) for i in range(count))]


def month_html(year: int, month: int, occurrences: list[Occurrence], today: date,
               href: Callable[[str], str]) -> str:
    """One month as a table, Monday first: a cell per day with the occurrences that start on
    it ("HH:MM title", linked); today's cell has ``aria-current="date"``."""
    by_day: dict[date, list[Occurrence]] = {}
    for o in occurrences:
        by_day.setdefault(o.start.date(), []).append(o)
    head = "".join(f'<th scope="col" abbr="星期{d}">{d}</th>' for d in WEEKDAYS)
    rows = []
    for week in gregorian.Calendar(firstweekday=0).monthdatescalendar(year, month):
        cells = []
        for day in week:
            if day.month != month:
                cells.append('<td class="events-calendar__pad"></td>')
                continue
            # The cell's data-date gives the day; the link the time as text (no <time>
            # element per item: with hundreds of events the page would pass 50 KB).
            items = "".join(
                f'<li><a href="{escape(href(o.event.slug))}">{o.start:%H:%M} {escape(o.event.title)}</a></li>'
                for o in by_day.get(day, ()))
            today_attrs = ' aria-current="date"' if day == today else ""
            classes = "events-calendar__day" + (" events-calendar__day--today" if day == today else "") + \
                (" events-calendar__day--busy" if items else "")
            mark = '<span class="events-calendar__today">今天</span>' if day == today else ""
            cells.append(f'<td class="{classes}" data-date="{day.isoformat()}"{today_attrs}>'
                         f'<span class="events-calendar__date">{day.day}</span>{mark}'
                         + (f"<ul>{items}</ul>" if items else "") + "</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    table_id = f"events-month-{year}-{month:02d}"
    return (f'<div class="events-month"><table class="events-calendar" id="{table_id}">'
            f"<caption>{year} 年 {month} 月</caption><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table></div>")


def event_markdown(event: Event, now: datetime, tel: Callable[[str], str]) -> str:
    """The page of one event (Markdown with HTML blocks); ``tel(key)`` is the site's
    tap-to-call link for a phone of community.yml."""
    occurrences = event.occurrences()
    facts = [("类别", escape(event.category.label)), ("地点", escape(event.place))]
    if event.weekly is None:
        facts.insert(1, ("时间", _time(event.start, when_text(event.start, event.end))))
    else:
        facts.insert(1, ("时间", escape(recurrence_text(event))))
    if event.registration:
        call = f" {tel(event.registration.phone)}" if event.registration.phone else ""
        facts.append(("报名", escape(event.registration.note) + call))
    if all(o.end <= now for o in occurrences):
        facts.append(("状态", "本活动已经结束。"))
    lines = [
        "---",
        f"title: {json.dumps(event.title, ensure_ascii=False)}",
        "---",
        "",
        f"# {escape(event.title)}",
        "",
        '<dl class="event-facts">' + "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts) + "</dl>",
        "",
        event.description,
        "",
    ]
    if event.weekly is not None:
        dates = "".join(
            f'<li class="event-dates__past">{_time(o.start, day_text(o.start))}（已结束）</li>' if o.end <= now
            else f"<li>{_time(o.start, day_text(o.start))}</li>" for o in occurrences)
        lines += ["## 全部日期 { #dates }", "", f'<ol class="event-dates" id="event-dates">{dates}</ol>', ""]
    lines += [
        f"[添加到手机日历]({event.slug}/{event.slug}.ics){{ .md-button #event-ics }}",
        "",
        ("下载后用手机打开这个文件，就能把活动加进日历；"
         "想自动收到以后的新活动，请在[社区活动](index.md#subscribe)页订阅。"),
        "",
    ]
    return "\n".join(lines)


# --------------------------------------------------------------------------- iCalendar


def _description(event: Event) -> str:
    text = event.description
    if event.registration:
        text += f"\n报名：{event.registration.note}"
        if event.registration.phone_display:
            text += f" 电话 {event.registration.phone_display}"
    return text


def vevent(event: Event, site_url: str, stamp: datetime) -> icalendar.Event:
    component = icalendar.Event()
    component.add("uid", f"{event.slug}@{urlsplit(site_url).hostname}")
    component.add("dtstamp", stamp.astimezone(UTC))
    component.add("dtstart", event.start)
    component.add("dtend", event.end)
    component.add("summary", event.title)
    component.add("location", event.place)
    component.add("description", _description(event))
    component.add("url", f"{site_url}events/{event.slug}/")
    component.add("categories", [event.category.label])
    if event.weekly is not None:
        last = datetime.combine(event.weekly.until, event.start.timetz())
        component.add("rrule", {"freq": "weekly", "until": last.astimezone(UTC)})
        for day in event.weekly.exceptions:
            component.add("exdate", datetime.combine(day, event.start.timetz()))
    return component


def feed(name: str, events: Iterable[Event], site_url: str, stamp: datetime) -> bytes:
    """An RFC 5545 calendar of ``events`` (METHOD:PUBLISH), with the VTIMEZONE of
    Asia/Shanghai even when there is no event in it."""
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", TZ_NAME)
    cal.add_component(icalendar.Timezone.from_tzid(TZ_NAME))
    for event in events:
        cal.add_component(vevent(event, site_url, stamp))
    return cal.to_ical()


def generated_files(calendar: Calendar, now: datetime, calendar_name: str, site_url: str,
                    tel: Callable[[str], str]) -> dict[str, str | bytes]:
    """Every file the calendar adds to the site, by its path in docs_dir: a page and a
    one-event feed per event, and the feeds of ``Calendar.feeds``; ``site_url`` from
    ``site_address``."""
    files: dict[str, str | bytes] = {}
    for event in calendar.events:
        files[page_src(event.slug)] = event_markdown(event, now, tel)
        files[ics_src(event.slug)] = feed(event.title, (event,), site_url, now)
    for f in calendar.feeds(calendar_name):
        files[f.path] = feed(f.name, f.events, site_url, now)
    return files
