"""The service charter (服务章程, site/content/charter/, site/charter.py): one page per section of
the service plan, the five service areas and the five posts, the four processes drawn (the
repair and complaint workflows from the domain, the cleaning round and the security patrol
from site/data/charter.yml), the budget's subtotals and total recomputed here from
site/data/budget.yml, the standards tables shared with service/standards/, and the contacts
from community.yml. The ``*_can_fail`` tests feed the same checks a tampered page."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
import yaml
from mkdocs.exceptions import PluginError

from butler.domain import surveys
from tests.site import scan
from tests.site.conftest import ROOT
from tests.site.test_process_pages import (
    PHONE_WIDTH,
    PROCESSES,
    check_arrows,
    check_states,
)

DATA = ROOT / "site" / "data"
BUDGET_FILE = DATA / "budget.yml"
HOUSEHOLDS_FILE = DATA / "households.csv"
CHARTER_FILE = DATA / "charter.yml"

# The eight sections of the plan: (key in conftest.PAGES, the page's heading).
SECTIONS = [
    ("charter_goals", "服务目标"),
    ("charter_services", "服务内容"),
    ("charter_processes", "服务流程"),
    ("charter_staffing", "人员配置与岗位职责"),
    ("charter_quality", "服务质量监督与考核"),
    ("charter_emergency", "应急预案"),
    ("charter_budget", "费用预算"),
    ("charter_commitments", "服务承诺"),
]
# The five posts of plan §4, as residents name them, in the order of the plan.
POSTS = ["物业管家", "客服", "维修", "保洁", "保安"]
ROUNDS = ["cleaning", "patrol"]
STANDARDS_TABLES = ["urgency-targets", "category-targets", "complaint-targets"]
PAGES_URL = {"process": "service/repair-process/", "complaint_process": "service/complaint-process/"}


@pytest.fixture(scope="module")
def charter_data() -> dict:
    return yaml.safe_load(CHARTER_FILE.read_text(encoding="utf-8"))


def _h1(html: str) -> str:
    return next(e.text.strip() for e in scan.elements(scan.article(html)) if e.tag == "h1")


def _headings(html: str, tag: str = "h2") -> dict[str, str]:
    """{id: text} of the article's headings of one level."""
    return {e.attrs["id"]: e.text.strip() for e in scan.elements(scan.article(html))
            if e.tag == tag and "id" in e.attrs}


# ------------------------------------------------------------------ the sections


@pytest.mark.parametrize(("key", "heading"), SECTIONS, ids=[k for k, _ in SECTIONS])
def test_each_section_has_its_page_and_heading(page_html, key, heading):
    assert _h1(page_html(key)) == heading


def test_index_links_every_section_in_order(page_html):
    links = [e for e in scan.elements(page_html("charter"))
             if e.tag == "a" and e.inside("ol", id="charter-sections")]
    assert [e.attrs["href"] for e in links] == [
        f"{k.removeprefix('charter_')}/" for k, _ in SECTIONS]
    assert [e.text for e in links] == [h for _, h in SECTIONS]


def _primary_nav(html):
    return [e for e in scan.elements(html)
            if any(t == "nav" and "md-nav--primary" in a.get("class", "") for t, a in e.ancestors)]


def test_charter_is_a_section_of_the_navigation(page_html):
    # navigation.prune: other pages link the section; its own pages list every section page.
    home = [e for e in _primary_nav(page_html("home")) if e.tag == "a"]
    assert any(e.attrs.get("href") == "charter/" and "服务章程" in e.text for e in home), "no 服务章程 section"
    hrefs = [e.attrs.get("href") for e in _primary_nav(page_html("charter")) if e.tag == "a"]
    for key, heading in SECTIONS:
        assert f"{key.removeprefix('charter_')}/" in hrefs, key


# ------------------------------------------------------------------ services and posts


def check_services(html: str, charter_data: dict) -> None:
    headings = _headings(html)
    for area in surveys.AREAS:
        assert headings.get(f"area-{area.code}") == area.label, f"no heading for {area.label}"
    body = scan.article(html)
    for code, points in charter_data["services"].items():
        for point in points:
            assert point in body, f"{code}: {point} is not on the page"


def test_the_five_service_areas_are_present(page_html, charter_data):
    assert len(surveys.AREAS) == 5
    check_services(page_html("charter_services"), charter_data)


