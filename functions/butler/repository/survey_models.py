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
    """One household's invitation. ``issued_at`` is the campaign's opening, the same on every
    invitation; once used it gains ``used`` and a ``retry_digest`` of fixed length (of the
    client's Idempotency-Key, or random): no time, nothing a response also holds."""

    quarter = UnicodeAttribute()
    unit = UnicodeAttribute()
    issued_at = UnicodeAttribute()
    used = BooleanAttribute(null=True)
    retry_digest = UnicodeAttribute(null=True)


class ResponseItem(type("AreaScores", (SurveyItem,), {code: NumberAttribute() for code in AREA_CODES})):
    """One household's answers: a number per service area, named by the area's code so that
    staff read it in the console; nothing in it names the household, and nothing in it (no
    time, a random id) orders it against the invitations (docs/surveys.md)."""

    quarter = UnicodeAttribute()
    overall = NumberAttribute()
    recommend = BooleanAttribute()
    comment = UnicodeAttribute(default="")
    case_reference = UnicodeAttribute(null=True)  # a complaint case staff opened from the comment
