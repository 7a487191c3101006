"""The resident site builds strictly and carries what residents and the scripts rely on."""
from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urljoin

import pytest
import yaml

from butler.domain.repairs import CATEGORIES, RESIDENT_URGENCIES
from butler.domain.service_levels import urgency
from tests.site import scan
from tests.site.conftest import COMMUNITY_FILE, PAGES, ROOT

FORM_FIELDS = ("category", "urgency", "location_type", "unit", "location", "description",
               "contact_name", "contact_phone", "preferred_time")
EMERGENCY_CODES = {c.code for c in CATEGORIES if c.emergency}
CONTENT = ROOT / "site" / "content"
SCRIPTS = CONTENT / "assets" / "javascripts"


# ------------------------------------------------------------------ pages


@pytest.mark.parametrize("key", sorted(PAGES))
def test_page_exists_in_chinese(built_site, key):
    path = built_site / PAGES[key]
    assert path.is_file(), f"missing page {PAGES[key]}"
    html = path.read_text(encoding="utf-8")
    assert '<html lang="zh"' in html
    body = scan.article(html)
    assert len(re.findall(r"[\u4e00-\u9fff]", body)) > 50, "page content is not Chinese"


def test_home_links_to_every_quick_action(page_html):
    links = scan.elements(scan.article(page_html("home")))
    targets = {e.attrs.get("href") for e in links
               if e.tag == "a" and "quick-action" in e.attrs.get("class", "").split()}
    assert targets == {"repairs/", "complaints/", "survey/", "track/", "emergency/"}


def test_home_shows_community_name_and_hours(page_html, community):
    body = scan.article(page_html("home"))
    assert community["name"] in body
    assert community["service_center"]["hours"] in body


# ------------------------------------------------------------------ repair form


def _repair_form(page_html):
    return [e for e in scan.elements(page_html("repairs")) if e.inside("form", id="repair-form")]


def test_repair_form_has_an_option_for_every_category(page_html):
    options = [e for e in _repair_form(page_html)
               if e.tag == "option" and e.inside("select", name="category") and e.attrs.get("value")]
    values = [o.attrs["value"] for o in options]
    assert sorted(values) == sorted(c.code for c in CATEGORIES)
    assert len(values) == len(set(values)), "a category is offered twice"


def test_repair_form_marks_exactly_the_emergency_categories(page_html):
    options = [e for e in _repair_form(page_html)
               if e.tag == "option" and e.inside("select", name="category") and e.attrs.get("value")]
    flagged = {o.attrs["value"] for o in options if o.attrs.get("data-emergency") == "true"}
    grouped = {o.attrs["value"] for o in options
               if o.inside("optgroup", **{"data-group": "emergency"})}
    assert EMERGENCY_CODES, "the domain has no emergency categories?"
    assert flagged == EMERGENCY_CODES
    assert grouped == EMERGENCY_CODES


def test_every_api_field_is_a_form_control(page_html):
    # a control by its name, or the parts of a group (the unit pickers) by data-field
    names = {e.attrs.get("name") or e.attrs.get("data-field") for e in _repair_form(page_html)
             if e.tag in {"input", "select", "textarea"}}
    missing = set(FORM_FIELDS) - names
    assert not missing, f"no form control named {sorted(missing)}"


@pytest.mark.parametrize("name", FORM_FIELDS)
def test_field_has_id_and_linked_error(page_html, name):
    scan.linked_field(page_html("repairs"), "repair-form", name)


def test_resident_urgencies_are_offered_with_their_response_times(page_html, hooks):
    form = _repair_form(page_html)
    offered = {e.attrs["value"] for e in form
               if e.tag == "input" and e.attrs.get("name") == "urgency"}
    assert offered == set(RESIDENT_URGENCIES)
    html = page_html("repairs")
    for code in RESIDENT_URGENCIES:
        assert f"{hooks.duration(urgency(code).respond_within)}内响应" in html


def test_repair_page_ids_the_scripts_and_tests_rely_on(page_html):
    ids = scan.by_id(page_html("repairs"))
    for required in ("repair-form", "form-error", "submit-repair", "call-now", "repair-result",
                     "result-reference", "tracking-link"):
        assert required in ids, f"no element id={required}"
    assert ids["form-error"].attrs.get("role") == "alert"
    assert "hidden" in ids["repair-result"].attrs
    assert "hidden" in ids["call-now"].attrs
    assert ids["submit-repair"].tag == "button"
    assert ids["field-contact_phone"].attrs.get("type") == "tel"


def test_call_now_box_comes_before_the_rest_of_the_form(page_html):
    body = scan.article(page_html("repairs"))
    order = [body.index(f'id="{i}"') for i in
             ("field-category", "call-now", "field-urgency", "field-location_type", "field-description")]
    assert order == sorted(order)


def test_every_emergency_category_has_a_call_now_case(page_html, community):
    cases = {e.attrs["data-category"]: e for e in scan.elements(page_html("repairs"))
             if "call-now__case" in e.attrs.get("class", "")}
    assert set(cases) == EMERGENCY_CODES
    html = page_html("repairs")
    for code in EMERGENCY_CODES:
        for key in community["emergencies"][code]["call"]:
            assert f'href="tel:{community["phones"][key]["dial"]}"' in html


