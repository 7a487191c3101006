"""What every kind of case publishes on the API, declared once: open a case (POST, once per
Idempotency-Key, 201) and follow it (GET with the tracking token). Each kind supplies its
models, a ``create`` and a ``show``; only its resident steps are routes of its own."""

from dataclasses import dataclass
from typing import Annotated, Any, Callable

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Path
from pydantic import BaseModel

from butler.settings import load_settings
from butler.web.cases import CREATE_ERRORS, READ_ERRORS, bearer_token, created_once, documented
from butler.web.idempotency import KEY_PATTERN

# Declared for the OpenAPI document only: ``created_once`` reads the header itself, in any
# letter case, and answers a malformed key with 400 INVALID_IDEMPOTENCY_KEY (the pattern is
# documented, not enforced here, so that the resolver does not turn it into a 422).
IdempotencyKey = Annotated[str, Header(
    alias="Idempotency-Key", description="8–128 位字母、数字或 -_.:；同一份提交重试时用同一个键",
    json_schema_extra={"pattern": KEY_PATTERN.pattern})]

RETRY_NOTE = "带上 Idempotency-Key 请求头，重试时返回第一次的结果，不会重复登记。"
TRACK_NOTE = "凭编号和查询码（Authorization: Bearer 查询码）查看进度。编号不存在与查询码错误返回相同的 404。"


@dataclass(frozen=True)
class CaseApi:
    path: str                     # "/api/repairs"; tracking is at {path}/{reference}
    noun: str                     # what the summaries call one case, e.g. "报修"
    request: type[BaseModel]      # the body that opens a case
    created: type[BaseModel]      # what opening answers
    view: type[BaseModel]         # what tracking answers
    intake_note: str = ""         # said before the retry note in the intake description

    @property
    def tags(self) -> list[str]:
        return [self.noun]

    @property
    def slug(self) -> str:
        return self.path.rsplit("/", 1)[-1]


def publish(router: Router, api: CaseApi, create: Callable[[Any], dict],
            show: Callable[[str, str], Response], withdraw: Callable[[str], None]) -> None:
    """Register intake and tracking for ``api`` on ``router``. ``create(body)`` returns the
    201 body; ``show(reference, token)`` answers a resident's tracking request;
    ``withdraw(reference)`` deletes a case just filed whose result could not be recorded
    under the client's Idempotency-Key (``butler.web.idempotency``)."""

    def intake(body, idempotency_key=None):
        return created_once(router, body.model_dump(), lambda: create(body), load_settings(),
                            withdraw=lambda created: withdraw(created["reference"]))

    # The resolver validates and documents the body from this annotation.
    intake.__annotations__ = {"body": Annotated[api.request, Body(embed=False)], "idempotency_key": IdempotencyKey}
    intake.__name__ = intake.__qualname__ = f"open_{api.slug}"
    router.post(api.path, **documented(
        f"提交{api.noun}", api.intake_note + RETRY_NOTE, api.created, status=201,
        errors=CREATE_ERRORS, secured=False, tags=api.tags))(intake)

    def track(reference: Annotated[str, Path(max_length=20)]):
        return show(reference, bearer_token(router.current_event.headers))

    track.__name__ = track.__qualname__ = f"track_{api.slug}"
    router.get(f"{api.path}/<reference>", **documented(
        f"查询{api.noun}进度", TRACK_NOTE, api.view, errors=READ_ERRORS, tags=api.tags))(track)
