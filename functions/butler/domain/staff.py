"""Staff members and their roles (the roster is data: ``butler/data/roster.json``)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StaffMember:
    id: str
    name: str
    role: str
    department: str


Roster = dict[str, StaffMember]


def roster_from(data: dict) -> Roster:
    return {entry["id"]: StaffMember(entry["id"], entry["name"], entry["role"], entry["department"])
            for entry in data["staff"]}
