"""The three kinds of item of the surveys table (``models.SurveyItem`` has its key schema).
Apart from ``models`` so that the functions that do not answer surveys do not load the
survey domain at a cold start (docs/cold-start.md)."""
from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute

from butler.domain.surveys import AREA_CODES
from butler.repository.models import SurveyItem


class CampaignItem(SurveyItem):
    quarter = UnicodeAttribute()
    opens_at = UnicodeAttribute()
    closes_at = UnicodeAttribute()
    closed_at = UnicodeAttribute(null=True)
    invited = NumberAttribute(default=0)
    opened_by = UnicodeAttribute(default="")


class InvitationItem(SurveyItem):
    quarter = UnicodeAttribute()
    unit = UnicodeAttribute()
    issued_at = UnicodeAttribute()
    used_at = UnicodeAttribute(null=True)
    answer_digest = UnicodeAttribute(null=True)


class ResponseItem(type("AreaScores", (SurveyItem,), {code: NumberAttribute() for code in AREA_CODES})):
    """One household's answers: a number per service area, named by the area's code so that
    staff read it in the console; nothing in it names the household."""

    quarter = UnicodeAttribute()
    submitted_at = UnicodeAttribute()
    overall = NumberAttribute()
    recommend = BooleanAttribute()
    comment = UnicodeAttribute(default="")
    case_reference = UnicodeAttribute(null=True)  # a complaint case staff opened from the comment
