"""Request and response models of the public API (they also generate the OpenAPI document).

No ``from __future__ import annotations`` here: pydantic would compile every field's
annotation from its text at import (some eighty ``eval`` calls, a cold-start cost).
"""

from typing import Any, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, create_model, field_validator
from pydantic_core import PydanticCustomError

from butler.domain import phones
from butler.domain.complaints import KINDS, TOPICS, ComplaintFiling
from butler.domain.estate import UnitRefused, load_estate
from butler.domain.repairs import RepairReport, category_codes
from butler.domain.surveys import AREAS, CODE_PATTERN, COMMENT_MAX, Answer

CategoryCode = Literal[category_codes()]  # type: ignore[valid-type]
KindCode = Literal[tuple(KINDS)]  # type: ignore[valid-type]
TopicCode = Literal[tuple(t.code for t in TOPICS)]  # type: ignore[valid-type]

# Phone numbers and house numbers are read and normalised by the domain (butler.domain.phones,
# butler.domain.estate); the OpenAPI document states exactly what they accept.
PHONE_PATTERN = phones.INPUT
UNIT_PATTERN = load_estate().pattern()  # the estate's house numbers in their normal form


# What pydantic's ``str_strip_whitespace`` strips (Unicode White_Space, as Rust's ``trim``;
# not Python's ``str.isspace``, which also takes \x1c-\x1f): a stripped field's length
# limits apply to what is left.
SPACE = r"[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
NOT_SPACE = SPACE.replace("[", "[^", 1)


def stripped_pattern(min_length: int) -> str:
    """JSON Schema ``pattern`` (unanchored, as JSON Schema reads it): at least ``min_length``
    characters from the first to the last that is not a space, i.e. once stripped (the
    ``minLength`` next to it counts the spaces around too)."""
    if min_length <= 1:
        return NOT_SPACE
    return rf"{NOT_SPACE}[\s\S]{{{min_length - 2},}}{NOT_SPACE}"


def text(default: Any = ..., *, min_length: int = 0, **kwargs: Any) -> Any:
    """A text field of a stripped model: its schema states what the server enforces once
    the text is stripped (``stripped_pattern``)."""
    if min_length:
        kwargs["min_length"] = min_length
        kwargs["json_schema_extra"] = {"pattern": stripped_pattern(min_length), **kwargs.get("json_schema_extra", {})}
    return Field(default, **kwargs)


class Schema(BaseModel):
    """Every model of the API. ``defer_build``: pydantic builds a model's validator the first
    time the model is used (a request it validates, the OpenAPI document), not at import, so
    a cold start pays only for the models its request needs (docs/cold-start.md)."""

    model_config = ConfigDict(defer_build=True)


def required_when(field: str, value: str, *required: str) -> dict:
    """JSON Schema: when ``field`` is ``value``, ``required`` must be filled in."""
    return {"if": {"properties": {field: {"const": value}}, "required": [field]},
            "then": {"required": list(required),
                     "properties": {name: {"type": "string", "minLength": 1, "pattern": NOT_SPACE}
                                    for name in required}}}


def checked_unit(value: Optional[str]) -> Optional[str]:
    """A house number of the estate in its normal form (``3-2-1201``), or None when empty."""
    if not (value or "").strip():
        return None
    try:
        return load_estate().check(value)
    except UnitRefused as refused:
        raise PydanticCustomError("butler_unit_format", refused.message) from None


def checked_phone(value: str) -> str:
    found = phones.normal(value)
    if found is None:
        raise PydanticCustomError("butler_phone_format", phones.MESSAGE)
    return found


