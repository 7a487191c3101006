"""The quarterly satisfaction survey on the site: the form (every area and score of
``butler.domain.surveys``, ids, linked errors, the script's wiring) and the results page.

Every number on the results page is checked twice: against ``surveys.results()`` for the
data files, and against a recount from the counts in the files done here with integers
and half-up rounding, so a page cannot drift from the domain and the domain's arithmetic
is checked too. The charts are checked bar by bar. The pages are built from the demo files
in ``site/data/surveys`` and, through ``BUTLER_SURVEY_DATA``, from generated ones (a gap,
a quarter without answers, more quarters than the trend chart draws); a file that does not
add up fails the build. Only quarters that are over at the build time are published (a
file of the current quarter waits, one of a later quarter fails the build), so the demo
files are of past quarters. The ``*_can_fail`` tests feed the same checks a tampered page."""
from __future__ import annotations

import json
import os
import random
import re
import shutil
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urljoin

import pytest

from butler.domain.surveys import (
    AREAS,
    CODE_LENGTH,
    CODE_PATTERN,
    COMMENT_MAX,
    OVERALL,
    OVERALL_LABEL,
    SCORE_LABELS,
    SCORES,
    quarter_bounds,
    quarter_label,
    quarter_of,
    results,
)
from tests.site import scan
from tests.site.conftest import ROOT
from tests.site.test_build import CONTENT, SCRIPTS, _code

DATA_DIR = ROOT / "site" / "data" / "surveys"
LATEST = sorted(p.stem for p in DATA_DIR.glob("*.json"))[-1]  # the latest demo quarter
RESULTS_PAGE = CONTENT / "survey" / "results.md"
AREA_FIELDS = tuple(f"scores.{a.code}" for a in AREAS)
FORM_FIELDS = ("code", *AREA_FIELDS, "overall", "recommend", "comment")
CHARTED = (*(a.code for a in AREAS), OVERALL)  # one distribution chart each
TREND_QUARTERS = 8


# ------------------------------------------------------------------ data