def test_tracking_link_points_at_the_track_page(page_html):
    link = scan.by_id(page_html("repairs"))["tracking-link"]
    href = link.attrs["href"]
    assert "?" not in href
    assert urljoin("https://example.test/repairs/", href) == "https://example.test/track/"


def test_repair_page_says_what_to_do_without_scripts(page_html, community):
    html = page_html("repairs")
    noscript = re.search(r"<noscript>(.*?)</noscript>", scan.article(html), re.S)
    assert noscript, "no <noscript> note"
    assert f'href="tel:{community["phones"]["hotline"]["dial"]}"' in noscript.group(1)


# ------------------------------------------------------------------ tracking page


def test_track_page_ids(page_html):
    ids = scan.by_id(page_html("track"))
    for required in ("track-form", "track-reference", "track-token", "track-status",
                     "track-timeline", "track-error", "my-repairs", "my-repairs-list"):
        assert required in ids, f"no element id={required}"
    assert ids["track-timeline"].tag == "ol"
    assert ids["track-reference"].inside("form", id="track-form")
    assert ids["track-token"].inside("form", id="track-form")


def _code(path: Path) -> str:
    """A script without its comments."""
    source = path.read_text(encoding="utf-8")
    return re.sub(r"//[^\n]*", "", re.sub(r"/\*.*?\*/", "", source, flags=re.S))


def test_scripts_keep_the_token_out_of_query_strings():
    fragment = re.compile(r"'#ref='\s*\+\s*encodeURIComponent\([^)]*\)\s*\+\s*'&token='")
    for name in ("forms.js", "my-cases.js", "repair-form.js", "complaint-form.js", "track.js"):
        code = _code(SCRIPTS / name)
        assert "?token" not in code and "?ref" not in code, name
        # every "token=" the scripts write is the fragment #ref=...&token=...
        assert code.count("token=") == len(fragment.findall(code)), name
    # The one place that builds the link, used by both forms and the tracking page.
    assert len(fragment.findall(_code(SCRIPTS / "forms.js"))) == 1
    assert "link.setAttribute('href', base + trackingFragment(" in _code(SCRIPTS / "forms.js")
    track = _code(SCRIPTS / "track.js")
    # the tracking page only reads the link (and clears it), it never writes a token into a URL
    assert "trackingFragment(" not in track and "location.hash =" not in track
    assert "Authorization: 'Bearer ' + token" in track


# ------------------------------------------------------------------ phone numbers


@pytest.mark.parametrize("key", ["home", "repairs", "emergency"])
def test_hotline_is_a_tel_link_in_the_page_content(page_html, community, key):
    # The footer carries the hotline too; the page's own content must have it.
    hotline = community["phones"]["hotline"]
    body = scan.article(page_html(key))
    assert f'href="tel:{hotline["dial"]}"' in body


def test_emergency_page_lists_every_number_as_tel_link(page_html, community):
    body = scan.article(page_html("emergency"))
    keys = community["emergency_page_phones"]
    assert {"hotline", "duty", "police", "fire", "ambulance", "gas"} <= set(keys)
    for key in keys:
        assert f'href="tel:{community["phones"][key]["dial"]}"' in body, key


def test_emergency_page_has_first_steps_for_every_emergency(page_html, community):
    body = scan.article(page_html("emergency"))
    for code in EMERGENCY_CODES:
        assert community["emergencies"][code]["first_step"] in body, code


def test_example_numbers_are_typed_only_in_community_yml(community):
    # Local lines (not 110/119/120/95598) must come from the data file, never the pages.
    local = [p for p in community["phones"].values() if len(str(p["dial"])) > 6]
    assert local, "no local numbers to check"
    for path in CONTENT.rglob("*"):
        if path.suffix not in {".md", ".html", ".js", ".css"}:
            continue
        text = path.read_text(encoding="utf-8")
        for phone in local:
            number = phone["display"].split("（")[0]
            assert str(phone["dial"]) not in text and number not in text, (path, number)


# ------------------------------------------------------------------ third parties, CSP


def test_no_third_party_fetches(built_site):
    offenders = []
    for path in built_site.rglob("*.html"):
        offenders += [f"{path.relative_to(built_site)}: {x}"
                      for x in scan.third_party_html(path.read_text(encoding="utf-8"))]
    for path in built_site.rglob("*.css"):
        offenders += [f"{path.relative_to(built_site)}: {x}"
                      for x in scan.third_party_css(path.read_text(encoding="utf-8"))]
    assert not offenders, "\n".join(offenders)


def test_no_google_fonts_anywhere(built_site):
    checked = 0
    for path in built_site.rglob("*"):
        if path.is_file() and path.suffix in {".html", ".css", ".js", ".json", ".xml", ".map"}:
            text = path.read_text(encoding="utf-8", errors="replace")
            checked += 1
            assert "fonts.googleapis" not in text and "fonts.gstatic" not in text, path
    assert checked > 10


