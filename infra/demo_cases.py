"""Handled cases for two quarters, for the scorecards: seeded and pure (no clock, no storage).

Each case is built by the real domain (``new_work_order`` / ``new_case`` and each kind's
``advance``) with explicit times, so its timeline, deadlines, step records and ratings are
what staff and residents would have produced. Between steps the overdue sweep is played as
the schedule runs it (every five minutes): a deadline passed before the next step is
recorded in ``alerted`` under the key the sweep writes (``<breach>:<deadline>``), and an
emergency report gets ``emergency`` at once, as the stream function alerts it. Most work is
on time; some people are slower than others; a few repairs are rejected at acceptance or
reported not fixed, a few residents are not satisfied with an answer; some cases are
cancelled, and the last ones are still open when the generation stops (``until``).

Names and phone numbers are invented (139 0000 xxxx).
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Optional

from butler.domain import identifiers
from butler.domain.cases import CaseKind
from butler.domain.complaints import COMPLAINT, DEPARTMENTS, KINDS, TOPICS, ComplaintCase
from butler.domain.complaints import ComplaintFiling, department, new_case
from butler.domain.repairs import CATEGORIES, REPAIR, RepairReport, WorkOrder, new_work_order
from butler.domain.service_levels import RATING_WINDOW
from butler.domain.staff import Roster
from butler.domain.surveys import quarter_bounds
from butler.domain.timefmt import iso
from butler.roster import load_roster

QUARTERS = ("2026Q3", "2026Q4")
REPAIRS_PER_QUARTER = 150
COMPLAINTS_PER_QUARTER = 80
SWEEP_EVERY = timedelta(minutes=5)  # the overdue sweep's schedule (template.yaml)
EMERGENCY_KEY = "emergency"  # what the stream function records for an emergency report

REPAIR_WORK = {  # category → (description, plan, materials)
    "elevator_entrapment": ("电梯停在两层之间，有人被困。", "断电盘车放人并检查控制柜", "无"),
    "gas_leak": ("厨房闻到明显的燃气味。", "关闭总阀，检测并更换老化软管", "燃气软管 1 根"),
    "fire": ("配电箱冒烟，有焦糊味。", "断电排查，更换烧坏的空开", "空气开关 1 个"),
    "flooding": ("卫生间水管爆裂，地面积水。", "关阀抢修，更换爆裂管段", "PPR 管 1 米"),
    "power_outage": ("整户突然停电。", "排查入户线路和电表箱", "无"),
    "plumbing": ("厨房下水堵塞，水排不下去。", "疏通下水并更换存水弯", "存水弯 1 个"),
    "electrical": ("客厅插座没电，开关跳闸。", "排查线路，更换损坏插座", "五孔插座 1 个"),
    "doors_windows": ("入户门锁芯松动，钥匙转不动。", "更换锁芯并调整门扇", "锁芯 1 个"),
    "walls_ceilings": ("卧室天花板有水渍，墙皮起鼓。", "查找渗漏点，做防水并修补墙面", "防水涂料 1 桶"),
    "elevator": ("电梯按钮失灵，关门很慢。", "更换按钮板并调整门机", "按钮板 1 块"),
    "public_facilities": ("楼道灯不亮。", "更换灯具", "LED 灯 2 个"),
    "other": ("信报箱门坏了，关不上。", "更换信报箱门铰链", "铰链 2 个"),
}
SURNAMES = "王李张刘陈杨赵黄周吴徐孙朱马胡郭何高林罗"
PUBLIC_PLACES = ("{b}号楼{u}单元一楼大堂", "{b}号楼地下车库", "{b}号楼{u}单元楼道", "中心花园", "东门岗亭旁")
ON_TIME_RATINGS = {5: 55, 4: 30, 3: 10, 2: 3, 1: 2}  # weights, by how the work went
LATE_RATINGS = {5: 20, 4: 30, 3: 30, 2: 12, 1: 8}
COMPLAINT_ANSWERED = {"inquiry": 0.7, "complaint": 0.25, "suggestion": 0.5}  # answered on the spot
INVESTIGATORS = ("department_head", "maintenance_lead")  # who investigates for a department, first found


@dataclass(frozen=True)
class DemoCases:
    repairs: list[WorkOrder]
    complaints: list[ComplaintCase]
    until: datetime  # steps due after this were not taken: those cases are still open


class _Run:
    """One case under a clock: steps at given times, the overdue sweep between them, and
    nothing after ``until``."""

    def __init__(self, case: Any, kind: CaseKind, roster: Roster, until: datetime):
        self.case, self.kind, self.roster, self.until = case, kind, roster, until
        self.now = case.created_at
        self.stopped = False

    def sweep(self, at: datetime) -> None:
        """What the scheduled sweep records before ``at``: the current deadline, if a run
        came after it (the sweep's key format, ``butler.services.alerts``)."""
        due = self.kind.next_due(self.case)
        if due is None:
            return
        first_run = due - timedelta(seconds=due.timestamp() % SWEEP_EVERY.total_seconds()) + SWEEP_EVERY
        if first_run < at:
            self.case.alerted.add(f"{self.kind.breach(self.case, first_run)}:{iso(due)}")

    def step(self, at: datetime, action: str, role: str, actor: str, **values: Any) -> bool:
        """Take ``action`` at ``at`` (whole minutes, never before the last step); False, and
        no more steps, once ``at`` is after ``until``."""
        at = max(self.now, at.replace(second=0, microsecond=0))
        if self.stopped or at > self.until:
            self.finish()
            return False
        self.sweep(at)
        self.kind.advance(self.case, action, role=role, actor=actor, values=values, roster=self.roster, now=at)
        self.now = at
        return True

    def finish(self) -> None:
        if not self.stopped:
            self.sweep(self.until)
            self.stopped = True


class Generator:
    def __init__(self, seed: int, roster: Roster, until: datetime):
        self.rng = random.Random(seed)
        self.roster, self.until = roster, until
        self.references: set[str] = set()
        by_role = {}
        for member in roster.values():
            by_role.setdefault(member.role, []).append(member.id)
        self.technicians = by_role["technician"]
        self.owners = by_role["customer_service"] + by_role["butler"]
        self.butlers = by_role["butler"]
        self.dispatchers = by_role["butler"] + by_role["customer_service"] + by_role["maintenance_lead"]
        self.lead = by_role["maintenance_lead"][0]
        # Some people are busier and some slower: the scorecards should tell them apart.
        self.weight, self.late = {}, {}
        for group in (self.technicians, self.owners):
            for index, staff in enumerate(group):
                self.weight[staff] = len(group) + 1 - index
                self.late[staff] = 0.02 + 0.03 * index

    # ------------------------------------------------------------------ helpers
    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def between(self, start: datetime, end: datetime) -> datetime:
        return start + (end - start) * self.rng.random()

    def hours(self, low: float, high: float) -> timedelta:
        return timedelta(hours=self.rng.uniform(low, high))

    def pick(self, people: list[str]) -> str:
        return self.rng.choices(people, [self.weight.get(p, 1) for p in people])[0]

    def reference(self, prefix: str) -> str:
        while True:
            body = "".join(self.rng.choice(identifiers.ALPHABET) for _ in range(8))
            reference = f"{prefix}-{body[:4]}-{body[4:]}"
            if reference not in self.references:
                self.references.add(reference)
                return reference

    def contact(self) -> tuple[str, str]:
        name = f"{self.rng.choice(SURNAMES)}{self.rng.choice(('先生', '女士'))}（示例）"
        return name, f"1390000{self.rng.randrange(10_000):04d}"

    def unit(self) -> str:
        """A home of the estate (butler/data/estate.json). The same four draws as ever, so
        the rest of the generated cases stay as they were; each folded into the layout."""
        from butler.domain.estate import house_number, load_estate

        buildings = load_estate().buildings
        number, unit, floor, room = (self.rng.randint(1, 12), self.rng.randint(1, 3), self.rng.randint(2, 18),
                                     self.rng.randint(1, 4))
        building = buildings[(number - 1) % len(buildings)]
        return house_number(building.number, (unit - 1) % building.units + 1, (floor - 1) % building.floors + 1,
                            (room - 1) % building.rooms_per_floor + 1)

    def rating(self, troubled: bool) -> int:
        weights = LATE_RATINGS if troubled else ON_TIME_RATINGS
        return self.rng.choices(list(weights), list(weights.values()))[0]

    def deadline_step(self, start: datetime, due: datetime, late: bool) -> datetime:
        """A moment before ``due`` or, when ``late``, some time after it."""
        span = max(due - start, timedelta(minutes=10))
        return start + span * (self.rng.uniform(1.15, 2.5) if late else self.rng.uniform(0.1, 0.9))

    # ------------------------------------------------------------------ repairs
    def repair(self, created: datetime) -> WorkOrder:
        rng = self.rng
        emergency = [c.code for c in CATEGORIES if c.emergency]
        ordinary = [c.code for c in CATEGORIES if not c.emergency]
        code = rng.choice(emergency) if self.chance(0.05) else rng.choice(ordinary)
        description, plan, materials = REPAIR_WORK[code]
        name, phone = self.contact()
        home = self.chance(0.7)
        place = rng.choice(PUBLIC_PLACES).format(b=rng.randint(1, 12), u=rng.randint(1, 3))
        report = RepairReport(code, description, "home" if home else "public", self.unit() if home else None,
                              "" if home else place, name, phone, urgency="urgent" if self.chance(0.2) else "normal",
                              source=rng.choice(("resident_site", "resident_site", "phone", "visit")))
        order = new_work_order(report, reference=self.reference("R"),
                               token_hash=identifiers.hash_token(f"demo:{created.isoformat()}"),
                               now=created.replace(second=0, microsecond=0))
        if order.emergency:
            order.alerted.add(EMERGENCY_KEY)
        run = _Run(order, REPAIR, self.roster, self.until)
        self.work(run, plan, materials)
        run.finish()
        return order

    def work(self, run: _Run, plan: str, materials: str) -> None:
        order, technician = run.case, self.pick(self.technicians)
        late = self.late[technician]
        dispatched = self.deadline_step(order.created_at, order.respond_by, self.chance(late))
        dispatcher = self.rng.choice(self.dispatchers)
        if not run.step(dispatched, "dispatch", self.roster[dispatcher].role, dispatcher, technician=technician):
            return
        if self.chance(0.04):  # the resident sorted it out themselves
            run.step(run.now + self.hours(0.5, 6), "cancel", "customer_service", self.pick(self.owners),
                     cancel_reason="业主已自行处理")
            return
        finish = self.deadline_step(run.now, order.complete_by, self.chance(late))
        surveyed = self.between(run.now, finish)
        run.step(surveyed, "survey", "technician", technician, survey_plan=plan, materials_planned=materials)
        run.step(self.between(surveyed, finish), "start_repair", "technician", technician)
        if self.chance(0.1):
            run.step(self.between(run.now, finish), "pause", "technician", technician, pause_reason="等待配件到货")
            run.step(self.between(run.now, finish), "resume", "technician", technician)
        self.complete(run, finish, technician, materials)
        if self.chance(0.06 + late / 3):  # the butler finds fault at acceptance
            run.step(run.now + self.hours(1, 24), "reject", "butler", self.rng.choice(self.butlers),
                     reject_reason="现场检查仍有问题")
            self.complete(run, run.now + self.hours(2, 48), technician, materials)
        butler = self.rng.choice(self.butlers)
        run.step(run.now + self.hours(1, 24), "accept", "butler", butler, accepted_by=butler)
        if self.chance(0.04):  # the resident says it is not fixed
            run.step(run.now + self.hours(2, 72), "report_not_fixed", "resident", "resident",
                     not_fixed_reason="问题又出现了")
            self.complete(run, run.now + self.hours(4, 72), technician, materials)
            run.step(run.now + self.hours(1, 12), "accept", "butler", butler, accepted_by=butler)
        troubled = bool({e.action for e in order.timeline} & {"reject", "report_not_fixed"}) or any(
            key != EMERGENCY_KEY for key in order.alerted)
        if self.chance(0.8):
            run.step(run.now + self.hours(2, 96), "rate", "resident", "resident",
                     rating=self.rating(troubled), rating_comment="" if self.chance(0.6) else "师傅很耐心")
            run.step(run.now + SWEEP_EVERY, "archive", "system", "system")  # the next sweep
        else:  # never rated: the sweep archives it once the rating window is over
            run.step(run.now + RATING_WINDOW + SWEEP_EVERY, "archive", "system", "system")

    def complete(self, run: _Run, at: datetime, technician: str, materials: str) -> None:
        by, role = (technician, "technician") if self.chance(0.9) else (self.lead, "maintenance_lead")
        run.step(at, "complete", role, by, work_done="按方案维修并试用正常", materials_used=materials,
                 labour_minutes=self.rng.randrange(20, 240, 10))

    # ------------------------------------------------------------------ complaints
    def complaint(self, created: datetime) -> ComplaintCase:
        rng = self.rng
        kind = rng.choices(list(KINDS), [40, 40, 20])[0]
        topic = rng.choice(TOPICS)
        owner = self.pick(self.owners)
        by_phone = self.chance(0.4)
        name, phone = self.contact()
        filing = ComplaintFiling(kind, topic.code, f"关于{topic.label}的{KINDS[kind]}（示例）。", name, phone,
                                 self.unit() if self.chance(0.8) else None,
                                 source=rng.choice(("phone", "visit")) if by_phone else "resident_site",
                                 received_by=owner if by_phone else None)
        case = new_case(filing, reference=self.reference("C"),
                        token_hash=identifiers.hash_token(f"demo:{created.isoformat()}"),
                        now=created.replace(second=0, microsecond=0))
        run = _Run(case, COMPLAINT, self.roster, self.until)
        if not by_phone:  # filed on the site: someone claims it, usually within hours
            claimed = (self.deadline_step(case.created_at, case.respond_by, True) if self.chance(self.late[owner] / 2)
                       else case.created_at + self.hours(0.1, 8))
            run.step(claimed, "claim", self.roster[owner].role, owner, owner=owner)
        for _ in range(3):  # answered or replied; again when the resident is not satisfied
            if not self.follow(run, owner):
                break
        run.finish()
        return case

    def follow(self, run: _Run, owner: str) -> bool:
        """From ``received`` to the resident's answer; True when they were not satisfied."""
        case, role = run.case, self.roster[owner].role
        late = self.late[owner]
        if self.chance(COMPLAINT_ANSWERED[case.kind]):
            at = self.deadline_step(run.now, case.respond_by, self.chance(late))
            run.step(at, "answer", role, owner, reply="已电话说明情况和处理安排")
        else:
            code = case.department if self.chance(0.9) else self.rng.choice(DEPARTMENTS).code
            at = self.deadline_step(run.now, case.respond_by, self.chance(late))
            hours = self.rng.choice((None, None, None, 24, 48))
            run.step(at, "transfer", role, owner, department=code, promised_hours=hours)
            investigator = self.investigator(code, owner)
            reply = self.deadline_step(run.now, case.reply_by or run.now, self.chance(late))
            run.step(self.between(run.now, reply), "investigate", self.roster[investigator].role, investigator,
                     findings="已到现场核实")
            run.step(self.between(run.now, reply), "propose", self.roster[investigator].role, investigator,
                     solution="按约定时间处理到位")
            run.step(reply, "reply", role, owner, reply="已按方案处理，请您查看")
        answered = run.now + self.hours(2, 96)
        outcome = self.rng.random()
        if outcome < 0.1:
            run.step(answered, "not_satisfied", "resident", "resident", not_satisfied_reason="问题还没有解决")
            return case.status == "received"
        if outcome < 0.82:
            rating = self.rating(case.reopen_count > 0 or bool(case.alerted)) if self.chance(0.65) else None
            run.step(answered, "confirm_satisfied", "resident", "resident", rating=rating)
        else:
            run.step(answered + timedelta(days=3), "close_after_follow_up", role, owner,
                     follow_up="电话回访，业主表示已解决")
        return False

    def investigator(self, code: str, owner: str) -> str:
        label = department(code).label
        for role in INVESTIGATORS:
            for member in self.roster.values():
                if member.role == role and member.department == label:
                    return member.id
        return owner  # customer service looks into its own cases


def generate(seed: int = 2026, quarters: tuple[str, ...] = QUARTERS, *,
             repairs_per_quarter: int = REPAIRS_PER_QUARTER,
             complaints_per_quarter: int = COMPLAINTS_PER_QUARTER,
             roster: Optional[Roster] = None, until: Optional[datetime] = None) -> DemoCases:
    """Cases reported in each quarter (from four days before it starts to a day before it
    ends), taken through their steps up to ``until`` (by default two days after the last
    quarter ends: a few are still open). The same seed gives the same cases."""
    roster = roster if roster is not None else load_roster()
    until = until or quarter_bounds(quarters[-1])[1] + timedelta(days=2)
    generator = Generator(seed, roster, until)
    repairs, complaints = [], []
    for quarter in quarters:
        start, end = quarter_bounds(quarter)
        window = (start - timedelta(days=4), end - timedelta(days=1))
        repairs += [generator.repair(generator.between(*window)) for _ in range(repairs_per_quarter)]
        complaints += [generator.complaint(generator.between(*window)) for _ in range(complaints_per_quarter)]
    return DemoCases(repairs, complaints, until)
