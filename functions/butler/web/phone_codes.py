"""``POST {kind}/{reference}/phone-code``: the tracking page exchanges the reference and the
short code a staff member read to a caller, once, for the tracking token
(butler.domain.phone_codes). The token comes back in the body, never in a URL."""
from __future__ import annotations

from typing import Annotated, Callable

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from pydantic import ConfigDict, Field

from butler.domain.timefmt import utc_now
from butler.repository.cases import CaseRepository
from butler.services.phone_codes import exchange_code
from butler.web.case_api import CaseApi
from butler.web.cases import documented, json_response
from butler.web.schemas import Schema

ERRORS = (400, 404, 413, 415, 422, 503)


class PhoneCodeIn(Schema):
    """The short code a staff member gave the resident by phone or SMS."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=20, repr=False,
                      description="短码：8 位字母和数字（例如 7KQ4-M2XP），不区分大小写，可带空格或连字符")


class PhoneCodeOut(Schema):
    reference: str = Field(description="编号")
    token: str = Field(description="查询码：只返回这一次，之后用它查询进度")


def publish_phone_code(router: Router, api: CaseApi, repository: Callable[[], CaseRepository], logger) -> None:
    def exchange(reference: Annotated[str, Path(max_length=20)],
                 body: Annotated[PhoneCodeIn, Body(embed=False)]):
        found, token = exchange_code(repository(), reference, body.code, utc_now())
        logger.info("phone code exchanged", extra={"reference": found})
        return json_response({"reference": found, "token": token})

    exchange.__name__ = exchange.__qualname__ = f"exchange_{api.slug}_phone_code"
    router.post(f"{api.path}/<reference>/phone-code", **documented(
        "用短码换取查询码", "电话登记的" + api.noun + "：凭编号和员工告知的短码换取查询码，短码只能用一次。"
        "编号不存在、短码错误、已用过、已过期或输错次数过多，返回相同的 404。",
        PhoneCodeOut, errors=ERRORS, secured=False, tags=api.tags))(exchange)
