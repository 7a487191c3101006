"""A small, pure state machine that every service workflow is defined with.

A workflow is data: states (with the labels staff and residents read) and actions
(from which states, to which state, which roles may take them, which fields the step
must record). The same definition drives enforcement (the API, the staff CLI and the
console-edit guard) and the diagrams on the site.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Iterable, Mapping

from butler.domain.errors import InvalidTransition, NotPermitted, TooEarly
from butler.domain.timefmt import SHANGHAI

ROLE_LABELS = {
    "resident": "业主",
    "butler": "物业管家",
    "customer_service": "客服",
    "technician": "维修人员",
    "maintenance_lead": "维修主管",
    "department_head": "部门负责人",
    "system": "系统",
}


@dataclass(frozen=True)
class State:
    code: str
    label: str  # what staff read
    resident_label: str  # what residents read on the tracking page
    final: bool = False


@dataclass(frozen=True)
class StepField:
    """A value a step records on the item, under ``name``."""

    name: str
    label: str
    kind: str = "text"  # text | minutes | rating | staff
    required: bool = True
    resident_visible: bool = False
    staff_roles: tuple[str, ...] = ()  # for kind "staff": the roles the named person may have
    staff_note: bool = False  # also copy "label：value" into the staff-only notes

    @property
    def staff_roles_text(self) -> str:
        return "或".join(ROLE_LABELS[r] for r in self.staff_roles) or "员工"

    def check(self, value: Any, roster: Mapping[str, Any] | None = None) -> Any:
        """Return the value in stored form, or raise InvalidTransition with a Chinese reason."""
        empty = value is None or (isinstance(value, str) and not value.strip())
        if empty:
            if self.required:
                raise InvalidTransition(f"请填写“{self.label}”（字段 {self.name}）。")
            return None
        if self.kind == "text":
            text = str(value).strip()
            if len(text) > 500:
                raise InvalidTransition(f"“{self.label}”不能超过 500 个字。")
            return text
        if self.kind in ("minutes", "rating"):  # whole numbers in a range
            try:
                number = int(str(value).strip())
            except ValueError:
                raise InvalidTransition(f"“{self.label}”应填写整数。") from None
            low, high = (1, 5) if self.kind == "rating" else (1, 10_000)
            if not low <= number <= high:
                raise InvalidTransition(f"“{self.label}”应在 {low} 到 {high} 之间。")
            return number
        if self.kind == "hours":
            try:
                hours = int(str(value).strip())
            except ValueError:
                raise InvalidTransition(f"“{self.label}”应填写整数小时数。") from None
            if not 1 <= hours <= 24 * 30:
                raise InvalidTransition(f"“{self.label}”应在 1 到 720 小时之间。")
            return hours
        if self.kind.startswith("choice:"):
            options = self.kind.removeprefix("choice:").split(",")
            choice = str(value).strip()
            if choice not in options:
                raise InvalidTransition(f"“{self.label}”应为以下之一：{'、'.join(options)}。")
            return choice
        if self.kind == "reference":
            from butler.domain.identifiers import is_reference, normalize_reference

            reference = normalize_reference(str(value))
            if not is_reference(reference):
                raise InvalidTransition(f"“{self.label}”应为报修编号，例如 R-7KQ4-M2XP。")
            return reference
        if self.kind == "staff":
            staff_id = str(value).strip()
            member = (roster or {}).get(staff_id)
            if member is None:
                raise InvalidTransition(f"“{self.label}”{staff_id} 不在员工名册中。")
            if self.staff_roles and member.role not in self.staff_roles:
                raise InvalidTransition(f"“{self.label}”应为{self.staff_roles_text}，"
                                        f"{staff_id} 是{ROLE_LABELS[member.role]}。")
            return staff_id
        raise ValueError(f"unknown field kind {self.kind}")


@dataclass(frozen=True)
class Wait:
    """A step that waits for its time: allowed at once from a state in ``unless``, otherwise
    only once ``period`` has passed since the last ``since`` step of the timeline (its stored
    UTC time). ``when`` says in Chinese when the step happens."""

    since: str
    period: timedelta
    unless: tuple[str, ...]
    when: str

    def earliest(self, state: str, timeline: Iterable[Any]) -> datetime | None:
        """When the step may be taken from ``state``: None at once, ``datetime.max`` never
        (no ``since`` step recorded)."""
        if state in self.unless:
            return None
        started = [entry.at for entry in timeline if entry.action == self.since]
        return started[-1] + self.period if started else datetime.max

    def check(self, state: str, timeline: Iterable[Any], now: datetime, label: str) -> None:
        earliest = self.earliest(state, timeline)
        if earliest is None or (earliest is not datetime.max and now >= earliest):
            return
        at = "" if earliest is datetime.max else \
            f"（这一单最早 {earliest.astimezone(SHANGHAI):%Y-%m-%d %H:%M} 起）"
        raise TooEarly(f"现在还不能“{label}”：{self.when}{at}。")


@dataclass(frozen=True)
class Action:
    code: str
    label: str
    sources: tuple[str, ...]
    target: str
    roles: tuple[str, ...]
    resident_note: str = ""  # shown to the resident in the timeline when taken
    fields: tuple[StepField, ...] = ()
    owner_only: bool = False  # only the case's first-contact owner (details["owner"]) may take it
    wait: Wait | None = None  # a step that waits for its time (the guard of ``check_wait``)

    def check_wait(self, state: str, timeline: Iterable[Any], now: datetime) -> None:
        """The action's own guard on time, pure: raises ``TooEarly`` before its time."""
        if self.wait is not None:
            self.wait.check(state, timeline, now, self.label)

    @property
    def when_text(self) -> str:
        """What a refusal adds for a waiting step: when it happens (empty for the others)."""
        return f"{self.wait.when}。" if self.wait else ""

    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)