def tallies(directory: Path = DATA_DIR) -> dict[str, dict]:
    """The data files as they are, by quarter, oldest first (read here, not by the hook)."""
    found = {}
    for path in sorted(directory.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        found[data["quarter"]] = data
    return found


def _previous(quarter: str) -> str:
    year, number = int(quarter[:4]), int(quarter[-1])
    return f"{year - 1}Q4" if number == 1 else f"{year}Q{number - 1}"


def _counts(data: dict, code: str) -> dict[str, int]:
    return data["overall"] if code == OVERALL else data["areas"][code]


# ------------------------------------------------------------------ expected: the domain's numbers


def _domain_change(value) -> str:
    if value is None:
        return "—"
    return "持平" if value == 0 else (f"↑ +{value}" if value > 0 else f"↓ {value}")


def by_domain(data: dict[str, dict]) -> dict:
    """What the page should show, from ``results()`` (Decimals written as they are)."""
    def text(value, unit=""):
        return "—" if value is None else f"{value}{unit}"

    quarters = list(data)
    history = {q: results(data[q], data.get(_previous(q))) for q in quarters}
    latest = history[quarters[-1]]
    return {
        "facts": {"invited": str(latest.invited), "responses": str(latest.responses),
                  "response_rate": text(latest.response_rate, "%"),
                  "recommend_rate": text(latest.recommend_rate, "%")},
        "areas": {a.code: {"mean": text(a.mean), "change": _domain_change(a.change),
                           "counts": {s: str(c) for s, c in a.counts.items()},
                           "shares": {s: text(v, "%") for s, v in a.shares.items()}} for a in latest.areas},
        "history": {q: {"label": r.label, "responses": str(r.responses), "response_rate": text(r.response_rate, "%"),
                        "recommend_rate": text(r.recommend_rate, "%"),
                        "means": {a.code: text(a.mean) for a in r.areas}} for q, r in history.items()},
    }


# ------------------------------------------------------------------ expected: a recount with integers


def half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator to a whole number, halves up (both non-negative)."""
    return (2 * numerator + denominator) // (2 * denominator)


def hundredths(counts: dict[str, int]) -> int | None:
    """The mean score in hundredths, half up; None without answers."""
    n = sum(counts.values())
    return half_up(100 * sum(int(s) * c for s, c in counts.items()), n) if n else None


def mean_text(counts: dict[str, int]) -> str:
    h = hundredths(counts)
    return "—" if h is None else f"{h // 100}.{h % 100:02d}"


def percent_text(part: int, whole: int) -> str:
    if not whole:
        return "—"
    tenths = half_up(1000 * part, whole)
    return f"{tenths // 10}.{tenths % 10}%"


def change_text(now: dict[str, int], before: dict[str, int] | None) -> str:
    if before is None or hundredths(now) is None or hundredths(before) is None:
        return "—"
    diff = hundredths(now) - hundredths(before)
    if diff == 0:
        return "持平"
    return f"{'↑ +' if diff > 0 else '↓ -'}{abs(diff) // 100}.{abs(diff) % 100:02d}"


def by_recount(data: dict[str, dict]) -> dict:
    """What the page should show, counted again from the files without the domain."""
    latest = data[list(data)[-1]]
    before = data.get(_previous(latest["quarter"]))
    n = latest["responses"]
    yes, no = latest["recommend"]["yes"], latest["recommend"]["no"]
    return {
        "facts": {"invited": str(latest["invited"]), "responses": str(n),
                  "response_rate": percent_text(n, latest["invited"]), "recommend_rate": percent_text(yes, yes + no)},
        "areas": {code: {"mean": mean_text(_counts(latest, code)),
                         "change": change_text(_counts(latest, code), before and _counts(before, code)),
                         "counts": {str(s): str(_counts(latest, code)[str(s)]) for s in SCORES},
                         "shares": {str(s): percent_text(_counts(latest, code)[str(s)], n) for s in SCORES}}
                  for code in CHARTED},
        "history": {q: {"label": d["label"], "responses": str(d["responses"]),
                        "response_rate": percent_text(d["responses"], d["invited"]),
                        "recommend_rate": percent_text(d["recommend"]["yes"], sum(d["recommend"].values())),
                        "means": {code: mean_text(_counts(d, code)) for code in CHARTED}} for q, d in data.items()},
    }


# ------------------------------------------------------------------ what the page shows


def _stats(cells: list[scan.Element]) -> dict[str, str]:
    return {c.attrs["data-stat"]: c.text.strip() for c in cells if "data-stat" in c.attrs}


def shown(html: str) -> dict:
    """Every survey number on the results page, as text, in the shape of ``by_domain``."""
    elements = scan.elements(html)
    facts = {e.attrs["data-stat"]: e.text.strip() for e in elements
             if e.inside("dl", id="survey-facts") and "data-stat" in e.attrs}
    summary = {row.attrs["data-area"]: _stats(row.cells) for row in scan.rows(html, "survey-summary")}
    areas = {}
    for code, stats in summary.items():
        heading = [e for e in elements if e.inside("div", **{"data-area": code})
                   and e.inside("p", **{"class": "survey-area__mean"})]
        local_mean = [e.text.strip() for e in heading if e.attrs.get("data-stat") == "mean"]
        local_change = [e.text.strip() for e in heading if "survey-change" in e.attrs.get("class", "")]
        assert local_mean == [stats["mean"]] and local_change == [stats["change"]], \
            f"{code}: the area's own line differs from the summary table"
        rows = {row.attrs["data-score"]: _stats(row.cells) for row in scan.rows(html, f"survey-dist-{code}")}
        areas[code] = {"mean": stats["mean"], "change": stats["change"],
                       "counts": {s: r["count"] for s, r in rows.items()},
                       "shares": {s: r["share"] for s, r in rows.items()}}
    history = {}
    for row in scan.rows(html, "survey-history"):
        stats = _stats(row.cells)
        history[row.attrs["data-quarter"]] = {
            "label": row.cells[0].text.strip(), "responses": stats["responses"],
            "response_rate": stats["response_rate"], "recommend_rate": stats["recommend_rate"],
            "means": {c.attrs["data-area"]: c.text.strip() for c in row.cells if "data-area" in c.attrs}}
    return {"facts": facts, "areas": areas, "history": dict(sorted(history.items()))}


def chart(html: str, chart_id: str) -> str:
    match = re.search(rf'<svg\b[^>]*\bid="{chart_id}".*?</svg>', html, re.S)
    assert match, f"no inline SVG chart id={chart_id}"
    return match.group(0)


def bar_problems(svg: str, counts: dict[str, int]) -> list[str]:
    """What is wrong with a distribution chart: one bar per score, best first, each carrying
    its count, as long as the track times the score's share of the answers."""
    elements = scan.elements(svg)
    bars = [e for e in elements if e.tag == "rect" and e.attrs.get("class") == "survey-bar"]
    tracks = [e for e in elements if e.tag == "rect" and e.attrs.get("class") == "survey-track"]
    keys = [b.attrs.get("data-key") for b in bars]
    expected_keys = [str(s) for s in sorted(SCORES, reverse=True)]
    if keys != expected_keys:
        return [f"bars for scores {keys}, expected {expected_keys}"]
    problems = []
    total = sum(counts.values())
    full = float(tracks[0].attrs["width"]) if tracks else 0.0
    for bar in bars:
        key, width = bar.attrs["data-key"], float(bar.attrs["width"])
        if bar.attrs.get("data-value") != str(counts[key]):
            problems.append(f"score {key}: bar says {bar.attrs.get('data-value')}, the file {counts[key]}")
        expected = full * counts[key] / total if total else 0.0
        if abs(width - expected) > 0.006:
            problems.append(f"score {key}: width {width}, expected {expected:.3f} ({counts[key]} of {total})")
    return problems


def chart_words(svg: str) -> tuple[str, str, str]:
    """(role, accessible name ids, title + desc text) of a chart."""
    root = scan.elements(svg)[0]
    texts = {e.attrs["id"]: e.text for e in scan.elements(svg) if e.tag in ("title", "desc")}
    return root.attrs.get("role", ""), root.attrs.get("aria-labelledby", ""), " ".join(texts.values())


def trend_problems(svg: str, data: dict[str, dict]) -> list[str]:
    """The trend chart: one column per quarter (the latest eight), oldest first, as tall as
    the overall mean on a 0–5 scale (none for a quarter without answers), labelled with it."""
    shown_quarters = list(data)[-TREND_QUARTERS:]
    columns = [e for e in scan.elements(svg) if e.tag == "g" and e.attrs.get("class") == "survey-column"]
    if [c.attrs["data-key"] for c in columns] != shown_quarters:
        return [f"columns {[c.attrs['data-key'] for c in columns]}, expected {shown_quarters}"]
    elements = scan.elements(svg)
    bars = {e.attrs["data-key"]: float(e.attrs["height"]) for e in elements
            if e.tag == "rect" and e.attrs.get("class") == "survey-bar"}
    labels = {dict(e.ancestors)["g"].get("data-key"): e.text.strip() for e in elements
              if e.tag == "text" and e.attrs.get("class") == "survey-value"}
    per_point = {q: bars[q] / hundredths(data[q]["overall"]) for q in bars if hundredths(data[q]["overall"])}
    problems = []
    for q in shown_quarters:
        if labels[q] != mean_text(data[q]["overall"]):
            problems.append(f"{q}: labelled {labels[q]}, expected {mean_text(data[q]['overall'])}")
        if (q in bars) != (hundredths(data[q]["overall"]) is not None):
            problems.append(f"{q}: a column drawn for no answers, or none for answers")
    if per_point and max(per_point.values()) - min(per_point.values()) > 0.0005:
        problems.append(f"column heights are not proportional to the means: {per_point}")
    return problems


def check_results_page(html: str, data: dict[str, dict]) -> None:
    assert by_domain(data) == by_recount(data), "the domain and the recount disagree"
    assert shown(html) == by_domain(data)
    latest = data[list(data)[-1]]
    for code in CHARTED:
        svg = chart(html, f"survey-chart-{code}")
        assert bar_problems(svg, _counts(latest, code)) == [], code
        role, labelled_by, words = chart_words(svg)
        assert role == "img" and labelled_by == f"survey-chart-{code}-title survey-chart-{code}-desc"
        n = latest["responses"]
        for s in SCORES:
            count = _counts(latest, code)[str(s)]
            assert f"{s} 分（{SCORE_LABELS[s]}）{count} 户，占 {percent_text(count, n)}" in words, (code, s)
        assert f"平均 {mean_text(_counts(latest, code))} 分" in words
    assert trend_problems(chart(html, "survey-trend-overall"), data) == []


# ------------------------------------------------------------------ building from other files


def build(out: Path, survey_dir: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1", BUTLER_SURVEY_DATA=str(survey_dir))
    return subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
                          cwd=ROOT, capture_output=True, text=True, env=env, timeout=300)


def generated_tally(rng: random.Random, quarter: str, responses: int) -> dict:
    def split() -> dict[str, int]:
        cuts = sorted(rng.randint(0, responses) for _ in SCORES[1:])
        return {str(s): b - a for s, a, b in zip(SCORES, [0, *cuts], [*cuts, responses])}

    yes = rng.randint(0, responses)
    return {"quarter": quarter, "label": quarter_label(quarter), "opens_at": "2025-01-06",
            "closes_at": "2025-02-03", "invited": responses + rng.randint(0, 300), "responses": responses,
            "areas": {a.code: split() for a in AREAS}, "overall": split(),
            "recommend": {"yes": yes, "no": responses - yes}}


def write_tallies(directory: Path, found: dict[str, dict]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for quarter, data in found.items():
        (directory / f"{quarter}.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> tuple[str, dict[str, dict]]:
    """The results page built from ten generated quarters: 2024Q2 without answers, no
    2025Q2 at all, the latest (2026Q3) with a score nobody gave."""
    rng = random.Random(7)
    quarters = [f"{y}Q{q}" for y in (2024, 2025, 2026) for q in (1, 2, 3, 4)]
    quarters = [q for q in quarters if q != "2025Q2"][:10]
    data = {q: generated_tally(rng, q, 0 if q == "2024Q2" else rng.randint(5, 700)) for q in quarters}
    data[quarters[-1]]["areas"]["security"]["2"] += data[quarters[-1]]["areas"]["security"]["1"]
    data[quarters[-1]]["areas"]["security"]["1"] = 0
    directory = tmp_path_factory.mktemp("surveys")
    write_tallies(directory, data)
    out = tmp_path_factory.mktemp("site-generated")
    result = build(out, directory)
    assert result.returncode == 0, result.stdout + result.stderr
    return (out / "survey" / "results" / "index.html").read_text(encoding="utf-8"), tallies(directory)


# ------------------------------------------------------------------ the form


def _form(page: str) -> list[scan.Element]:
    return [e for e in scan.elements(page) if e.inside("form", id="survey-form")]


def offered(page: str, name: str) -> list[tuple[str, str, str]]:
    """(value, id, visible text of its label) of every radio called ``name`` in the form."""
    labels = {e.attrs.get("for"): " ".join(e.text.split()) for e in _form(page) if e.tag == "label"}
    return [(e.attrs.get("value"), e.attrs.get("id"), labels.get(e.attrs.get("id"), "")) for e in _form(page)
            if e.tag == "input" and e.attrs.get("type") == "radio" and e.attrs.get("name") == name]


def legends(page: str) -> dict[str, str]:
    """{fieldset id: its legend's text} inside the form."""
    return {e.ancestors[-1][1].get("id"): " ".join(e.text.split()) for e in _form(page) if e.tag == "legend"}


@pytest.mark.parametrize("area", AREAS, ids=[a.code for a in AREAS])
def test_form_offers_every_score_for_every_area(page_html, area):
    page = page_html("survey")
    assert offered(page, f"scores.{area.code}") == [
        (str(s), f"score-{area.code}-{s}", f"{s}{SCORE_LABELS[s]}") for s in SCORES]
    assert legends(page)[f"field-scores.{area.code}"].startswith(area.label)


def test_form_areas_are_the_domains_in_order(page_html):
    fieldsets = [e.attrs["data-area"] for e in _form(page_html("survey")) if e.tag == "fieldset"
                 and "data-area" in e.attrs]
    assert fieldsets == [a.code for a in AREAS]


def test_form_asks_overall_score_recommendation_and_comment(page_html):
    page = page_html("survey")
    assert offered(page, "overall") == [(str(s), f"overall-{s}", f"{s}{SCORE_LABELS[s]}") for s in SCORES]
    assert legends(page)["field-overall"].startswith(OVERALL_LABEL)
    assert [(v, i) for v, i, _ in offered(page, "recommend")] == [("yes", "recommend-yes"), ("no", "recommend-no")]
    ids = scan.by_id(page)
    comment = ids["field-comment"]
    # the limit as the server counts it (data-max-chars, forms.js), never a maxlength that cuts
    assert comment.tag == "textarea" and comment.attrs["data-max-chars"] == str(COMMENT_MAX)
    assert "maxlength" not in comment.attrs
    assert "required" not in comment.attrs, "the comment is optional"
    code = ids["field-code"]
    assert code.tag == "input" and code.attrs["type"] == "text" and "required" in code.attrs
    assert code.attrs.get("autocomplete") == "off"


@pytest.mark.parametrize("name", FORM_FIELDS)
def test_every_field_has_its_id_and_a_linked_error(page_html, name):
    page = page_html("survey")
    field = scan.linked_field(page, "survey-form", name)
    if field.tag == "fieldset":
        assert f"field-{name}" in legends(page), f"fieldset field-{name} has no legend"
    controls = {e.attrs.get("name") for e in _form(page) if e.tag in {"input", "textarea"}}
    assert name in controls, f"no form control named {name}"


def test_form_page_ids_the_script_relies_on(page_html):
    ids = scan.required_ids(
        page_html("survey"),
        required=("survey-form", "form-error", "submit-survey", "survey-result", "survey-result-title",
                  "survey-result-quarter", "comment-count"),
        hidden=("form-error", "survey-result", "survey-result-quarter"))
    assert ids["form-error"].attrs.get("role") == "alert"
    assert ids["submit-survey"].tag == "button" and ids["submit-survey"].inside("form", id="survey-form")
    assert not ids["survey-result"].inside("form", id="survey-form")
    form = ids["survey-form"].attrs
    assert form["data-code-pattern"] == CODE_PATTERN.pattern
    assert form["data-code-length"] == str(CODE_LENGTH)


def test_form_page_works_without_scripts_and_links_the_results(page_html, community):
    body = scan.article(page_html("survey"))
    assert "即将开通" not in body
    noscript = re.search(r"<noscript>(.*?)</noscript>", body, re.S)
    assert noscript, "no <noscript> note"
    assert f'href="tel:{community["phones"]["hotline"]["dial"]}"' in noscript.group(1)
    hrefs = {urljoin("https://x.test/survey/", e.attrs["href"]) for e in scan.elements(body)
             if e.tag == "a" and "href" in e.attrs}
    assert "https://x.test/survey/results/" in hrefs
    listed = [e.text.strip() for e in scan.elements(body) if e.tag == "li" and e.inside("ol")]
    assert listed == [a.label for a in AREAS]


def test_home_page_links_the_survey_and_shows_the_latest_overall_mean(page_html):
    body = scan.article(page_html("home"))
    hrefs = {urljoin("https://x.test/", e.attrs["href"]) for e in scan.elements(body)
             if e.tag == "a" and "href" in e.attrs}
    assert {"https://x.test/survey/", "https://x.test/survey/results/"} <= hrefs
    data = tallies()
    assert scan.by_id(body)["home-survey-overall"].text == mean_text(data[list(data)[-1]]["overall"])


def test_form_checks_can_fail(page_html):
    page = page_html("survey")
    without = re.sub(r'<input type="radio" name="scores.security" id="score-security-3"[^>]*>', "", page)
    assert len(offered(without, "scores.security")) == len(SCORES) - 1
    relabelled = page.replace(f'<span class="rating-choice__word">{SCORE_LABELS[1]}</span>',
                              '<span class="rating-choice__word">差</span>', 1)
    assert offered(relabelled, "scores.reception")[0][2] == "1差"
    outside = page.replace('<form id="survey-form"', '<form id="elsewhere"')
    assert offered(outside, "overall") == []


# ------------------------------------------------------------------ the form's script


def test_survey_page_loads_the_shared_script_first(page_html):
    scripts = [e.attrs["src"].rsplit("/", 1)[-1] for e in scan.elements(page_html("survey"))
               if e.tag == "script" and "src" in e.attrs]
    assert scripts.index("forms.js") < scripts.index("survey-form.js")


def test_survey_script_posts_through_the_shared_form():
    shared = _code(SCRIPTS / "forms.js")
    assert "function jsonForm(" in shared and "jsonForm: jsonForm" in shared
    assert "return jsonForm(form, Object.assign({}, options, {" in shared, "caseForm is a jsonForm"
    assert "options.accepted(data)" in shared
    code = _code(SCRIPTS / "survey-form.js")
    assert "window.Butler.enhance('survey-form', (form, B) => {" in code
    assert "B.jsonForm(form, {" in code
    assert "const API = '/api/surveys'" in code
    assert "accepted: (data) => data.status === 'recorded'" in code
    # Nothing of the shared machinery is copied into the form script.
    for copied in ("Idempotency-Key", "localStorage", "randomUUID", "error.fields", "fetch("):
        assert copied not in code, copied


def test_survey_script_sends_the_body_the_api_expects():
    code = _code(SCRIPTS / "survey-form.js")
    # The areas come from the page (the domain), the field names are the body paths the API
    # reports errors by (scores.reception ...).
    assert "form.querySelectorAll('fieldset[data-area]')" in code
    assert "['code'].concat(AREAS.map((area) => 'scores.' + area), ['overall', 'recommend', 'comment'])" in code
    for area in AREAS:
        assert f"'{area.code}'" not in code, area.code
    for key in ("code: normalizeCode(", "scores: scores", "overall: Number(", "recommend: value('recommend') === 'yes'",
                "body.comment = "):
        assert key in code, key
    assert "new RegExp(form.dataset.codePattern)" in code and "Number(form.dataset.codeLength)" in code


def test_survey_script_reads_the_code_from_the_fragment_only():
    code = _code(SCRIPTS / "survey-form.js")
    assert "location.search" not in code and "?code" not in code
    assert "ctl.prefill(" not in code, "prefill also reads the query string"
    assert "new URLSearchParams(hash).get('code')" in code
    assert "window.history.replaceState(null, '', window.location.pathname)" in code


# ------------------------------------------------------------------ the results page


def test_demo_files_are_consistent():
    # The demo generator rewrites them: only their shape is relied on, never their numbers.
    data = tallies()
    quarters = list(data)
    assert len(quarters) >= 2 and _previous(quarters[-1]) == quarters[-2], "no quarter to compare with"
    for d in data.values():
        assert 0 < d["responses"] <= d["invited"]
        for counts in (*d["areas"].values(), d["overall"]):
            assert sum(counts.values()) == d["responses"]
        assert d["recommend"]["yes"] + d["recommend"]["no"] == d["responses"]


def test_demo_files_are_of_quarters_that_are_over():
    """The local stack runs this quarter's survey live beside the site: the demo publishes
    only quarters before it, so the two never contradict each other."""
    now = datetime.now(timezone.utc)
    assert tallies() and all(quarter_bounds(q)[1] <= now for q in tallies()), sorted(tallies())
    assert quarter_of(now) not in tallies()


def _next(quarter: str) -> str:
    return quarter_of(quarter_bounds(quarter)[1])


def _facts_quarter(html: str) -> str:
    return scan.by_id(html)["survey-facts"].attrs["data-quarter"]


def test_only_quarters_that_are_over_are_published(hooks, tmp_path, monkeypatch):
    data = tallies()
    current = json.loads(json.dumps(data[LATEST]))
    current.update(quarter=_next(LATEST), label=quarter_label(_next(LATEST)))
    write_tallies(tmp_path, {**data, current["quarter"]: current})
    start, end = quarter_bounds(current["quarter"])

    monkeypatch.setenv("BUTLER_BUILD_TIME", (start + timedelta(days=20)).isoformat())
    during = _render_results(hooks, tmp_path, monkeypatch)
    monkeypatch.setenv("BUTLER_BUILD_TIME", end.isoformat())
    after = _render_results(hooks, tmp_path, monkeypatch)

    assert _facts_quarter(during) == LATEST and current["quarter"] not in shown(during)["history"]
    assert _facts_quarter(after) == current["quarter"] and set(shown(after)["history"]) == {*data, current["quarter"]}


def test_a_file_of_a_quarter_not_begun_fails_the_build(hooks, tmp_path, monkeypatch):
    from mkdocs.exceptions import PluginError

    data = tallies()
    later = json.loads(json.dumps(data[LATEST]))
    later.update(quarter=_next(_next(LATEST)), label=quarter_label(_next(_next(LATEST))))
    write_tallies(tmp_path, {**data, later["quarter"]: later})
    monkeypatch.setenv("BUTLER_BUILD_TIME", (quarter_bounds(_next(LATEST))[0] + timedelta(days=1)).isoformat())

    with pytest.raises(PluginError, match=rf"{later['quarter']}\.json: results of {later['quarter']}, a quarter that has not begun"):
        _render_results(hooks, tmp_path, monkeypatch)


@pytest.mark.parametrize("years", [0, 1, 5])
def test_the_demo_files_stay_published_as_the_date_moves_on(hooks, monkeypatch, years):
    moment = datetime.now(timezone.utc) + timedelta(days=365 * years)
    monkeypatch.setenv("BUTLER_BUILD_TIME", moment.isoformat())
    html = _render_results(hooks, DATA_DIR, monkeypatch)
    assert _facts_quarter(html) == LATEST and sorted(shown(html)["history"]) == sorted(tallies())


def test_results_page_shows_the_domains_numbers(page_html):
    check_results_page(page_html("survey_results"), tallies())


def test_results_page_built_from_generated_files(generated):
    html, data = generated
    assert len(data) > TREND_QUARTERS
    check_results_page(html, data)
    shown_history = shown(html)["history"]
    assert shown_history["2024Q2"]["means"] == {code: "—" for code in CHARTED}
    assert "2025Q2" not in shown_history
    security = [e for e in scan.elements(chart(html, "survey-chart-security"))
                if e.tag == "rect" and e.attrs.get("data-key") == "1"]
    assert [float(e.attrs["width"]) for e in security] == [0.0]


def test_changes_compare_with_the_quarter_before(page_html, generated):
    data = tallies()
    assert _previous(list(data)[-1]) in data
    changes = {code: area["change"] for code, area in shown(page_html("survey_results"))["areas"].items()}
    assert all(re.fullmatch(r"(↑ \+|↓ -)\d\.\d\d|持平", c) for c in changes.values()), changes
    # 2026Q3 follows 2026Q2 in the generated files: changes everywhere, each against 2026Q2.
    html, _ = generated
    assert "2026 年第二季度" in scan.by_id(html)["survey-rounding"].text


def test_no_previous_quarter_shows_a_dash(hooks, tmp_path, monkeypatch):
    data = tallies()
    latest = data[list(data)[-1]]
    write_tallies(tmp_path, {latest["quarter"]: latest})
    html = _render_results(hooks, tmp_path, monkeypatch)
    assert {a["change"] for a in shown(html)["areas"].values()} == {"—"}
    assert "没有上一季度的调查结果" in scan.by_id(html)["survey-rounding"].text


def test_equal_means_show_no_change(hooks, tmp_path, monkeypatch):
    data = tallies()
    latest = data[list(data)[-1]]
    same = json.loads(json.dumps(latest))
    same.update(quarter=_previous(latest["quarter"]), label=quarter_label(_previous(latest["quarter"])))
    write_tallies(tmp_path, {same["quarter"]: same, latest["quarter"]: latest})
    html = _render_results(hooks, tmp_path, monkeypatch)
    assert {a["change"] for a in shown(html)["areas"].values()} == {"持平"}


def test_results_page_without_files_says_so(hooks, tmp_path, monkeypatch):
    html = _render_results(hooks, tmp_path, monkeypatch)
    assert "还没有公布的调查结果" in html and "<svg" not in html


def _render_results(hooks, directory: Path, monkeypatch) -> str:
    """results.md rendered by the hook over the files in ``directory`` (HTML parts only)."""
    monkeypatch.setenv("BUTLER_SURVEY_DATA", str(directory))
    hooks.on_config(SimpleNamespace(extra={}, site_name="", site_description=""))
    page = SimpleNamespace(meta={"render": True}, file=SimpleNamespace(src_uri="survey/results.md"))
    text = RESULTS_PAGE.read_text(encoding="utf-8").split("---", 2)[2]
    return hooks.on_page_markdown(text, page=page, config=None, files=None)


def test_results_checks_can_fail(page_html):
    html, data = page_html("survey_results"), tallies()
    latest = data[list(data)[-1]]
    count = latest["areas"]["facilities"]["5"]
    tampered = re.sub(rf'(<table id="survey-dist-facilities">.*?<td data-stat="count">){count}<',
                      rf"\g<1>{count + 1}<", html, count=1, flags=re.S)
    assert shown(tampered)["areas"]["facilities"]["counts"]["5"] == str(count + 1)
    with pytest.raises(AssertionError):
        check_results_page(tampered, data)
    tampered = re.sub(r'(<tr data-area="overall">.*?<td data-stat="mean">)[^<]*', r"\g<1>4.99", html, count=1)
    assert tampered != html
    with pytest.raises(AssertionError):
        check_results_page(tampered, data)


def test_chart_checks_can_fail(page_html):
    html, data = page_html("survey_results"), tallies()
    counts = data[list(data)[-1]]["areas"]["environment"]
    svg = chart(html, "survey-chart-environment")
    assert bar_problems(svg, counts) == []
    wider = re.sub(r'(<rect class="survey-bar" data-key="4"[^>]*width=")([\d.]+)"',
                   lambda m: f'{m.group(1)}{float(m.group(2)) + 3:.2f}"', svg, count=1)
    assert any("score 4: width" in p for p in bar_problems(wider, counts))
    fewer = re.sub(r'<rect class="survey-bar" data-key="2"[^>]*/>', "", svg, count=1)
    assert bar_problems(fewer, counts) != []
    trend = chart(html, "survey-trend-overall")
    assert trend_problems(trend, data) == []
    taller = re.sub(rf'(<rect class="survey-bar" data-key="{LATEST}"[^>]*height=")([\d.]+)"',
                    lambda m: f'{m.group(1)}{float(m.group(2)) + 9:.2f}"', trend, count=1)
    assert trend_problems(taller, data) != []


# ------------------------------------------------------------------ broken data files


def _broken(change) -> dict:
    data = json.loads((DATA_DIR / f"{LATEST}.json").read_text(encoding="utf-8"))
    change(data)
    return data


BROKEN = {
    "counts not summing": (lambda d: d["areas"]["facilities"].update({"3": d["areas"]["facilities"]["3"] + 1}),
                           r"areas\.facilities counts add up to \d+, not to the \d+ responses"),
    "unknown area": (lambda d: d["areas"].update(parking=d["areas"].pop("community")),
                     r"unknown areas \['parking'\]; no counts for areas \['community'\]"),
    "bad quarter": (lambda d: d.update(quarter="2026Q5"), r"quarter '2026Q5' is not a quarter"),
    "another quarter's file": (lambda d: d.update(quarter=_previous(LATEST), label=quarter_label(_previous(LATEST))),
                               rf"must be named {_previous(LATEST)}\.json"),
    "wrong label": (lambda d: d.update(label=quarter_label(_previous(LATEST))),
                    rf"label '{quarter_label(_previous(LATEST))}' should be"),
    "overall not summing": (lambda d: d["overall"].update({"5": d["overall"]["5"] - 1}), r"overall counts add up"),
    "recommend not summing": (lambda d: d["recommend"].update(yes=d["recommend"]["yes"] + 1),
                              r"recommend counts add up"),
    "a score missing": (lambda d: d["areas"]["security"].pop("1"), r"areas\.security needs one count for each"),
    "negative count": (lambda d: d["areas"]["reception"].update({"1": -1, "2": d["areas"]["reception"]["2"] + 2}),
                       r"areas\.reception\.1 is -1, not a count"),
    "more answers than households": (lambda d: d.update(invited=d["responses"] - 1), r"responses from only"),
    "no tally": (lambda d: d.pop("overall"), r"missing \['overall'\]"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_hook_refuses_a_broken_file(hooks, tmp_path, case):
    from mkdocs.exceptions import PluginError

    change, message = BROKEN[case]
    path = tmp_path / f"{LATEST}.json"
    path.write_text(json.dumps(_broken(change), ensure_ascii=False), encoding="utf-8")
    with pytest.raises(PluginError, match=message):
        hooks.load_survey(path)


def test_hook_accepts_the_demo_files(hooks):
    assert [d["quarter"] for d in hooks.load_surveys(DATA_DIR)] == list(tallies())


def test_hook_refuses_a_file_that_is_not_json(hooks, tmp_path):
    from mkdocs.exceptions import PluginError

    (tmp_path / f"{LATEST}.json").write_text("{ not json", encoding="utf-8")
    with pytest.raises(PluginError, match="cannot read survey results"):
        hooks.load_surveys(tmp_path)


def test_hook_refuses_a_missing_data_directory(hooks, tmp_path, monkeypatch):
    from mkdocs.exceptions import PluginError

    monkeypatch.setenv("BUTLER_SURVEY_DATA", str(tmp_path / "nowhere"))
    with pytest.raises(PluginError, match="no such directory"):
        hooks.on_config(SimpleNamespace(extra={}, site_name="", site_description=""))


def test_a_broken_data_file_fails_the_build(tmp_path):
    directory = tmp_path / "surveys"
    directory.mkdir()
    for path in DATA_DIR.glob("*.json"):
        shutil.copy(path, directory)
    change, message = BROKEN["counts not summing"]
    write_tallies(directory, {LATEST: _broken(change)})
    result = build(tmp_path / "site", directory)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert re.search(message, output) and f"{LATEST}.json" in output, output[-2000:]