class RepairReportIn(Schema):
    """A repair report from the community site."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, json_schema_extra={"allOf": [
        required_when("location_type", "home", "unit"), required_when("location_type", "public", "location")]})

    category: CategoryCode = Field(title="报修类别", description="报修类别；紧急类别自动按紧急处理")
    urgency: Literal["normal", "urgent"] = Field("normal", title="紧急程度", description="一般或加急")
    location_type: Literal["home", "public"] = Field(title="户内或公共区域", description="home 户内，public 公共区域")
    unit: Optional[str] = Field(None, title="房号", max_length=20, validate_default=True,
                                description="栋-单元-房号，例如 3-2-1201（12 层 01 室）；户内报修必填。"
                                            "须是本小区的房号：楼栋、单元、楼层和房间都按小区的楼栋清单核对",
                                json_schema_extra={"pattern": UNIT_PATTERN})
    location: str = Field("", title="位置", max_length=100, validate_default=True,
                          description="公共区域的具体位置（必填），或户内的具体部位")
    description: str = text(title="问题描述", min_length=5, max_length=500, description="问题描述")
    # repr=False: libraries log models at DEBUG; personal data stays out of those lines.
    contact_name: str = text(title="联系人", min_length=1, max_length=20, description="联系人", repr=False)
    contact_phone: str = Field(title="联系电话", max_length=32, repr=False,
                               description="联系电话：手机号（11 位）或带区号的固定电话，可带 +86、空格、短横线和括号，"
                                           "保存为 13912345678 或 0571-88880000",
                               json_schema_extra={"pattern": PHONE_PATTERN})
    preferred_time: str = Field("", title="方便上门时间", max_length=40, description="方便上门的时间")

    @field_validator("unit")
    @classmethod
    def _unit(cls, value: Optional[str], info: ValidationInfo) -> Optional[str]:
        home = info.data.get("location_type") == "home"
        value = checked_unit(value)
        if home and not value:
            raise PydanticCustomError("butler_unit_required", "请填写栋-单元-房号，例如 3-2-1201。")
        return value if home else None

    @field_validator("location")
    @classmethod
    def _location(cls, value: str, info: ValidationInfo) -> str:
        if info.data.get("location_type") == "public" and not value:
            raise PydanticCustomError("butler_location_required", "请填写公共区域的具体位置，例如 3号楼1单元电梯。")
        return value

    @field_validator("contact_phone")
    @classmethod
    def _phone(cls, value: str) -> str:
        return checked_phone(value)

    def to_domain(self) -> RepairReport:
        return RepairReport(
            category=self.category, description=self.description,
            location_type=self.location_type, unit=self.unit, location=self.location,
            contact_name=self.contact_name, contact_phone=self.contact_phone,
            urgency=self.urgency, preferred_time=self.preferred_time,
        )


class CaseCreatedOut(Schema):
    """What opening any kind of case answers."""

    reference: str = Field(description="编号，可电话报给客服")
    token: str = Field(description="查询码：只返回这一次，请妥善保存")
    status: str
    status_label: str
    created_at: str
    respond_by: str = Field(description="承诺响应的期限（UTC）")


class RepairCreatedOut(CaseCreatedOut):
    emergency: bool
    urgency: str


class TimelineEntryOut(Schema):
    at: str
    status: str
    status_label: str
    note: str


class CaseViewOut(Schema):
    """What a resident sees of any kind of case on the tracking page."""

    reference: str
    status: str
    status_label: str
    final: bool
    description: str
    contact_phone: str = Field(description="已打码；联系方式按保留期限删除后为“已按规定删除”")
    created_at: str
    timeline: list[TimelineEntryOut]
    details: dict[str, Union[str, int]] = Field(description="各步骤记录中业主可见的内容")
    resident_actions: list[str] = Field(description="业主现在可以做的操作")


class RepairViewOut(CaseViewOut):
    category: str
    category_label: str
    emergency: bool
    urgency: str
    urgency_label: str
    location: str
    location_detail: str
    respond_by: str
    complete_by: str
    primary: Optional[dict] = Field(None, description="已合并时：同一故障主报修的进度")
    photos: Optional[list[dict[str, str]]] = Field(None, description="业主自己上传的照片（预签名查看地址）")


class ErrorDetail(Schema):
    code: str = Field(description="稳定的机器可读错误码")
    message: str = Field(description="给人看的中文说明")
    fields: dict[str, str] = Field(description="逐项的中文错误说明")


class ErrorOut(Schema):
    error: ErrorDetail


ERROR_DESCRIPTIONS = {
    400: "请求无法读取：不是 JSON、不是 JSON 对象、没有内容，或 Idempotency-Key 格式不对",
    401: "缺少查询码（Authorization: Bearer 查询码）",
    404: "编号不存在、编号格式不对或查询码错误（三者的回答完全相同）",
    409: "当前状态下不能进行这一步、记录刚被他人修改、同一份提交正在处理，或邀请码已用、调查已结束",
    413: "提交的内容太大（上限 16 KB）",
    415: "不是 UTF-8 的 application/json",
    422: "有几项填写不正确（fields 逐项说明），或 Idempotency-Key 已用于另一份不同的提交",
    503: "存储暂时不可用：什么也没有保存，可以放心重试",
}


def error_responses(*statuses: int) -> dict[int, dict]:
    """OpenAPI ``responses`` entries for the error shape."""
    return {
        status: {"description": ERROR_DESCRIPTIONS.get(status, "错误"),
                 "content": {"application/json": {"model": ErrorOut}}}
        for status in statuses
    }


class ThrottledDetail(Schema):
    code: Literal["TOO_MANY_REQUESTS"] = Field(description="稳定的机器可读错误码")
    message: str = Field(description="给人看的中文说明")


class ThrottledOut(Schema):
    """What API Gateway (its THROTTLED gateway response, template.yaml) and the WAF
    (infra/waf.yaml) answer themselves when they limit requests, before any function runs:
    the API's error shape, without field errors."""

    error: ThrottledDetail


