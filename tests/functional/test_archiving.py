"""A fair window for the resident: staff never archive a repair; the overdue sweep archives
it once it is rated, or once its acceptance is RATING_WINDOW old. Refusals say when."""
from datetime import timedelta

import pytest

from butler.domain.service_levels import RATING_WINDOW
from butler.domain.timefmt import utc_now
from butler.repository.work_orders import WorkOrderRepository
from butler.roster import load_roster
from butler.services.archiving import archive_settled
from butler.services.cases import take_step
from tests.functional import test_staff_cli
from tests.support.console import console_edit, item
from tests.support.flow import PLAN_WALK, sweep_archive, take_resident_step
from tests.support.reports import home_report

cli = test_staff_cli.cli  # butler-staff in this process, output captured
ROSTER = load_roster()
JSON = {"Content-Type": "application/json"}
WHEN = f"业主评价后或验收满 {RATING_WINDOW.days} 天后由系统自动归档"
TO_ACCEPTED = [*PLAN_WALK[:3], PLAN_WALK[6]]  # dispatch, survey, start repair, complete
ACCEPT, RATE = PLAN_WALK[9], PLAN_WALK[13]


@pytest.fixture
def repo(stack):
    return WorkOrderRepository(stack["RepairsTable"])


def reported(api, unit="3-2-1201"):
    created = api.call("POST", "/api/repairs", json_body=home_report(unit=unit), headers=JSON).json
    return created["reference"], created["token"]


def walked(api, repo, steps, unit="3-2-1201"):
    reference, token = reported(api, unit)
    for step in steps:
        take_step(repo, reference, step.action, actor=step.actor, role=step.role, values=step.values, roster=ROSTER)
    return reference, token


def test_the_sweep_archives_rated_and_expired_repairs_and_nothing_else(api, repo, dynamodb, stack):
    accepted_steps = [*TO_ACCEPTED, ACCEPT]
    rated, token = walked(api, repo, accepted_steps, "3-2-1201")
    take_resident_step(api, rated, token, RATE)
    waiting, _ = walked(api, repo, accepted_steps, "3-2-1202")
    completed, _ = walked(api, repo, TO_ACCEPTED, "3-2-1101")
    fresh, _ = reported(api, "3-2-1102")
    accepted_at = repo.get(waiting).timeline[-1].at

    assert sweep_archive(accepted_at + RATING_WINDOW - timedelta(seconds=1)) == [rated]
    assert repo.get(waiting).status == "accepted"
    assert sweep_archive(accepted_at + RATING_WINDOW) == [waiting]  # the window, to the second

    table = stack["RepairsTable"]
    before = {r: item(dynamodb, table, r) for r in (rated, waiting, completed, fresh)}
    assert sweep_archive(accepted_at + RATING_WINDOW * 3) == []  # a second run changes nothing
    assert {r: item(dynamodb, table, r) for r in before} == before
    for reference in (rated, waiting):
        stored = before[reference]
        assert stored["status"] == "archived" and stored["timeline"][-1]["actor"] == "system"
        assert stored["timeline"][-1]["actor_role"] == "system"
    assert (before[completed]["status"], before[fresh]["status"]) == ("completed", "reported")
    assert before[rated]["rating"] == "4"  # the rating the scorecard reads stays


def test_a_run_archives_at_most_its_batch_and_the_next_run_goes_on(api, repo):
    references = [walked(api, repo, [*TO_ACCEPTED, ACCEPT], unit)[0] for unit in ("3-2-1001", "3-2-1002", "3-2-1101")]
    later = utc_now() + RATING_WINDOW + timedelta(minutes=5)

    first = archive_settled(repo, later, limit=2)
    second = archive_settled(repo, later, limit=2)

    assert len(first) == 2 and sorted(first + second) == sorted(references)
    assert archive_settled(repo, later, limit=2) == []


def test_staff_cannot_archive_through_the_cli(api, repo, cli):
    reference, token = walked(api, repo, [*TO_ACCEPTED, ACCEPT])

    refused = cli("--as", "gj-li", "archive", reference)
    other = cli("--as", "gj-li", "dispatch", reference, "--technician", "wx-wang")  # another refused step

    assert refused.code == other.code == 1 and refused.out == ""
    assert WHEN in refused.err and "系统" in refused.err
    assert repo.get(reference).status == "accepted"
    take_resident_step(api, reference, token, RATE)
    assert cli("--as", "gj-li", "archive", reference).code == 1  # rated: still the system's step
    shown = cli("--as", "gj-li", "show", reference)
    assert WHEN in shown.out  # what happens next, for staff reading the case
    assert repo.get(reference).status == "rated"


def test_a_console_edit_to_archived_is_put_back_with_the_reason(api, repo, dynamodb, stack, stream):
    table = stack["RepairsTable"]
    reference, _ = walked(api, repo, [*TO_ACCEPTED, ACCEPT])
    stream.drain()

    console_edit(dynamodb, table, reference, status="archived", edited_by="gj-li")
    stream.drain()

    stored = item(dynamodb, table, reference)
    assert stored["status"] == stored["applied_status"] == "accepted"
    assert stored["timeline"][-1]["action"] == "accept"
    assert "修改未生效" in stored["guard_message"] and WHEN in stored["guard_message"]
