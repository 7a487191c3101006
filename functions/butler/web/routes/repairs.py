"""Public repair routes: report a repair, follow its progress."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.metrics import MetricUnit

from butler.domain.photos import shown
from butler.domain.repairs import REPAIR_WORKFLOW, resident_view
from butler.repository.photo_store import PhotoStore
from butler.repository.work_orders import WorkOrderRepository
from butler.services import repairs as service
from butler.services.shared_faults import primary_of
from butler.settings import load_settings
from butler.web.case_api import CaseApi, publish
from butler.web.phone_codes import publish_phone_code
from butler.web.cases import STEP_ERRORS, documented, route_group
from butler.web.cases import bearer_token, created_body, json_response
from butler.web.schemas import (
    CancelIn,
    NotFixedIn,
    PhotoIn,
    PhotoUploadOut,
    RatingIn,
    RepairCreatedOut,
    RepairReportIn,
    RepairViewOut,
)

router, logger, metrics = route_group()
API = CaseApi("/api/repairs", "报修", RepairReportIn, RepairCreatedOut, RepairViewOut)
TAGS = API.tags


def _report(report: RepairReportIn) -> dict:
    reported = service.report_repair(WorkOrderRepository(load_settings().repairs_table), report.to_domain())
    order = reported.order
    logger.info("repair reported", extra={
        "reference": order.reference, "category": order.category, "emergency": order.emergency})
    metrics.add_metric("RepairReported", MetricUnit.Count, 1)
    if order.emergency:
        metrics.add_metric("EmergencyReported", MetricUnit.Count, 1)
    return {**created_body(order, reported.token, REPAIR_WORKFLOW),
            "emergency": order.emergency, "urgency": order.urgency}


def _show(reference: str, token: str):
    repo = WorkOrderRepository(load_settings().repairs_table)
    order = service.find_for_resident(repo, reference, token)
    return _view_response(order, resident_view(order, primary_of(repo, order)))


publish(router, API, create=_report, show=_show,
        withdraw=lambda reference: WorkOrderRepository(load_settings().repairs_table).withdraw(reference))
publish_phone_code(router, API, lambda: WorkOrderRepository(load_settings().repairs_table), logger)


def _view_response(order, view: dict):
    own = [p for p in shown(order.photos) if p["kind"] == "resident"]
    if own:  # a resident sees the photos they attached, once checked to be pictures
        store = PhotoStore(load_settings().photos_bucket)
        view["photos"] = [{"id": p["id"], "url": store.view_url(p)} for p in own]
    return json_response(view)


@router.post("/api/repairs/<reference>/photos", **documented(
    "为报修添加照片", "业主凭查询码为自己的报修登记一张照片（JPG/PNG/WebP，≤5 MB，最多 4 张），"
    "返回同源的预签名上传地址；用 PUT 上传文件本身。",
    PhotoUploadOut, status=201, errors=STEP_ERRORS, tags=TAGS))
def add_resident_photo(reference: Annotated[str, Path(max_length=20)],
                       photo: Annotated[PhotoIn, Body(embed=False)]):
    token = bearer_token(router.current_event.headers)
    settings = load_settings()
    repo = WorkOrderRepository(settings.repairs_table)
    order = service.find_for_resident(repo, reference, token)
    record = service.add_photo(repo, order, kind="resident", content_type=photo.content_type,
                               size=photo.size, by="resident")
    upload = {"id": record.id, "method": "PUT", "url": PhotoStore(settings.photos_bucket).upload_url(record),
              "headers": {"Content-Type": record.content_type}}
    return json_response(upload, 201)


@router.post("/api/repairs/<reference>/rating", **documented(
    "评价维修结果", "维修验收合格后，业主凭查询码打分（1–5）并可留言。",
    RepairViewOut, errors=STEP_ERRORS, tags=TAGS))
def rate_repair(reference: Annotated[str, Path(max_length=20)],
                rating: Annotated[RatingIn, Body(embed=False)]):
    return _resident_step(reference, "rate", {"rating": rating.rating, "rating_comment": rating.comment})


@router.post("/api/repairs/<reference>/not-fixed", **documented(
    "反馈没有修好", "维修验收后问题仍在：说明情况，工单回到维修中。",
    RepairViewOut, errors=STEP_ERRORS, tags=TAGS))
def report_not_fixed(reference: Annotated[str, Path(max_length=20)],
                     report: Annotated[NotFixedIn, Body(embed=False)]):
    return _resident_step(reference, "report_not_fixed", {"not_fixed_reason": report.reason})


@router.post("/api/repairs/<reference>/cancel", **documented(
    "取消报修", "维修开始前（待派单、已派单或已勘查时），业主凭查询码取消报修并说明原因。",
    RepairViewOut, errors=STEP_ERRORS, tags=TAGS))
def cancel_repair(reference: Annotated[str, Path(max_length=20)],
                  cancel: Annotated[CancelIn, Body(embed=False)]):
    return _resident_step(reference, "cancel", {"cancel_reason": cancel.reason})


# The workflow's resident actions (butler/data/workflows/repair.json) and the route of each:
# every action the tracking view offers (resident_actions) has one (tests/unit/test_resident_routes.py).
RESIDENT_ROUTES = {"rate": "/api/repairs/{reference}/rating",
                   "report_not_fixed": "/api/repairs/{reference}/not-fixed",
                   "cancel": "/api/repairs/{reference}/cancel"}


def _resident_step(reference: str, action: str, values: dict):
    token = bearer_token(router.current_event.headers)
    settings = load_settings()
    order = service.resident_step(WorkOrderRepository(settings.repairs_table), reference, token,
                                  action, values)
    logger.info("resident step", extra={"reference": order.reference, "step": action})
    return _view_response(order, resident_view(order))
