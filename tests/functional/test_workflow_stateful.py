"""Random console edits (valid and not), staff and resident steps, replayed stream records
and edits racing each other never reach a forbidden state, and the timeline only grows,
one entry per accepted step — for every kind of case."""
import itertools

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from butler.domain.cases import step_fields
from butler.domain.complaints import COMPLAINT_WORKFLOW
from butler.domain.errors import DomainError
from butler.domain.repairs import REPAIR_WORKFLOW
from butler.repository.complaints import ComplaintRepository
from butler.repository.work_orders import WorkOrderRepository
from butler.roster import load_roster
from butler.services.cases import resident_step, take_step
from tests.support.console import console_edit, item
from tests.support.flow import PLAN_WALK
from tests.support.reports import home_report

ROSTER = load_roster()
STAFF = [*ROSTER, "nobody", None]
tags = itertools.count()

REPAIR_VALUES = {k: v for step in PLAN_WALK for k, v in step.values.items()}
COMPLAINT_VALUES = {"owner": "kf-zhang", "reply": "已答复", "department": "environment",
                    "promised_hours": 24, "findings": "查明原因", "solution": "处理方案",
                    "rating": 4, "not_satisfied_reason": "还不行", "follow_up": "电话回访"}

KINDS = {
    "repair": dict(
        workflow=REPAIR_WORKFLOW, repository=WorkOrderRepository, table="RepairsTable",
        path="/api/repairs", body=home_report, good=REPAIR_VALUES,
        resident=[("rate", {"rating": 4, "rating_comment": ""}), ("rate", {"rating": 9}),
                  ("report_not_fixed", {"not_fixed_reason": "还是漏"})]),
    "complaint": dict(
        workflow=COMPLAINT_WORKFLOW, repository=ComplaintRepository, table="ComplaintsTable",
        path="/api/complaints",
        body=lambda: {"kind": "complaint", "topic": "parking", "description": "地库车位被长期占用。",
                      "contact_name": "孙先生", "contact_phone": "13911112222"},
        good=COMPLAINT_VALUES,
        resident=[("confirm_satisfied", {"rating": 5}), ("confirm_satisfied", {"rating": 0}),
                  ("not_satisfied", {"not_satisfied_reason": "还没解决"})]),
}


@pytest.mark.parametrize("kind", KINDS)
def test_random_edits_never_break_the_workflow(kind, api, dynamodb, stack, provisioned, moto_endpoint):
    from infra.provision import stream_pumps
    from infra.template import load_template

    spec = KINDS[kind]
    workflow, table = spec["workflow"], stack[spec["table"]]
    (stream,) = [p for p in stream_pumps(load_template(), provisioned, moto_endpoint)
                 if p.table_id == spec["table"]]
    repo = spec["repository"](table)
    fields = step_fields(workflow)
    states = [s.code for s in workflow.states] + ["done", ""]
    actions = [a.code for a in workflow.actions]
    allowed = {(source, a.target, a.code) for a in workflow.actions for source in a.sources}
    values = st.dictionaries(
        st.sampled_from(fields),
        st.one_of(st.sampled_from([str(v) for v in spec["good"].values()]), st.sampled_from(["", "0", "9", "x"])),
        max_size=4)

    class CaseMachine(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            created = api.call("POST", spec["path"], json_body=spec["body"](),
                               headers={"Content-Type": "application/json"}).json
            self.reference, self.token = created["reference"], created["token"]
            stream.drain()
            self.seen = []  # stream batches already delivered once
            self.timeline = item(dynamodb, table, self.reference)["timeline"]
            self.edits = {}  # tag → target status of a console edit

        def _edit(self, target, editor, changes):
            tag = f"edit-{next(tags)}"
            self.edits[tag] = target
            console_edit(dynamodb, table, self.reference, status=target or None, edited_by=editor,
                         resident_note=tag, **changes)

        @rule(status=st.sampled_from(states), editor=st.sampled_from(STAFF), changes=values)
        def console(self, status, editor, changes):
            self._edit(status, editor, changes)
            self._deliver()

        @rule(first=st.sampled_from(states), second=st.sampled_from(states),
              editor=st.sampled_from(STAFF), changes=values)
        def racing_console_edits(self, first, second, editor, changes):
            self._edit(first, editor, changes)
            self._edit(second, editor, changes)
            self._deliver()

        @rule(data=st.data())
        def staff_step(self, data):
            action = data.draw(st.sampled_from(actions))
            actor = data.draw(st.sampled_from([s for s in STAFF if s in ROSTER]))
            chosen = {k: spec["good"].get(k) for k in fields if data.draw(st.booleans())}
            try:
                take_step(repo, self.reference, action, actor=actor, role=ROSTER[actor].role,
                          values=chosen, roster=ROSTER)
            except DomainError:
                pass
            self._deliver()

        @rule(choice=st.sampled_from(spec["resident"]))
        def resident(self, choice):
            try:
                resident_step(repo, self.reference, self.token, *choice)
            except DomainError:
                pass
            self._deliver()

        @rule(data=st.data())
        def replay(self, data):
            if self.seen:
                stream.deliver(data.draw(st.sampled_from(self.seen)))
                stream.drain()

        def _deliver(self):
            records = stream.poll()
            if records:
                stream.deliver(records)
                self.seen.append(records)
            stream.drain()

        @invariant()
        def status_is_a_state_the_workflow_accepted(self):
            stored = item(dynamodb, table, self.reference)
            assert stored["status"] == stored["applied_status"]
            assert workflow.has_state(stored["status"])
            assert stored["timeline"][-1]["to_status"] == stored["status"]

        @invariant()
        def timeline_only_grows_along_allowed_steps(self):
            timeline = item(dynamodb, table, self.reference)["timeline"]
            assert timeline[:len(self.timeline)] == self.timeline
            for before, after in zip(timeline, timeline[1:]):
                assert after["from_status"] == before["to_status"]
                assert (after["from_status"], after["to_status"], after["action"]) in allowed
            notes = [entry["note"] for entry in timeline if entry["note"].startswith("edit-")]
            assert len(notes) == len(set(notes))
            for entry in timeline:
                if entry["note"] in self.edits:
                    assert entry["to_status"] == self.edits[entry["note"]]
            self.timeline = timeline

    run_state_machine_as_test(CaseMachine, settings=settings(
        max_examples=12, stateful_step_count=12, deadline=None, derandomize=True,
        suppress_health_check=list(HealthCheck)))
