"""A generated county for the county benchmarks: --schools schools, --students children, two terms of history.

seed_county() runs inside an app context against an upgraded database (the caller commits) and writes what a county
that has used the site for two terms holds: schools with grades, classes of about 45 and their students; a teacher per
class plus a few more (most opted in), a provider with coaches; each school's published after-school offering for
each term, Monday–Friday 15:40–17:40; about 60% of the children's guardians applied and approved (a few withdrawn or
still waiting); every term week's roster published (one two-hour session per class and school day, a teacher each; two
provider sports sessions a week per school with a coach and a teacher), with the weekly load spread unevenly on
purpose; registers taken in the current term's last --register-weeks weeks (about 92% present); monthly charges, a few
hardship waivers and refunds. Small tables go through the models; the big ones (students, guardians, applications,
sessions, assignments, marks, ledger) through bulk INSERTs, so 100 schools and 60,000 children seed in minutes.

Returns the figures the seed itself knows (rows per table), which the benchmark prints and the test checks.
"""

import random
from collections import defaultdict
from datetime import date, datetime, time, timedelta

from sqlalchemy import insert

WEEKDAYS = (0, 1, 2, 3, 4)
CLASS_SIZE = 45
SESSION_START, SESSION_END = time(15, 40), time(17, 40)
SPORTS_START, SPORTS_END = time(16, 0), time(17, 0)
MONTHLY_FEE_CENTS = 20000
AGREEMENT = "课后服务协议书\n学生自愿参加，家长申请，学校审核后实施。"


def term_spans(today: date) -> list[tuple[str, date, date]]:
    """The two terms the county has history for: the previous one and the current one (up to today)."""
    if today.month >= 9 or today.month == 1:
        year = today.year if today.month >= 9 else today.year - 1
        return [(f"{year}年春季学期", date(year, 3, 2), date(year, 7, 3)),
                (f"{year}年秋季学期", date(year, 9, 1), date(year + 1, 1, 22))]
    year = today.year
    return [(f"{year - 1}年秋季学期", date(year - 1, 9, 1), date(year, 1, 22)),
            (f"{year}年春季学期", date(year, 3, 2), date(year, 7, 3))]


def mondays(first: date, last: date) -> list[date]:
    monday = first - timedelta(days=first.weekday())
    out = []
    while monday <= last:
        out.append(monday)
        monday += timedelta(days=7)
    return out


def bulk(model, rows: list[dict], returning: bool = False) -> list[int]:
    """INSERT many rows at once; with `returning`, their new ids in the rows' order."""
    from app.extensions import db

    if not rows:
        return []
    if returning:
        result = db.session.execute(insert(model).returning(model.id, sort_by_parameter_order=True), rows)
        return [row[0] for row in result]
    db.session.execute(insert(model), rows)
    return []


