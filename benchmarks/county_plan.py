"""The county coverage plan at county size: a generated county of --schools schools planned for one week by the real
job (app/county/plan.py run_plan), with a worker process per core.

    .venv/bin/python benchmarks/county_plan.py [--schools 100] [--classes 3] [--processes N] [--time-limit 5]

A fresh SQLite file in a temporary folder (or --database-url) gets the tables and one county, seeded through the
models (rng seeded by --seed): each school is a primary school with grades 1–6 of --classes classes, a term holding
the week, weekly templates — homework help for each class Monday–Friday 15:40–16:40 and an activity for each grade
16:40–17:40 (supervision, reading, sports, arts, science in turn; 60 children, so two people by the 30-per-person
ratio) — and 1.1 teachers per class (supervision and homework help, one in four also an activity; one in six not
opted in), a retired teacher and a volunteer; the county has two providers (sports; arts and science) with three
staff each, whom every school may ask. So the schools are short of people in the ways real ones are (caps, skills,
opting in), and the plan has gaps to find and close.

Measured: the wall time of the whole plan (building every school's problem in rolled-back savepoints, the solves in
the process pool, storing the result), the building part alone, solves per school, sessions, and the gaps found;
figures on stdout and in benchmarks/county_plan_last_run.json. Run it on an idle machine (the solver's time limits
make the figures depend on the CPU left to it).
"""

import argparse
import json
import os
import platform
import random
import sys
import tempfile
import time
from datetime import date, timedelta
from datetime import time as clock
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

MONDAY = date(2026, 11, 16)
ACTIVITIES = ("supervision", "reading", "sports", "arts", "science", "supervision")


