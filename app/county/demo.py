"""The demo county's history for the board: the term before the demo's (its offering, places, fees, every week's
roster published and the last week's registers) and the demo term's weeks before this one (published), so the
county board shows real figures, a trend across two terms and a few gaps, right after ``./scripts/run.sh``.

Sessions are written directly (one after-school block per class and school day, a provider's sports on Wednesdays
for one primary class), not solved: the history is a record, not a plan to check. Removed with the demo
(delete_county_history, then the demo's own deletes of weeks, applications and marks).
"""

import random
from collections import defaultdict
from datetime import date, time, timedelta

from sqlalchemy import delete, insert, select

from app.accounts.models import User
from app.county import facts
from app.county.models import (
    ClassDayFact,
    FactsRefresh,
    SchoolDayFact,
    SessionClassFact,
    SessionFact,
    StaffLoadFact,
)
from app.demo_calendar import DemoCalendar, local_moment
from app.extensions import db
from app.rosters.services import school_days_between
from app.schools.models import County, School, SchoolType, Term
from app.staff.models import StaffProfile
from scheduling import policy

HISTORY_PARTICIPATION = 0.65  # share of the families with a confirmed link whose child had a place last term
DEMO_GUARDIAN = "13800000100"  # 张家长: her children's own story is the demo term's; their history stays empty
COACH = "13800000200"  # 孙教练 of 星火体育
HISTORY_NOTE = "往期排班（示范）"  # the published versions the history writes (delete_county_history finds them so)
JUNIOR_EXCEPTION = ([3], "周四下午教师集中学习")  # the junior school's declared weekly exception day last term


def build_county_history(county: County, calendar: DemoCalendar) -> None:
    """Last term for both schools and this term's weeks before this one; then the board's facts (flushes)."""
    past = calendar.previous_term
    rng = random.Random("demo-2026-history")
    for school in county.schools:
        term = Term(name=past.name, starts_on=past.starts_on, ends_on=past.ends_on)
        school.terms.append(term)
        db.session.flush()
        offering = _past_offering(school, term)
        _past_places(school, offering, term, rng)
        _weeks(school, term.starts_on, term.ends_on, rng, marks_from=term.ends_on - timedelta(days=6))
        current = next(t for t in school.terms if t.name == calendar.term.name)
        _weeks(school, current.starts_on, calendar.this_monday - timedelta(days=1), rng)
    db.session.flush()
    facts.refresh_county(county)


def delete_county_history(school_ids: list[int]) -> None:
    """Remove the board's facts of the demo schools and the weeks the history wrote, in a few statements (the
    database's cascades take their sessions, assignments, versions and marks); terms and places go with the demo."""
    from app.rosters.models import RosterVersion, Week

    for model in (ClassDayFact, SchoolDayFact, SessionClassFact, SessionFact, StaffLoadFact, FactsRefresh):
        db.session.execute(delete(model).where(model.school_id.in_(school_ids))
                           .execution_options(synchronize_session=False))
    history = select(RosterVersion.week_id).where(RosterVersion.note == HISTORY_NOTE)
    db.session.execute(delete(Week).where(Week.school_id.in_(school_ids), Week.id.in_(history))
                       .execution_options(synchronize_session=False))


def _past_offering(school: School, term: Term):
    from app.programs.models import NoticeVersion, Offering, OfferingKind
    from app.programs.services import notice_content

    exceptions, reason = JUNIOR_EXCEPTION if school.school_type is SchoolType.JUNIOR else ([], "")
    offering = Offering(
        school_id=school.id, kind=OfferingKind.AFTER_SCHOOL, term_id=term.id,
        title=f"{school.name}课后服务（{term.name}）", starts_on=term.starts_on, ends_on=term.ends_on,
        weekdays=[0, 1, 2, 3, 4], exception_weekdays=exceptions, exception_reason=reason, starts_at=time(15, 40),
        ends_at=time(17, 40), basic_content="看护、作业辅导与答疑，不讲授新课",
        apply_deadline=term.starts_on - timedelta(days=4), basic_fee_cents=20000,
        fee_rules="按月收取，收费时间跨度不超过三个月（含当月）", refund_rule="退出时，尚未开始月份的费用全额退还",
        hardship_rule="家庭经济困难学生经学校审核免收费用", safety_measures="专人看护，凭接送卡接送",
        published_version=1)
    db.session.add(offering)
    db.session.flush()
    db.session.add(NoticeVersion(offering_id=offering.id, version=1, content=notice_content(offering),
                                 published_at=local_moment(term.starts_on - timedelta(days=14), time(9, 0))))
    return offering