def test_service_check_can_fail(page_html, charter_data):
    html = page_html("charter_services")
    broken = re.sub(r'<h2 id="area-security">.*?</h2>', "", html, count=1, flags=re.S)
    with pytest.raises(AssertionError, match="安全秩序"):
        check_services(broken, charter_data)


def check_staffing(html: str, charter_data: dict) -> None:
    roles = charter_data["roles"]
    rows = scan.rows(html, "staffing")
    assert [r.attrs.get("data-role") for r in rows[:-1]] == [r["code"] for r in roles]
    for row, role, post in zip(rows, roles, POSTS):
        assert row.cells[0].text == role["label"] and role["label"].startswith(post)
        assert row.cells[1].text == str(role["headcount"]), role["code"]
    total = sum(r["headcount"] for r in roles)
    assert "data-total" in rows[-1].attrs and rows[-1].cells[1].text == str(total)
    headings = _headings(html)
    items = [e.text for e in scan.elements(scan.article(html)) if e.tag == "li"]
    for role in roles:
        assert headings.get(f"role-{role['code']}") == role["label"]
        for duty in role["duties"]:
            assert duty in items, f"{role['label']}: duty not listed: {duty}"


def test_the_five_posts_with_headcount_and_duties(page_html, charter_data):
    assert len(charter_data["roles"]) == len(POSTS)
    check_staffing(page_html("charter_staffing"), charter_data)


def test_staffing_check_can_fail(page_html, charter_data):
    html = page_html("charter_staffing")
    cleaner = next(r for r in charter_data["roles"] if r["code"] == "cleaner")
    wrong = html.replace(f'<tr data-role="cleaner"><td><a href="#role-cleaner">保洁人员</a></td>'
                         f'<td data-headcount>{cleaner["headcount"]}<',
                         f'<tr data-role="cleaner"><td><a href="#role-cleaner">保洁人员</a></td>'
                         f'<td data-headcount>{cleaner["headcount"] + 1}<')
    assert wrong != html
    with pytest.raises(AssertionError):
        check_staffing(wrong, charter_data)


# ------------------------------------------------------------------ the four processes


@pytest.mark.parametrize("process", PROCESSES, ids=[p.prefix for p in PROCESSES])
def test_repair_and_complaint_processes_link_their_diagram_pages(page_html, process):
    # Their diagrams (9–14 KB of SVG each) live on their own pages, so that the charter's
    # process page stays under 50 KB of HTML with the cleaning and patrol diagrams.
    page = page_html("charter_processes")
    target = PAGES_URL[process.key]
    assert f'href="../../{target}"' in scan.article(page), f"no link to {target}"
    svg = scan.diagram(page_html(process.key), process.prefix)
    check_states(svg, process.workflow)
    check_arrows(svg, process)


def round_svg(page: str, name: str) -> str:
    match = re.search(rf'<svg\b[^>]*\bid="round-{name}".*?</svg>', scan.article(page), re.S)
    assert match, f"no inline SVG for round {name}"
    return match.group(0)


def check_round(svg: str, flow: dict) -> None:
    root = scan.elements(svg)[0]
    assert root.attrs.get("role") == "img"
    title = re.search(r'<title id="([^"]+)">([^<]+)</title>', svg)
    assert title and title.group(2) == flow["title"]
    assert title.group(1) in root.attrs.get("aria-labelledby", "").split()
    assert "<script" not in svg and "<foreignobject" not in svg.lower()
    steps = [s["label"] for s in flow["steps"]]
    assert scan.state_labels(svg) == {str(n): label for n, label in enumerate(steps, start=1)}
    # An arrow between each pair of steps, one back to the start, one from the start dot.
    assert svg.count("marker-end=") == len(steps) + 1
    labels = "".join(e.text for e in scan.elements(svg)
                     if e.tag == "text" and e.inside("g", **{"class": "wf-labels"}))
    assert labels == flow["again"], "the loop back to the first step is not labelled"
    width = float(root.attrs["viewbox"].split()[2])
    assert 12.5 * PHONE_WIDTH / width >= 11.5, f"{width} wide: text under 11.5 px on a phone"


@pytest.mark.parametrize("name", ROUNDS)
def test_cleaning_and_patrol_are_drawn_with_every_step(page_html, charter_data, name):
    page = page_html("charter_processes")
    flow = charter_data["rounds"][name]
    check_round(round_svg(page, name), flow)
    notes = {e.attrs["data-state"]: e.text for e in scan.elements(page)
             if e.tag == "li" and e.inside("ol", id=f"{name}-stages")}
    assert notes == {str(n): s["label"] + s["note"] for n, s in enumerate(flow["steps"], start=1)}


