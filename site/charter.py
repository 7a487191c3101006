"""The service charter (服务章程, plan §1–§8): the data behind ``site/content/charter/``.

Loaded by ``site/hooks.py`` next to ``diagrams.py``; ``template_globals(diagrams)`` gives the
rendered pages:

``charter_services``
    ``(area, points)`` for every service area of ``butler.domain.surveys.AREAS`` (the areas
    residents score in the quarterly survey), points from ``site/data/charter.yml``
``staffing``
    the five posts (``Role``: label, staffed headcount, duties), in order; ``staff_total``
``rounds`` / ``round_diagram(code)``
    the cleaning round and the security patrol (``Round``) and their drawing: inline SVG
    in a ``<figure>``, drawn with the workflow diagrams' canvas (one column of steps, an
    arrow from the last step back to the first)
``budget``
    the example budget of ``site/data/budget.yml`` (or of the file named by
    ``BUTLER_BUDGET_FILE``): categories with items, a subtotal per category and the
    total, and what each comes to per household per month (the households counted in
    ``site/data/households.csv``) and per square metre of the estate's total floor area
    (``floor_area`` in the budget file) per month, all computed here, never typed

and the filters ``|yuan`` (``1754400`` → ``1,754,400``) and ``|fen`` (``243.7`` → ``243.70``).

A data file that is missing a field, names an unknown area or post, or holds an amount
that is not a number fails the build with a ``PluginError`` naming the file and the entry.
"""
from __future__ import annotations

import csv
import itertools
import math
import os
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import jinja2
import yaml
from markupsafe import Markup
from mkdocs.exceptions import PluginError

from butler.domain import surveys

DATA_DIR = Path(__file__).resolve().parent / "data"
CHARTER_FILE = DATA_DIR / "charter.yml"
BUDGET_FILE = DATA_DIR / "budget.yml"
BUDGET_FILE_ENV = "BUTLER_BUDGET_FILE"  # another budget file, e.g. a broken one in a test
HOUSEHOLDS_FILE = DATA_DIR / "households.csv"  # one line per home (column `unit`), as the survey invites them
FEN = Decimal("0.01")
ROUND_TEXT = 15.0 * 11  # at most eleven characters a line in a round's step box
ROUND_GAP = 24.0  # between two steps


# --------------------------------------------------------------------------- model


@dataclass(frozen=True)
class Role:
    """A post of plan §4 with the demo estate's headcount (the budget pays per person)."""

    code: str
    label: str
    headcount: int
    duties: tuple[str, ...]
    note: str = ""


@dataclass(frozen=True)
class Step:
    """One step of a round: its box in the drawing and its line in the list."""

    code: str  # "1", "2", ... in order
    label: str  # in the drawing
    note: str  # in the list under it


@dataclass(frozen=True)
class Round:
    """A looping flow; shaped like a workflow (``name``, ``states``) for the stages list."""

    name: str
    title: str
    again: str  # on the arrow from the last step back to the first
    states: tuple[Step, ...]

    @property
    def notes(self) -> dict[str, str]:
        return {s.code: s.note for s in self.states}


@dataclass(frozen=True)
class Charter:
    services: dict[str, tuple[str, ...]]  # area code → points
    roles: tuple[Role, ...]
    rounds: dict[str, Round]


