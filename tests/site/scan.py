"""Small HTML readers for the built site (stdlib only): elements with their attributes,
the page's own content, and references that would make the browser call another host."""
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


def article(html: str) -> str:
    """The page's own content (Material's <article>), without header, nav and footer."""
    match = re.search(r"<article\b[^>]*>(.*)</article>", html, re.S)
    assert match, "page has no <article>"
    return match.group(1)


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
_EXTERNAL = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]*:)?//", re.I)  # http://, https://, //host
_CSS_URL = re.compile(r"""url\(\s*['"]?([^'")]+)""", re.I)
_CSS_IMPORT = re.compile(r"""@import\s+(?:url\()?\s*['"]?([^'")\s;]+)""", re.I)


def third_party_html(html: str) -> list[str]:
    """Every src/href of a fetching element that points at another host."""
    found = []
    for element in elements(html):
        for attribute in _FETCHING.get(element.tag, ()):
            value = element.attrs.get(attribute, "")
            if value and _EXTERNAL.match(value):
                found.append(f"<{element.tag} {attribute}={value}>")
    return found


def third_party_css(css: str) -> list[str]:
    """url(...) and @import in a stylesheet that point at another host (data: is fine)."""
    urls = _CSS_URL.findall(css) + _CSS_IMPORT.findall(css)
    return sorted({u for u in urls if not u.strip().lower().startswith("data:") and _EXTERNAL.match(u)})
