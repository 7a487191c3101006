"""MkDocs hook: render opted-in pages as Jinja2 templates over the community facts.

A page whose front matter says ``render: true`` is rendered as a Jinja2 template
*before* Markdown conversion, with these variables:

``community``
    the parsed ``site/data/community.yml`` (the one place for names and numbers)
``repair_categories``
    ``butler.domain.repairs.CATEGORIES``
``emergency_categories``
    the emergency ones among them, in the same order
``resident_urgencies``
    the ``Urgency`` objects a resident may choose (``RESIDENT_URGENCIES``)
``urgencies``
    every ``Urgency`` (``butler.domain.service_levels.URGENCIES``); ``urgency(code)``
    looks one up

and these helpers:

``tel(key)`` / ``call_button(key)``
    a tap-to-call link / large call button for ``community.phones[key]``
``url("path/in/docs.md")``
    the URL of another page relative to the current one (fails the build if missing)
``icon("name")``
    inline SVG from ``site/overrides/.icons/butler/<name>.svg``
``|duration``
    a ``timedelta`` as Chinese text, e.g. ``45 分钟``

and, for the pages generated from the workflows and service levels:

``repair_workflow``
    ``butler.domain.repairs.REPAIR_WORKFLOW``
``workflow_diagram(workflow, title)``
    the workflow drawn as inline SVG in a ``<figure>`` (``site/diagrams.py``)
``workflow_steps(workflow)``
    one row per action: label, source and target state labels, role labels, required fields
``state_notes(workflow, notes)``
    ``(state, note)`` for every state in order; fails the build when a state has no note
    or a note names no state (so the explanations cannot drift from the workflow)
``resident_fields_json(workflow)``
    ``[{"name", "label", "kind"}]`` of the step fields residents may read, as JSON
``category_targets``
    ``(category, Target)`` for every category with its own targets (``CATEGORY_TARGETS``)
``service_target(urgency_code, category_code)``
    ``butler.domain.service_levels.target``
``rating_window``
    ``service_levels.RATING_WINDOW``: how long after acceptance an unrated repair is
    archived by the system (the workflow's guard on ``archive``)

and, for inquiries, complaints and suggestions (``butler.domain.complaints``):

``complaint_workflow``
    ``COMPLAINT_WORKFLOW``
``complaint_kinds``
    one ``ComplaintKind(code, label, promised_reply)`` per entry of ``KINDS``, in order
``complaint_topics``
    one ``ComplaintTopic(code, label, department)`` per ``TOPICS`` entry, the department
    being the ``Department`` (code, label) the topic goes to
``complaint_first_response``
    ``FIRST_RESPONSE``: first answer or transfer

and, for the quarterly satisfaction survey (``butler.domain.surveys``):

``survey_areas`` / ``survey_scores`` / ``survey_overall`` / ``survey_overall_label``
    ``AREAS``; ``(score, label)`` for every score in ``SCORES``; ``OVERALL``, ``OVERALL_LABEL``
``survey_comment_max`` / ``survey_code_pattern`` / ``survey_code_length``
    ``COMMENT_MAX``; ``CODE_PATTERN.pattern`` and ``CODE_LENGTH`` (the form's script tidies
    and checks codes with them)
``survey_quarter_label(quarter)``
    ``quarter_label``: ``2026Q4`` → ``2026 年第四季度``
``survey_results``
    ``results()`` of the latest data file (``site/data/surveys/<quarter>.json``, the format
    of ``tally()``), compared with the quarter before it when that file exists; None
    without files
``survey_history``
    ``results()`` of every data file, oldest first, each compared with its previous quarter
``survey_distribution(results, area)`` / ``survey_trend(history, code)``
    an area's answers per score as horizontal bars / its mean per quarter as columns,
    inline SVG in a ``<figure>`` (``site/charts.py``)
``|mean`` / ``|percent`` / ``|change``
    a mean (``4.09``), a percentage (``72.8%``), a change (``↑ +0.07``, ``↓ -0.12``, ``持平``);
    ``—`` for None. Every survey number on a page is one of ``results()``'s, shown this way.

The survey files are read from ``SURVEY_DATA_DIR`` or the directory named by the
environment variable ``BUTLER_SURVEY_DATA``; a file that does not add up fails the build.
Only quarters over at the build time (``BUTLER_BUILD_TIME``) are published: a file of the
current quarter is left out until it ends, one of a later quarter fails the build.

Shared page blocks are Jinja macros in ``site/overrides/macros/`` (``.html``, so MkDocs
never publishes them): ``{% import 'workflow-page.html' as wf %}`` gives the stages list,
the steps table and the Mermaid source of any workflow (see that file).

and, for the home page, ``outage_notices()``: the 停水停电通知 notices that have not ended
at the build time (``site/notices.py`` ``outages``), soonest first.

Undefined variables fail the build (``StrictUndefined``), output is HTML-escaped. Spaces
typed between Chinese text and an interpolated value that begins or ends in Chinese are
dropped once the page is rendered (``site/cjk_spacing.py``): ``为 {{ community.short_name }}
做什么`` reads "为翠湖花园做什么".
Jinja's comment marker is ``{#``: in rendered pages write attribute lists as ``{ #id }``.

The resident forms get ``limits``, ``length_attrs`` and ``estate_buildings`` from
``site/forms.py`` (limits from the API's request models, the estate's buildings).

The service charter pages (``site/content/charter/``) get more names from ``site/charter.py``
(``template_globals``: services, staffing, rounds, the budget; the ``|yuan`` filter).

The event calendar (``site/content/events/``, data in ``site/data/events.yml``, logic in
``site/events.py``) adds ``event_upcoming()``, ``event_months()``, ``event_feeds`` and
``event_site_url``; ``on_files`` adds a page and a feed per event and the shared feeds.

The theme's templates get ``community``, ``tel``, ``call_button`` and ``icon`` too
(``on_env``), for the 404 page (``site/overrides/404.html``); ``on_files`` writes the
favicon from the logo icon (``LOGO_ICON``).

Pages without ``render: true`` are left exactly as they are. This hook imports the
pure domain package only, never the Lambda handlers.
"""
from __future__ import annotations

