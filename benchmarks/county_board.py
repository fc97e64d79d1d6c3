"""How fast the county board answers for a large county on PostgreSQL.

    .venv/bin/python benchmarks/county_board.py [--schools 100] [--classes 20] [--pupils 30] [--weeks 20]

A throwaway PostgreSQL (tests/pg.py) gets a county of `schools` schools × `classes` classes × `pupils` pupils
(default 100 × 20 × 30 = 60,000 students), two terms of `weeks` weeks each, 70% of the pupils placed each term with
a fee charged, 40 staff a school, and the board's facts as the published rosters would leave them (one two-hour
after-school session per class and school day, a provider's session a week per school, a teacher's load a week),
plus a week of register marks. Then each board page is requested three times through the app (logged in as the
county officer) and the median time and the statements it ran are printed; the target is under one second a page.
The facts are written directly (what `facts.refresh_term` would write), so this measures the pages, not the refresh.
"""

import argparse
import statistics
import sys
import time as clock
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TARGET_SECONDS = 1.0
AUTUMN, SPRING = "2026—2027学年第一学期", "2025—2026学年第二学期"
TERMS = ((SPRING, date(2026, 3, 2)), (AUTUMN, date(2026, 9, 7)))  # (name, first Monday); spring first


def build(db, args) -> dict:
    """The county, in bulk (executemany)."""
    from sqlalchemy import insert

    from app.accounts.models import Role, User
    from app.county.models import (
        ClassDayFact,
        FactsRefresh,
        SchoolDayFact,
        SessionClassFact,
        SessionFact,
        StaffLoadFact,
    )
    from app.enrolment.models import Application, ApplicationStatus, LedgerEntry, LedgerKind
    from app.programs.models import AgreementText, Offering, OfferingKind
    from app.providers.models import Provider, ProviderStatus
    from app.rosters.models import PlannedSession, Week
    from app.schools.models import County, Grade, School, SchoolClass, SchoolType, Student, Term
    from app.staff.models import StaffProfile, StaffType

    def bulk(model, rows):
        for start in range(0, len(rows), 20000):
            db.session.execute(insert(model), rows[start:start + 20000])

    county = County(name="基准县", code="BENCH")
    db.session.add(county)
    db.session.flush()
    provider = Provider(county_id=county.id, name="基准机构", categories=["sports"], status=ProviderStatus.ACTIVE,
                        vetted_until=date(2030, 1, 1))
    officer = User(role=Role.COUNTY_OFFICER, county_id=county.id, name="科长", mobile="13700000000",
                   password_hash=password_hash())
    guardian = User(role=Role.GUARDIAN, name="家长", mobile="13700000001", password_hash=password_hash())
    db.session.add_all([provider, officer, guardian])
    db.session.flush()
    schools = list(db.session.scalars(insert(School).returning(School.id, sort_by_parameter_order=True), [
        {"county_id": county.id, "code": f"B{n:03d}", "name": f"基准学校{n:03d}", "school_type": SchoolType.PRIMARY,
         "work_end_winter": time(17, 0), "work_end_summer": time(17, 30)} for n in range(args.schools)]))
    grades = list(db.session.scalars(insert(Grade).returning(Grade.id, sort_by_parameter_order=True), [
        {"school_id": s, "number": g} for s in schools for g in range(1, 6)]))
    per_grade = max(1, args.classes // 5)
    class_rows = [{"school_id": s, "grade_id": grades[i * 5 + g], "number": c + 1}
                  for i, s in enumerate(schools) for g in range(5) for c in range(per_grade)]
    classes = list(db.session.scalars(insert(SchoolClass).returning(SchoolClass.id, sort_by_parameter_order=True),
                                      class_rows))
    class_school = {cid: row["school_id"] for cid, row in zip(classes, class_rows, strict=True)}
    student_rows = [{"school_id": class_school[c], "class_id": c, "student_number": f"{c}-{p}", "name": "学生"}
                    for c in classes for p in range(args.pupils)]
    students = list(db.session.scalars(insert(Student).returning(Student.id, sort_by_parameter_order=True),
                                       student_rows))
    agreements = {s: a for s, a in zip(schools, db.session.scalars(
        insert(AgreementText).returning(AgreementText.id, sort_by_parameter_order=True),
        [{"school_id": s, "version": 1, "body": "协议"} for s in schools]), strict=True)}
    staff_users = list(db.session.scalars(insert(User).returning(User.id, sort_by_parameter_order=True), [
        {"role": Role.TEACHER, "school_id": s, "name": "老师", "mobile": f"136{s:04d}{k:04d}",
         "password_hash": "x"} for s in schools for k in range(40)]))
    profiles = list(db.session.scalars(insert(StaffProfile).returning(StaffProfile.id, sort_by_parameter_order=True), [
        {"user_id": u, "school_id": schools[i // 40], "staff_type": StaffType.TEACHER, "opted_in": i % 7 != 3}
        for i, u in enumerate(staff_users)]))
    for term_index, (name, monday) in enumerate(TERMS):
        last = monday + timedelta(weeks=args.weeks) - timedelta(days=3)
        terms = list(db.session.scalars(insert(Term).returning(Term.id, sort_by_parameter_order=True), [
            {"school_id": s, "name": name, "starts_on": monday, "ends_on": last} for s in schools]))
        offerings = list(db.session.scalars(insert(Offering).returning(Offering.id, sort_by_parameter_order=True), [
            {"school_id": s, "kind": OfferingKind.AFTER_SCHOOL, "term_id": t, "title": "课后服务", "starts_on": monday,
             "ends_on": last, "weekdays": [0, 1, 2, 3, 4], "starts_at": time(15, 30), "ends_at": time(17, 30),
             "apply_deadline": monday, "published_version": 1} for s, t in zip(schools, terms, strict=True)]))
        offering_of = dict(zip(schools, offerings, strict=True))
        term_of = dict(zip(schools, terms, strict=True))
        placed = [(sid, row) for sid, row in zip(students, student_rows, strict=True) if sid % 10 < 7]
        applications = list(db.session.scalars(
            insert(Application).returning(Application.id, sort_by_parameter_order=True), [
                {"school_id": row["school_id"], "offering_id": offering_of[row["school_id"]], "student_id": sid,
                 "guardian_id": guardian.id, "status": ApplicationStatus.APPROVED, "notice_version": 1,
                 "agreement_id": agreements[row["school_id"]], "signed_at": datetime(2026, 1, 1, tzinfo=UTC),
                 "signed_by_id": guardian.id} for sid, row in placed]))
        bulk(LedgerEntry, [{"school_id": row["school_id"], "application_id": a, "kind": LedgerKind.CHARGE,
                            "amount_cents": 20000, "created_at": datetime.combine(monday, time(2), UTC)}
                           for a, (_, row) in zip(applications, placed, strict=True)])
        days = [monday + timedelta(weeks=w, days=d) for w in range(args.weeks) for d in range(5)]
        class_days = [{"school_id": class_school[c], "term_id": term_of[class_school[c]], "class_id": c,
                       "on_date": day, "service_day": True, "covered": (c + day.toordinal()) % 23 != 0,
                       "minutes": 120} for c in classes for day in days]
        bulk(ClassDayFact, class_days)
        marks_week = monday + timedelta(weeks=args.weeks - 1) if term_index == len(TERMS) - 1 else None
        session_rows, link_rows, next_id = [], [], 10_000_000 * (term_index + 1)
        for c in classes:
            for day in days:
                next_id += 1
                school = class_school[c]
                provider_id = provider.id if day.weekday() == 2 and c % per_grade == 0 else None
                session_rows.append({"school_id": school, "term_id": term_of[school], "session_id": next_id,
                                     "monday": day - timedelta(days=day.weekday()), "on_date": day, "minutes": 120,
                                     "kind": "after_school", "activity": "sports" if provider_id else "homework_help",
                                     "staff": 1, "provider_id": provider_id,
                                     "marked": day - timedelta(days=day.weekday()) == marks_week})
                link_rows.append({"school_id": school, "term_id": term_of[school], "session_id": next_id,
                                  "class_id": c})
        bulk(SessionFact, session_rows)
        sums: dict = {}
        for row in class_days:
            found = sums.setdefault((row["school_id"], row["on_date"]), {
                "school_id": row["school_id"], "term_id": row["term_id"], "on_date": row["on_date"],
                "service_days": 0, "covered_days": 0, "marked_minutes": 0, "staffed_minutes": 0})
            found["service_days"] += 1
            found["covered_days"] += row["covered"]
        for row in session_rows:
            sums[(row["school_id"], row["on_date"])]["marked_minutes" if row["marked"] else "staffed_minutes"] += 120
        bulk(SchoolDayFact, list(sums.values()))
        bulk(SessionClassFact, link_rows)
        loads = []
        for i, p in enumerate(profiles):
            school = schools[i // 40]
            weekly = [300 + (i * 7 + w * 13) % 120 for w in range(args.weeks)]
            loads += [{"school_id": school, "term_id": term_of[school], "monday": monday + timedelta(weeks=w),
                       "profile_id": p, "staff_type": "teacher", "minutes": m, "weeks": 1, "largest_week": m,
                       "rest_minutes": 60, "subsidy_cents": m * 50, "weekly_cap": 360} for w, m in enumerate(weekly)]
            loads.append({"school_id": school, "term_id": term_of[school], "monday": None, "profile_id": p,
                          "staff_type": "teacher", "minutes": sum(weekly), "weeks": args.weeks,
                          "largest_week": max(weekly), "rest_minutes": 60 * args.weeks,
                          "subsidy_cents": sum(weekly) * 50, "weekly_cap": 360})
        bulk(StaffLoadFact, loads)
        last_sessions = [r for r in session_rows if r["monday"] == marks_week]
    # A week of registers: real sessions (the marks' foreign key), their ids as the facts know them.
    week_ids = db.session.scalars(insert(Week).returning(Week.id, sort_by_parameter_order=True),
                                  [{"school_id": s, "monday": marks_week} for s in schools])
    weeks = dict(zip(schools, week_ids, strict=True))
    planned = list(db.session.scalars(insert(PlannedSession).returning(PlannedSession.id, sort_by_parameter_order=True),
                                      [{"week_id": weeks[r["school_id"]], "on_date": r["on_date"],
                                        "starts_at": time(15, 30), "ends_at": time(17, 30), "kind": "after_school",
                                        "activity": r["activity"]} for r in last_sessions]))
    from sqlalchemy import bindparam, update

    for fact, session_id in zip(last_sessions, planned, strict=True):
        fact["new_id"] = session_id
    table = SessionFact.__table__
    db.session.execute(update(table).where(table.c.session_id == bindparam("b_old"))
                       .values(session_id=bindparam("b_new")),
                       [{"b_old": f["session_id"], "b_new": f["new_id"]} for f in last_sessions])
    from app.daily.models import AttendanceMark, Mark

    pupils_of: dict[int, list[int]] = {}
    for sid, row in zip(students, student_rows, strict=True):
        pupils_of.setdefault(row["class_id"], []).append(sid)
    marks = []
    any_class = next(iter(pupils_of))  # any class's pupils: the board only asks whether a session has marks
    for session_id in planned:
        marks += [{"session_id": session_id, "student_id": p, "status": Mark.PRESENT} for p in pupils_of[any_class]]
    bulk(AttendanceMark, marks)
    bulk(FactsRefresh, [{"school_id": s, "refreshed_at": datetime.now(UTC)} for s in schools])
    db.session.commit()
    return {"school": schools[0], "class": classes[0], "students": len(students),
            "sessions": 2 * len(days) * len(classes), "marks": len(marks), "week": marks_week}


def password_hash() -> str:
    from werkzeug.security import generate_password_hash

    return generate_password_hash("bench-2026", method="pbkdf2:sha256:1000")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schools", type=int, default=100)
    parser.add_argument("--classes", type=int, default=20)
    parser.add_argument("--pupils", type=int, default=30)
    parser.add_argument("--weeks", type=int, default=20)
    args = parser.parse_args()

    from sqlalchemy import event

    from app.extensions import db
    from tests.conftest import build_app
    from tests.pg import PostgresServer

    server = PostgresServer().start()
    try:
        url = server.create_database("board")
        app = build_app(url, WTF_CSRF_ENABLED=False)
        with app.app_context():
            db.create_all()
            started = clock.perf_counter()
            built = build(db, args)
            print(f"built {built['students']} students, {built['sessions']} session facts, {built['marks']} marks "
                  f"in {clock.perf_counter() - started:.0f} s")
            db.session.execute(db.text("ANALYZE"))
            db.session.commit()
            client = app.test_client()
            response = client.post("/account/login", data={"mobile": "13700000000", "password": "bench-2026"})
            assert response.status_code == 302, response.status_code
            pages = {"county, term": f"/county/board?term={AUTUMN}",
                     "county, week": f"/county/board?week={built['week']}", "county, latest": "/county/board",
                     "school, term": f"/county/board/schools/{built['school']}?term={AUTUMN}",
                     "class, term": f"/county/board/classes/{built['class']}?term={AUTUMN}",
                     "county XLSX": f"/county/board.xlsx?table=schools&term={AUTUMN}"}
            worst = 0.0
            for label, url_ in pages.items():
                times, statements = [], []

                def before(*_args, found=statements):
                    found.append([clock.perf_counter(), _args[2]])

                def after(*_args, found=statements):
                    found[-1][0] = clock.perf_counter() - found[-1][0]

                event.listen(db.engine, "before_cursor_execute", before)
                event.listen(db.engine, "after_cursor_execute", after)
                for _ in range(3):
                    statements.clear()
                    started = clock.perf_counter()
                    response = client.get(url_)
                    times.append(clock.perf_counter() - started)
                    assert response.status_code == 200, (label, response.status_code)
                event.remove(db.engine, "before_cursor_execute", before)
                event.remove(db.engine, "after_cursor_execute", after)
                median = statistics.median(times)
                worst = max(worst, median)
                slowest = sorted(statements, key=lambda found: -found[0])[:2]
                print(f"{label:16} {median * 1000:7.0f} ms  {len(statements)} statements; slowest "
                      + "; ".join(f"{seconds * 1000:.0f} ms {' '.join(sql.split())[:90]}" for seconds, sql in slowest))
    finally:
        server.stop()
    print("target < 1 s a page:", "met" if worst < TARGET_SECONDS else "NOT met")
    return 0 if worst < TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