PAGE_SCRIPTS = {  # each page loads its own scripts only (ADR 0006)
    "repairs": ["forms.js", "repair-form.js"],
    "complaints": ["forms.js", "complaint-form.js"],
    "survey": ["forms.js", "survey-form.js"],
    "track": ["forms.js", "track.js"],
}
FORM_SCRIPTS = {name for names in PAGE_SCRIPTS.values() for name in names}


def _our_scripts(html):
    return [e.attrs["src"].rsplit("/", 1)[-1] for e in scan.elements(html)
            if e.tag == "script" and "src" in e.attrs and "/assets/javascripts/" in e.attrs["src"]
            and "bundle." not in e.attrs["src"]]


@pytest.mark.parametrize("key", sorted(PAGES))
def test_each_page_loads_only_its_own_scripts_from_the_site(page_html, key):
    html = page_html(key)
    styles = [e.attrs["href"] for e in scan.elements(html)
              if e.tag == "link" and e.attrs.get("rel") == "stylesheet"]

    mine = [name for name in _our_scripts(html) if name in FORM_SCRIPTS]

    assert mine == PAGE_SCRIPTS.get(key, []), key
    assert any(href.endswith("assets/stylesheets/butler.css") for href in styles)


@pytest.mark.parametrize("key", sorted(PAGES))
def test_page_content_has_no_inline_scripts_or_handlers(page_html, key):
    body = scan.article(page_html(key))
    assert "<script" not in body
    handlers = [f"{e.tag} {a}" for e in scan.elements(body) for a in e.attrs if a.startswith("on")]
    assert not handlers


def test_site_sources_are_not_published(built_site):
    assert not (built_site / "hooks.py").exists()
    assert not list(built_site.rglob("community.yml"))
    assert not list(built_site.rglob("*.py"))


# ------------------------------------------------------------------ the scanners can fail


def test_scanner_flags_third_party_references():
    html = ('<link rel="stylesheet" href="https://fonts.googleapis.com/css?family=Roboto">'
            '<script src="//cdn.example.com/x.js"></script><img src="/ok.png">'
            '<a href="https://example.com/">a link is not a fetch</a>')
    assert len(scan.third_party_html(html)) == 2
    css = ('@import url("https://evil.example/x.css"); '
           "a{background:url('data:image/svg+xml,<svg xmlns=\"http://www.w3.org/2000/svg\"/>')}")
    assert scan.third_party_css(css) == ["https://evil.example/x.css"]


def test_scanner_sees_form_nesting():
    html = '<form id="f"><div><select name="category"><option value="a">A</option></select></div></form><option value="b">'
    inside = [e.attrs["value"] for e in scan.elements(html) if e.tag == "option" and e.inside("form", id="f")]
    assert inside == ["a"]


# ------------------------------------------------------------------ the hook


def test_hook_leaves_pages_without_render_alone(hooks):
    text = "# 标题 {#anchor}\n\n{{ not a template }} {% nor this %}\n"
    page = SimpleNamespace(meta={}, file=SimpleNamespace(src_uri="plain.md"))
    assert hooks.on_page_markdown(text, page=page, config=None, files=None) == text


def test_hook_renders_opted_in_pages(hooks, community):
    config = SimpleNamespace(extra={}, site_name="", site_description="")
    hooks.on_config(config)
    page = SimpleNamespace(meta={"render": True}, file=SimpleNamespace(src_uri="x.md"))
    out = hooks.on_page_markdown("{{ community.name }} {{ tel('hotline') }} {{ repair_categories|length }}",
                                 page=page, config=config, files=None)
    hotline = community["phones"]["hotline"]
    assert out.startswith(community["name"])
    assert f'<a class="tel" href="tel:{hotline["dial"]}">{hotline["display"]}</a>' in out
    assert out.endswith(str(len(CATEGORIES)))
    assert config.site_name == community["site_name"]


def test_hook_fails_the_build_on_unknown_variables(hooks):
    from mkdocs.exceptions import PluginError

    hooks.on_config(SimpleNamespace(extra={}, site_name="", site_description=""))
    page = SimpleNamespace(meta={"render": True}, file=SimpleNamespace(src_uri="x.md"))
    with pytest.raises(PluginError, match="x.md"):
        hooks.on_page_markdown("{{ comunity.name }}", page=page, config=None, files=None)


def test_community_file_must_cover_every_emergency_category(hooks, tmp_path: Path):
    from mkdocs.exceptions import PluginError

    data = yaml.safe_load(COMMUNITY_FILE.read_text(encoding="utf-8"))
    assert hooks.load_community(COMMUNITY_FILE)["name"] == data["name"]
    del data["emergencies"]["gas_leak"]
    broken = tmp_path / "community.yml"
    broken.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(PluginError, match="gas_leak"):
        hooks.load_community(broken)


def test_community_phones_must_be_dialable(hooks, tmp_path: Path):
    from mkdocs.exceptions import PluginError

    data = yaml.safe_load(COMMUNITY_FILE.read_text(encoding="utf-8"))
    data["phones"]["hotline"]["dial"] = "0571-8888-0000（示例）"
    broken = tmp_path / "community.yml"
    broken.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(PluginError, match="dialable"):
        hooks.load_community(broken)
