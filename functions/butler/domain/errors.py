"""Domain errors: a stable machine code plus a Chinese message for people.

The web layer maps each class to an HTTP status in one place (``butler.web.errors``).
"""
from __future__ import annotations


class DomainError(Exception):
    code = "DOMAIN_ERROR"
    message = "请求无法处理。"

    def __init__(self, message: str | None = None, *, fields: dict[str, str] | None = None):
        self.message = message or type(self).message
        self.fields = fields or {}
        super().__init__(self.code)


class NotFound(DomainError):
    code = "NOT_FOUND"
    message = "没有找到这条记录：请核对编号和查询码。"


class InvalidTransition(DomainError):
    code = "INVALID_TRANSITION"
    message = "当前状态下不能进行这一步操作。"


class TooEarly(InvalidTransition):
    """A step that waits (``workflow.Wait``) taken before its time."""

    code = "TOO_EARLY"
    message = "现在还不能进行这一步操作。"


class NotPermitted(DomainError):
    code = "NOT_PERMITTED"
    message = "该岗位无权进行这一步操作。"


class Conflict(DomainError):
    code = "CONFLICT"
    message = "记录已被他人修改，请刷新后重试。"


# The quarterly survey.
class InvitationUnknown(DomainError):
    code = "INVITATION_UNKNOWN"
    message = "邀请码不正确：请核对物业发放的邀请码（10 位字母和数字）。"


class InvitationUsed(DomainError):
    code = "INVITATION_USED"
    message = "这个邀请码已经提交过问卷，每户每季度只能提交一次。感谢您的参与！"


class CampaignClosed(DomainError):
    code = "CAMPAIGN_CLOSED"
    message = "本季度满意度调查已经结束，下个季度再请您评价。"


class CampaignExists(Conflict):
    code = "CAMPAIGN_EXISTS"
    message = "这个季度的满意度调查已经开启过了。"


class CampaignNotStarted(CampaignClosed):
    code = "CAMPAIGN_NOT_STARTED"
    message = "这个季度的满意度调查还没有开始，请到该季度再来答卷。"


class CampaignStillOpen(Conflict):
    code = "CAMPAIGN_STILL_OPEN"
    message = "满意度调查还在进行中：结束后才能导出结果，以免公布没有收完的统计。"


class QuarterNotCurrent(DomainError):
    code = "QUARTER_NOT_CURRENT"
    message = "只能开启本季度（北京时间）的满意度调查，不能提前开启下个季度，也不能补开过去的季度。"


class ClosesOutsideQuarter(DomainError):
    code = "CLOSES_OUTSIDE_QUARTER"
    message = "截止时间应晚于现在，并且不晚于本季度的最后一天（北京时间）。"