def seed_county(schools: int, classes: int, seed: int):
    """The generated county (see the module's doc); flushes and commits."""
    from app.accounts.models import Role, User
    from app.extensions import db
    from app.providers.models import Provider, ProviderStatus
    from app.rosters.models import SessionTemplate
    from app.schools.models import County, Grade, School, SchoolClass, SchoolType, Term
    from app.staff.models import StaffProfile, StaffType

    rng = random.Random(f"county-plan-{seed}")
    mobiles = iter(range(13_000_000_000, 14_000_000_000))

    def user(role, name, **fields):
        person = User(role=role, name=name, mobile=str(next(mobiles)), password_hash="!", **fields)
        db.session.add(person)
        return person

    county = County(name="基准县", code="BENCH")
    db.session.add(county)
    for n, categories in enumerate((["sports"], ["arts", "science"])):
        provider = Provider(county=county, name=f"机构{n + 1}", categories=categories, status=ProviderStatus.ACTIVE,
                            vetted_until=MONDAY + timedelta(days=365))
        db.session.add(provider)
        for k in range(3):
            staff = user(Role.PROVIDER_STAFF, f"机构{n + 1}教练{k + 1}", provider=provider)
            staff.staff_profile = StaffProfile(staff_type=StaffType.PROVIDER, skills=list(categories), opted_in=True)
    for s in range(schools):
        school = School(county=county, code=f"B{s:03d}", name=f"基准小学{s + 1:03d}", school_type=SchoolType.PRIMARY,
                        work_end_winter=clock(17, 0), work_end_summer=clock(17, 30))
        db.session.add(school)
        school.terms.append(Term(name="第一学期", starts_on=date(2026, 9, 1), ends_on=date(2027, 1, 22)))
        all_classes = []
        for number in range(1, 7):
            grade = Grade(number=number)
            school.grades.append(grade)
            for c in range(1, classes + 1):
                school_class = SchoolClass(school=school, number=c)
                grade.classes.append(school_class)
                all_classes.append(school_class)
            db.session.flush()
            for school_class in grade.classes:
                db.session.add(SessionTemplate(
                    school=school, series=f"{number}年级{school_class.number}班作业辅导", weekdays=[0, 1, 2, 3, 4],
                    starts_at=clock(15, 40), ends_at=clock(16, 40), kind="after_school", activity="homework_help",
                    typed_enrolled=28, classes=[school_class]))
            db.session.add(SessionTemplate(
                school=school, series=f"{number}年级拓展活动", weekdays=[0, 1, 2, 3, 4], starts_at=clock(16, 40),
                ends_at=clock(17, 40), kind="after_school", activity=ACTIVITIES[number - 1], typed_enrolled=60,
                classes=list(grade.classes)))
        db.session.flush()
        for t in range(round(len(all_classes) * 1.1)):
            teacher = user(Role.TEACHER, f"教师{s + 1}-{t + 1}", school=school)
            skills = ["supervision", "homework_help"] + ([rng.choice(ACTIVITIES[1:5])] if rng.random() < 0.25 else [])
            teacher.staff_profile = StaffProfile(school_id=school.id, staff_type=StaffType.TEACHER, skills=skills,
                                                 subjects=["语文"], opted_in=rng.random() >= 1 / 6)
        retired = user(Role.TEACHER, f"退休教师{s + 1}", school=school)
        retired.staff_profile = StaffProfile(school_id=school.id, staff_type=StaffType.RETIRED_TEACHER,
                                             skills=["supervision", "homework_help"], opted_in=True,
                                             max_weekly_minutes=240, max_days=3)
        volunteer = user(Role.TEACHER, f"志愿者{s + 1}", school=school)
        volunteer.staff_profile = StaffProfile(school_id=school.id, staff_type=StaffType.VOLUNTEER,
                                               skills=["supervision", "reading"], opted_in=True,
                                               max_weekly_minutes=180, max_days=3)
        db.session.flush()
    db.session.commit()
    return county


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--schools", type=int, default=100)
    parser.add_argument("--classes", type=int, default=3, help="classes per grade (grades 1–6)")
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1, help="worker processes (per core)")
    parser.add_argument("--time-limit", type=float, default=5.0, help="seconds per solve")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", default=None, help="default: a SQLite file in a temporary folder")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "county_plan_last_run.json"))
    args = parser.parse_args()

    folder = tempfile.mkdtemp(prefix="county-plan-")
    os.environ["TEST_DATABASE_URL"] = args.database_url or f"sqlite:///{folder}/bench.sqlite"
    from app import create_app
    from app.county import plan
    from app.county.plan_models import CountyPlan
    from app.county.plan_report import report
    from app.extensions import db

    app = create_app("testing")
    app.config.update(COUNTY_PLAN_PROCESSES=args.processes, COUNTY_PLAN_TIME_LIMIT=args.time_limit,
                      ROSTER_JOB_RUNNER="inline")
    load_before = os.getloadavg()[0]
    with app.app_context():
        db.create_all()
        started = time.monotonic()
        county = seed_county(args.schools, args.classes, args.seed)
        seeded = time.monotonic() - started
        started = time.monotonic()
        built = plan.problems_of(county.id, MONDAY)
        build_seconds = time.monotonic() - started
        sessions = sum(len(b.problem["sessions"]) for b in built if b.problem)
        job = plan.enqueue(county, MONDAY, None)
        db.session.commit()
        started = time.monotonic()
        plan.run_plan(job.id)
        wall = time.monotonic() - started
        job = db.session.get(CountyPlan, job.id)
        if job.error:
            print(job.error, file=sys.stderr)
            return 1
        with app.test_request_context():  # the report's words read the locale
            found = report(job)
        solves = [s["solves"] for s in job.result["schools"]]
        figures = {
            "schools": args.schools, "classes_per_grade": args.classes, "processes": args.processes,
            "cpu_count": os.cpu_count(), "time_limit_per_solve": args.time_limit, "seed": args.seed,
            "database": "sqlite" if not args.database_url else args.database_url.split(":", 1)[0],
            "python": platform.python_version(), "machine": platform.machine(),
            "load_average_before": load_before,
            "seed_seconds": round(seeded, 1), "build_problems_seconds": round(build_seconds, 1),
            "plan_wall_seconds": round(wall, 1), "seconds_per_school": round(wall / max(1, args.schools), 2),
            "sessions": sessions, "staffed": found.totals["staffed"], "unstaffed": found.totals["unstaffed"],
            "extra_people": found.totals["extra"], "all_gaps_closed": found.totals["closed"],
            "solves": sum(solves), "solves_per_school_max": max(solves or [0]),
            "gaps_by_need": [{"need": r.need, "kind": r.kind, "schools": r.schools, "sessions": r.sessions,
                              "extra": r.extra_count, "closed": r.closed} for r in found.by_skill],
        }
    print(json.dumps(figures, ensure_ascii=False, indent=1))
    Path(args.out).write_text(json.dumps(figures, ensure_ascii=False, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
