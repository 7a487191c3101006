"""A small, pure state machine that every service workflow is defined with.

A workflow is data: states (with the labels staff and residents read) and actions
(from which states, to which state, which roles may take them). The same definition
drives enforcement here and the diagrams on the site.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from butler.domain.errors import InvalidTransition, NotPermitted


@dataclass(frozen=True)
class State:
    code: str
    label: str  # what staff read
    resident_label: str  # what residents read on the tracking page
    final: bool = False


@dataclass(frozen=True)
class Action:
    code: str
    label: str
    sources: tuple[str, ...]
    target: str
    roles: tuple[str, ...]
    resident_note: str = ""  # shown to the resident in the timeline when taken


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

    def take(self, state: str, action_code: str, role: str) -> Action:
        """Check that ``role`` may take ``action_code`` from ``state``; return the action."""
        action = self.action(action_code)
        if state not in action.sources:
            raise InvalidTransition(
                f"“{self.state(state).label}”状态下不能“{action.label}”。"
            )
        if role not in action.roles:
            raise NotPermitted(f"“{action.label}”需要由{'、'.join(ROLE_LABELS[r] for r in action.roles)}操作。")
        return action


ROLE_LABELS = {
    "resident": "业主",
    "butler": "物业管家",
    "customer_service": "客服",
    "technician": "维修人员",
    "maintenance_lead": "维修主管",
    "system": "系统",
}
