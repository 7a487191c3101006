"""The scorecards worked out by hand: plain arithmetic over the cases' timelines, alerts,
ratings and a survey tally, without the scorecard module's helpers (docs/scorecards.md)."""
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from butler.domain.complaints import DEPARTMENTS, TOPICS
from butler.domain.surveys import AREAS
from butler.roster import load_roster

SHANGHAI = ZoneInfo("Asia/Shanghai")
BOUNDS = {
    "2026Q2": (datetime(2026, 4, 1, tzinfo=SHANGHAI), datetime(2026, 7, 1, tzinfo=SHANGHAI)),
    "2026Q3": (datetime(2026, 7, 1, tzinfo=SHANGHAI), datetime(2026, 10, 1, tzinfo=SHANGHAI)),
    "2026Q4": (datetime(2026, 10, 1, tzinfo=SHANGHAI), datetime(2027, 1, 1, tzinfo=SHANGHAI)),
}
ROSTER = load_roster()
HANDLING = ("technician", "maintenance_lead", "customer_service", "butler")
REPAIR_BREACHES = ("response", "completion")
COMPLAINT_BREACHES = ("response", "promised_reply")
TOPIC_DEPARTMENT = {t.code: t.department for t in TOPICS}
DEPARTMENT_OF_LABEL = {d.label: d.code for d in DEPARTMENTS}

def rounded(value, places):
    return value.quantize(Decimal(places), rounding=ROUND_HALF_UP)


def first(times):
    return min(times) if times else None


def by_hand(quarter, demo):
    """Every handled case of the quarter as (staff, department, late, reopened, rating)."""
    start, end = BOUNDS[quarter]
    rows = []
    for order in demo.repairs:
        done = first([e.at for e in order.timeline if e.action == "complete"])
        if done is None or not start <= done < end:
            continue
        late = any(key.split(":")[0] in REPAIR_BREACHES for key in order.alerted)
        back = any(e.action in ("reject", "report_not_fixed") for e in order.timeline)
        rows.append((order.details["technician"], "engineering", late, back, order.details.get("rating")))
    for case in demo.complaints:
        done = first([e.at for e in case.timeline if e.to_status == "closed"])
        if done is None or not start <= done < end:
            continue
        late = any(key.split(":")[0] in COMPLAINT_BREACHES for key in case.alerted)
        department = case.details.get("department") or TOPIC_DEPARTMENT[case.topic]
        rows.append((case.details["owner"], department, late, case.reopen_count > 0, case.details.get("rating")))
    return rows


def survey_by_hand(department, tally_areas):
    """The mean of the rounded means of the areas ``department`` serves, from a tally's
    ``areas`` (score → answers per area)."""
    means = []
    for area in AREAS:
        counts = tally_areas[area.code]
        answers = sum(counts.values())
        if department in area.departments and answers:
            means.append(rounded(Decimal(sum(int(s) * n for s, n in counts.items())) / answers, "0.01"))
    return rounded(sum(means) / len(means), "0.01") if means else None


def measures_by_hand(rows, survey):
    handled = len(rows)
    on_time = sum(1 for row in rows if not row[2])
    reopened = sum(1 for row in rows if row[3])
    ratings = [row[4] for row in rows if row[4] is not None]
    return {
        "handled": handled,
        "on_time": on_time,
        "on_time_rate": rounded(Decimal(100 * on_time) / handled, "0.1") if handled else None,
        "ratings": len(ratings),
        "mean_rating": rounded(Decimal(sum(ratings)) / len(ratings), "0.01") if ratings else None,
        "reopened": reopened,
        "reopen_rate": rounded(Decimal(100 * reopened) / handled, "0.1") if handled else None,
        "survey_score": survey,
    }
