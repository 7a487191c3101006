from datetime import datetime, timedelta, timezone

import pytest

from butler.domain import complaints
from butler.domain.complaints import (
    COMPLAINT_WORKFLOW,
    ComplaintFiling,
    advance,
    advance_to,
    breach,
    new_case,
    resident_view,
)
from butler.domain.errors import InvalidTransition, NotPermitted
from butler.roster import load_roster

NOW = datetime(2026, 11, 28, 2, 0, tzinfo=timezone.utc)
ROSTER = load_roster()


def filed(kind="complaint", **changes):
    filing = ComplaintFiling(kind=kind, topic="cleaning", description="5号楼垃圾桶三天没清运，味道很大。",
                             contact_name="钱女士", contact_phone="13933334444", **changes)
    return new_case(filing, reference="C-AAAA-BBBB", token_hash="h", now=NOW)


def step(case, action, actor, role, **values):
    return advance(case, action, role=role, actor=actor, values=values, roster=ROSTER, now=NOW)


def test_the_simple_path_is_answered_on_the_spot_and_confirmed():
    case = filed(kind="inquiry")
    step(case, "claim", "kf-zhang", "customer_service", owner="kf-zhang")
    step(case, "answer", "kf-zhang", "customer_service", reply="每周二、五上午清运大件垃圾。")
    step(case, "confirm_satisfied", "resident", "resident", rating=5)

    assert case.status == "closed" and case.owner == "kf-zhang"
    assert [e.to_status for e in case.timeline] == ["submitted", "received", "answered", "closed"]


def test_the_long_path_goes_back_to_the_owner_until_the_resident_is_satisfied():
    case = filed()
    step(case, "claim", "kf-zhang", "customer_service", owner="kf-zhang")
    step(case, "transfer", "kf-zhang", "customer_service", department="environment")
    step(case, "investigate", "bj-zhou", "department_head", findings="清运车故障两天")
    step(case, "propose", "bj-zhou", "department_head", solution="今天下午加派车辆清运并消毒")
    step(case, "reply", "kf-zhang", "customer_service", reply="今天下午清运并消毒。")
    step(case, "not_satisfied", "resident", "resident", not_satisfied_reason="还是没人来")
    step(case, "transfer", "kf-zhang", "customer_service", department="environment", promised_hours=4)
    step(case, "investigate", "bj-zhou", "department_head")
    step(case, "propose", "bj-zhou", "department_head", solution="主管带队清运")
    step(case, "reply", "kf-zhang", "customer_service", reply="已清运完毕，请查看。")
    step(case, "confirm_satisfied", "resident", "resident")

    assert case.status == "closed"
    assert case.owner == "kf-zhang" and case.reopen_count == 1
    assert case.reply_by == NOW + timedelta(hours=4)
    assert any("清运车故障" in n["text"] for n in case.staff_notes)


def test_a_transfer_never_changes_the_owner_and_only_the_owner_replies():
    case = filed()
    step(case, "claim", "kf-zhang", "customer_service", owner="kf-zhang")

    with pytest.raises(NotPermitted):
        step(case, "transfer", "kf-he", "customer_service", department="security")
    step(case, "transfer", "kf-zhang", "customer_service", department="security", owner="kf-he")

    assert case.owner == "kf-zhang"
    assert case.department == "security"


def test_the_promised_reply_comes_from_the_configuration_unless_staff_set_it():
    for kind in complaints.KINDS:
        case = filed(kind=kind)
        step(case, "claim", "kf-zhang", "customer_service", owner="kf-zhang")
        step(case, "transfer", "kf-zhang", "customer_service", department="engineering")
        assert case.reply_by == NOW + complaints.PROMISED_REPLY[kind]


def test_a_missed_promise_is_a_breach_of_the_promised_reply():
    case = filed()
    step(case, "claim", "kf-zhang", "customer_service", owner="kf-zhang")
    step(case, "transfer", "kf-zhang", "customer_service", department="engineering")

    assert breach(case, case.reply_by) is None
    assert breach(case, case.reply_by + timedelta(seconds=1)) == "promised_reply"


def test_without_an_answer_from_the_resident_the_owner_closes_after_a_follow_up_call():
    case = filed(kind="inquiry")
    step(case, "claim", "kf-he", "customer_service", owner="kf-he")
    step(case, "answer", "kf-he", "customer_service", reply="已答复")

    with pytest.raises(InvalidTransition):
        step(case, "close_after_follow_up", "kf-he", "customer_service")
    step(case, "close_after_follow_up", "kf-he", "customer_service", follow_up="电话回访，业主表示已解决")

    assert case.status == "closed"
    assert "电话回访" in case.staff_notes[-1]["text"]


def test_a_case_taken_by_phone_is_owned_by_the_receiver_from_the_start():
    case = filed(source="phone", received_by="kf-he")

    assert case.status == "received" and case.owner == "kf-he"
    with pytest.raises(InvalidTransition):
        advance_to(case, "closed", role="customer_service", actor="kf-he", values={}, roster=ROSTER, now=NOW)


def test_the_resident_view_shows_replies_and_the_owner_but_no_staff_notes():
    case = filed()
    step(case, "claim", "kf-zhang", "customer_service", owner="kf-zhang")
    step(case, "transfer", "kf-zhang", "customer_service", department="environment")
    step(case, "investigate", "bj-zhou", "department_head", findings="内部：外包合同到期")

    view = resident_view(case, ROSTER)

    assert view["owner_name"] == "张客服" and view["department_label"] == "环境卫生部"
    assert view["reply_by"] and "外包合同" not in repr(view)
    assert view["contact_phone"] == "139****4444"


def test_every_complaint_state_is_reachable():
    reachable, frontier = {COMPLAINT_WORKFLOW.initial}, [COMPLAINT_WORKFLOW.initial]
    while frontier:
        for action in COMPLAINT_WORKFLOW.available(frontier.pop()):
            if action.target not in reachable:
                reachable.add(action.target)
                frontier.append(action.target)

    assert reachable == {s.code for s in COMPLAINT_WORKFLOW.states}


@pytest.mark.parametrize("owner, role", [("wx-wang", "维修人员"), ("bj-zhou", "部门负责人")])
def test_only_front_desk_staff_can_be_named_first_contact_owner(owner, role):
    case = filed()
    with pytest.raises(InvalidTransition) as refused:
        step(case, "claim", "gj-li", "butler", owner=owner)

    assert "客服或物业管家" in refused.value.message and role in refused.value.message
    assert case.status == "submitted" and case.owner is None


def test_a_butler_may_name_a_customer_service_colleague_as_owner():
    case = step(filed(), "claim", "gj-li", "butler", owner="kf-he")

    assert case.owner == "kf-he" and case.status == "received"
