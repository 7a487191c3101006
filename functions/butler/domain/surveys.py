"""The quarterly satisfaction survey (plan §5): campaigns, invitation codes, answers and
their tally. Pure: no clock, no storage.

One campaign per quarter (``2026Q4``). The office hands every household one invitation
code; a code is typed in or scanned from a QR code, works once, and is stored only as its
SHA-256 digest. A response is not linked to the household that answered: the invitation
records that it was used (a flag, no time), the response records the answers under a
random id (no time, no order): docs/surveys.md says what that does and does not cover.

A campaign is opened only for the current quarter (Beijing time), closes by the end of
that quarter at the latest, and takes answers only while it is open and within it.

Numbers that residents and staff read are computed here, once, with the rounding rules
written in ``docs/surveys.md``: means to two decimals, rates to one decimal place of a
percent, half up.
"""
from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Iterable, Mapping, Optional

from butler.domain.errors import (
    CampaignClosed,
    CampaignNotStarted,
    ClosesOutsideQuarter,
    InvitationUnknown,
    InvitationUsed,
    QuarterNotCurrent,
)
from butler.domain.identifiers import ALPHABET
from butler.domain.timefmt import SHANGHAI

SCORES = (1, 2, 3, 4, 5)
SCORE_LABELS = {1: "很不满意", 2: "不满意", 3: "一般", 4: "满意", 5: "非常满意"}
CODE_LENGTH = 10  # Crockford base32: 50 bits; grouped 5-5 for typing
RESPONSE_ID_LENGTH = 8  # Crockford base32, random: 40 bits, no time in it
RESPONSE_ID_PATTERN = re.compile(r"^[0-9A-HJKMNP-TV-Z]{8}$")
CODE_PATTERN = re.compile(r"^[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}$")
QUARTER_PATTERN = re.compile(r"^(\d{4})Q([1-4])$")
COMMENT_MAX = 1000
DEFAULT_WEEKS_OPEN = 4


@dataclass(frozen=True)
class Area:
    """A service area of the plan §2 that residents score."""

    code: str
    label: str
    departments: tuple[str, ...]  # butler.domain.complaints.DEPARTMENTS codes that serve it


AREAS: tuple[Area, ...] = (
    Area("reception", "客户接待与沟通", ("customer_service",)),
    Area("facilities", "房屋及设施设备", ("engineering",)),
    Area("environment", "环境卫生与绿化", ("environment",)),
    Area("security", "安全秩序", ("security",)),
    Area("community", "社区文化", ("community",)),
)
AREA_CODES = tuple(a.code for a in AREAS)
_AREAS = {a.code: a for a in AREAS}
OVERALL = "overall"  # the overall score is tallied like an area
OVERALL_LABEL = "总体满意度"


def area(code: str) -> Area:
    return _AREAS[code]


def areas_of_department(department: str) -> tuple[str, ...]:
    return tuple(a.code for a in AREAS if department in a.departments)


# ---------------------------------------------------------------------- quarters
def quarter_of(moment: datetime) -> str:
    local = moment.astimezone(SHANGHAI)
    return f"{local.year}Q{(local.month - 1) // 3 + 1}"


def check_quarter(text: str) -> str:
    if not QUARTER_PATTERN.match(text):
        raise ValueError(f"季度应写成 2026Q4 这样的格式，而不是 {text!r}。")
    return text


def quarter_label(quarter: str) -> str:
    year, number = QUARTER_PATTERN.match(check_quarter(quarter)).groups()
    return f"{year} 年第{'一二三四'[int(number) - 1]}季度"


def previous_quarter(quarter: str) -> str:
    year, number = (int(g) for g in QUARTER_PATTERN.match(check_quarter(quarter)).groups())
    return f"{year - 1}Q4" if number == 1 else f"{year}Q{number - 1}"


def quarter_bounds(quarter: str) -> tuple[datetime, datetime]:
    """The quarter as [start, end) in Shanghai time (tz-aware)."""
    year, number = (int(g) for g in QUARTER_PATTERN.match(check_quarter(quarter)).groups())
    start = date(year, 3 * number - 2, 1)
    end = date(year + 1, 1, 1) if number == 4 else date(year, 3 * number + 1, 1)
    return (datetime.combine(start, time(), SHANGHAI), datetime.combine(end, time(), SHANGHAI))


# ---------------------------------------------------------------------- codes
def new_code() -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return f"{body[:5]}-{body[5:]}"


