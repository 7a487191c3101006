"""Thirty reports of one broken elevator: staff merge them into one work order, and closing
that order closes every merged report and updates each reporter's tracking page."""
from butler.domain.errors import InvalidTransition
from butler.repository.work_orders import WorkOrderRepository
from butler.roster import load_roster
from butler.services.repairs import take_step
from tests.support.console import console_edit, item
from tests.support.flow import PLAN_WALK, link_step
from tests.support.reports import public_report

import pytest

JSON = {"Content-Type": "application/json"}


def report(api, phone):
    body = public_report(category="elevator", location="7号楼1单元电梯", description="电梯不动了，按钮没反应。",
                         contact_phone=phone)
    created = api.call("POST", "/api/repairs", json_body=body, headers=JSON).json
    return created["reference"], created["token"]


def view(api, reference, token):
    return api.call("GET", f"/api/repairs/{reference}", headers={"Authorization": f"Bearer {token}"}).json


def staff(repo, reference, step):
    take_step(repo, reference, step.action, actor=step.actor, role=step.role, values=step.values,
              roster=load_roster())


def test_merged_reports_follow_the_primary_and_close_with_it(api, dynamodb, stack, stream):
    table = stack["RepairsTable"]
    repo = WorkOrderRepository(table)
    primary, primary_token = report(api, "13800000101")
    duplicates = [report(api, f"138000002{i:02d}") for i in range(5)]

    for reference, _ in duplicates[:4]:
        staff(repo, reference, link_step(primary))
    console_edit(dynamodb, table, duplicates[4][0], status="merged", edited_by="kf-zhang",
                 primary_reference=primary.lower())
    stream.drain()
    for step in PLAN_WALK[:3]:
        staff(repo, primary, step)

    for reference, token in duplicates:
        shown = view(api, reference, token)
        assert shown["status"] == "merged", shown
        assert shown["primary"]["reference"] == primary
        assert shown["primary"]["status"] == "in_repair"
        assert "13800000101" not in str(shown)
    assert sorted(repo.linked_to(primary)) == sorted(r for r, _ in duplicates)

    staff(repo, primary, next(s for s in PLAN_WALK if s.action == "complete"))
    for step in PLAN_WALK[-6:]:  # accept … archive, with the resident's not-fixed and rating
        if step.role == "resident":
            path = {"rate": "rating", "report_not_fixed": "not-fixed"}[step.action]
            body = ({"rating": 5} if step.action == "rate" else {"reason": "还是不动"})
            response = api.call("POST", f"/api/repairs/{primary}/{path}", json_body=body,
                                headers={**JSON, "Authorization": f"Bearer {primary_token}"})
            assert response.status == 200, response.text
        else:
            staff(repo, primary, step)
    stream.drain()

    for reference, token in duplicates:
        shown = view(api, reference, token)
        assert shown["status"] == "archived"
        assert primary in shown["timeline"][-1]["note"]
    assert item(dynamodb, table, duplicates[0][0])["timeline"][-1]["actor"] == "system"

    stream.deliver(stream.poll())  # nothing new; replaying the closing changes nothing
    assert [e["to_status"] for e in item(dynamodb, table, duplicates[0][0])["timeline"]] == [
        "reported", "merged", "archived"]


def test_a_report_cannot_be_merged_into_itself_a_closed_or_a_merged_order(api, stack):
    repo = WorkOrderRepository(stack["RepairsTable"])
    first, _ = report(api, "13800000301")
    second, _ = report(api, "13800000302")
    third, _ = report(api, "13800000303")
    staff(repo, second, link_step(first))

    with pytest.raises(InvalidTransition):
        staff(repo, first, link_step(first))
    with pytest.raises(InvalidTransition):
        staff(repo, third, link_step(second))
    with pytest.raises(InvalidTransition):
        staff(repo, third, link_step("R-0000-0000"))
    assert repo.get(third).status == "reported"
