"""The estate's layout has one source (butler/data/estate.json, butler.domain.estate): the
server checks house numbers against it, the site build reads its buildings from it, and
the household list handed to the survey is exactly its homes."""
import csv
import re
from pathlib import Path

import pytest
import yaml

from butler.domain.estate import UnitRefused, estate_from, load_estate

ROOT = Path(__file__).resolve().parents[2]


def test_the_household_list_is_exactly_the_homes_of_the_layout():
    with (ROOT / "site" / "data" / "households.csv").open(encoding="utf-8-sig", newline="") as handle:
        listed = [row["unit"] for row in csv.DictReader(handle)]

    assert listed == list(load_estate().homes())


def test_every_home_is_its_own_normal_form_and_the_pattern_is_exactly_the_homes():
    estate = load_estate()
    homes = set(estate.homes())
    pattern = re.compile(estate.pattern())

    assert all(estate.check(home) == home for home in homes)
    candidates = {f"{b}-{u}-{room}" for b in range(0, 11) for u in range(0, 4) for room in range(100, 3000)}
    assert {c for c in candidates if pattern.match(c)} == homes


def test_the_site_reads_its_buildings_from_the_estate_not_from_community_yml():
    community = yaml.safe_load((ROOT / "site" / "data" / "community.yml").read_text(encoding="utf-8"))

    assert "buildings" not in community  # one source of truth: butler/data/estate.json
    assert [b["number"] for b in load_estate().as_data()] == [1, 2, 3, 5, 6, 7, 8]


@pytest.mark.parametrize("text, message", [
    ("9-1-0101", "没有 9 号楼：本小区的楼栋是 1、2、3、5、6、7、8 号楼。"),
    ("3-2-9901", "3 号楼只有 18 层"),
    ("1-3-101", "1 号楼只有 2 个单元"),
    ("7-1-2603", "7 号楼每层只有 2 户"),
    ("3-2", "栋-单元-房号"),
])
def test_what_is_wrong_with_a_house_number_is_named(text, message):
    with pytest.raises(UnitRefused) as refused:
        load_estate().check(text)

    assert message in refused.value.message and refused.value.code == "UNIT_NOT_IN_ESTATE"


def test_a_layout_with_a_building_twice_is_refused():
    twice = {"number": 1, "units": 1, "floors": 1, "rooms_per_floor": 1}
    with pytest.raises(ValueError):
        estate_from({"buildings": [twice, twice]})


def test_the_demo_cases_are_filed_from_homes_of_the_estate():
    from datetime import datetime, timezone

    from butler.roster import load_roster
    from infra.demo import DEMO, DEMO_CASES
    from infra.demo_cases import Generator

    homes = set(load_estate().homes())
    listed = {entry[0].unit for entry in (*DEMO, *DEMO_CASES) if entry[0].unit}
    generated = Generator(7, load_roster(), datetime(2026, 12, 4, tzinfo=timezone.utc))
    drawn = {generated.unit() for _ in range(500)}

    assert listed and listed <= homes
    assert drawn <= homes and len(drawn) > 100
