"""Load the staff roster shipped with the functions."""
from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

from butler.domain.staff import Roster, roster_from


@lru_cache(maxsize=1)
def load_roster() -> Roster:
    text = resources.files("butler").joinpath("data/roster.json").read_text(encoding="utf-8")
    return roster_from(json.loads(text))