def issue_codes(units: Iterable[str]) -> list[tuple[str, str]]:
    """One fresh code per household (duplicates in the list are invited once)."""
    codes: dict[str, str] = {}
    for unit in dict.fromkeys(units):
        code = new_code()
        while code in codes:  # 50 bits: a clash is all but impossible, but costs nothing to rule out
            code = new_code()
        codes[code] = unit
    return [(unit, code) for code, unit in codes.items()]


def normalize_code(text: str) -> str:
    """Accept what a resident types: lower case, spaces, dashes and look-alike letters."""
    cleaned = re.sub(r"[\s\-_－—]", "", text or "").upper().translate(str.maketrans("OIL", "011"))
    return f"{cleaned[:5]}-{cleaned[5:]}" if len(cleaned) == CODE_LENGTH else cleaned


def is_code(text: str) -> bool:
    return bool(CODE_PATTERN.match(text))


def code_hash(code: str) -> str:
    return hashlib.sha256(normalize_code(code).encode("ascii")).hexdigest()


def new_response_id() -> str:
    """A response's id: random, so that it carries no time and no order of arrival."""
    return "".join(secrets.choice(ALPHABET) for _ in range(RESPONSE_ID_LENGTH))


def retry_digest(idempotency_key: Optional[str]) -> str:
    """What the invitation keeps to recognise a retry of its submission: the digest of the
    client's (random) Idempotency-Key, or random bytes of the same length without one. It
    is derived from nothing that is in a response, so it cannot tie one to the household."""
    if not idempotency_key:
        return secrets.token_hex(32)
    return hashlib.sha256(f"survey-retry\n{idempotency_key}".encode("utf-8")).hexdigest()


# ---------------------------------------------------------------------- campaigns
@dataclass
class Campaign:
    quarter: str
    opens_at: datetime
    closes_at: datetime
    invited: int = 0
    closed_at: Optional[datetime] = None  # closed early by staff
    opened_by: str = ""

    @property
    def label(self) -> str:
        return quarter_label(self.quarter)

    def not_started(self, now: datetime) -> bool:
        return now < max(self.opens_at, quarter_bounds(self.quarter)[0])

    def is_open(self, now: datetime) -> bool:
        """Open, and within its quarter: a campaign takes no answer outside it."""
        start, end = quarter_bounds(self.quarter)
        return (max(self.opens_at, start) <= now < min(self.closes_at, end)) and self.closed_at is None

    def has_ended(self, now: datetime) -> bool:
        """Closed by staff or past its closing time (or its quarter's end): its tally is final."""
        return self.closed_at is not None or now >= min(self.closes_at, quarter_bounds(self.quarter)[1])


def _day(moment: datetime) -> str:
    return f"{moment.astimezone(SHANGHAI):%Y 年 %-m 月 %-d 日}"


def new_campaign(quarter: str, *, now: datetime, closes_at: Optional[datetime] = None,
                 opened_by: str = "") -> Campaign:
    """Open ``quarter``'s campaign at ``now``: only the current quarter (Beijing time), and
    closing after now and by the end of the quarter (default: four weeks, or the quarter's
    end if that comes first)."""
    current = quarter_of(now)
    if check_quarter(quarter) != current:
        raise QuarterNotCurrent(f"只能开启本季度（{quarter_label(current)}，{current}）的满意度调查，"
                                f"{quarter_label(quarter)}（{quarter}）不是本季度。下个季度的调查请到下个季度再开启。")
    _, end = quarter_bounds(quarter)
    closes_at = closes_at or min(now + timedelta(weeks=DEFAULT_WEEKS_OPEN), end)
    if not now < closes_at <= end:
        raise ClosesOutsideQuarter(f"截止时间应晚于现在，并且不晚于{quarter_label(quarter)}的最后一天"
                                   f"（{_day(end - timedelta(seconds=1))}，北京时间）。")
    return Campaign(quarter, opens_at=now, closes_at=closes_at, opened_by=opened_by)


# ---------------------------------------------------------------------- answers
@dataclass(frozen=True)
class Answer:
    """One household's answers: a 1–5 score per area, an overall score, whether they would
    recommend the service, and free text."""

    scores: Mapping[str, int]
    overall: int
    recommend: bool
    comment: str = ""

    def __post_init__(self) -> None:
        if set(self.scores) != set(AREA_CODES):
            raise ValueError("scores must name every area exactly once")
        if any(s not in SCORES for s in (*self.scores.values(), self.overall)):
            raise ValueError("scores are integers from 1 to 5")


@dataclass(frozen=True)
class Invitation:
    code_hash: str
    quarter: str
    unit: str
    used: bool = False  # a flag: no time, so that nothing orders it against the responses
    retry_digest: str = ""  # ``retry_digest()`` of the submission that used it


