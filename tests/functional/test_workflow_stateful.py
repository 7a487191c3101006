"""Random console edits (valid and not), staff and resident steps, replayed stream records
and edits racing each other never reach a forbidden state, and the timeline only grows,
one entry per accepted step."""
import itertools

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from butler.domain.errors import DomainError
from butler.domain.repairs import REPAIR_WORKFLOW, STEP_FIELDS
from butler.repository.work_orders import WorkOrderRepository
from butler.roster import load_roster
from butler.services import repairs as service
from tests.support.console import console_edit, item
from tests.support.flow import PLAN_WALK
from tests.support.reports import home_report

STATES = [s.code for s in REPAIR_WORKFLOW.states] + ["done", ""]
STAFF = [*load_roster(), "nobody", None]
GOOD_VALUES = {k: v for step in PLAN_WALK for k, v in step.values.items()}
VALUES = st.dictionaries(
    st.sampled_from(STEP_FIELDS),
    st.one_of(st.sampled_from([str(v) for v in GOOD_VALUES.values()]), st.sampled_from(["", "0", "9", "x"])),
    max_size=4,
)
ACTIONS = [a.code for a in REPAIR_WORKFLOW.actions]
ALLOWED = {(source, a.target, a.code) for a in REPAIR_WORKFLOW.actions for source in a.sources}
tags = itertools.count()


def test_random_edits_never_break_the_workflow(api, dynamodb, stack, stream):
    table = stack["RepairsTable"]
    repo = WorkOrderRepository(table)
    roster = load_roster()

    class WorkOrderMachine(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            created = api.call("POST", "/api/repairs", json_body=home_report(),
                               headers={"Content-Type": "application/json"}).json
            self.reference, self.token = created["reference"], created["token"]
            stream.drain()
            self.seen = []  # stream batches already delivered once
            self.timeline = item(dynamodb, table, self.reference)["timeline"]
            self.edits = {}  # tag → target status of a console edit

        def _edit(self, target, editor, values):
            tag = f"edit-{next(tags)}"
            self.edits[tag] = target
            console_edit(dynamodb, table, self.reference, status=target or None, edited_by=editor,
                         resident_note=tag, **values)

        @rule(status=st.sampled_from(STATES), editor=st.sampled_from(STAFF), values=VALUES)
        def console(self, status, editor, values):
            self._edit(status, editor, values)
            self._deliver()

        @rule(first=st.sampled_from(STATES), second=st.sampled_from(STATES),
              editor=st.sampled_from(STAFF), values=VALUES)
        def racing_console_edits(self, first, second, editor, values):
            self._edit(first, editor, values)
            self._edit(second, editor, values)
            self._deliver()

        @rule(data=st.data())
        def staff_step(self, data):
            action = data.draw(st.sampled_from(ACTIONS))
            actor = data.draw(st.sampled_from([s for s in STAFF if s in roster]))
            values = {k: GOOD_VALUES.get(k) for k in STEP_FIELDS if data.draw(st.booleans())}
            try:
                service.take_step(repo, self.reference, action, actor=actor, role=roster[actor].role,
                                  values=values, roster=roster)
            except DomainError:
                pass
            self._deliver()

        @rule(rating=st.integers(min_value=0, max_value=6), fixed=st.booleans())
        def resident(self, rating, fixed):
            try:
                if fixed:
                    service.resident_step(repo, self.reference, self.token, "rate",
                                          {"rating": rating, "rating_comment": ""})
                else:
                    service.resident_step(repo, self.reference, self.token, "report_not_fixed",
                                          {"not_fixed_reason": "还是漏"})
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
            assert REPAIR_WORKFLOW.has_state(stored["status"])
            assert stored["timeline"][-1]["to_status"] == stored["status"]

        @invariant()
        def timeline_only_grows_along_allowed_steps(self):
            timeline = item(dynamodb, table, self.reference)["timeline"]
            assert timeline[:len(self.timeline)] == self.timeline
            for before, after in zip(timeline, timeline[1:]):
                assert after["from_status"] == before["to_status"]
                assert (after["from_status"], after["to_status"], after["action"]) in ALLOWED
            notes = [entry["note"] for entry in timeline if entry["note"].startswith("edit-")]
            assert len(notes) == len(set(notes))
            for entry in timeline:
                if entry["note"] in self.edits:
                    assert entry["to_status"] == self.edits[entry["note"]]
            self.timeline = timeline

    run_state_machine_as_test(WorkOrderMachine, settings=settings(
        max_examples=12, stateful_step_count=12, deadline=None, derandomize=True,
        suppress_health_check=list(HealthCheck)))
