"""Public routes for inquiries, complaints and suggestions: file one, follow it, say
whether the answer satisfies you."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.metrics import MetricUnit

from butler.domain.complaints import COMPLAINT_WORKFLOW, new_case, resident_view
from butler.repository.complaints import ComplaintRepository
from butler.roster import load_roster
from butler.services.cases import find_for_resident, open_case, resident_step
from butler.settings import load_settings
from butler.web.case_api import CaseApi, publish
from butler.web.phone_codes import publish_phone_code
from butler.web.cases import STEP_ERRORS, documented, route_group
from butler.web.cases import bearer_token, created_body, json_response
from butler.web.schemas import (
    CaseCreatedOut,
    ComplaintIn,
    ComplaintViewOut,
    NotSatisfiedIn,
    SatisfiedIn,
)

router, logger, metrics = route_group()
API = CaseApi("/api/complaints", "咨询、投诉或建议", ComplaintIn, CaseCreatedOut, ComplaintViewOut,
              intake_note="首问负责：第一位接手的员工负责到底。")
TAGS = API.tags


def _repo() -> ComplaintRepository:
    return ComplaintRepository(load_settings().complaints_table)


def _file(filing: ComplaintIn) -> dict:
    case, token = open_case(_repo(), lambda **new: new_case(filing.to_domain(), **new))
    logger.info("case filed", extra={"reference": case.reference, "kind": case.kind, "topic": case.topic})
    metrics.add_metric("CaseFiled", MetricUnit.Count, 1)
    return created_body(case, token, COMPLAINT_WORKFLOW)


def _show(reference: str, token: str):
    return json_response(resident_view(find_for_resident(_repo(), reference, token), load_roster()))


publish(router, API, create=_file, show=_show, withdraw=lambda reference: _repo().withdraw(reference))
publish_phone_code(router, API, _repo, logger)


@router.post("/api/complaints/<reference>/satisfied", **documented(
    "确认满意", "对答复满意：办结。可以打 1–5 分。", ComplaintViewOut, errors=STEP_ERRORS, tags=TAGS))
def confirm_satisfied(reference: Annotated[str, Path(max_length=20)],
                      answer: Annotated[SatisfiedIn, Body(embed=False)]):
    return _resident_step(reference, "confirm_satisfied", {"rating": answer.rating})


@router.post("/api/complaints/<reference>/not-satisfied", **documented(
    "不满意", "对答复不满意：回到首问负责人继续跟进。", ComplaintViewOut, errors=STEP_ERRORS, tags=TAGS))
def not_satisfied(reference: Annotated[str, Path(max_length=20)],
                  answer: Annotated[NotSatisfiedIn, Body(embed=False)]):
    return _resident_step(reference, "not_satisfied", {"not_satisfied_reason": answer.reason})


# The workflow's resident actions (butler/data/workflows/complaint.json) and the route of
# each: every action the tracking view offers has one (tests/unit/test_resident_routes.py).
RESIDENT_ROUTES = {"confirm_satisfied": "/api/complaints/{reference}/satisfied",
                   "not_satisfied": "/api/complaints/{reference}/not-satisfied"}


def _resident_step(reference: str, action: str, values: dict):
    case = resident_step(_repo(), reference, bearer_token(router.current_event.headers), action, values)
    logger.info("resident step", extra={"reference": case.reference, "step": action})
    return json_response(resident_view(case, load_roster()))
