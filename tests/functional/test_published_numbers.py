"""Every number the estate publishes about service quality, recomputed independently.

The demo estate (600 households) answers the survey in two past quarters (``infra.demo_surveys``,
seeded; the local stack's live survey is the current quarter's, never published): every answer goes through the service into the surveys table in moto, the staff
tool exports each quarter, the site is built from the exported files, and the results
page must show exactly what a plain recount of the raw answers gives. The staff tool's
scorecards of the same quarters, over the seeded demo cases (``infra.demo_cases``) and the
same survey, must equal the arithmetic of docs/scorecards.md done by hand.
"""
from __future__ import annotations

import json
from datetime import timedelta

import pytest

from butler.domain.surveys import AREA_CODES, SCORES, issue_codes, quarter_bounds, quarter_of
from butler.domain.timefmt import utc_now
from butler.repository.surveys import SurveyRepository
from butler.services.surveys import open_campaign, submit
from infra.demo import load_demo_survey
from infra.demo_surveys import DATA_DIR, HOUSEHOLDS, QUARTERS, generate, read_units, write_data_files
from infra.demo_cases import generate as demo_cases
from tests.functional import test_staff_cli
from tests.functional.test_scorecard_cli import csv_cell, csv_rows, store
from tests.site.test_survey_pages import build, check_results_page
from tests.support.scorecards_by_hand import DEPARTMENT_OF_LABEL, ROSTER, by_hand, measures_by_hand, survey_by_hand

cli = test_staff_cli.cli


def recount(campaign, answers) -> dict:
    """The tally of one quarter counted from the raw answers, without the domain."""
    def counts(values):
        return {str(s): sum(1 for v in values if v == s) for s in SCORES}

    return {"quarter": campaign.quarter, "label": campaign.label,
            "opens_at": campaign.opens_at.date().isoformat(), "closes_at": campaign.closes_at.date().isoformat(),
            "invited": campaign.invited, "responses": len(answers),
            "areas": {code: counts([a.scores[code] for a in answers]) for code in AREA_CODES},
            "overall": counts([a.overall for a in answers]),
            "recommend": {"yes": sum(1 for a in answers if a.recommend),
                          "no": sum(1 for a in answers if not a.recommend)}}


@pytest.fixture
def answered(stack):
    """Both quarters' campaigns opened and answered, one code per answering household."""
    repo = SurveyRepository(stack["SurveysTable"])
    units = read_units()
    quarters = {}
    for quarter in QUARTERS:
        generated = generate(quarter, units)
        campaign = generated.campaign
        codes = issue_codes(units)
        open_campaign(repo, quarter, codes, now=campaign.opens_at, closes_at=campaign.closes_at)
        for number, (answer, (_, code)) in enumerate(zip(generated.answers, codes)):
            submit(repo, code, answer, now=campaign.opens_at + timedelta(minutes=number + 1))
        quarters[quarter] = generated
    return quarters


def test_the_results_page_and_the_scorecards_show_exactly_what_a_recount_gives(cli, answered, stack, tmp_path):
    expected = {q: recount(answered[q].campaign, answered[q].answers) for q in QUARTERS}

    # The results page, built from the files the staff tool exports.
    exported = tmp_path / "surveys"
    exported.mkdir()
    for quarter in QUARTERS:
        run = cli("survey-export", "--quarter", quarter, "--out", exported / f"{quarter}.json")
        assert run.code == 0, run.err
    files = {q: json.loads((exported / f"{q}.json").read_text(encoding="utf-8")) for q in QUARTERS}
    assert files == expected
    assert [d["invited"] for d in files.values()] == [600, 600]
    assert all(400 < d["responses"] < 600 for d in files.values())  # a realistic response rate
    site = tmp_path / "site"
    result = build(site, exported)
    assert result.returncode == 0, result.stdout + result.stderr
    check_results_page((site / "survey" / "results" / "index.html").read_text(encoding="utf-8"), expected)

    # The scorecards of the same quarters, over the demo cases and the same survey.
    cases = demo_cases(quarters=QUARTERS)  # the cases of the surveyed quarters
    tables = store(stack, cases)
    for quarter in QUARTERS:
        rows = csv_rows(cli("scorecard", "--quarter", quarter, "--csv", *tables))
        handled = by_hand(quarter, cases)
        areas = expected[quarter]["areas"]
        for row in rows:
            if row["scope"] == "员工":
                mine = [r for r in handled if r[0] == row["id"]]
                department = DEPARTMENT_OF_LABEL[ROSTER[row["id"]].department]
            else:
                mine, department = [r for r in handled if r[1] == row["id"]], row["id"]
            by_hand_row = measures_by_hand(mine, survey_by_hand(department, areas))
            assert {m: row[m] for m in by_hand_row} == {m: csv_cell(v) for m, v in by_hand_row.items()}, row["id"]
        assert sum(int(r["handled"]) for r in rows if r["scope"] == "部门") == len(handled) > 100
        assert all(r["survey_score"] for r in rows)


def test_the_published_demo_is_of_closed_quarters_beside_the_live_survey(cli, stack, tmp_path):
    """The committed results are what the generator writes, all of quarters that are over;
    the quarter the local stack opens live is not among them, and its results cannot be
    exported while it is open."""
    now = utc_now()
    live = quarter_of(now)
    committed = {p.name: p.read_text(encoding="utf-8") for p in DATA_DIR.glob("*.json")}
    regenerated = {p.name: p.read_text(encoding="utf-8") for p in write_data_files(tmp_path)}
    assert committed == regenerated and sorted(committed) == [f"{q}.json" for q in QUARTERS]
    assert all(quarter_bounds(q)[1] <= now for q in QUARTERS) and live not in QUARTERS

    load_demo_survey(SurveyRepository(stack["SurveysTable"]), HOUSEHOLDS)  # what infra/local.py opens
    export = cli("survey-export", "--quarter", live, "--out", tmp_path / f"{live}.json")

    assert export.code == 1 and "还没有结束" in export.err and not (tmp_path / f"{live}.json").exists()
