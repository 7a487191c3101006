"""The repair flow of the service plan as test data: every step with who takes it and what
it records. Walked by the unit, console, CLI and browser tests."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Step:
    action: str
    target: str
    role: str
    actor: str
    values: dict[str, Any] = field(default_factory=dict)


TECHNICIAN = "wx-wang"
BUTLER = "gj-li"

# report → dispatch → survey → repair (situation, pause, resume) → complete → reject →
# complete → accept → resident says not fixed → complete → accept → rate → archived by the
# system (staff never archive: the overdue sweep does, once rated or after the rating window)
PLAN_WALK: tuple[Step, ...] = (
    Step("dispatch", "dispatched", "butler", BUTLER, {"technician": TECHNICIAN}),
    Step("survey", "surveyed", "technician", TECHNICIAN,
         {"survey_plan": "更换厨房下水管存水弯", "materials_planned": "PVC 存水弯 1 个"}),
    Step("start_repair", "in_repair", "technician", TECHNICIAN),
    Step("note_situation", "in_repair", "technician", TECHNICIAN, {"situation": "墙内管道老化，需主管确认"}),
    Step("pause", "paused", "technician", TECHNICIAN, {"pause_reason": "等待配件到货"}),
    Step("resume", "in_repair", "technician", TECHNICIAN),
    Step("complete", "completed", "technician", TECHNICIAN,
         {"work_done": "更换存水弯并试水", "materials_used": "PVC 存水弯 1 个", "labour_minutes": 50}),
    Step("reject", "in_repair", "butler", BUTLER, {"reject_reason": "接口仍有渗水"}),
    Step("complete", "completed", "technician", TECHNICIAN,
         {"work_done": "重新密封接口", "materials_used": "生料带", "labour_minutes": 20}),
    Step("accept", "accepted", "butler", BUTLER, {"accepted_by": BUTLER}),
    Step("report_not_fixed", "in_repair", "resident", "resident", {"not_fixed_reason": "晚上又开始滴水"}),
    Step("complete", "completed", "technician", TECHNICIAN,
         {"work_done": "更换整段下水管", "materials_used": "下水管 1 米", "labour_minutes": 90}),
    Step("accept", "accepted", "butler", BUTLER, {"accepted_by": BUTLER}),
    Step("rate", "rated", "resident", "resident", {"rating": 4, "rating_comment": "师傅很耐心"}),
    Step("archive", "archived", "system", "system"),  # by the sweep once rated (sweep_archive)
)

CANCEL_STEP = Step("cancel", "cancelled", "customer_service", "kf-zhang", {"cancel_reason": "业主已自行修好"})


def link_step(primary_reference: str) -> Step:
    """Merge a duplicate report of one shared fault into the primary work order."""
    return Step("link", "merged", "butler", BUTLER, {"primary_reference": primary_reference})


CLOSE_WITH_PRIMARY = Step("close_with_primary", "archived", "system", "system")


def cli_argv(step: Step, reference: str) -> list[str]:
    """The staff CLI command line for a staff step."""
    argv = ["--as", step.actor, step.action.replace("_", "-"), reference]
    for name, value in step.values.items():
        argv += [f"--{name.replace('_', '-')}", str(value)]
    return argv


def resident_request(step: Step) -> tuple[str, dict[str, Any]]:
    """The API path suffix and body of a resident step (rate, report_not_fixed)."""
    if step.action == "rate":
        return "rating", {"rating": step.values["rating"], "comment": step.values["rating_comment"]}
    return "not-fixed", {"reason": step.values["not_fixed_reason"]}


def sweep_archive(now: Any = None) -> list[str]:
    """The system's step of the walk (``archive``): one run of the overdue sweep, the way it
    runs on its schedule (the functions' environment must be set). Returns what it archived."""
    from butler.domain.timefmt import iso, utc_now
    from handlers import overdue_sweep
    from infra.apigw import FakeLambdaContext

    event = {"source": "aws.events", "detail-type": "Scheduled Event", "time": iso(now or utc_now()), "detail": {}}
    return overdue_sweep.handler(event, FakeLambdaContext())["archived"]


def take_resident_step(api: Any, reference: str, token: str, step: Step) -> Any:
    suffix, body = resident_request(step)
    response = api.call("POST", f"/api/repairs/{reference}/{suffix}", json_body=body,
                        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
    assert response.status == 200, response.text
    return response

# The shortest repair from dispatch to the house archive, as (action, role, actor, values):
# the resident's rating comment carries a phone number, which the anonymisation removes.
ARCHIVED_REPAIR: tuple[tuple[str, str, str, dict[str, Any]], ...] = (
    ("dispatch", "butler", BUTLER, {"technician": TECHNICIAN}),
    ("survey", "technician", TECHNICIAN, {"survey_plan": "更换存水弯", "materials_planned": "存水弯 1 个"}),
    ("start_repair", "technician", TECHNICIAN, {}),
    ("complete", "technician", TECHNICIAN, {"work_done": "更换存水弯并试水", "materials_used": "存水弯 1 个",
                                            "labour_minutes": 50}),
    ("accept", "butler", BUTLER, {"accepted_by": BUTLER}),
    ("rate", "resident", "resident", {"rating": 4, "rating_comment": "师傅很好，下次还找他：139 1234 5678"}),
    ("archive", "system", "system", {}),  # rated: the system archives it at once
)