@pytest.mark.parametrize("name", ROUNDS)
def test_round_check_can_fail(page_html, charter_data, name):
    svg = round_svg(page_html("charter_processes"), name)
    flow = charter_data["rounds"][name]
    dropped = re.sub(r'<g class="wf-state" data-state="3">.*?</g>', "", svg, count=1, flags=re.S)
    with pytest.raises(AssertionError):
        check_round(dropped, flow)
    renamed = svg.replace(f">{flow['steps'][0]['label']}<", ">别的步骤<")
    with pytest.raises(AssertionError):
        check_round(renamed, flow)


# ------------------------------------------------------------------ the budget


def expected_budget(budget: dict, charter_data: dict) -> dict:
    """{category: ([yearly amount of each item], subtotal)} and "total", from the YAML alone."""
    headcount = {r["code"]: r["headcount"] for r in charter_data["roles"]}
    result: dict = {}
    for category in budget["categories"]:
        amounts = []
        for item in category["items"]:
            if "per_person_monthly" in item:
                amounts.append(Decimal(str(item["per_person_monthly"])) * headcount[item["role"]] * 12)
            elif "monthly" in item:
                amounts.append(Decimal(str(item["monthly"])) * 12)
            else:
                amounts.append(Decimal(str(item["yearly"])))
        result[category["label"]] = (amounts, sum(amounts))
    result["total"] = sum(subtotal for _, subtotal in result.values())
    return result


def households() -> int:
    """Homes in households.csv, counted here without the site's code."""
    lines = HOUSEHOLDS_FILE.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "unit"
    return len({line.strip() for line in lines[1:] if line.strip()})


def monthly_per(yearly: Decimal, count) -> str:
    """Yuan per month per household (or m²), to the fen, as the page prints it."""
    return f"{(yearly / 12 / Decimal(count)).quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,.2f}"


def _amount(cell) -> Decimal:
    return Decimal(cell.text.strip().replace(",", ""))


def shown_budget(html: str) -> dict:
    """The same shape as ``expected_budget``, read from the table on the page: each category's
    row (with its subtotal) comes before its items."""
    shown: dict = {}
    label = None
    for row in scan.rows(html, "budget-table"):
        if "data-subtotal" in row.attrs:
            label = row.attrs["data-subtotal"]
            shown[label] = ([], _amount(row.cells[0]))
        elif "data-item" in row.attrs:
            assert label, f"item {row.attrs['data-item']} before any category"
            shown[label][0].append(_amount(row.cells[0]))
        elif "data-total" in row.attrs:
            shown["total"] = _amount(row.cells[0])
    return shown


def per_household_shown(html: str) -> list[tuple[Decimal, str]]:
    """(yearly amount, per household per month as printed) of every row of the table."""
    return [(_amount(row.cells[0]), row.cells[1].text.strip())
            for row in scan.rows(html, "budget-table") if row.cells]


def check_budget(html: str, expected: dict) -> None:
    assert shown_budget(html) == expected
    count = households()
    rows = per_household_shown(html)
    assert len(rows) == sum(len(items) + 1 for items, _ in
                            (v for k, v in expected.items() if k != "total")) + 1
    for yearly, printed in rows:
        assert printed == monthly_per(yearly, count), (yearly, printed)
    facts = scan.by_id(html)
    budget = yaml.safe_load(BUDGET_FILE.read_text(encoding="utf-8"))
    area = Decimal(str(budget["floor_area"]["square_metres"]))
    assert facts["budget-per-household"].text == monthly_per(expected["total"], count)
    assert facts["budget-per-square-metre"].text == monthly_per(expected["total"], area)
    assert facts["budget-floor-area"].text == f"{area:,}"


def test_budget_subtotals_and_total_equal_a_recomputation(page_html, charter_data):
    budget = yaml.safe_load(BUDGET_FILE.read_text(encoding="utf-8"))
    expected = expected_budget(budget, charter_data)
    assert len(expected) == 7, "six categories and the total, as in the plan's table"
    html = page_html("charter_budget")
    check_budget(html, expected)
    monthly = (expected["total"] / 12).quantize(Decimal(1))
    assert scan.by_id(html)["budget-monthly"].text == f"{monthly:,}"