def _past_places(school: School, offering, term: Term, rng: random.Random) -> None:
    """Most families with a confirmed link had a place (approved), a few applied and withdrew; a term's fee each,
    a hardship waiver now and then, a refund for those who withdrew after paying."""
    from app.enrolment.models import Application, ApplicationStatus, LedgerEntry, LedgerKind
    from app.programs.models import AgreementText

    agreement = db.session.scalar(select(AgreementText).filter_by(school_id=school.id).order_by(AgreementText.version))
    signed = local_moment(term.starts_on - timedelta(days=10), time(20, 0))
    charged = local_moment(term.starts_on + timedelta(days=3), time(10, 0))
    for grade in school.grades:
        for school_class in grade.classes:
            for student in school_class.students:
                link = next((link for link in student.guardian_links if link.verified), None)
                if link is None or link.guardian.mobile == DEMO_GUARDIAN:
                    continue
                roll = rng.random()
                if roll >= HISTORY_PARTICIPATION + 0.05:
                    continue
                withdrawn = roll >= HISTORY_PARTICIPATION
                application = Application(
                    school_id=school.id, offering_id=offering.id, student_id=student.id, guardian_id=link.guardian_id,
                    status=ApplicationStatus.WITHDRAWN if withdrawn else ApplicationStatus.APPROVED, notice_version=1,
                    weekdays=[0, 1, 2, 3, 4], pickup_people=student.name[0] + "家长", agreement_id=agreement.id,
                    signed_at=signed, signed_by_id=link.guardian_id,
                    withdrawn_at=charged + timedelta(days=30) if withdrawn else None)
                db.session.add(application)
                db.session.flush()
                lines = [(LedgerKind.CHARGE, 20000)]
                if withdrawn:
                    lines.append((LedgerKind.REFUND, 10000))
                elif rng.random() < 0.06:
                    lines.append((LedgerKind.WAIVER, 20000))
                for kind, cents in lines:
                    db.session.add(LedgerEntry(school_id=school.id, application_id=application.id, kind=kind,
                                               amount_cents=cents, months=3 if kind is LedgerKind.CHARGE else 0,
                                               created_at=charged, note="课后服务费"))
    db.session.flush()


def _least_busy(staff: list, caps: dict, load: dict, minutes: int) -> list[int]:
    """The person with the fewest minutes this week whose weekly cap allows the session ([] when nobody: unstaffed)."""
    for person in sorted(staff, key=lambda p: load[p.id]):
        if caps[person.id] is None or load[person.id] + minutes <= caps[person.id]:
            load[person.id] += minutes
            return [person.id]
    return []