import importlib.util
import json
import os
import re
import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import NamedTuple

import jinja2
import yaml
from markupsafe import Markup
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File

from butler.domain import complaints, repairs, retention, service_levels, surveys
from butler.domain.estate import load_estate
from butler.domain.workflow import ROLE_LABELS

SITE_DIR = Path(__file__).resolve().parent
COMMUNITY_FILE = SITE_DIR / "data" / "community.yml"
ICON_DIR = SITE_DIR / "overrides" / ".icons" / "butler"
MACRO_DIR = SITE_DIR / "overrides" / "macros"
SURVEY_DATA_DIR = SITE_DIR / "data" / "surveys"
SURVEY_DATA_ENV = "BUTLER_SURVEY_DATA"  # another directory of survey files, e.g. generated by a test
EVENTS_FILE = SITE_DIR / "data" / "events.yml"
EVENTS_DATA_ENV = "BUTLER_EVENTS_DATA"  # another events file, e.g. a broken one in a test
BUILD_TIME_ENV = "BUTLER_BUILD_TIME"  # "now" for the event calendar (ISO 8601), e.g. in a test
TREND_QUARTERS = 8  # quarters drawn in a trend chart; the history table lists them all
DIALABLE = re.compile(r"^\+?[0-9]{3,15}$")
LOGO_ICON = "estate"  # site/overrides/.icons/butler/estate.svg, mkdocs.yml's theme.icon.logo
FAVICON = "assets/images/favicon.svg"  # mkdocs.yml's theme.favicon, made from the logo icon
FAVICON_COLOUR = "#17604d"  # --md-primary-fg-color of butler.css

_state: dict = {}


