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

Shared page blocks are Jinja macros in ``site/overrides/macros/`` (``.html``, so MkDocs
never publishes them): ``{% import 'workflow-page.html' as wf %}`` gives the stages list,
the steps table and the Mermaid source of any workflow (see that file).

Undefined variables fail the build (``StrictUndefined``), output is HTML-escaped.
Jinja's comment marker is ``{#``: in rendered pages write attribute lists as ``{ #id }``.

Pages without ``render: true`` are left exactly as they are. This hook imports the
pure domain package only, never the Lambda handlers.
"""
from __future__ import annotations

import importlib.util
import json
import re
import sys
from datetime import timedelta
from pathlib import Path
from typing import NamedTuple

import jinja2
import yaml
from markupsafe import Markup
from mkdocs.exceptions import PluginError

from butler.domain import complaints, repairs, service_levels
from butler.domain.workflow import ROLE_LABELS

SITE_DIR = Path(__file__).resolve().parent
COMMUNITY_FILE = SITE_DIR / "data" / "community.yml"
ICON_DIR = SITE_DIR / "overrides" / ".icons" / "butler"
MACRO_DIR = SITE_DIR / "overrides" / "macros"
DIALABLE = re.compile(r"^\+?[0-9]{3,15}$")

_state: dict = {}


def _load_sibling(name: str):
    """A module next to this file, loaded by path the way MkDocs loads the hook itself."""
    spec = importlib.util.spec_from_file_location(f"butler_site_{name}", SITE_DIR / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while classes are made
    spec.loader.exec_module(module)
    return module


diagrams = _load_sibling("diagrams")


# --------------------------------------------------------------------------- data


def load_community(path: Path = COMMUNITY_FILE) -> dict:
    """Read and check the community facts; raise PluginError with a plain reason."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise PluginError(f"{path}: cannot read community facts: {exc}") from exc
    if not isinstance(data, dict):
        raise PluginError(f"{path}: expected a mapping at the top level")
    for key in ("name", "short_name", "site_name", "service_center", "phones", "emergencies",
                "emergency_page_phones", "buildings"):
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
    return data


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


def _url_for(page, files):
    def url(path: str) -> str:
        target = files.get_file_from_path(path)
        if target is None:
            raise jinja2.UndefinedError(f"url(): no page '{path}' in docs_dir")
        return target.url_relative_to(page.file)
    return url


# --------------------------------------------------------------------------- events


def on_config(config, **kwargs):
    community = load_community()
    _state["community"] = community
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(MACRO_DIR)),
        undefined=jinja2.StrictUndefined,
        autoescape=True,
        keep_trailing_newline=True,
    )
    env.filters["duration"] = duration
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
        complaint_workflow=complaints.COMPLAINT_WORKFLOW,
        complaint_kinds=_complaint_kinds(),
        complaint_topics=_complaint_topics(),
        complaint_first_response=complaints.FIRST_RESPONSE,
        tel=tel,
        call_button=call_button,
        icon=icon,
    )
    _state["env"] = env
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
    return server


def on_page_markdown(markdown, page, config, files, **kwargs):
    if page.meta.get("render") is not True:
        return markdown
    env: jinja2.Environment = _state["env"]
    try:
        template = env.from_string(markdown)
        return template.render(page=page, url=_url_for(page, files))
    except jinja2.TemplateSyntaxError as exc:
        raise PluginError(
            f"{page.file.src_uri}: template error on line {exc.lineno} of the page body: {exc.message} "
            "(in rendered pages write attribute lists as '{ #id }', not '{#id}')") from exc
    except jinja2.TemplateError as exc:
        raise PluginError(f"{page.file.src_uri}: template error: {exc}") from exc

