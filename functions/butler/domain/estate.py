"""The estate's layout (``butler/data/estate.json``): its buildings, their units, floors and
rooms per floor, and the check of a house number (房号) against it.

One source of truth: the functions check every unit a resident or staff member gives
against it, and the site build reads its buildings from here (posters, assembly points).
A house number is ``栋-单元-房号``: ``3-2-1201`` is building 3, unit 2, floor 12, room 01.
"""
from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Iterator

from butler.domain.errors import DomainError

# What residents type between the parts, and full-width digits (a Chinese input method's
# full-width mode) read as the digits they are; nothing else (other scripts' digits) is.
SEPARATORS = str.maketrans({"－": "-", "—": "-", "–": "-", "‐": "-", "‑": "-", "/": "-",
                            " ": "", "\u00a0": "", "\u3000": "",
                            **{chr(0xFF10 + d): str(d) for d in range(10)}})
UNIT_TEXT = re.compile(r"^([0-9]{1,3})-([0-9]{1,2})-([0-9]{3,4})$")
FORMAT_MESSAGE = "房号格式为“栋-单元-房号”，例如 3-2-1201。"


class UnitRefused(DomainError):
    code = "UNIT_NOT_IN_ESTATE"
    message = FORMAT_MESSAGE


@dataclass(frozen=True)
class Building:
    number: int
    units: int
    floors: int
    rooms_per_floor: int

    def homes(self) -> Iterator[str]:
        for unit in range(1, self.units + 1):
            for floor in range(1, self.floors + 1):
                for room in range(1, self.rooms_per_floor + 1):
                    yield house_number(self.number, unit, floor, room)


def house_number(building: int, unit: int, floor: int, room: int) -> str:
    return f"{building}-{unit}-{floor}{room:02d}"


@dataclass(frozen=True)
class Estate:
    buildings: tuple[Building, ...]

    def building(self, number: int) -> Building | None:
        return next((b for b in self.buildings if b.number == number), None)

    def as_data(self) -> list[dict[str, int]]:
        """The buildings as the site build reads them (``community["buildings"]``)."""
        return [dataclasses.asdict(b) for b in self.buildings]

    def homes(self) -> Iterator[str]:
        """Every house number of the estate, building by building, unit, floor, room."""
        for building in self.buildings:
            yield from building.homes()

    def check(self, text: str) -> str:
        """``text`` as the estate's house number (``3-2-1201``), or ``UnitRefused`` with a
        Chinese message naming what is wrong. Dash variants, spaces, full-width digits and
        a zero-padded floor (``3-2-0101``) are read; the result is the one normal form."""
        cleaned = text.translate(SEPARATORS)
        found = UNIT_TEXT.match(cleaned)
        if not found:
            raise UnitRefused()
        number, unit, room_text = (int(part) for part in found.groups())
        floor, room = divmod(room_text, 100)
        building = self.building(number)
        if building is None:
            listed = "、".join(str(b.number) for b in self.buildings)
            raise UnitRefused(f"没有 {number} 号楼：本小区的楼栋是 {listed} 号楼。")
        if not 1 <= unit <= building.units:
            raise UnitRefused(f"{number} 号楼只有 {building.units} 个单元（1–{building.units} 单元）。")
        if not 1 <= floor <= building.floors:
            raise UnitRefused(f"{number} 号楼只有 {building.floors} 层：房号是楼层加两位房间号，"
                              f"例如 {house_number(number, unit, building.floors, 1)}。")
        if not 1 <= room <= building.rooms_per_floor:
            last = f"{building.rooms_per_floor:02d}"
            raise UnitRefused(f"{number} 号楼每层只有 {building.rooms_per_floor} 户（01–{last} 室），"
                              f"例如 {house_number(number, unit, floor, 1)}。")
        return house_number(number, unit, floor, room)

    def pattern(self) -> str:
        """A regular expression (JSON Schema ``pattern``) of exactly the normal forms of
        this estate's house numbers."""
        def up_to(last: int) -> str:  # 1..last, no leading zero
            tens, ones = divmod(last, 10)
            parts = [f"[1-{min(last, 9)}]"]
            if tens >= 2:
                parts.append(f"[1-{tens - 1}][0-9]" if tens > 2 else "1[0-9]")
            if tens >= 1:
                parts.append(f"{tens}[0-{ones}]")
            return "(?:" + "|".join(parts) + ")"

        each = [f"{b.number}-{up_to(b.units)}-{up_to(b.floors)}0{up_to(b.rooms_per_floor)}"
                for b in self.buildings]
        return "^(?:" + "|".join(each) + ")$"


def estate_from(data: dict) -> Estate:
    buildings = tuple(Building(int(b["number"]), int(b["units"]), int(b["floors"]), int(b["rooms_per_floor"]))
                      for b in data["buildings"])
    numbers = [b.number for b in buildings]
    if len(set(numbers)) != len(numbers):
        raise ValueError("estate.json: a building is listed twice")
    for b in buildings:
        if not (b.number >= 1 and 1 <= b.units <= 99 and 1 <= b.floors <= 99 and 1 <= b.rooms_per_floor <= 9):
            raise ValueError(f"estate.json: building {b.number} is out of range")
    return Estate(buildings)


@lru_cache(maxsize=1)
def load_estate() -> Estate:
    """The estate shipped with the package: static data, read once."""
    text = resources.files("butler").joinpath("data/estate.json").read_text(encoding="utf-8")
    return estate_from(json.loads(text))