def per_month(yearly: Decimal, count) -> Decimal:
    """A yearly amount per month and per household (or square metre), to the fen, half up."""
    return (yearly / 12 / Decimal(count)).quantize(FEN, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class BudgetItem:
    name: str
    basis: str  # how the amount is given, e.g. "每月 1,800 元"
    yearly: Decimal
    note: str


@dataclass(frozen=True)
class BudgetCategory:
    label: str
    note: str
    items: tuple[BudgetItem, ...]

    @property
    def subtotal(self) -> Decimal:
        return sum((i.yearly for i in self.items), Decimal(0))


@dataclass(frozen=True)
class FloorArea:
    square_metres: Decimal  # the estate's total building floor area (总建筑面积)
    note: str  # e.g. 示例: shown next to the figure


@dataclass(frozen=True)
class Budget:
    title: str
    categories: tuple[BudgetCategory, ...]
    households: int
    floor_area: FloorArea

    @property
    def total(self) -> Decimal:
        return sum((c.subtotal for c in self.categories), Decimal(0))

    @property
    def monthly_average(self) -> Decimal:
        """The total spread over twelve months, to the whole yuan (half up)."""
        return (self.total / 12).quantize(Decimal(1), rounding=ROUND_HALF_UP)

    def per_household(self, yearly: Decimal) -> Decimal:
        """A yearly amount per household per month, in yuan to the fen."""
        return per_month(yearly, self.households)

    def per_square_metre(self, yearly: Decimal) -> Decimal:
        """A yearly amount per square metre of floor area per month, in yuan to the fen."""
        return per_month(yearly, self.floor_area.square_metres)


# --------------------------------------------------------------------------- reading


def read_mapping(path: Path, what: str) -> dict:
    """A YAML file whose top level is a mapping; PluginError naming the file otherwise."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise PluginError(f"{path}: cannot read {what}: {exc}") from exc
    if not isinstance(data, dict):
        raise PluginError(f"{path}: expected a mapping at the top level")
    return data


def _text(path: Path, where: str, entry, key: str, required: bool = True) -> str:
    value = entry.get(key) if isinstance(entry, dict) else None
    if value is None or not str(value).strip():
        if required:
            raise PluginError(f"{path}: {where} has no '{key}'")
        return ""
    return str(value).strip()


def _list(path: Path, where: str, value) -> list:
    if not isinstance(value, list) or not value:
        raise PluginError(f"{path}: {where} must be a non-empty list")
    return value


def load_charter(path: Path = CHARTER_FILE) -> Charter:
    """Read and check ``charter.yml``; raise PluginError with a plain reason."""
    data = read_mapping(path, "the service charter")
    services = data.get("services")
    if not isinstance(services, dict):
        raise PluginError(f"{path}: 'services' must map each service area code to its points")
    if set(services) != set(surveys.AREA_CODES):
        raise PluginError(f"{path}: 'services' must list the points of exactly the service areas "
                          f"{list(surveys.AREA_CODES)}, found {list(services)}")
    points = {code: tuple(str(p) for p in _list(path, f"services.{code}", services[code]))
              for code in surveys.AREA_CODES}

    roles = []
    for i, entry in enumerate(_list(path, "roles", data.get("roles"))):
        where = f"roles[{i}]"
        code = _text(path, where, entry, "code")
        headcount = entry.get("headcount")
        if type(headcount) is not int or headcount < 1:
            raise PluginError(f"{path}: {where} ({code}): headcount {headcount!r} is not a whole number of people")
        duties = tuple(str(d) for d in _list(path, f"{where}.duties", entry.get("duties")))
        roles.append(Role(code, _text(path, where, entry, "label"), headcount, duties,
                          _text(path, where, entry, "note", required=False)))
    codes = [r.code for r in roles]
    if len(set(codes)) != len(codes):
        raise PluginError(f"{path}: a post is listed twice in roles {codes}")

    rounds = {}
    raw_rounds = data.get("rounds")
    if not isinstance(raw_rounds, dict) or not raw_rounds:
        raise PluginError(f"{path}: 'rounds' must map each round's code to its title, steps and 'again'")
    for name, entry in raw_rounds.items():
        where = f"rounds.{name}"
        steps = tuple(Step(str(n), _text(path, f"{where}.steps[{n - 1}]", s, "label"),
                           _text(path, f"{where}.steps[{n - 1}]", s, "note"))
                      for n, s in enumerate(_list(path, f"{where}.steps", (entry or {}).get("steps")), start=1))
        rounds[name] = Round(name, _text(path, where, entry, "title"), _text(path, where, entry, "again"), steps)
    return Charter(points, tuple(roles), rounds)


AMOUNT_KEYS = ("monthly", "yearly", "per_person_monthly")  # how a budget item gives its amount


def _amount(path: Path, where: str, value) -> Decimal:
    if type(value) not in (int, float) or not math.isfinite(value) or value < 0:
        raise PluginError(f"{path}: {where}: amount {value!r} is not a number of yuan "
                          "(write digits only, e.g. 12000)")
    return Decimal(str(value))


def count_households(path: Path = HOUSEHOLDS_FILE) -> int:
    """The homes listed in ``households.csv`` (distinct non-empty ``unit`` values)."""
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            if "unit" not in (reader.fieldnames or []):
                raise PluginError(f"{path}: needs a 'unit' column (one home a line)")
            units = {(row["unit"] or "").strip() for row in reader} - {""}
    except OSError as exc:
        raise PluginError(f"{path}: cannot read the households: {exc}") from exc
    if not units:
        raise PluginError(f"{path}: lists no households, so nothing can be shown per household")
    return len(units)


def _floor_area(path: Path, data: dict) -> FloorArea:
    entry = data.get("floor_area")
    value = entry.get("square_metres") if isinstance(entry, dict) else None
    if type(value) not in (int, float) or not math.isfinite(value) or value <= 0:
        raise PluginError(f"{path}: floor_area.square_metres {value!r} is not the estate's total floor area "
                          "in square metres (digits only, more than 0, e.g. 66000)")
    return FloorArea(Decimal(str(value)), _text(path, "floor_area", entry, "note", required=False))


def load_budget(path: Path, roles: tuple[Role, ...], households: int) -> Budget:
    """Read and check the budget; every yearly amount, subtotal and the total are computed,
    and the figures per household (``households`` homes) and per square metre."""
    data = read_mapping(path, "the budget")
    headcount = {r.code: r for r in roles}
    categories = []
    for c, category in enumerate(_list(path, "categories", data.get("categories"))):
        where = f"categories[{c}]"
        label = _text(path, where, category, "label")
        items = []
        for i, item in enumerate(_list(path, f"{where}.items", category.get("items"))):
            at = f"{where}.items[{i}]"
            name = _text(path, at, item, "name")
            at = f"{at} ({label}/{name})"
            given = [key for key in AMOUNT_KEYS if key in item]
            if len(given) != 1:
                raise PluginError(f"{path}: {at} needs exactly one of {list(AMOUNT_KEYS)}, found {given}")
            key = given[0]
            amount = _amount(path, f"{at}.{key}", item[key])
            if key == "per_person_monthly":
                role = headcount.get(item.get("role"))
                if role is None:
                    raise PluginError(f"{path}: {at}: per_person_monthly needs a 'role' among "
                                      f"{list(headcount)} (site/data/charter.yml), found {item.get('role')!r}")
                yearly = amount * role.headcount * 12
                basis = f"每人每月 {yuan(amount)} 元 × {role.headcount} 人"
            elif key == "monthly":
                yearly = amount * 12
                basis = f"每月 {yuan(amount)} 元"
            else:
                yearly = amount
                basis = f"每年 {yuan(amount)} 元"
            items.append(BudgetItem(name, basis, yearly, _text(path, at, item, "note", required=False)))
        categories.append(BudgetCategory(label, _text(path, where, category, "note", required=False), tuple(items)))
    return Budget(_text(path, "the budget", data, "title"), tuple(categories), households,
                  _floor_area(path, data))


def budget_file() -> Path:
    return Path(os.environ.get(BUDGET_FILE_ENV) or BUDGET_FILE)


# --------------------------------------------------------------------------- showing


def yuan(value) -> str:
    """An amount in yuan with thousands separators; fen only when there are any."""
    value = Decimal(value)
    return f"{value:,.2f}" if value != value.to_integral_value() else f"{value:,.0f}"


def round_diagram(diagrams, flow: Round) -> Markup:
    """The round as one column of steps, top to bottom, and an arrow on the left from the
    last step back to the first with ``flow.again`` inside the loop."""
    d = diagrams
    prefix = f"round-{flow.name}"
    loop_lines = d.wrap(flow.again, d.EDGE_TEXT, d.EDGE_FONT)
    loop_room = d.lines_width(loop_lines, d.EDGE_FONT) + 2 * d.LABEL_PAD
    x = d.MARGIN + loop_room + 4
    boxes = [d.Box(s.code, s.label, d.wrap(s.label, ROUND_TEXT, d.STATE_FONT), False, False, i)
             for i, s in enumerate(flow.states)]
    width = max([d.MIN_BOX_W] + [d.lines_width(b.lines, d.STATE_FONT) + 2 * d.BOX_PAD_X for b in boxes])
    top = d.MARGIN + d.START_DROP
    for box in boxes:
        box.x, box.y, box.w = x, top, width
        box.h = len(box.lines) * d.STATE_LINE + 2 * d.BOX_PAD_Y
        top = box.bottom + ROUND_GAP

    canvas = d.Canvas(prefix)
    for above, below in itertools.pairwise(boxes):
        canvas.arrow(f"M{d._num(above.cx)},{d._num(above.bottom)} L{d._num(below.cx)},{d._num(below.y - 1)}",
                     None, "main")
    first, last = boxes[0], boxes[-1]
    lane = x - loop_room
    canvas.arrow(d.rounded([(x, last.cy), (lane, last.cy), (lane, first.cy), (x - 1, first.cy)]), None, "back")
    canvas.note(loop_lines, (lane + x) / 2, (first.cy + last.cy) / 2, "back")
    canvas.start(first)
    for box in boxes:
        canvas.box(box)
    desc = (f"按顺序：{' → '.join(s.label for s in flow.states)}。"
            f"最后一步之后{flow.again}，回到“{first.label}”。各步骤的说明见图下的列表。")
    svg = canvas.svg(x + width + d.MARGIN + 2, last.bottom + d.MARGIN + 2, flow.title, desc,
                     f' data-round="{flow.name}"')
    return Markup('<figure class="workflow-diagram" id="{}-figure" data-search-exclude>{}</figure>').format(
        prefix, Markup(svg))


def _round(charter: Charter, name: str) -> Round:
    if name not in charter.rounds:
        raise jinja2.UndefinedError(f"round_diagram(): no round '{name}' in {CHARTER_FILE.name}")
    return charter.rounds[name]


def template_globals(diagrams) -> dict:
    """The names the charter pages use (see the module docstring); reads both data files."""
    charter = load_charter()
    return {
        "charter_services": [(area, charter.services[area.code]) for area in surveys.AREAS],
        "staffing": charter.roles,
        "staff_total": sum(r.headcount for r in charter.roles),
        "rounds": charter.rounds,
        "round_diagram": lambda name: round_diagram(diagrams, _round(charter, name)),
        "budget": load_budget(budget_file(), charter.roles, count_households()),
    }


def fen(value) -> str:
    """An amount in yuan always to the fen: ``243.7`` → ``243.70`` (per-household figures)."""
    return f"{Decimal(value):,.2f}"


FILTERS = {"yuan": yuan, "fen": fen}
