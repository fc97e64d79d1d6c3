"""A large school week (≈90 classes) through the web app's job code and through the command line, timed.

    .venv/bin/python benchmarks/web_vs_cli.py [--seed 1] [--time-limit 20] [--workers 2]

1. `python -m scheduling generate --size large` writes a week; a scratch SQLite database gets the same school from it
   through the models: its classes, its school staff (teachers, retired teachers, volunteers with skills, caps,
   teaching minutes and unavailability) and weekly templates giving the same sessions; the week is planned from the
   templates (`services.generate_sessions`). Provider staff are left out (no providers in the scratch county).
2. Web: `jobs.enqueue` (database → problem) then `jobs.run_job` — the function the worker runs — timed by stage:
   building the problem, solving, storing the roster (and committing).
3. CLI: the very problem the web job holds, written to a file, solved by `python -m scheduling solve` with the same
   time limit and workers (a fresh process: its import of OR-Tools is counted, as a command-line user waits for it).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import date, timedelta
from datetime import time as dtime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def generated_week(seed: int) -> dict:
    out = subprocess.run([sys.executable, "-m", "scheduling", "generate", "--size", "large", "--seed", str(seed)],
                         cwd=ROOT, check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def _hm(text: str) -> dtime:
    return dtime.fromisoformat(text)


def load_school(doc: dict):
    """The generated week's school in the scratch database; returns the planned Week."""
    from app.accounts.models import Role, User
    from app.extensions import db
    from app.rosters import services
    from app.rosters.models import SessionTemplate
    from app.schools.models import County, Grade, School, SchoolClass, SchoolType
    from app.staff.models import StaffProfile, StaffType, StaffUnavailability, TeachingMinutes

    county = County(name="基准县", code="BENCH")
    school = School(county=county, code="B001", name=doc["school"]["name"], school_type=SchoolType.NINE_YEAR,
                    address="基准路1号", work_end_winter=_hm(doc["school"]["work_end"]),
                    work_end_summer=_hm(doc["school"]["work_end"]))
    db.session.add(school)
    db.session.flush()
    classes = {}
    grades = {}
    for group in doc["groups"]:
        grade_number, class_number = (int(x) for x in group["id"].split("-")[1:3])
        if grade_number not in grades:
            grades[grade_number] = Grade(number=grade_number)
            school.grades.append(grades[grade_number])
        classes[group["id"]] = SchoolClass(school=school, number=class_number)
        grades[grade_number].classes.append(classes[group["id"]])
    for n, person in enumerate(p for p in doc["staff"] if p["type"] != "provider"):
        user = User(mobile=f"139{n:08d}", name=person["name"], school=school, role=Role.TEACHER)
        user.password_hash = "x"
        user.staff_profile = StaffProfile(
            school_id=None, staff_type=StaffType(person["type"]), subjects=person.get("subjects") or [],
            skills=person.get("skills") or [], opted_in=person["opted_in"], exempt=person.get("exempt", False),
            max_weekly_minutes=person.get("max_weekly_minutes"), max_days=person.get("max_days"))
        db.session.add(user)
        db.session.flush()
        profile = user.staff_profile
        profile.school_id = school.id
        for day, minutes in (person.get("teaching_minutes") or {}).items():
            profile.teaching_minutes.append(TeachingMinutes(weekday=date.fromisoformat(day).weekday(),
                                                            minutes=minutes))
        for gap in person.get("unavailable") or []:
            profile.unavailability.append(StaffUnavailability(
                on_date=date.fromisoformat(gap["date"]), starts_at=_hm(gap["start"]), ends_at=_hm(gap["end"])))
    # One weekly template per distinct session (series, time, classes...), on the weekdays it occurs.
    weekdays = defaultdict(list)
    for s in doc["sessions"]:
        key = (s.get("series") or s["id"], s["start"], s["end"], s["kind"], s["activity"], s.get("subject") or "",
               s.get("room") or "", tuple(s["groups"]), s["enrolled"], s["staff_needed"])
        weekdays[key].append(date.fromisoformat(s["date"]).weekday())
    for (series, start, end, kind, activity, subject, room, groups, enrolled, needed), days in weekdays.items():
        db.session.add(SessionTemplate(
            school_id=school.id, series=series[:100], weekdays=sorted(days), starts_at=_hm(start), ends_at=_hm(end),
            kind=kind, activity=activity, subject=subject, room=room, typed_enrolled=enrolled, staff_needed=needed,
            classes=[classes[g] for g in groups]))
    db.session.flush()
    monday = date.fromisoformat(doc["calendar"]["school_days"][0])
    monday -= timedelta(days=monday.weekday())
    week = services.open_week(school, monday)
    made, _ = services.generate_sessions(week)
    db.session.commit()
    return week, len(weekdays), made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--time-limit", type=float, default=20.0)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="web-vs-cli-"))
    os.environ.update(DATABASE_URL=f"sqlite:///{scratch / 'bench.sqlite'}", SECRET_KEY="bench",
                      APP_CONFIG="development")
    os.environ.pop("REDIS_URL", None)
    doc = generated_week(args.seed)

    import scheduling.solver  # noqa: F401  (OR-Tools imported once, as in a running worker)
    from app import create_app
    from app.extensions import db
    from app.rosters import jobs
    from app.rosters.models import RosterJob

    app = create_app("development")
    app.config.update(ROSTER_JOB_RUNNER="inline")
    jobs.WORKERS = args.workers
    with app.app_context():
        db.create_all()
        started = time.monotonic()
        week, templates, made = load_school(doc)
        loading = time.monotonic() - started

        started = time.monotonic()
        job = jobs.enqueue(week, None, time_limit=args.time_limit)  # database → problem
        db.session.commit()
        building = time.monotonic() - started
        job_id, problem = job.id, job.problem
        db.session.remove()

        started = time.monotonic()
        assert jobs.run_job(job_id)  # what `flask rosters worker`, the thread runner and RQ call
        running = time.monotonic() - started
        job = db.session.get(RosterJob, job_id)
        assert job.status.value == "done", job.error
        metrics = job.result["metrics"]
        solving = metrics.get("wall_seconds", 0.0)
        storing = running - solving  # claiming, progress writes, storing the assignments and the commit
        staffed = metrics.get("staffed_sessions")

    problem_file = scratch / "problem.json"
    problem_file.write_text(json.dumps(problem, ensure_ascii=False))
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "scheduling", "solve", str(problem_file), "--out", str(scratch / "cli.json"),
                    "--time-limit", str(args.time_limit), "--workers", str(args.workers)], cwd=ROOT, check=True,
                   capture_output=True)
    cli = time.monotonic() - started
    cli_metrics = json.loads((scratch / "cli.json").read_text())["metrics"]

    web = building + running
    print(f"generated: {len(doc['sessions'])} sessions, {len(doc['staff'])} staff, {len(doc['groups'])} classes; "
          f"scratch database: {templates} templates → {made} sessions, loaded in {loading:.1f} s")
    print(f"time limit {args.time_limit:g} s, {args.workers} workers, seed {args.seed}\n")
    print(f"{'sessions':>8} {'staff':>6} {'CLI s':>7} {'web s':>7} {'overhead s':>10}   "
          f"web = build {building:.2f} + solve {solving:.2f} + store {storing:.2f}")
    print(f"{len(problem['sessions']):>8} {len(problem['staff']):>6} {cli:>7.2f} {web:>7.2f} {web - cli:>10.2f}")
    print(f"\nstaffed sessions: web {staffed}, CLI {cli_metrics.get('staffed_sessions')} "
          f"(CLI solver wall {cli_metrics.get('wall_seconds', 0):.2f} s)")


if __name__ == "__main__":
    main()
