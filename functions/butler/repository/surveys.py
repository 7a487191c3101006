"""The surveys table: campaigns, invitations (by the digest of their code) and responses.

A response and the use of its invitation are written in one transaction, on the
conditions that the invitation is unused and the campaign still open: two submissions
with the same code at the same moment record one response. Neither item gets a time: the
invitation a ``used`` flag, the response a random id (docs/surveys.md, "Unlinkable").
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, Iterator, Optional

from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from butler.domain.errors import CampaignExists, Conflict, NotFound
from butler.domain.surveys import AREA_CODES, Answer, Campaign, Invitation, new_response_id
from butler.domain.timefmt import iso, parse_iso
from butler.repository.models import bound
from butler.repository.survey_models import CampaignItem, InvitationItem, ResponseItem

CAMPAIGN = "CAMPAIGN"
CODE = "CODE"
RESPONSE = "RESPONSE#"


class SubmissionRaced(Exception):
    """The transaction's conditions failed: the invitation was used or the campaign closed
    in the meantime (the service reads both again to say which)."""


@dataclass(frozen=True)
class StoredResponse:
    id: str  # the item's sort key without the prefix: random (``surveys.new_response_id``)
    answer: Answer
    case_reference: Optional[str]


def _campaign_key(quarter: str) -> str:
    return f"{CAMPAIGN}#{quarter}"


def _raced(error: TransactWriteError) -> bool:
    """The transaction was cancelled because a condition failed or another transaction was
    writing the same item, not because DynamoDB throttled or failed one of its items."""
    if getattr(error, "cause_response_code", None) != "TransactionCanceledException":
        return False
    codes = {reason.code for reason in error.cancellation_reasons if reason is not None}
    return bool(codes & {"ConditionalCheckFailed", "TransactionConflict"})


def _failed(error: Exception) -> bool:
    return getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException"


class SurveyRepository:
    def __init__(self, table_name: str):
        self.campaigns = bound(CampaignItem, table_name)
        self.invitations = bound(InvitationItem, table_name)
        self.responses = bound(ResponseItem, table_name)

    # ------------------------------------------------------------------ campaigns
    def create_campaign(self, campaign: Campaign) -> None:
        item = self.campaigns(_campaign_key(campaign.quarter), CAMPAIGN, quarter=campaign.quarter,
                              opens_at=iso(campaign.opens_at), closes_at=iso(campaign.closes_at),
                              invited=campaign.invited, opened_by=campaign.opened_by)
        try:
            item.save(condition=self.campaigns.pk.does_not_exist())
        except PutError as error:
            if _failed(error):
                raise CampaignExists() from None
            raise

    def campaign(self, quarter: str) -> Optional[Campaign]:
        try:
            item = self.campaigns.get(_campaign_key(quarter), CAMPAIGN)
        except DoesNotExist:
            return None
        return Campaign(item.quarter, parse_iso(item.opens_at), parse_iso(item.closes_at), int(item.invited),
                        parse_iso(item.closed_at) if item.closed_at else None, item.opened_by)

    def add_invited(self, quarter: str, count: int) -> None:
        self.campaigns(_campaign_key(quarter), CAMPAIGN).update(
            actions=[self.campaigns.invited.add(count)], condition=self.campaigns.pk.exists())

    def close_campaign(self, quarter: str, now: datetime) -> None:
        try:
            self.campaigns(_campaign_key(quarter), CAMPAIGN).update(
                actions=[self.campaigns.closed_at.set(iso(now))],
                condition=self.campaigns.pk.exists() & self.campaigns.closed_at.does_not_exist())
        except UpdateError as error:
            if _failed(error):
                raise NotFound("没有这个季度的调查，或者它已经结束。") from None
            raise

    # ------------------------------------------------------------------ invitations
    def add_invitations(self, quarter: str, hashes_by_unit: Iterable[tuple[str, str]], now: datetime) -> int:
        count = 0
        with self.invitations.batch_write() as batch:
            for unit, code_hash in hashes_by_unit:
                batch.save(self.invitations(f"{CODE}#{code_hash}", CODE, quarter=quarter, unit=unit,
                                            issued_at=iso(now)))
                count += 1
        return count

    def invitation(self, code_hash: str) -> Optional[Invitation]:
        try:
            item = self.invitations.get(f"{CODE}#{code_hash}", CODE, consistent_read=True)
        except DoesNotExist:
            return None
        return Invitation(code_hash, item.quarter, item.unit, bool(item.used), item.retry_digest or "")

    # ------------------------------------------------------------------ responses
    def record(self, invitation: Invitation, answer: Answer, retry_digest: str, now: datetime) -> str:
        """Mark the invitation used and store the answers, both or neither. ``now`` is only
        compared with the campaign's closing time; neither item stores it."""
        response_id = new_response_id()
        campaigns, invitations = self.campaigns, self.invitations
        response = self.responses(_campaign_key(invitation.quarter), RESPONSE + response_id,
                                  quarter=invitation.quarter, overall=answer.overall,
                                  recommend=answer.recommend, comment=answer.comment,
                                  **{code: answer.scores[code] for code in AREA_CODES})
        connection = campaigns._get_connection().connection
        try:
            with TransactWrite(connection=connection) as transaction:
                transaction.condition_check(
                    campaigns, _campaign_key(invitation.quarter), CAMPAIGN,
                    condition=campaigns.closed_at.does_not_exist() & (campaigns.closes_at > iso(now)))
                transaction.update(
                    invitations(f"{CODE}#{invitation.code_hash}", CODE),
                    actions=[invitations.used.set(True), invitations.retry_digest.set(retry_digest)],
                    condition=invitations.pk.exists() & invitations.used.does_not_exist())
                transaction.save(response, condition=self.responses.pk.does_not_exist())
        except TransactWriteError as error:
            if _raced(error):
                raise SubmissionRaced() from None
            raise  # throttled or failed items: a storage error, retried by the resident
        return response_id

    def responses_of(self, quarter: str) -> Iterator[StoredResponse]:
        for item in self.responses.query(_campaign_key(quarter), self.responses.sk.startswith(RESPONSE)):
            answer = Answer({code: int(getattr(item, code)) for code in AREA_CODES}, int(item.overall),
                            bool(item.recommend), item.comment or "")
            yield StoredResponse(item.sk.removeprefix(RESPONSE), answer, item.case_reference)

    def link_case(self, quarter: str, response_id: str, reference: str) -> None:
        """Record the complaint case opened from a response's comment (once)."""
        try:
            self.responses(_campaign_key(quarter), RESPONSE + response_id).update(
                actions=[self.responses.case_reference.set(reference)],
                condition=self.responses.pk.exists() & self.responses.case_reference.does_not_exist())
        except UpdateError as error:
            if _failed(error):
                raise Conflict("这条意见不存在，或者已经转成了工单。") from None
            raise