def _weeks(school: School, first: date, last: date, rng: random.Random, *, marks_from: date | None = None) -> None:
    """Published weeks from first to last: each class one after-school block a school day, 15:40–17:40 (now and
    then a class's block cut short: a gap on the board); Wednesdays, the primary's 四年级1班 has 星火体育's sports
    16:40–17:40 with a teacher. Each session goes to the school's least busy person whose weekly cap allows it
    (none left: unstaffed, not counted as delivered). Registers marked for the placed children from `marks_from`
    on. Written in bulk (a term is some thousand sessions), the published version in the format
    rosters.services.snapshot writes."""
    from app.daily.models import AttendanceChange, AttendanceMark, Mark
    from app.enrolment.models import Application, ApplicationStatus
    from app.programs.models import Offering
    from app.rosters.models import Assignment, PlannedSession, RosterVersion, Week, planned_session_class

    staff = db.session.scalars(select(StaffProfile).where(
        StaffProfile.school_id == school.id, StaffProfile.opted_in.is_(True), StaffProfile.exempt.is_(False))
        .order_by(StaffProfile.id)).all()
    caps = {p.id: policy.weekly_minutes_cap(p.staff_type.value, p.max_weekly_minutes) for p in staff}
    coach = db.session.scalar(select(User).filter_by(mobile=COACH)).staff_profile
    people = {p.id: {"name": p.user.name, "user_id": p.user_id} for p in [*staff, coach]}
    classes = [c for g in school.grades for c in g.classes]
    placed: dict[int, list[int]] = {}
    if marks_from is not None:  # the children with a place last term (this term's are the demo's own story)
        approved = set(db.session.scalars(select(Application.student_id).join(Application.offering).where(
            Application.school_id == school.id, Application.status == ApplicationStatus.APPROVED,
            Offering.starts_on <= marks_from, Offering.ends_on >= marks_from)))
        placed = {c.id: [s.id for s in c.students if s.id in approved] for c in classes}
    sports_class = classes[6] if school.school_type is SchoolType.PRIMARY and len(classes) > 6 else None
    monday = first - timedelta(days=first.weekday())
    while monday <= last:
        days = school_days_between(school, max(first, monday), min(last, monday + timedelta(days=6)))
        if not days:
            monday += timedelta(days=7)
            continue
        week = Week(school_id=school.id, monday=monday)
        db.session.add(week)
        db.session.flush()
        planned = []  # (row, class, staff profile ids)
        load: dict[int, int] = defaultdict(int)
        for day in days:
            for school_class in classes:
                ends = time(17, 0) if rng.random() < 0.02 else time(17, 40)  # now and then cut short
                split = sports_class is school_class and day.weekday() == 2
                blocks = ([(time(15, 40), time(16, 40), "homework_help"), (time(16, 40), ends, "sports")] if split
                          else [(time(15, 40), ends, "homework_help")])
                for starts, ends_at, activity in blocks:
                    minutes = (ends_at.hour - starts.hour) * 60 + ends_at.minute - starts.minute
                    on = _least_busy(staff, caps, load, minutes) + ([coach.id] if activity == "sports" else [])
                    planned.append(({"week_id": week.id, "on_date": day, "starts_at": starts, "ends_at": ends_at,
                                     "kind": "after_school", "activity": activity, "subject": "", "room": "",
                                     "series": f"{school_class.grade.number}年级{school_class.number}班课后服务",
                                     "enrolled": len(school_class.students), "staff_needed": 1},
                                    school_class, on))
        ids = db.session.scalars(insert(PlannedSession).returning(PlannedSession.id, sort_by_parameter_order=True),
                                 [row for row, _, _ in planned]).all()
        db.session.execute(insert(planned_session_class),
                           [{"session_id": sid, "class_id": c.id} for sid, (_, c, _) in zip(ids, planned, strict=True)])
        db.session.execute(insert(Assignment), [{"session_id": sid, "profile_id": pid, "pinned": False}
                                                                for sid, (_, _, on) in zip(ids, planned, strict=True)
                                                for pid in on])
        sessions = {f"s-{sid}": {"date": row["on_date"].isoformat(), "start": row["starts_at"].strftime("%H:%M"),
                                 "end": row["ends_at"].strftime("%H:%M"), "kind": row["kind"],
                                 "activity": row["activity"], "subject": "", "room": "", "series": row["series"],
                                 "classes": [f"{c.grade.number}年级{c.number}班"], "staff_needed": 1}
                    for sid, (row, c, _) in zip(ids, planned, strict=True)}
        assignments = [{"session": f"s-{sid}", "staff": f"p-{pid}"}
                       for sid, (_, _, on) in zip(ids, planned, strict=True) for pid in on]
        staff_keys = {a["staff"] for a in assignments}
        db.session.add(RosterVersion(
            week_id=week.id, number=1, note=HISTORY_NOTE,
            published_at=local_moment(monday - timedelta(days=3), time(17, 0)),
            roster={"status": "feasible", "assignments": assignments, "unstaffed": [], "rejected": [],
                    "plan_errors": [], "metrics": {}, "sessions": sessions,
                    "staff": {f"p-{pid}": person for pid, person in people.items() if f"p-{pid}" in staff_keys}}))
        marks = []
        for sid, (row, school_class, on) in zip(ids, planned, strict=True):
            if marks_from is None or row["on_date"] < marks_from or not on:
                continue
            at = local_moment(row["on_date"], row["starts_at"]) + timedelta(minutes=2)
            for student_id in placed.get(school_class.id, []):
                status = Mark.ABSENT if rng.random() < 0.03 else Mark.PRESENT
                marks.append({"session_id": sid, "student_id": student_id, "status": status,
                              "marked_by_id": people[on[0]]["user_id"], "marked_at": at})
        if marks:
            db.session.execute(insert(AttendanceMark), marks)
            db.session.execute(insert(AttendanceChange), [
                {"session_id": m["session_id"], "student_id": m["student_id"], "status": m["status"], "previous": "",
                 "changed_by_id": m["marked_by_id"], "changed_at": m["marked_at"]} for m in marks])
        db.session.flush()
        monday += timedelta(days=7)