def throttled_response() -> dict[int, dict]:
    """429 from API Gateway's throttling or the WAF's per-client limits."""
    return {429: {"description": "请求过于频繁：API Gateway 或 WAF 已限流，请稍后重试",
                  "headers": {"Retry-After": {"description": "API Gateway 限流时建议等待的秒数（WAF 限流时没有）",
                                              "schema": {"type": "integer", "minimum": 1}}},
                  "content": {"application/json": {"model": ThrottledOut}}}}


class RatingIn(Schema):
    """The resident rates a repair the butler has accepted."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    rating: int = Field(ge=1, le=5, description="1（很不满意）到 5（非常满意）")
    comment: str = Field("", max_length=200, description="评价（选填）")


class NotFixedIn(Schema):
    """The resident says the problem is still there; the order goes back to repair."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: str = text(min_length=2, max_length=300, description="哪里还没修好")


class CancelIn(Schema):
    """The resident cancels a repair before work starts (reported, dispatched or surveyed)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: str = text(min_length=2, max_length=300, description="取消原因，例如“问题已自行解决”")


class PhotoIn(Schema):
    """A photo the resident is about to upload."""

    model_config = ConfigDict(extra="forbid")

    content_type: Literal["image/jpeg", "image/png", "image/webp"] = Field(description="照片格式")
    size: int = Field(gt=0, le=5 * 1024 * 1024, description="字节数，最大 5 MB")


class PhotoUploadOut(Schema):
    id: str
    method: str = Field(description="PUT")
    url: str = Field(description="同源的预签名上传地址，10 分钟内有效")
    headers: dict[str, str] = Field(description="上传时必须带的请求头")


class ComplaintIn(Schema):
    """An inquiry, complaint or suggestion from the community site."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, json_schema_extra={"allOf": [
        required_when("kind", kind, "contact_name", "contact_phone") for kind in ("inquiry", "complaint")]})

    kind: KindCode = Field(title="类型", description="inquiry 咨询、complaint 投诉、suggestion 建议")
    topic: TopicCode = Field(title="主题", description="主题，决定转交哪个部门")
    description: str = text(title="具体情况", min_length=5, max_length=1000, description="具体情况")
    contact_name: str = Field("", title="联系人", max_length=20, validate_default=True, repr=False,
                              description="联系人（咨询、投诉必填）")
    contact_phone: str = Field("", title="联系电话", max_length=32, validate_default=True, repr=False,
                               description="联系电话（咨询、投诉必填）：手机号或带区号的固定电话，写法同报修",
                               json_schema_extra={"pattern": f"^$|{PHONE_PATTERN}"})
    unit: Optional[str] = Field(None, title="房号", max_length=20,
                                description="栋-单元-房号（选填），须是本小区的房号，例如 3-2-1201",
                                json_schema_extra={"pattern": UNIT_PATTERN})

    @field_validator("contact_name")
    @classmethod
    def _name(cls, value: str, info: ValidationInfo) -> str:
        if not value and info.data.get("kind") in ("inquiry", "complaint"):
            raise PydanticCustomError("butler_name_required", "请留下称呼，方便负责人联系您。")
        return value

    @field_validator("contact_phone")
    @classmethod
    def _phone(cls, value: str, info: ValidationInfo) -> str:
        if not value:
            if info.data.get("kind") in ("inquiry", "complaint"):
                raise PydanticCustomError("butler_phone_required", "请留下联系电话，负责人会给您答复。")
            return value
        return checked_phone(value)

    @field_validator("unit")
    @classmethod
    def _unit(cls, value: Optional[str]) -> Optional[str]:
        return checked_unit(value)

    def to_domain(self) -> ComplaintFiling:
        return ComplaintFiling(kind=self.kind, topic=self.topic, description=self.description,
                               contact_name=self.contact_name, contact_phone=self.contact_phone,
                               unit=self.unit)