def seed_county(*, schools: int = 100, students: int = 60000, password_hash: str, seed: int = 14,
                today: date, register_weeks: int = 2, participation: float = 0.6, code: str = "BENCH",
                name: str = "基准县") -> dict:
    from app.accounts.models import AdminTitle, GuardianLink, Relationship, Role, User
    from app.daily.models import AttendanceMark, Mark
    from app.enrolment.models import Application, ApplicationStatus, LedgerEntry, LedgerKind
    from app.extensions import db
    from app.models_base import utcnow
    from app.programs import services as programs
    from app.programs.models import Offering, OfferingKind
    from app.providers.models import Provider, ProviderStatus
    from app.rosters.models import (
        Assignment,
        PlannedSession,
        RosterVersion,
        Week,
        planned_session_class,
        session_key,
        staff_key,
    )
    from app.schools.models import County, Grade, School, SchoolClass, SchoolType, Student, Term
    from app.staff.models import StaffProfile, StaffType
    from scheduling.policy import AFTER_SCHOOL_KIND

    rng = random.Random(seed)
    surnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹"
    given = "子涵梓萱思雨欣怡俊熙一诺佳琪浩然宇轩明杰雅静"

    def person() -> str:
        return rng.choice(surnames) + "".join(rng.sample(given, 2))

    now = utcnow()
    spans = term_spans(today)
    county = County(name=name, code=code)
    db.session.add(county)
    db.session.flush()
    officer = User(mobile="13900000001", name=person() + "科长", role=Role.COUNTY_OFFICER, county_id=county.id,
                   password_hash=password_hash)
    provider = Provider(county=county, name="基准体育俱乐部", categories=["sports"], status=ProviderStatus.ACTIVE,
                        vetted_until=today + timedelta(days=365))
    db.session.add_all([officer, provider])
    db.session.flush()

    per_school = [students // schools + (1 if n < students % schools else 0) for n in range(schools)]
    school_rows, principals = [], []
    for n in range(schools):
        school = School(county_id=county.id, code=f"B{n + 1:03d}", name=f"基准县第{n + 1}小学",
                        school_type=SchoolType.PRIMARY, address=f"基准县学府路{n + 1}号")
        for term_name, first, last in spans:
            school.terms.append(Term(name=term_name, starts_on=first, ends_on=last))
        db.session.add(school)
        school_rows.append(school)
    db.session.flush()
    for n, school in enumerate(school_rows):
        principals.append(User(mobile=f"1390001{n:04d}", name=person() + "校长", role=Role.SCHOOL_ADMIN,
                               school_id=school.id, admin_title=AdminTitle.PRINCIPAL, password_hash=password_hash))
    db.session.add_all(principals)
    db.session.flush()

    # Classes (6 grades, about CLASS_SIZE each), a teacher per class plus a few more, coaches of the provider.
    classes_of: dict[int, list[SchoolClass]] = {}
    teachers_of: dict[int, list[StaffProfile]] = {}
    coaches: list[StaffProfile] = []
    staff_users = []
    mobile = 0
    for n, school in enumerate(school_rows):
        count = max(6, round(per_school[n] / CLASS_SIZE))
        classes_of[school.id] = []
        for c in range(count):
            grade_number = c % 6 + 1
            grade = next((g for g in school.grades if g.number == grade_number), None)
            if grade is None:
                grade = Grade(number=grade_number)
                school.grades.append(grade)
            school_class = SchoolClass(school=school, number=c // 6 + 1)
            grade.classes.append(school_class)
            classes_of[school.id].append(school_class)
        teachers_of[school.id] = []
        for t in range(count + 4):
            mobile += 1
            user = User(mobile=f"137{mobile:08d}", name=person() + "老师", role=Role.TEACHER, school_id=school.id,
                        password_hash=password_hash)
            user.staff_profile = StaffProfile(school_id=school.id, staff_type=StaffType.TEACHER, subjects=["数学"],
                                              skills=["supervision", "homework_help"], opted_in=rng.random() < 0.85)
            staff_users.append(user)
            teachers_of[school.id].append(user.staff_profile)
            if t < count:
                classes_of[school.id][t].class_teacher = user
    for _coach in range(max(2, schools // 10)):
        mobile += 1
        user = User(mobile=f"137{mobile:08d}", name=person() + "教练", role=Role.PROVIDER_STAFF,
                    provider_id=provider.id, password_hash=password_hash)
        user.staff_profile = StaffProfile(staff_type=StaffType.PROVIDER, skills=["sports"], opted_in=True)
        staff_users.append(user)
        coaches.append(user.staff_profile)
    db.session.add_all(staff_users)
    db.session.flush()

    # Offerings: one published after-school offering per school and term.
    offerings: dict[tuple[int, str], Offering] = {}
    agreements = {}
    for n, school in enumerate(school_rows):
        agreements[school.id] = programs.add_agreement(school, AGREEMENT, principals[n])
        for term in school.terms:
            offering = Offering(
                school_id=school.id, kind=OfferingKind.AFTER_SCHOOL, term_id=term.id, title=f"{term.name}课后服务",
                starts_on=term.starts_on, ends_on=term.ends_on, weekdays=list(WEEKDAYS), starts_at=SESSION_START,
                ends_at=SESSION_END, basic_content="看护、作业辅导与答疑，不讲授新课",
                apply_deadline=term.starts_on - timedelta(days=7), basic_fee_cents=MONTHLY_FEE_CENTS,
                safety_measures="专人看护，凭接送码接送")
            db.session.add(offering)
            db.session.flush()
            programs.publish_offering(offering, principals[n], "基准")
            offerings[(school.id, term.name)] = offering

    # Students (bulk), guardians, links, applications.
    student_rows, class_of_student = [], []
    for n, school in enumerate(school_rows):
        school_classes = classes_of[school.id]
        for s in range(per_school[n]):
            school_class = school_classes[s % len(school_classes)]
            student_rows.append({"school_id": school.id, "class_id": school_class.id, "name": person(),
                                 "student_number": f"{school.code}{s:05d}", "guardian_mobiles": ""})
            class_of_student.append(school_class.id)
    student_ids = bulk(Student, student_rows, returning=True)
    applying = [i for i in range(len(student_ids)) if rng.random() < participation]
    guardian_ids = bulk(User, [{"mobile": f"15{i:09d}", "name": student_rows[i]["name"][0] + "家长",
                                "password_hash": password_hash, "role": Role.GUARDIAN} for i in applying],
                        returning=True)
    bulk(GuardianLink, [{"guardian_id": g, "student_id": student_ids[i], "relationship_kind": Relationship.MOTHER,
                         "verified": True, "verified_at": now} for i, g in zip(applying, guardian_ids, strict=True)])
    application_rows, placed = [], defaultdict(set)  # (school, term) -> student ids approved
    for i, g in zip(applying, guardian_ids, strict=True):
        school_id = student_rows[i]["school_id"]
        for term_name, *_ in spans:
            offering = offerings[(school_id, term_name)]
            roll = rng.random()
            status = (ApplicationStatus.APPROVED if roll < 0.93 else
                      ApplicationStatus.WITHDRAWN if roll < 0.97 else ApplicationStatus.SUBMITTED)
            application_rows.append({
                "school_id": school_id, "offering_id": offering.id, "student_id": student_ids[i], "guardian_id": g,
                "status": status, "notice_version": offering.published_version, "weekdays": list(WEEKDAYS),
                "agreement_id": agreements[school_id].id, "signed_at": now, "signed_by_id": g,
                "withdrawn_at": now if status is ApplicationStatus.WITHDRAWN else None})
            if status is ApplicationStatus.APPROVED:
                placed[(school_id, term_name)].add(student_ids[i])
    application_ids = bulk(Application, application_rows, returning=True)

    # Fees: a monthly charge per approved application and month of the term so far; some waivers and refunds.
    ledger = []
    for application_id, row in zip(application_ids, application_rows, strict=True):
        if row["status"] is not ApplicationStatus.APPROVED:
            continue
        offering = next(o for o in offerings.values() if o.id == row["offering_id"])
        month = offering.starts_on.replace(day=1)
        while month <= min(offering.ends_on, today):
            ledger.append({"school_id": row["school_id"], "application_id": application_id,
                           "kind": LedgerKind.CHARGE, "amount_cents": MONTHLY_FEE_CENTS, "months": 1,
                           "period_start": month.strftime("%Y-%m"), "note": "", "reference": ""})
            month = (month + timedelta(days=32)).replace(day=1)
        roll = rng.random()
        if roll < 0.05:
            ledger.append({"school_id": row["school_id"], "application_id": application_id, "kind": LedgerKind.WAIVER,
                           "amount_cents": MONTHLY_FEE_CENTS, "months": 0, "period_start": "", "note": "困难家庭减免",
                           "reference": ""})
        elif roll < 0.08:
            ledger.append({"school_id": row["school_id"], "application_id": application_id, "kind": LedgerKind.REFUND,
                           "amount_cents": MONTHLY_FEE_CENTS // 2, "months": 0, "period_start": "",
                           "note": "退出退费", "reference": ""})
    bulk(LedgerEntry, ledger)

    # Rosters: every term week up to last week published; one session per class and school day, two sports a week.
    last_monday = today - timedelta(days=today.weekday() + 7)
    week_rows, week_keys = [], []
    for school in school_rows:
        for _term_name, first, last in spans:
            for monday in mondays(first, min(last, last_monday + timedelta(days=6))):
                week_rows.append({"school_id": school.id, "monday": monday})
                week_keys.append((school.id, monday))
    week_ids = dict(zip(week_keys, bulk(Week, week_rows, returning=True), strict=True))
    register_from = last_monday - timedelta(days=7 * (register_weeks - 1))
    in_term = [(first, last) for _n, first, last in spans]
    sessions, session_classes, session_staff = [], [], []  # parallel lists
    for school in school_rows:
        weights = {p.id: rng.choice((1, 1, 2, 3)) for p in teachers_of[school.id] if p.opted_in}  # uneven loads
        pool = [pid for pid, w in weights.items() for _ in range(w)]
        for (school_id, monday), week_id in week_ids.items():
            if school_id != school.id:
                continue
            for weekday in WEEKDAYS:
                day = monday + timedelta(days=weekday)
                if not any(first <= day <= last for first, last in in_term):
                    continue
                for school_class in classes_of[school.id]:
                    sessions.append({"week_id": week_id, "on_date": day, "starts_at": SESSION_START,
                                     "ends_at": SESSION_END, "kind": AFTER_SCHOOL_KIND, "activity": "homework_help",
                                     "subject": "", "room": "", "enrolled": CLASS_SIZE, "staff_needed": 1,
                                     "series": f"{school_class.grade.number}年级{school_class.number}班课后服务"})
                    session_classes.append([school_class.id])
                    session_staff.append([rng.choice(pool)])
                if weekday in (1, 3):
                    sessions.append({"week_id": week_id, "on_date": day, "starts_at": SPORTS_START,
                                     "ends_at": SPORTS_END, "kind": AFTER_SCHOOL_KIND, "activity": "sports",
                                     "subject": "", "room": "操场", "enrolled": 30, "staff_needed": 2,
                                     "series": "足球"})
                    session_classes.append([classes_of[school.id][0].id])
                    helper = rng.choice(pool)
                    session_staff.append([coaches[school_rows.index(school) % len(coaches)].id, helper])
    session_ids = bulk(PlannedSession, sessions, returning=True)
    db.session.execute(insert(planned_session_class), [
        {"session_id": sid, "class_id": cid} for sid, cids in zip(session_ids, session_classes, strict=True)
        for cid in cids])
    bulk(Assignment, [{"session_id": sid, "profile_id": pid, "pinned": False}
                      for sid, pids in zip(session_ids, session_staff, strict=True) for pid in pids])

    names = {p.id: p.user.name for profiles in teachers_of.values() for p in profiles}
    names.update({p.id: p.user.name for p in coaches})
    users = {p.id: p.user_id for profiles in teachers_of.values() for p in profiles}
    users.update({p.id: p.user_id for p in coaches})
    by_week: dict[int, list[int]] = defaultdict(list)
    for index, row in enumerate(sessions):
        by_week[row["week_id"]].append(index)
    versions = []
    for week_id, indexes in by_week.items():
        assignments = [{"session": session_key(session_ids[i]), "staff": staff_key(pid)}
                       for i in indexes for pid in session_staff[i]]
        snapshot_sessions = {session_key(session_ids[i]): {
            "date": sessions[i]["on_date"].isoformat(), "start": sessions[i]["starts_at"].strftime("%H:%M"),
            "end": sessions[i]["ends_at"].strftime("%H:%M"), "kind": sessions[i]["kind"],
            "activity": sessions[i]["activity"], "subject": "", "room": sessions[i]["room"],
            "series": sessions[i]["series"], "classes": [], "staff_needed": sessions[i]["staff_needed"]}
            for i in indexes}
        people = {staff_key(pid) for i in indexes for pid in session_staff[i]}
        versions.append({"week_id": week_id, "number": 1, "note": "", "published_at": now,
                         "roster": {"status": "feasible", "assignments": assignments, "unstaffed": [],
                                    "rejected": [], "plan_errors": [], "metrics": {},
                                    "sessions": snapshot_sessions,
                                    "staff": {key: {"name": names[int(key[2:])], "user_id": users[int(key[2:])]}
                                              for key in people}}})
    bulk(RosterVersion, versions)

    # Registers of the last weeks: each approved child of the class, about 92% present.
    current_term = spans[-1][0]
    placed_now = set().union(*(ids for (_school, term), ids in placed.items() if term == current_term))
    children_of_class: dict[int, list[int]] = defaultdict(list)
    for sid, cid in zip(student_ids, class_of_student, strict=True):
        children_of_class[cid].append(sid)
    marks = []
    for index, row in enumerate(sessions):
        if row["on_date"] < register_from or row["activity"] != "homework_help":
            continue
        (cid,) = session_classes[index]
        for student_id in children_of_class[cid]:
            if student_id in placed_now:
                marks.append({"session_id": session_ids[index], "student_id": student_id,
                              "status": Mark.PRESENT if rng.random() < 0.92 else Mark.ABSENT,
                              "marked_by_id": None, "marked_at": datetime.combine(row["on_date"], SESSION_START)})
    bulk(AttendanceMark, marks)
    db.session.flush()
    return {"county_id": county.id, "officer_mobile": officer.mobile, "principal_mobile": principals[0].mobile,
            "schools": len(school_rows), "classes": sum(len(c) for c in classes_of.values()),
            "students": len(student_ids), "guardians": len(guardian_ids), "applications": len(application_ids),
            "weeks": len(week_ids), "sessions": len(session_ids), "marks": len(marks), "ledger": len(ledger),
            "terms": [name for name, *_ in spans]}

