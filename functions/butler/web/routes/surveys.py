"""Public survey route: a household answers the quarterly satisfaction survey with its
invitation code."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.metrics import MetricUnit

from butler.domain.timefmt import utc_now
from butler.repository.surveys import SurveyRepository
from butler.services import surveys as service
from butler.settings import load_settings
from butler.web.case_api import IdempotencyKey
from butler.web.cases import CREATE_ERRORS, created_once, documented, route_group
from butler.web.schemas import SurveyIn, SurveyRecordedOut

router, logger, metrics = route_group()


def _record(survey: SurveyIn, idempotency_key: str | None) -> dict:
    campaign = service.submit(SurveyRepository(load_settings().surveys_table), survey.code,
                              survey.to_domain(), now=utc_now(), idempotency_key=idempotency_key)
    logger.info("survey answered", extra={"quarter": campaign.quarter})  # never the code
    metrics.add_metric("SurveyAnswered", MetricUnit.Count, 1)
    return {"quarter": campaign.quarter, "label": campaign.label, "status": "recorded"}


@router.post("/api/surveys", **documented(
    "提交满意度调查", "凭物业发放的邀请码提交本季度问卷，每户一次。带上 Idempotency-Key 请求头（随机生成），"
    "重试时返回第一次的结果；不带时，用过的邀请码再提交一律答 409 INVITATION_USED（系统不保存能认出答卷的任何东西）。",
    SurveyRecordedOut, status=201, errors=CREATE_ERRORS, secured=False, tags=["满意度调查"]))
def answer_survey(survey: Annotated[SurveyIn, Body(embed=False)], idempotency_key: IdempotencyKey = None):
    # The idempotency record checks a retry's answers, not its code: a digest of code and
    # answers together would let whoever holds a code find that household's answers.
    return created_once(router, survey.model_dump(exclude={"code"}), lambda: _record(survey, idempotency_key),
                        load_settings())
