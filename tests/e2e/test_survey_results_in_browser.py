"""The survey results page on a phone with JavaScript switched off: the charts are inline
SVG drawn at build time, so they show, fit the screen, carry their numbers and have an
accessible name without any script. Numbers come from ``surveys.results()`` for the data
files the site was built from."""
import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from butler.domain.surveys import AREAS, OVERALL, SCORES, previous_quarter, results

pytestmark = pytest.mark.e2e
DATA_DIR = Path(__file__).resolve().parents[2] / "site" / "data" / "surveys"
CHARTED = (*(a.code for a in AREAS), OVERALL)
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def reader(browser, local_stack):
    """A new phone-sized page on the local stack, with JavaScript disabled."""
    context = browser.new_context(
        viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN", timezone_id="Asia/Shanghai",
        base_url=local_stack.url, java_script_enabled=False,
    )
    page = context.new_page()
    page.goto("/survey/results/")
    yield page
    context.close()


def _history():
    data = {d["quarter"]: d for d in (json.loads(p.read_text(encoding="utf-8")) for p in DATA_DIR.glob("*.json"))}
    return [results(data[q], data.get(previous_quarter(q))) for q in sorted(data)]


@pytest.mark.parametrize("code", CHARTED)
def test_distribution_chart_draws_every_bar_without_scripts(reader, code):
    latest = _history()[-1]
    area = latest.area(code)
    svg = reader.locator(f"svg#survey-chart-{code}")
    expect(svg).to_be_visible()
    box = svg.bounding_box()
    assert box["width"] > 250 and box["height"] > 100, box
    assert 0 <= box["x"] and box["x"] + box["width"] <= PHONE["width"], "the chart does not fit the phone"
    expect(reader.get_by_role("img", name=re.compile(f"^{area.label}：各分数的户数"))).to_have_count(1)

    bars = svg.locator("rect.survey-bar")
    expect(bars).to_have_count(len(SCORES))
    track = svg.locator("rect.survey-track").first.bounding_box()["width"]
    for i, score in enumerate(sorted(SCORES, reverse=True)):
        count = area.counts[str(score)]
        assert bars.nth(i).get_attribute("data-key") == str(score)
        if count:
            width = bars.nth(i).bounding_box()["width"]
            assert width == pytest.approx(track * count / latest.responses, abs=0.5), (score, width)
    expect(svg.locator("text.survey-value")).to_have_text(
        [f"{area.counts[str(s)]} 户 {area.shares[str(s)]}%" for s in sorted(SCORES, reverse=True)])


def test_key_numbers_are_visible(reader):
    latest = _history()[-1]
    for stat, text in (("invited", str(latest.invited)), ("responses", str(latest.responses)),
                       ("response_rate", f"{latest.response_rate}%"), ("recommend_rate", f"{latest.recommend_rate}%")):
        cell = reader.locator(f"#survey-facts [data-stat={stat}]")
        expect(cell).to_be_visible()
        expect(cell).to_have_text(text)
    for area in latest.areas:
        mean = reader.locator(f"#survey-summary tr[data-area={area.code}] [data-stat=mean]")
        expect(mean).to_be_visible()
        expect(mean).to_have_text(str(area.mean))
        counts = reader.locator(f"#survey-dist-{area.code} [data-stat=count]")
        expect(counts).to_have_text([str(area.counts[str(s)]) for s in sorted(SCORES, reverse=True)])


def test_trend_chart_draws_a_column_per_quarter(reader):
    history = _history()
    svg = reader.locator("svg#survey-trend-overall")
    expect(svg).to_be_visible()
    expect(reader.get_by_role("img", name=re.compile("历次调查的平均分"))).to_have_count(1)
    columns = svg.locator("rect.survey-bar")
    expect(columns).to_have_count(len(history))
    heights = [columns.nth(i).bounding_box()["height"] for i in range(len(history))]
    means = [float(r.area(OVERALL).mean) for r in history]
    assert all(h > 20 for h in heights), heights
    for height, mean in zip(heights, means):
        assert height / mean == pytest.approx(heights[0] / means[0], rel=0.01)
    expect(svg.locator("text.survey-value")).to_have_text([str(r.area(OVERALL).mean) for r in history])
    rows = reader.locator("#survey-history tbody tr")
    expect(rows).to_have_count(len(history))
    expect(rows.first).to_be_visible()