@dataclass(frozen=True)
class Workflow:
    name: str
    initial: str
    states: tuple[State, ...]
    actions: tuple[Action, ...]
    _by_code: dict[str, State] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_code = {s.code: s for s in self.states}
        object.__setattr__(self, "_by_code", by_code)
        if self.initial not in by_code:
            raise ValueError(f"{self.name}: unknown initial state {self.initial}")
        for action in self.actions:
            for code in (*action.sources, action.target):
                if code not in by_code:
                    raise ValueError(f"{self.name}.{action.code}: unknown state {code}")

    def state(self, code: str) -> State:
        return self._by_code[code]

    def has_state(self, code: str) -> bool:
        return code in self._by_code

    def action(self, code: str) -> Action:
        for action in self.actions:
            if action.code == code:
                return action
        raise InvalidTransition(f"未知的操作：{code}")

    def available(self, state: str, role: str | None = None) -> list[Action]:
        return [
            a for a in self.actions
            if state in a.sources and (role is None or role in a.roles)
        ]

    def step_between(self, source: str, target: str, role: str | None = None) -> Action:
        """The action that moves ``source`` to ``target`` (how a console edit is read)."""
        if not self.has_state(target):
            raise InvalidTransition(f"没有“{target}”这个状态。")
        candidates = [a for a in self.actions if source in a.sources and a.target == target]
        if source == target and not candidates:
            raise InvalidTransition("步骤字段要和状态一起修改：请同时把 status 改为下一步。")
        staff = [a for a in candidates if role is None or role in a.roles]
        if len(staff) == 1:
            return staff[0]
        if candidates:
            roles = {r for a in candidates for r in a.roles}
            raise NotPermitted(f"从“{self.state(source).label}”到“{self.state(target).label}”需要由"
                               f"{'、'.join(ROLE_LABELS[r] for r in sorted(roles))}操作。"
                               + "".join(a.when_text for a in candidates))
        raise InvalidTransition(
            f"不能从“{self.state(source).label}”直接改为“{self.state(target).label}”；"
            f"可以：{self.next_steps_text(source)}。")

    def next_steps_text(self, state: str) -> str:
        steps = [f"{a.label}（改为 {a.target}）" for a in self.available(state)]
        return "、".join(steps) or "无（已结束）"

    def take(self, state: str, action_code: str, role: str) -> Action:
        """Check that ``role`` may take ``action_code`` from ``state``; return the action."""
        action = self.action(action_code)
        if state not in action.sources:
            raise InvalidTransition(
                f"“{self.state(state).label}”状态下不能“{action.label}”。"
            )
        if role not in action.roles:
            raise NotPermitted(f"“{action.label}”需要由{'、'.join(ROLE_LABELS[r] for r in action.roles)}操作。"
                               + action.when_text)
        return action

    def mermaid(self) -> str:
        """A Mermaid state diagram of the workflow (for the site)."""
        lines = ["stateDiagram-v2", f"    [*] --> {self.initial}"]
        for state in self.states:
            lines.append(f"    {state.code} : {state.label}")
        for action in self.actions:
            for source in action.sources:
                lines.append(f"    {source} --> {action.target} : {action.label}")
        for state in self.states:
            if state.final:
                lines.append(f"    {state.code} --> [*]")
        return "\n".join(lines)


def workflow_from(data: Mapping[str, Any], choices: Mapping[str, list[str]] | None = None,
                  periods: Mapping[str, timedelta] | None = None) -> Workflow:
    """Build a workflow from its data (``butler/data/workflows/*.json``).

    A field kind ``choice:NAME`` takes its options from ``choices[NAME]``, so the list
    (departments …) stays where the domain defines it; likewise a step's ``wait`` names its
    period, found in ``periods`` (``service_levels.PERIODS``), and ``{days}`` in its text
    becomes that period's days.
    """
    def wait(spec: Mapping[str, Any] | None) -> Wait | None:
        if spec is None:
            return None
        period = (periods or {})[spec["period"]]
        return Wait(spec["since"], period, tuple(spec.get("unless", ())),
                    spec["when"].format(days=period.days))

    def field_kind(kind: str) -> str:
        if kind.startswith("choice:") and kind.removeprefix("choice:") in (choices or {}):
            return "choice:" + ",".join(choices[kind.removeprefix("choice:")])
        return kind

    return Workflow(
        name=data["name"],
        initial=data["initial"],
        states=tuple(State(s["code"], s["label"], s["resident_label"], s.get("final", False))
                     for s in data["states"]),
        actions=tuple(
            Action(a["code"], a["label"], tuple(a["sources"]), a["target"], tuple(a["roles"]),
                   a.get("resident_note", ""),
                   tuple(StepField(f["name"], f["label"], field_kind(f.get("kind", "text")),
                                   f.get("required", True), f.get("resident_visible", False),
                                   tuple(f.get("staff_roles", ())), f.get("staff_note", False))
                         for f in a.get("fields", ())),
                   a.get("owner_only", False), wait(a.get("wait")))
            for a in data["actions"]
        ),
    )


def load_workflow(name: str, choices: Mapping[str, list[str]] | None = None,
                  periods: Mapping[str, timedelta] | None = None) -> Workflow:
    """A workflow shipped with the package: static data, read once at import."""
    import json
    from importlib import resources

    text = resources.files("butler").joinpath(f"data/workflows/{name}.json").read_text(encoding="utf-8")
    return workflow_from(json.loads(text), choices, periods)