def check_submission(invitation: Optional[Invitation], campaign: Optional[Campaign], retry: str,
                     now: datetime) -> bool:
    """Whether the submission is new (True) or a retry of the one that used this code
    (False: same ``retry_digest``, i.e. the same Idempotency-Key); raise the error a
    resident should see otherwise."""
    if invitation is None or campaign is None:
        raise InvitationUnknown(fields={"code": InvitationUnknown.message})
    if invitation.used:
        if invitation.retry_digest and secrets.compare_digest(invitation.retry_digest, retry):
            return False
        raise InvitationUsed(fields={"code": InvitationUsed.message})
    if not campaign.is_open(now):
        raise CampaignNotStarted() if campaign.not_started(now) else CampaignClosed()
    return True


# ---------------------------------------------------------------------- tally
def _counts(values: Iterable[int]) -> dict[str, int]:
    counts = {str(s): 0 for s in SCORES}
    for value in values:
        counts[str(value)] += 1
    return counts


def tally(campaign: Campaign, answers: Iterable[Answer]) -> dict[str, Any]:
    """The data file the manager commits for the site (``site/data/surveys/<quarter>.json``):
    counts only, no free text, nothing that identifies a household."""
    answers = list(answers)
    return {
        "quarter": campaign.quarter,
        "label": campaign.label,
        "opens_at": campaign.opens_at.astimezone(SHANGHAI).date().isoformat(),
        "closes_at": campaign.closes_at.astimezone(SHANGHAI).date().isoformat(),
        "invited": campaign.invited,
        "responses": len(answers),
        "areas": {code: _counts(a.scores[code] for a in answers) for code in AREA_CODES},
        "overall": _counts(a.overall for a in answers),
        "recommend": {"yes": sum(a.recommend for a in answers), "no": sum(not a.recommend for a in answers)},
    }


TWO_PLACES = Decimal("0.01")
ONE_PLACE = Decimal("0.1")


def _half_up(value: Decimal, places: Decimal) -> Decimal:
    return value.quantize(places, rounding=ROUND_HALF_UP)


def mean(counts: Mapping[str, int]) -> Optional[Decimal]:
    """Mean score to two decimals, half up; None without answers."""
    n = sum(counts.values())
    if not n:
        return None
    return _half_up(Decimal(sum(int(s) * c for s, c in counts.items())) / n, TWO_PLACES)


def percent(part: int, whole: int) -> Optional[Decimal]:
    """``part`` of ``whole`` as a percentage to one decimal, half up; None when whole is 0."""
    return _half_up(Decimal(100 * part) / whole, ONE_PLACE) if whole else None


@dataclass(frozen=True)
class AreaResult:
    code: str
    label: str
    counts: Mapping[str, int]
    mean: Optional[Decimal]
    shares: Mapping[str, Optional[Decimal]]  # per score, percent of answers
    change: Optional[Decimal]  # mean minus the previous quarter's mean (both rounded)


@dataclass(frozen=True)
class Results:
    quarter: str
    label: str
    invited: int
    responses: int
    response_rate: Optional[Decimal]
    areas: tuple[AreaResult, ...]  # the five areas, then the overall score
    recommend_rate: Optional[Decimal]
    previous_quarter: Optional[str] = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def area(self, code: str) -> AreaResult:
        return next(a for a in self.areas if a.code == code)


def results(data: Mapping[str, Any], previous: Optional[Mapping[str, Any]] = None) -> Results:
    """What the results page and the scorecards show, from a tally (and the previous one)."""
    def result(code: str, label: str, counts: Mapping[str, int], before: Optional[Mapping[str, int]]) -> AreaResult:
        now_mean = mean(counts)
        before_mean = mean(before) if before else None
        n = sum(counts.values())
        return AreaResult(code, label, dict(counts), now_mean, {s: percent(c, n) for s, c in counts.items()},
                          now_mean - before_mean if now_mean is not None and before_mean is not None else None)

    prev_areas = (previous or {}).get("areas", {})
    rows = [result(a.code, a.label, data["areas"][a.code], prev_areas.get(a.code)) for a in AREAS]
    rows.append(result(OVERALL, OVERALL_LABEL, data["overall"], (previous or {}).get("overall")))
    votes = data["recommend"]
    return Results(
        quarter=data["quarter"], label=data["label"], invited=data["invited"], responses=data["responses"],
        response_rate=percent(data["responses"], data["invited"]), areas=tuple(rows),
        recommend_rate=percent(votes["yes"], votes["yes"] + votes["no"]),
        previous_quarter=previous["quarter"] if previous else None,
    )
