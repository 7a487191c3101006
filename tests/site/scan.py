"""Small HTML readers for the built site (stdlib only): elements with their attributes,
form fields with their linked messages, the page's own content, table rows, the workflow
diagrams, and references that would make the browser call another host."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    # ids and tags of the open ancestors, innermost last
    ancestors: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    text: str = ""

    def inside(self, tag: str, **attrs: str) -> bool:
        return any(t == tag and all(a.get(k) == v for k, v in attrs.items())
                   for t, a in self.ancestors)


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
        "source", "track", "wbr"}


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self._stack: list[tuple[str, dict[str, str], Element]] = []

    def handle_starttag(self, tag, attrs):
        attributes = {k: ("" if v is None else v) for k, v in attrs}
        element = Element(tag, attributes, [(t, a) for t, a, _ in self._stack])
        self.elements.append(element)
        if tag not in VOID:
            self._stack.append((tag, attributes, element))

    def handle_startendtag(self, tag, attrs):
        attributes = {k: ("" if v is None else v) for k, v in attrs}
        self.elements.append(Element(tag, attributes, [(t, a) for t, a, _ in self._stack]))

    def handle_endtag(self, tag):
        for i in range(len(self._stack) - 1, -1, -1):
            if self._stack[i][0] == tag:
                del self._stack[i:]
                return

    def handle_data(self, data):
        for _, _, element in self._stack:
            element.text += data


def elements(html: str) -> list[Element]:
    collector = _Collector()
    collector.feed(html)
    collector.close()
    return collector.elements


def by_id(html: str) -> dict[str, Element]:
    found: dict[str, Element] = {}
    for element in elements(html):
        if "id" in element.attrs:
            assert element.attrs["id"] not in found, f"duplicate id {element.attrs['id']}"
            found[element.attrs["id"]] = element
    return found


def required_ids(html: str, required: tuple[str, ...], hidden: tuple[str, ...] = ()) -> dict[str, Element]:
    """``by_id``, after checking that every id in ``required`` is on the page and every one in
    ``hidden`` is there and starts hidden (the page's scripts show it)."""
    ids = by_id(html)
    for name in required:
        assert name in ids, f"no element id={name}"
    for name in hidden:
        assert name in ids and "hidden" in ids[name].attrs, f"{name} should start hidden"
    return ids


def linked_field(html: str, form_id: str, name: str) -> Element:
    """The control (or fieldset) ``field-<name>``, after checking that it and its message
    ``error-<name>`` are inside form ``form_id``, that the message starts hidden and that the
    control names it in ``aria-describedby``."""
    ids = by_id(html)
    field = ids.get(f"field-{name}")
    assert field is not None, f"no element id=field-{name}"
    assert field.inside("form", id=form_id), f"field-{name} is outside form {form_id}"
    error = ids.get(f"error-{name}")
    assert error is not None, f"no element id=error-{name}"
    assert "hidden" in error.attrs, f"error-{name} should start hidden"
    assert error.inside("form", id=form_id), f"error-{name} is outside form {form_id}"
    described = field.attrs.get("aria-describedby", "").split()
    assert f"error-{name}" in described, f"field-{name} is not aria-describedby error-{name}"
    return field


def article(html: str) -> str:
    """The page's own content (Material's <article>), without header, nav and footer."""
    match = re.search(r"<article\b[^>]*>(.*)</article>", html, re.S)
    assert match, "page has no <article>"
    return match.group(1)


@dataclass
class Row:
    attrs: dict[str, str]
    cells: list[Element] = field(default_factory=list)
    spans: list[list[Element]] = field(default_factory=list)  # <span>s of each cell


def rows(html: str, table_id: str) -> list[Row]:
    """The body rows of a table, each with its cells (one parse, in document order)."""
    found: list[Row] = []
    for element in elements(html):
        if not element.inside("table", id=table_id) or element.inside("thead"):
            continue
        if element.tag == "tr":
            found.append(Row(element.attrs))
        elif element.tag == "td":
            found[-1].cells.append(element)
            found[-1].spans.append([])
        elif element.tag == "span" and found and found[-1].cells:
            found[-1].spans[-1].append(element)
    return found


# ------------------------------------------------------------------ workflow diagrams


def diagram(page: str, prefix: str) -> str:
    """The inline SVG (id ``wf-<prefix>``) a process page draws its workflow with."""
    match = re.search(rf'<svg\b[^>]*\bid="wf-{prefix}".*?</svg>', article(page), re.S)
    assert match, f"no inline SVG diagram (id wf-{prefix}) on the page"
    return match.group(0)


def _groups(svg: str, cls: str, attribute: str) -> dict[str, list[str]]:
    """Text of every <g class=cls>, by the value(s) of ``attribute`` (space-separated)."""
    found: dict[str, list[str]] = {}
    for element in elements(svg):
        if element.tag == "g" and element.attrs.get("class") == cls:
            for code in element.attrs.get(attribute, "").split():
                found.setdefault(code, []).append(element.text)
    return found


def state_labels(svg: str) -> dict[str, str]:
    """{state code: the text of its box}."""
    return {code: texts[0] for code, texts in _groups(svg, "wf-state", "data-state").items()}


def arrow_labels(svg: str) -> dict[str, list[str]]:
    """{action code: the text of each label drawn for it}."""
    return _groups(svg, "wf-label", "data-action")


def arrows(svg: str) -> set[str]:
    """Action codes that have an arrow (a <path data-action>)."""
    return {code for e in elements(svg) if e.tag == "path"
            for code in e.attrs.get("data-action", "").split()}


# Attributes through which a page makes the browser fetch something by itself.
_FETCHING = {
    "script": ("src",),
    "link": ("href",),  # stylesheets, fonts (preload), icons, preconnect, manifest
    "img": ("src", "srcset"),
    "source": ("src", "srcset"),
    "iframe": ("src",),
    "audio": ("src",),
    "video": ("src", "poster"),
    "embed": ("src",),
    "object": ("data",),
}
_NAMING_RELS = {"canonical", "alternate"}  # with site_url set, these carry absolute URLs
_EXTERNAL = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]*:)?//", re.I)  # http://, https://, //host
_CSS_URL = re.compile(r"""url\(\s*['"]?([^'")]+)""", re.I)
_CSS_IMPORT = re.compile(r"""@import\s+(?:url\()?\s*['"]?([^'")\s;]+)""", re.I)


def third_party_html(html: str) -> list[str]:
    """Every src/href of a fetching element that points at another host."""
    found = []
    for element in elements(html):
        rels = set(element.attrs.get("rel", "").lower().split())
        if element.tag == "link" and rels and rels <= _NAMING_RELS:
            continue  # <link rel=canonical|alternate> names an address; nothing fetches it
        for attribute in _FETCHING.get(element.tag, ()):
            value = element.attrs.get(attribute, "")
            if value and _EXTERNAL.match(value):
                found.append(f"<{element.tag} {attribute}={value}>")
    return found


def third_party_css(css: str) -> list[str]:
    """url(...) and @import in a stylesheet that point at another host (data: is fine)."""
    urls = _CSS_URL.findall(css) + _CSS_IMPORT.findall(css)
    return sorted({u for u in urls if not u.strip().lower().startswith("data:") and _EXTERNAL.match(u)})