def test_budget_shows_per_household_and_per_square_metre_of_the_example_area(page_html):
    html = page_html("charter_budget")
    assert f"按 {households()} 户计算" in html
    facts = scan.by_id(html)["budget-facts"].text
    assert "每户每月" in facts and "每平方米每月" in facts and "示例" in facts
    # The example area is marked as one where it is kept, too.
    assert "示例" in next(line for line in BUDGET_FILE.read_text(encoding="utf-8").splitlines()
                        if line.startswith("floor_area:"))


def test_budget_check_can_fail(page_html, charter_data):
    html = page_html("charter_budget")
    expected = expected_budget(yaml.safe_load(BUDGET_FILE.read_text(encoding="utf-8")), charter_data)
    subtotal = f"{expected['人员费用'][1]:,}"
    total = f"{expected['total']:,}"
    per_household = scan.by_id(html)["budget-per-household"].text
    for old, new in ((f"data-amount>{subtotal}<", f"data-amount>{subtotal}0<"),
                     (f'id="budget-total">{total}<', f'id="budget-total">1{total}<'),
                     ('data-amount>192,000<', 'data-amount>192,001<'),
                     ('data-per-household>26.67<', 'data-per-household>26.66<'),
                     (f'id="budget-per-household">{per_household}<', 'id="budget-per-household">1.00<')):
        tampered = html.replace(old, new, 1)
        assert tampered != html, old
        with pytest.raises(AssertionError):
            check_budget(tampered, expected)


def test_budget_says_it_is_an_example(page_html):
    body = scan.article(page_html("charter_budget"))
    assert "示例" in _h1(page_html("charter_budget")) + body.split("</p>")[0]


def test_budget_prints_no_empty_notes(page_html):
    """Notes only where an item has one: no "备注：—" repeated down the page."""
    table = scan.by_id(page_html("charter_budget"))["budget-table"].text
    assert "—" not in table and "备注" not in table
    budget = yaml.safe_load(BUDGET_FILE.read_text(encoding="utf-8"))
    for note in (i["note"] for c in budget["categories"] for i in c["items"] if i.get("note")):
        assert note in table


BROKEN_BUDGETS = {
    "not_a_number": ("items:\n      - {name: 办公用品, yearly: 一万二}", "is not a number of yuan"),
    "missing_name": ("items:\n      - {yearly: 12000}", "has no 'name'"),
    "no_amount": ("items:\n      - {name: 办公用品}", "needs exactly one of"),
    "unknown_post": ("items:\n      - {name: 园丁, role: gardener, per_person_monthly: 4000}",
                     "per_person_monthly needs a 'role'"),
    "no_floor_area": ("items:\n      - {name: 办公用品, yearly: 12000}\nfloor_area: {note: 示例}",
                      "floor_area.square_metres None is not the estate's total floor area"),
    "zero_floor_area": ("items:\n      - {name: 办公用品, yearly: 12000}\nfloor_area: {square_metres: 0}",
                        "floor_area.square_metres 0 is not"),
}
AREA = "\nfloor_area: {square_metres: 66000, note: 示例}"


def _broken_budget(tmp_path: Path, items: str) -> Path:
    path = tmp_path / "budget.yml"
    area = "" if "floor_area" in items else AREA
    path.write_text(f"title: 坏掉的预算\ncategories:\n  - label: 办公费用\n    {items}{area}\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("case", sorted(BROKEN_BUDGETS))
def test_budget_data_errors_are_named(hooks, tmp_path, case):
    items, message = BROKEN_BUDGETS[case]
    path = _broken_budget(tmp_path, items)
    roles = hooks.charter.load_charter().roles
    with pytest.raises(PluginError, match=re.escape(message)) as error:
        hooks.charter.load_budget(path, roles, 600)
    assert str(path) in str(error.value)
    # The same file with the fault fixed loads: the message names this fault, not another.
    fixed = _broken_budget(tmp_path, "items:\n      - {name: 办公用品, yearly: 12000}")
    budget = hooks.charter.load_budget(fixed, roles, 600)
    assert budget.total == 12000
    assert budget.per_household(budget.total) == Decimal("1.67")  # 12000 / 12 / 600
    assert budget.per_square_metre(budget.total) == Decimal("0.02")  # 1000 / 66000, to the fen


def test_households_are_counted_from_the_csv(hooks, tmp_path):
    path = tmp_path / "households.csv"
    path.write_text("unit\n1-1-101\n1-1-102\n\n1-1-102\n", encoding="utf-8")
    assert hooks.charter.count_households(path) == 2
    assert hooks.charter.count_households() == households()
    path.write_text("unit\n", encoding="utf-8")
    with pytest.raises(PluginError, match="lists no households"):
        hooks.charter.count_households(path)


def test_a_broken_budget_file_fails_the_build(hooks, tmp_path):
    path = _broken_budget(tmp_path, BROKEN_BUDGETS["not_a_number"][0])
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1", **{hooks.charter.BUDGET_FILE_ENV: str(path)})
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "out")],
        cwd=ROOT, capture_output=True, text=True, env=env, timeout=300, check=False)
    output = result.stdout + result.stderr
    assert result.returncode != 0, "the build accepted a budget whose amount is not a number"
    assert f"{path}: categories[0].items[0] (办公费用/办公用品).yearly: amount '一万二' is not a number" in output


