"""Demo data for the local stack: a few repairs and complaints at different steps, and an
open survey campaign.

Names and phone numbers are invented (139 0000 00xx).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from butler.domain import identifiers, surveys
from butler.domain.complaints import ComplaintFiling, new_case
from butler.domain.repairs import REPAIR, RepairReport, new_work_order
from butler.domain.timefmt import utc_now
from butler.repository.cases import CaseRepository
from butler.repository.surveys import SurveyRepository
from butler.roster import load_roster
from butler.services.surveys import open_campaign


@dataclass(frozen=True)
class DemoOrder:
    reference: str
    token: str
    status: str


_REPAIRED = (  # a repair from dispatch to the butler's acceptance
    ("dispatch", "butler", "gj-li", {"technician": "wx-wang"}),
    ("survey", "technician", "wx-wang", {"survey_plan": "现场检查后维修", "materials_planned": "常用配件"}),
    ("start_repair", "technician", "wx-wang", {}),
    ("complete", "technician", "wx-wang", {"work_done": "已修好并试用", "materials_used": "无",
                                            "labour_minutes": 40}),
    ("accept", "butler", "gj-li", {"accepted_by": "gj-li"}),
)
# Staff never archive: the system does once the resident has rated (or the window is over).
_RATED = ("rate", "resident", "resident", {"rating": 5, "rating_comment": ""})
_ARCHIVED = ("archive", "system", "system", {})

DEMO = (
    (RepairReport("plumbing", "卫生间洗手盆下水很慢，疑似堵塞。", "home", "3-2-1201", "卫生间",
                  "王先生（示例）", "13900000001", preferred_time="工作日晚上"),
     [("dispatch", "butler", "gj-li", {"technician": "wx-wang"}),
      ("survey", "technician", "wx-wang", {"survey_plan": "疏通下水并更换存水弯",
                                            "materials_planned": "存水弯 1 个"}),
      ("start_repair", "technician", "wx-wang", {})]),
    (RepairReport("public_facilities", "5号楼2单元一楼楼道灯不亮。", "public", None,
                  "5号楼2单元一楼楼道", "李女士（示例）", "13900000002"),
     [("dispatch", "customer_service", "kf-zhang", {"technician": "wx-zhao"})]),
    (RepairReport("doors_windows", "单元门禁刷卡没反应。", "public", None, "1号楼1单元门禁",
                  "赵先生（示例）", "13900000003", urgency="urgent"),
     []),
    # Closed more than a year ago (the third item: days ago): the anonymisation removes its
    # contact details and the phone number in its description (docs/architecture.md, Data retention).
    (RepairReport("plumbing", "厨房水龙头一直滴水，师傅来前请打 139 0000 0005。", "home", "2-1-502", "厨房",
                  "周女士（示例）", "13900000005"),
     [*_REPAIRED, _RATED, _ARCHIVED], 400),
    # Closed last month: keeps them until the retention period is over.
    (RepairReport("electrical", "卧室插座没电。", "home", "6-1-301", "卧室", "吴先生（示例）", "13900000006"),
     [*_REPAIRED, _RATED, _ARCHIVED], 30),
)


DEMO_CASES = (
    (ComplaintFiling("complaint", "parking", "地下车库 B 区消防通道经常有车停放。",
                     "孙先生（示例）", "13900000004"),
     [("claim", "customer_service", "kf-zhang", {"owner": "kf-zhang"}),
      ("transfer", "customer_service", "kf-zhang", {"department": "security"})]),
    (ComplaintFiling("suggestion", "activities", "建议周末在中心花园办亲子读书会。"), []),
    (ComplaintFiling("inquiry", "fees", "物业费可以按季度交吗？", "郑女士（示例）", "13900000007", "5-2-801"),
     [("claim", "customer_service", "kf-zhang", {"owner": "kf-zhang"}),
      ("answer", "customer_service", "kf-zhang", {"reply": "可以，在服务中心或网上缴费均可按季度交。"}),
      ("close_after_follow_up", "customer_service", "kf-zhang", {"follow_up": "电话回访，业主已清楚"})], 400),
)


def load_demo(repo: CaseRepository, demo=None) -> list[DemoOrder]:
    """Store the demo cases of ``repo``'s kind, each taken through its steps (reported
    ``days_ago``, the optional third item, or a few hours ago)."""
    loaded = []
    start = utc_now() - timedelta(hours=5)
    build = new_work_order if repo.kind is REPAIR else new_case
    for number, (filing, steps, *days_ago) in enumerate(demo or (DEMO if repo.kind is REPAIR else DEMO_CASES)):
        token = identifiers.new_token()
        reported = start - timedelta(days=days_ago[0]) if days_ago else start
        case = build(filing, reference=identifiers.new_reference(repo.kind.prefix),
                     token_hash=identifiers.hash_token(token), now=reported + timedelta(minutes=number))
        for offset, (action, role, actor, values) in enumerate(steps, start=1):
            repo.kind.advance(case, action, role=role, actor=actor, values=values, roster=load_roster(),
                              now=case.created_at + timedelta(minutes=40 * offset))
        repo.add(case)
        loaded.append(DemoOrder(case.reference, token, case.status))
    return loaded


def load_demo_survey(repo: SurveyRepository, households: Path, shown: int = 3) -> list[str]:
    """Open this quarter's survey for every household of the demo estate; return a few
    codes to try (the rest are thrown away, as if handed out already)."""
    from butler.cli.surveys import read_households

    now = utc_now()
    quarter = surveys.quarter_of(now)  # only the current quarter opens; the site publishes the past ones
    codes = surveys.issue_codes(read_households(households))
    opened = max(now - timedelta(days=1), surveys.quarter_bounds(quarter)[0])  # a day ago, within the quarter
    open_campaign(repo, quarter, codes, now=opened, opened_by="gj-li")
    return [code for _, code in codes[:shown]]