def _load_sibling(name: str):
    """A module next to this file, loaded by path the way MkDocs loads the hook itself."""
    spec = importlib.util.spec_from_file_location(f"butler_site_{name}", SITE_DIR / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while classes are made
    spec.loader.exec_module(module)
    return module


diagrams = _load_sibling("diagrams")
charts = _load_sibling("charts")
charter = _load_sibling("charter")  # the service charter pages: budget, staffing, rounds
events = _load_sibling("events")  # the event calendar: its pages and iCalendar feeds
forms = _load_sibling("forms")  # the forms' length limits (from the API schema) and the estate layout
cjk_spacing = _load_sibling("cjk_spacing")  # no spaces between Chinese and interpolated names
notices = _load_sibling("notices")  # its pure parts: the current outage notices for the home page


# --------------------------------------------------------------------------- data


def load_community(path: Path = COMMUNITY_FILE) -> dict:
    """Read and check the community facts; raise PluginError with a plain reason."""
    data = charter.read_mapping(path, "community facts")
    for key in ("name", "short_name", "site_name", "service_center", "phones", "emergencies",
                "emergency_page_phones"):
        if key not in data:
            raise PluginError(f"{path}: missing '{key}'")
    for key in ("name", "address", "hours"):
        if not data["service_center"].get(key):
            raise PluginError(f"{path}: service_center.{key} is missing")

    phones = data["phones"]
    for key in ("hotline", "duty", "police", "fire", "ambulance", "gas"):
        if key not in phones:
            raise PluginError(f"{path}: phones.{key} is missing")
    for key, phone in phones.items():
        for field in ("name", "display", "dial"):
            if not isinstance(phone, dict) or not str(phone.get(field) or "").strip():
                raise PluginError(f"{path}: phones.{key}.{field} is missing")
        phone["dial"] = str(phone["dial"])
        phone["display"] = str(phone["display"])
        if not DIALABLE.match(phone["dial"]):
            raise PluginError(
                f"{path}: phones.{key}.dial {phone['dial']!r} is not dialable "
                "(digits only, optional leading +)")

    for key in data["emergency_page_phones"]:
        if key not in phones:
            raise PluginError(f"{path}: emergency_page_phones names unknown phone '{key}'")

    emergencies = data["emergencies"]
    for category in repairs.CATEGORIES:
        if not category.emergency:
            continue
        entry = emergencies.get(category.code)
        if not entry or not entry.get("call") or not entry.get("first_step"):
            raise PluginError(
                f"{path}: emergencies.{category.code} needs 'call' and 'first_step' "
                f"(emergency category {category.label})")
        for key in entry["call"]:
            if key not in phones:
                raise PluginError(f"{path}: emergencies.{category.code} calls unknown phone '{key}'")
    # The layout is the functions' (butler/data/estate.json), which check house numbers
    # against it: one source of truth for the posters, the assembly points and the server.
    data["buildings"] = load_estate().as_data()
    return data


SURVEY_KEYS = ("quarter", "label", "opens_at", "closes_at", "invited", "responses", "areas", "overall",
               "recommend")
SCORE_KEYS = tuple(str(s) for s in surveys.SCORES)


def survey_data_dir() -> Path:
    return Path(os.environ.get(SURVEY_DATA_ENV) or SURVEY_DATA_DIR)


def _check_counts(path: Path, where: str, counts, keys: tuple[str, ...], responses: int) -> None:
    if not isinstance(counts, dict) or set(counts) != set(keys):
        found = sorted(counts) if isinstance(counts, dict) else counts
        raise PluginError(f"{path}: {where} needs one count for each of {list(keys)}, found {found!r}")
    for key, count in counts.items():
        if type(count) is not int or count < 0:
            raise PluginError(f"{path}: {where}.{key} is {count!r}, not a count (a whole number, 0 or more)")
    if sum(counts.values()) != responses:
        raise PluginError(f"{path}: {where} counts add up to {sum(counts.values())}, "
                          f"not to the {responses} responses")


def load_survey(path: Path) -> dict:
    """Read and check one quarter's tally (the format of ``surveys.tally``); raise
    PluginError with a plain reason when it does not add up."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise PluginError(f"{path}: cannot read survey results: {exc}") from exc
    if not isinstance(data, dict):
        raise PluginError(f"{path}: expected a JSON object at the top level")
    missing = [key for key in SURVEY_KEYS if key not in data]
    if missing:
        raise PluginError(f"{path}: missing {missing}")
    quarter = data["quarter"]
    if not isinstance(quarter, str) or not surveys.QUARTER_PATTERN.match(quarter):
        raise PluginError(f"{path}: quarter {quarter!r} is not a quarter (write it like 2026Q4)")
    if path.stem != quarter:
        raise PluginError(f"{path}: holds quarter {quarter}, so the file must be named {quarter}.json")
    if data["label"] != surveys.quarter_label(quarter):
        raise PluginError(f"{path}: label {data['label']!r} should be {surveys.quarter_label(quarter)!r}")
    try:
        opens, closes = (date.fromisoformat(str(data[key])) for key in ("opens_at", "closes_at"))
    except ValueError as exc:
        raise PluginError(f"{path}: opens_at and closes_at must be dates like 2026-10-08: {exc}") from exc
    if closes < opens:
        raise PluginError(f"{path}: closes_at {closes} is before opens_at {opens}")
    for key in ("invited", "responses"):
        if type(data[key]) is not int or data[key] < 0:
            raise PluginError(f"{path}: {key} is {data[key]!r}, not a count (a whole number, 0 or more)")
    if data["responses"] > data["invited"]:
        raise PluginError(f"{path}: {data['responses']} responses from only {data['invited']} invited households")
    areas = data["areas"]
    if not isinstance(areas, dict):
        raise PluginError(f"{path}: areas must map each area code to its counts")
    unknown = [code for code in areas if code not in surveys.AREA_CODES]
    absent = [code for code in surveys.AREA_CODES if code not in areas]
    if unknown or absent:
        raise PluginError(f"{path}: unknown areas {unknown}; no counts for areas {absent} "
                          f"(the areas are {list(surveys.AREA_CODES)})")
    for code in surveys.AREA_CODES:
        _check_counts(path, f"areas.{code}", areas[code], SCORE_KEYS, data["responses"])
    _check_counts(path, "overall", data["overall"], SCORE_KEYS, data["responses"])
    _check_counts(path, "recommend", data["recommend"], ("yes", "no"), data["responses"])
    return data


def load_surveys(directory: Path, now: datetime | None = None) -> list[dict]:
    """Every ``<quarter>.json`` in ``directory``, checked, oldest first; with ``now`` (the
    build time) only those of quarters that are over: a file of the current quarter waits
    for the quarter's end (its campaign may be closed early, the quarter is not over), one
    of a later quarter fails the build. Results are only ever published of closed quarters."""
    found = sorted((load_survey(path) for path in directory.glob("*.json")), key=lambda d: d["quarter"])
    if now is None:
        return found
    current = surveys.quarter_of(now)
    later = [d["quarter"] for d in found if d["quarter"] > current]
    if later:
        raise PluginError(f"{directory / (later[0] + '.json')}: results of {later[0]}, a quarter that has not "
                          f"begun (the build time {now:%Y-%m-%d} is in {current}); only closed quarters are published")
    return [d for d in found if d["quarter"] < current]


def results_history(tallies: list[dict]) -> list[surveys.Results]:
    """``results()`` of every tally, oldest first, each compared with the tally of the quarter
    before it when there is one."""
    by_quarter = {d["quarter"]: d for d in tallies}
    return [surveys.results(d, by_quarter.get(surveys.previous_quarter(q))) for q, d in sorted(by_quarter.items())]


# --------------------------------------------------------------------------- helpers


def duration(value: timedelta) -> str:
    """A service-level duration in the words residents use: 15 分钟, 24 小时, 3 天."""
    minutes = int(value.total_seconds() // 60)
    if minutes < 60 or minutes % 60:
        return f"{minutes} 分钟"
    hours = minutes // 60
    if hours <= 24 or hours % 24:
        return f"{hours} 小时"
    return f"{hours // 24} 天"


def _phone(key: str) -> dict:
    phones = _state["community"]["phones"]
    if key not in phones:
        raise jinja2.UndefinedError(f"no phone '{key}' in community.yml")
    return phones[key]


def tel(key: str, label: str | None = None) -> Markup:
    """An inline tap-to-call link showing the display number (or ``label``)."""
    phone = _phone(key)
    text = phone["display"] if label is None else label
    return Markup('<a class="tel" href="tel:{}">{}</a>').format(phone["dial"], text)


def call_button(key: str, css: str = "") -> Markup:
    """A large call button: the line's name above its number."""
    phone = _phone(key)
    classes = "call-button" + (f" {css}" if css else "")
    return Markup(
        '<a class="{}" href="tel:{}">{}<span class="call-button__name">{}</span>'
        '<span class="call-button__number">{}</span></a>'
    ).format(classes, phone["dial"], icon("phone"), phone["name"], phone["display"])


def icon(name: str) -> Markup:
    if not re.fullmatch(r"[a-z0-9-]+", name):
        raise jinja2.UndefinedError(f"bad icon name {name!r}")
    path = ICON_DIR / f"{name}.svg"
    if not path.is_file():
        raise jinja2.UndefinedError(f"no icon {path}")
    svg = path.read_text(encoding="utf-8").strip()
    # Decorative: the text next to it says what it is.
    return Markup(svg.replace("<svg ", '<svg class="icon" aria-hidden="true" focusable="false" ', 1))


def workflow_diagram(workflow, title: str) -> Markup:
    """The workflow as inline SVG in a figure, with a caption naming the steps not drawn."""
    diagram = diagrams.render(workflow, title=title)
    caption = Markup("")
    if diagram.omitted:
        names = "、".join(f"“{a.label}”" for a in diagram.omitted)
        caption = Markup('<figcaption>图中没有画出不改变状态的步骤：{}，见下表。</figcaption>').format(names)
    return Markup('<figure class="workflow-diagram" id="{}-figure" data-search-exclude>{}{}</figure>').format(
        f"wf-{workflow.name}", Markup(diagram.svg), caption)


def workflow_steps(workflow) -> list:
    return diagrams.step_rows(workflow, ROLE_LABELS)


def state_notes(workflow, notes: dict) -> list:
    codes = [s.code for s in workflow.states]
    missing = [c for c in codes if c not in notes]
    unknown = [c for c in notes if c not in codes]
    if missing or unknown:
        raise jinja2.UndefinedError(
            f"state_notes({workflow.name}): no note for {missing}; notes for unknown states {unknown}")
    return [(s, notes[s.code]) for s in workflow.states]


def resident_fields_json(workflow) -> str:
    return json.dumps(diagrams.resident_fields(workflow), ensure_ascii=False, separators=(",", ":"))


def _category_targets() -> list:
    known = repairs.category_codes()
    unknown = [code for code in service_levels.CATEGORY_TARGETS if code not in known]
    if unknown:
        raise PluginError(f"service_levels.CATEGORY_TARGETS names unknown categories {unknown}")
    return [(repairs.category(code), t) for code, t in service_levels.CATEGORY_TARGETS.items()]


class ComplaintKind(NamedTuple):
    code: str
    label: str
    promised_reply: timedelta  # default reply time promised on a transfer


class ComplaintTopic(NamedTuple):
    code: str
    label: str
    department: complaints.Department


def _complaint_kinds() -> list[ComplaintKind]:
    missing = [code for code in complaints.KINDS if code not in complaints.PROMISED_REPLY]
    unknown = [code for code in complaints.PROMISED_REPLY if code not in complaints.KINDS]
    if missing or unknown:
        raise PluginError(f"complaints.PROMISED_REPLY: no time for kinds {missing}; "
                          f"times for unknown kinds {unknown}")
    return [ComplaintKind(code, label, complaints.PROMISED_REPLY[code])
            for code, label in complaints.KINDS.items()]


def _complaint_topics() -> list[ComplaintTopic]:
    topics = []
    for t in complaints.TOPICS:
        try:
            department = complaints.department(t.department)
        except KeyError:
            raise PluginError(f"complaints.TOPICS: topic {t.code} names unknown department "
                              f"{t.department}") from None
        topics.append(ComplaintTopic(t.code, t.label, department))
    return topics


def _survey_scores() -> list[tuple[int, str]]:
    missing = [s for s in surveys.SCORES if not surveys.SCORE_LABELS.get(s)]
    if missing:
        raise PluginError(f"surveys.SCORE_LABELS: no label for scores {missing}")
    return [(s, surveys.SCORE_LABELS[s]) for s in surveys.SCORES]


def mean_text(value) -> str:
    """A mean as the pages show it: two decimals as ``results()`` rounded it; — without answers."""
    return "—" if value is None else f"{value:.2f}"


def percent_text(value) -> str:
    return "—" if value is None else f"{value:.1f}%"


def change_text(value) -> str:
    if value is None:
        return "—"
    if value == 0:
        return "持平"
    return f"{'↑' if value > 0 else '↓'} {value:+.2f}"


def change(value) -> Markup:
    direction = "none" if value is None else "up" if value > 0 else "down" if value < 0 else "same"
    return Markup('<span class="survey-change survey-change--{}">{}</span>').format(direction, change_text(value))


def _tone(score: int) -> str:
    return "good" if score >= 4 else "neutral" if score == 3 else "poor"


def survey_distribution(results: surveys.Results, area: surveys.AreaResult) -> Markup:
    """One area's answers per score, best score first, as horizontal bars in a figure."""
    rows = [(s, surveys.SCORE_LABELS[s], area.counts[str(s)], percent_text(area.shares[str(s)]))
            for s in reversed(surveys.SCORES)]
    bars = [charts.Bar(str(s), f"{s} {label}", count, f"{count} 户 {share}", _tone(s))
            for s, label, count, share in rows]
    desc = (f"{results.label}，共 {results.responses} 户作答，平均 {mean_text(area.mean)} 分。"
            + "；".join(f"{s} 分（{label}）{count} 户，占 {share}" for s, label, count, share in rows) + "。")
    svg = charts.bar_chart(bars, chart_id=f"survey-chart-{area.code}", title=f"{area.label}：各分数的户数",
                           desc=desc)
    return Markup('<figure class="survey-chart" id="survey-figure-{}" data-search-exclude>{}</figure>').format(
        area.code, Markup(svg))


def survey_trend(history: list[surveys.Results], code: str = surveys.OVERALL) -> Markup:
    """An area's (or the overall) mean per quarter as columns on a 0–5 scale, in a figure."""
    shown = history[-TREND_QUARTERS:]
    label = surveys.OVERALL_LABEL if code == surveys.OVERALL else surveys.area(code).label
    columns = []
    for r in shown:
        value = r.area(code).mean
        year, rest = r.label.split(" 年", 1)
        columns.append(charts.Column(r.quarter, (f"{year} 年", rest), None if value is None else float(value),
                                     mean_text(value)))
    desc = "；".join(f"{r.label} {mean_text(r.area(code).mean)} 分" for r in shown) + "。满分 5 分。"
    if len(shown) < len(history):
        desc += f"图中只画出最近 {len(shown)} 个季度，全部季度见下表。"
    svg = charts.column_chart(columns, chart_id=f"survey-trend-{code}", title=f"{label}：历次调查的平均分",
                              desc=desc, maximum=max(surveys.SCORES), ticks=surveys.SCORES)
    return Markup('<figure class="survey-chart survey-chart--trend" id="survey-trend-figure-{}" '
                  'data-search-exclude>{}</figure>').format(code, Markup(svg))


def outage_notices() -> list:
    """The outage notices that have not ended at the build time (``notices.outages``), soonest
    first; none when the site has no bulletin board (a hook test's config)."""
    blog = _state.get("blog")
    return notices.outages(blog.blog.posts, _state["notices_now"]) if blog is not None else []


def favicon_svg() -> str:
    """The site's logo icon (``theme.icon.logo``) standing alone as the favicon, in the brand colour."""
    svg = (ICON_DIR / f"{LOGO_ICON}.svg").read_text(encoding="utf-8").strip()
    return svg.replace("<svg ", f'<svg fill="{FAVICON_COLOUR}" ', 1)


def _url_for(page, files):
    def url(path: str) -> str:
        target = files.get_file_from_path(path)
        if target is None:
            raise jinja2.UndefinedError(f"url(): no page '{path}' in docs_dir")
        return target.url_relative_to(page.file)
    return url


# --------------------------------------------------------------------------- event calendar


def events_file() -> Path:
    return Path(os.environ.get(EVENTS_DATA_ENV) or EVENTS_FILE)


def load_events(path: Path, phones: dict):
    """The checked ``events.Calendar`` of an events file; PluginError with the reason."""
    try:
        return events.parse(yaml.safe_load(path.read_text(encoding="utf-8")), phones)
    except (OSError, yaml.YAMLError, events.EventDataError) as exc:
        raise PluginError(f"{path}: {exc}") from exc


def _build_time():
    try:
        return events.build_time(os.environ.get(BUILD_TIME_ENV))
    except events.EventDataError as exc:
        raise PluginError(f"{BUILD_TIME_ENV}: {exc}") from exc


def _event_globals(calendar, now, calendar_name: str) -> dict:
    """``event_upcoming()`` and ``event_months()`` (HTML linking each event's page from the
    page that calls them) and ``event_feeds``; ``on_files`` adds ``event_site_url``."""
    def linked(render):
        @jinja2.pass_context
        def call(context):
            return Markup(render(lambda slug: context["url"](events.page_src(slug))))
        return call

    occurrences = calendar.occurrences()
    return dict(
        event_upcoming=linked(lambda href: events.upcoming_html(calendar.upcoming_after(now), href)),
        event_months=linked(lambda href: "".join(events.month_html(y, m, occurrences, now.date(), href)
                                                 for y, m in events.months_from(now.date()))),
        event_feeds=calendar.feeds(calendar_name),
    )


def on_files(files, config, **kwargs):
    """Add the event pages and the iCalendar feeds (``events.generated_files``); they need
    ``site_url`` (absolute links), which the events page shows as ``event_site_url``."""
    try:
        site_url = events.site_address(config.site_url)
    except events.EventDataError as exc:
        raise PluginError(f"the event calendar: {exc}") from exc
    _state["env"].globals["event_site_url"] = site_url
    generated = events.generated_files(_state["events"], _state["build_time"],
                                       _state["community"]["short_name"], site_url, tel)
    for src_uri, content in generated.items():
        files.append(File.generated(config, src_uri, content=content))
    files.append(File.generated(config, FAVICON, content=favicon_svg()))
    return files


def on_env(env, config, files, **kwargs):
    """The theme's own templates (the 404 page, ``site/overrides/404.html``) get the community
    facts and the call helpers of the pages, so they type no number either."""
    env.globals.update(community=_state["community"], tel=tel, call_button=call_button, icon=icon)
    return env


# --------------------------------------------------------------------------- events


def on_config(config, **kwargs):
    community = load_community()
    _state["community"] = community
    survey_dir = survey_data_dir()
    if os.environ.get(SURVEY_DATA_ENV) and not survey_dir.is_dir():
        raise PluginError(f"{SURVEY_DATA_ENV}={survey_dir}: no such directory")
    history = results_history(load_surveys(survey_dir, _build_time()))
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(MACRO_DIR)),
        undefined=jinja2.StrictUndefined,
        autoescape=True,
        keep_trailing_newline=True,
        finalize=cjk_spacing.mark,  # on_page_markdown tidies the spaces around the marked values
    )
    env.filters["duration"] = duration
    env.filters["mean"] = mean_text
    env.filters["percent"] = percent_text
    env.filters["change"] = change
    env.globals.update(
        community=community,
        repair_categories=repairs.CATEGORIES,
        emergency_categories=tuple(c for c in repairs.CATEGORIES if c.emergency),
        resident_urgencies=[service_levels.urgency(code) for code in repairs.RESIDENT_URGENCIES],
        urgencies=service_levels.URGENCIES,
        urgency=service_levels.urgency,
        repair_workflow=repairs.REPAIR_WORKFLOW,
        workflow_diagram=workflow_diagram,
        workflow_steps=workflow_steps,
        state_notes=state_notes,
        resident_fields_json=resident_fields_json,
        category_targets=_category_targets(),
        service_target=service_levels.target,
        rating_window=service_levels.RATING_WINDOW,
        complaint_workflow=complaints.COMPLAINT_WORKFLOW,
        complaint_kinds=_complaint_kinds(),
        complaint_topics=_complaint_topics(),
        complaint_first_response=complaints.FIRST_RESPONSE,
        # The template's default ContactRetentionDays; a stack deployed with another value
        # builds its site with CONTACT_RETENTION_DAYS set to it.
        contact_retention_days=int(os.environ.get("CONTACT_RETENTION_DAYS", retention.DEFAULT_RETENTION_DAYS)),
        survey_areas=surveys.AREAS,
        survey_scores=_survey_scores(),
        survey_overall=surveys.OVERALL,
        survey_overall_label=surveys.OVERALL_LABEL,
        survey_comment_max=surveys.COMMENT_MAX,
        survey_code_pattern=surveys.CODE_PATTERN.pattern,
        survey_code_length=surveys.CODE_LENGTH,
        survey_quarter_label=surveys.quarter_label,
        survey_results=history[-1] if history else None,
        survey_history=history,
        survey_distribution=survey_distribution,
        survey_trend=survey_trend,
        tel=tel,
        call_button=call_button,
        icon=icon,
        outage_notices=outage_notices,
    )
    env.globals.update(charter.template_globals(diagrams))
    env.globals.update(forms.template_globals())
    env.filters.update(charter.FILTERS)
    _state["events"], _state["build_time"] = load_events(events_file(), community["phones"]), _build_time()
    env.globals.update(_event_globals(_state["events"], _state["build_time"], community["short_name"]))
    _state["env"] = env
    plugins = getattr(config, "plugins", None)
    _state["blog"] = plugins.get(notices.BLOG_PLUGIN) if plugins is not None else None
    _state["notices_now"] = notices.build_time()
    # The header, titles and footer read the same facts as the pages.
    config.site_name = community["site_name"]
    if community.get("site_description"):
        config.site_description = community["site_description"]
    config.extra["community"] = community
    return config


def on_serve(server, config, builder, **kwargs):
    server.watch(str(COMMUNITY_FILE.parent))
    server.watch(str(ICON_DIR))
    server.watch(str(MACRO_DIR))
    server.watch(str(SITE_DIR / "diagrams.py"))
    server.watch(str(SITE_DIR / "charts.py"))
    server.watch(str(SITE_DIR / "charter.py"))
    server.watch(str(SITE_DIR / "events.py"))
    if survey_data_dir().is_dir():  # site/data/surveys is watched with site/data already
        server.watch(str(survey_data_dir()))
    return server


def on_page_markdown(markdown, page, config, files, **kwargs):
    if page.meta.get("render") is not True:
        return markdown
    env: jinja2.Environment = _state["env"]
    try:
        template = env.from_string(markdown)
        return cjk_spacing.tidy(template.render(page=page, url=_url_for(page, files)))
    except jinja2.TemplateSyntaxError as exc:
        raise PluginError(
            f"{page.file.src_uri}: template error on line {exc.lineno} of the page body: {exc.message} "
            "(in rendered pages write attribute lists as '{ #id }', not '{#id}')") from exc
    except jinja2.TemplateError as exc:
        raise PluginError(f"{page.file.src_uri}: template error: {exc}") from exc

