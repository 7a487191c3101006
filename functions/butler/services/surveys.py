"""Survey use cases: open a quarter's campaign and issue codes, take a household's answers,
close the campaign, export the tally, and turn a comment into a complaint case."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from butler.domain import surveys
from butler.domain.errors import CampaignStillOpen, Conflict, InvitationUnknown
from butler.domain.surveys import Answer, Campaign
from butler.repository.surveys import SubmissionRaced, SurveyRepository


def open_campaign(repo: SurveyRepository, quarter: str, codes: list[tuple[str, str]], *, now: datetime,
                  closes_at: Optional[datetime] = None, opened_by: str = "") -> Campaign:
    """Open the quarter's campaign with the codes issued for it (``surveys.issue_codes``):
    the table keeps only their digests, so print the codes before calling this."""
    if not codes:
        raise ValueError("no households to invite")
    campaign = surveys.new_campaign(quarter, now=now, closes_at=closes_at, opened_by=opened_by)
    repo.create_campaign(campaign)
    repo.add_invitations(quarter, ((unit, surveys.code_hash(code)) for unit, code in codes), now)
    repo.add_invited(quarter, len(codes))
    campaign.invited = len(codes)
    return campaign


def submit(repo: SurveyRepository, code: str, answer: Answer, *, now: datetime,
           idempotency_key: Optional[str] = None) -> Campaign:
    """Record one household's answers. A retry with the same Idempotency-Key is recognised
    and answered as the first time; anything else with a used code is refused (nothing that
    would recognise the same answers is kept: it would tie them to the household)."""
    code = surveys.normalize_code(code)
    if not surveys.is_code(code):
        raise InvitationUnknown(fields={"code": InvitationUnknown.message})
    retry = surveys.retry_digest(idempotency_key)
    for _ in range(2):  # a lost race is read again once, to say why
        invitation = repo.invitation(surveys.code_hash(code))
        campaign = repo.campaign(invitation.quarter) if invitation else None
        if not surveys.check_submission(invitation, campaign, retry, now):
            return campaign
        try:
            repo.record(invitation, answer, retry, now)
            return campaign
        except SubmissionRaced:
            continue
    raise Conflict("提交没有成功，请稍后再试一次。")


def final_tally(repo: SurveyRepository, quarter: str, *, now: datetime) -> Optional[dict]:
    """The tally to publish: only of a campaign that has ended (None without a campaign)."""
    campaign = repo.campaign(quarter)
    if campaign is None:
        return None
    if not campaign.has_ended(now):
        raise CampaignStillOpen(f"{campaign.label}满意度调查还没有结束：结束后才能导出结果，"
                                "以免公布没有收完的统计（要提前结束，请管家运行 survey-close）。")
    return surveys.tally(campaign, (r.answer for r in repo.responses_of(quarter)))


def tally_for(repo: SurveyRepository, quarter: str) -> Optional[dict]:
    """The quarter's tally in the format of ``site/data/surveys/<quarter>.json``; None when
    there was no campaign."""
    campaign = repo.campaign(quarter)
    if campaign is None:
        return None
    return surveys.tally(campaign, (r.answer for r in repo.responses_of(quarter)))