class ComplaintViewOut(CaseViewOut):
    kind: str
    kind_label: str
    topic: str
    topic_label: str
    owner_name: str = Field(description="首问负责人")
    department_label: str
    reply_by: Optional[str] = Field(description="约定回复时间（UTC），转交部门后才有")
    reopen_count: int


class SatisfiedIn(Schema):
    model_config = ConfigDict(extra="forbid")

    rating: Optional[int] = Field(None, ge=1, le=5, description="满意度 1–5（选填）")


class NotSatisfiedIn(Schema):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: str = text(min_length=2, max_length=300, description="哪里还不满意")

ScoresIn = create_model(  # one 1–5 score per service area, named by the area's code
    "ScoresIn", __config__=ConfigDict(extra="forbid", defer_build=True),
    **{a.code: (int, Field(ge=1, le=5, title=a.label, description=f"{a.label}：1（很不满意）到 5（非常满意）"))
       for a in AREAS},
)


class SurveyIn(Schema):
    """One household's answers to the quarterly satisfaction survey."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    code: str = Field(min_length=1, max_length=20, title="邀请码", description="物业发放的邀请码，例如 K7Q2M-XP9RT",
                      repr=False, json_schema_extra={"pattern": CODE_PATTERN.pattern})
    scores: ScoresIn = Field(title="分项评分", description="每项服务 1–5 分")  # type: ignore[valid-type]
    overall: int = Field(ge=1, le=5, title="总体满意度", description="1（很不满意）到 5（非常满意）")
    recommend: bool = Field(title="是否愿意推荐", description="是否愿意向亲友推荐我们的物业服务")
    comment: str = Field("", max_length=COMMENT_MAX, title="意见和建议", description="想对物业说的话（选填）")

    def to_domain(self) -> Answer:
        return Answer(scores=self.scores.model_dump(), overall=self.overall, recommend=self.recommend,
                      comment=self.comment)


class SurveyRecordedOut(Schema):
    quarter: str = Field(description="调查所属季度，例如 2026Q4")
    label: str = Field(description="季度的中文名称")
    status: Literal["recorded"]
