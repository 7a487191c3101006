"""Seeded demo answers to the quarterly survey: the demo estate's households, two past
quarters, a realistic spread (most households satisfied, cleaning and facilities weaker, a
few unhappy households scoring low across the board, some comments).

    python -m infra.demo_surveys            # rewrite site/data/surveys/2026Q2.json and 2026Q3.json

Only quarters that are over are published (the site build skips the current quarter and
refuses a future one), and the local stack opens the current quarter's survey live
(``infra.demo.load_demo_survey``): so the demo quarters stop before the demo's "today"
(2026-12-04, in 2026Q4), and stay in the past as the date moves on.

The same generator feeds the test that recomputes every published number
(tests/functional/test_published_numbers.py).
"""
from __future__ import annotations

import argparse
import json
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from butler.domain import surveys
from butler.domain.surveys import AREA_CODES, Answer, Campaign
from butler.domain.timefmt import SHANGHAI
from infra.template import ROOT

HOUSEHOLDS = ROOT / "site" / "data" / "households.csv"
DATA_DIR = ROOT / "site" / "data" / "surveys"
QUARTERS = ("2026Q2", "2026Q3")  # closed quarters: the local stack's live survey is 2026Q4
SEED = 20261128

# Per quarter: share of households that answer, and each area's typical score (the
# household's mood moves all of its answers together).
PROFILE = {
    "2026Q2": (0.69, {"reception": 4.2, "facilities": 3.6, "environment": 3.4, "security": 4.1, "community": 3.8}),
    "2026Q3": (0.71, {"reception": 4.3, "facilities": 3.7, "environment": 3.5, "security": 4.2, "community": 3.9}),
}
COMMENTS = (
    "地下车库的照明不够，晚上回家有点害怕。",
    "垃圾分类点周末清运不及时，夏天有异味。",
    "客服态度很好，报修当天就有人上门。",
    "希望多办一些适合老人的活动。",
    "电梯最近经常停，维修后还是有异响。",
    "小区绿化修剪得很漂亮，谢谢园林师傅。",
    "外来车辆随意停放，门岗管理要加强。",
    "建议在儿童游乐区加装遮阳棚。",
)


@dataclass(frozen=True)
class QuarterAnswers:
    campaign: Campaign
    answers: list[Answer]


def read_units(path: Path = HOUSEHOLDS) -> list[str]:
    lines = path.read_text(encoding="utf-8").split()
    return [line for line in lines[1:] if line]


def _score(rng: random.Random, typical: float, mood: float) -> int:
    return max(1, min(5, round(rng.gauss(typical + mood, 0.7))))


def generate(quarter: str, units: list[str], seed: int = SEED) -> QuarterAnswers:
    """One quarter's campaign (all households invited) and the answers of those who replied."""
    rate, typical = PROFILE[quarter]
    rng = random.Random(f"{seed}-{quarter}")
    start, _ = surveys.quarter_bounds(quarter)
    opens = datetime.combine((start + timedelta(days=45)).date(), datetime.min.time(), SHANGHAI)
    campaign = Campaign(quarter, opens_at=opens, closes_at=opens + timedelta(weeks=4), invited=len(units))
    answers = []
    for _ in units:
        if rng.random() >= rate:
            continue
        mood = -1.6 if rng.random() < 0.06 else rng.gauss(0, 0.35)  # a few unhappy households
        scores = {code: _score(rng, typical[code], mood) for code in AREA_CODES}
        overall = max(1, min(5, round(sum(scores.values()) / len(scores) + rng.gauss(0, 0.4))))
        recommend = overall >= 4 if rng.random() > 0.1 else overall >= 3
        comment = rng.choice(COMMENTS) if rng.random() < 0.15 else ""
        answers.append(Answer(scores, overall, recommend, comment))
    return QuarterAnswers(campaign, answers)


def write_data_files(directory: Path = DATA_DIR, units: list[str] | None = None) -> list[Path]:
    now = datetime.now(SHANGHAI)
    open_or_future = [q for q in QUARTERS if surveys.quarter_bounds(q)[1] > now]
    if open_or_future:  # the site would not publish them, and they would contradict the live survey
        raise ValueError(f"demo quarters {open_or_future} are not over yet: only closed quarters are published")
    units = units if units is not None else read_units()
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for quarter in QUARTERS:
        generated = generate(quarter, units)
        path = directory / f"{quarter}.json"
        path.write_text(json.dumps(surveys.tally(generated.campaign, generated.answers), ensure_ascii=False,
                                   indent=2) + "\n", encoding="utf-8")
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DATA_DIR, help="directory of the data files")
    args = parser.parse_args(argv)
    for path in write_data_files(args.out):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