def test_charter_data_errors_are_named(hooks, tmp_path, charter_data):
    path = tmp_path / "charter.yml"
    services = dict(charter_data["services"])
    services["parking"] = services.pop("community")
    path.write_text(yaml.safe_dump({**charter_data, "services": services}, allow_unicode=True), encoding="utf-8")
    with pytest.raises(PluginError, match=r"exactly the service areas .*, found \[.*'parking'.*\]"):
        hooks.charter.load_charter(path)
    roles = [dict(r) for r in charter_data["roles"]]
    roles[0]["headcount"] = "两"
    path.write_text(yaml.safe_dump({**charter_data, "roles": roles}, allow_unicode=True), encoding="utf-8")
    with pytest.raises(PluginError, match="headcount '两' is not a whole number"):
        hooks.charter.load_charter(path)


# ------------------------------------------------------------------ commitments and contacts


def standards_table(html: str, table_id: str) -> str:
    match = re.search(rf'<table id="{table_id}">.*?</table>', scan.article(html), re.S)
    assert match, f"no table {table_id}"
    return match.group(0)


def check_same_standards(page: str, standards: str) -> None:
    for table_id in STANDARDS_TABLES:
        assert standards_table(page, table_id) == standards_table(standards, table_id), table_id


def test_commitments_show_the_standards_tables_of_the_standards_page(page_html):
    from butler.domain.service_levels import URGENCIES

    page, standards = page_html("charter_commitments"), page_html("standards")
    check_same_standards(page, standards)
    assert len(scan.rows(page, "urgency-targets")) == len(URGENCIES)


def test_standards_check_can_fail(page_html):
    page, standards = page_html("charter_commitments"), page_html("standards")
    tampered = page.replace('data-target="respond" data-label="响应时限">15 分钟',
                            'data-target="respond" data-label="响应时限">30 分钟', 1)
    assert tampered != page
    with pytest.raises(AssertionError, match="urgency-targets"):
        check_same_standards(tampered, standards)


def check_contacts(html: str, community: dict) -> None:
    block = scan.by_id(html)["charter-contacts"]
    assert community["service_center"]["hours"] in block.text
    assert community["service_center"]["address"] in block.text
    links = {e.attrs["href"]: e.text for e in scan.elements(html)
             if e.tag == "a" and e.inside("div", id="charter-contacts")}
    for key in ("hotline", "duty"):
        phone = community["phones"][key]
        assert links.get(f"tel:{phone['dial']}") == phone["display"], key


def test_index_shows_hours_hotline_and_duty_phone_from_community_yml(page_html, community):
    check_contacts(page_html("charter"), community)


def test_contacts_check_can_fail(page_html, community):
    html = page_html("charter")
    dial = community["phones"]["duty"]["dial"]
    tampered = html.replace(f'href="tel:{dial}"', 'href="tel:110"')
    assert tampered != html
    with pytest.raises(AssertionError, match="duty"):
        check_contacts(tampered, community)


def test_emergency_section_links_the_emergency_page_only(page_html):
    links = {e.attrs.get("href", "") for e in scan.elements(scan.article(page_html("charter_emergency")))
             if e.tag == "a"}
    assert "../../emergency/" in links
    assert not [h for h in links if h.startswith("../../emergency/") and h != "../../emergency/"]


def test_quality_links_the_survey_and_its_results(page_html):
    links = {e.attrs.get("href") for e in scan.elements(scan.article(page_html("charter_quality"))) if e.tag == "a"}
    assert {"../../survey/", "../../survey/results/"} <= links
