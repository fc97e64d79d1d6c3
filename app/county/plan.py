"""The county coverage plan: a county officer picks a week; one background job plans every school of the county for
that week through the roster engine and gathers what cannot be staffed, why, and who would close each gap.

How it runs: the same job path as roster jobs (app/rosters/jobs.py: the runner mode, `flask rosters worker`, RQ's
"rosters" queue, a thread in development, inline in tests) and the same statuses and "no worker" warning.

What one run does:
1. For each school (in one short read transaction each, inside a savepoint that is rolled back, so nothing is stored
   in the schools' weeks): the week's sessions from the school's active templates (rosters.services
   .generate_sessions) and the engine's problem for them (build_problem) — what the coordinator would get by
   planning and generating the week now, other schools' rosters of that week counting as busy for shared people.
2. Every school is planned in a pool of worker processes, one per core (`os.cpu_count()`, or COUNTY_PLAN_PROCESSES),
   each solve with one search worker; app/county/plan_engine.plan_school solves, groups the unstaffed sessions by
   what they need and finds the extra people that close each gap, verified by solving again with them.
3. Progress (schools done of all) is written to the plan row as schools finish; the result is kept on the row.
"""

import logging
import multiprocessing
import os
import threading
import time as time_module
from concurrent.futures import ProcessPoolExecutor, as_completed
from datetime import date, timedelta
from typing import NamedTuple

from flask import Flask, current_app, has_app_context
from sqlalchemy import select, update

from app.county.plan_engine import VERIFY_ROUNDS, plan_school_safely
from app.county.plan_models import CountyPlan
from app.extensions import db
from app.models_base import as_utc, utcnow
from app.rosters import jobs
from app.rosters.models import RosterJobStatus, Week
from app.rosters.services import build_problem, generate_sessions, monday_of
from app.schools.models import County, School

logger = logging.getLogger(__name__)

DEFAULT_TIME_LIMIT = 5.0  # seconds the engine may think about one school's week, per solve


class Built(NamedTuple):
    """One school's part of a plan before solving: its problem, or why it has none ("no_sessions", an error)."""

    school_id: int
    name: str
    problem: dict | None
    why: str


def processes(app: Flask) -> int:
    """Worker processes for one plan: one per core unless COUNTY_PLAN_PROCESSES says otherwise."""
    return max(1, int(app.config.get("COUNTY_PLAN_PROCESSES") or os.cpu_count() or 1))


def county_schools(county_id: int) -> list[School]:
    return db.session.scalars(select(School).filter_by(county_id=county_id).order_by(School.name, School.id)).all()


def budget(schools: int, time_limit: float, workers: int) -> float:
    """The longest a plan can take: every school solved once plus its checks, shared among the processes."""
    rounds = schools * (1 + VERIFY_ROUNDS)
    return max(time_limit, time_limit * rounds / max(1, workers)) + 60.0


def enqueue(county: County, monday: date, actor, *, time_limit: float | None = None) -> CountyPlan:
    """A queued plan of the county for the week of `monday` (flushes; dispatch after the commit)."""
    app = current_app._get_current_object()
    limit = time_limit or app.config.get("COUNTY_PLAN_TIME_LIMIT", DEFAULT_TIME_LIMIT)
    schools = len(county_schools(county.id))
    plan = CountyPlan(county_id=county.id, monday=monday_of(monday), time_limit=limit,
                      created_by_id=actor.id if actor else None,
                      progress={"staffed": 0, "needed": schools, "stage": "queued", "elapsed": 0.0,
                                "time_limit": round(budget(schools, limit, processes(app))),
                                "processes": processes(app)})
    db.session.add(plan)
    db.session.flush()
    return plan


def dispatch(plan_id: int) -> str:
    """Start a committed plan the way this app runs roster jobs (jobs.runner_mode); the mode used."""
    app = current_app._get_current_object()
    mode = jobs.runner_mode(app)
    if mode == "rq":
        from redis import Redis  # optional: only when REDIS_URL is set
        from rq import Queue

        with db.session.no_autoflush:
            limit = db.session.get(CountyPlan, plan_id).progress.get("time_limit", 600)
        with Redis.from_url(jobs.redis_url(app)) as connection:
            Queue(jobs.RQ_QUEUE, connection=connection).enqueue(
                run_plan_standalone, plan_id, job_timeout=int(limit) + 300, description=f"county plan {plan_id}")
    elif mode == "thread":
        threading.Thread(target=_run_in_app, args=(app, plan_id), daemon=True, name=f"county-plan-{plan_id}").start()
    elif mode == "inline":
        run_plan(plan_id)
    return mode


def _run_in_app(app: Flask, plan_id: int) -> None:
    with app.app_context():
        run_plan(plan_id)
        db.session.remove()


def run_plan_standalone(plan_id: int) -> None:
    """RQ entry point: run one plan in the current app, else in one built from the environment (APP_CONFIG)."""
    if has_app_context():
        run_plan(plan_id)
        return
    from app import create_app

    app = create_app(os.environ.get("APP_CONFIG", "production"))
    try:
        _run_in_app(app, plan_id)
    finally:
        with app.app_context():
            db.engine.dispose()


def claim(plan_id: int) -> bool:
    """Atomically take a queued plan; False if another worker has it."""
    result = db.session.execute(update(CountyPlan).where(
        CountyPlan.id == plan_id, CountyPlan.status == RosterJobStatus.QUEUED).values(
        status=RosterJobStatus.RUNNING, started_at=utcnow()))
    db.session.commit()
    return result.rowcount == 1


def _write_progress(plan_id: int, progress: dict) -> None:
    with db.engine.begin() as connection:  # its own short transaction, beside the plan's reads
        connection.execute(update(CountyPlan).where(CountyPlan.id == plan_id).values(progress=progress))


def school_problem(school: School, monday: date) -> dict:
    """The engine's problem for the school's week as planning it from the templates now would make it; every row
    it takes to get there is rolled back (savepoint), so the school's week stays exactly as it was."""
    savepoint = db.session.begin_nested()
    try:
        week = db.session.scalar(select(Week).filter_by(school_id=school.id, monday=monday))
        if week is None:
            week = Week(school_id=school.id, monday=monday)
            db.session.add(week)
            db.session.flush()
        generate_sessions(week)
        return build_problem(week)
    finally:
        savepoint.rollback()


def problems_of(county_id: int, monday: date) -> list[Built]:
    """Every school of the county's problem for the week, then the read transaction ends."""
    out = build_problems(county_id, monday)
    db.session.rollback()  # end the read transaction: nothing was written
    return out


def build_problems(county_id: int, monday: date) -> list[Built]:
    """Every school of the county's problem for the week, inside the current transaction."""
    out = []
    for school in county_schools(county_id):
        try:
            problem = school_problem(school, monday)
        except Exception as error:  # e.g. a template without classes: say so for that school, plan the others
            logger.exception("county plan: the week of %s at school %s could not be built", monday, school.id)
            out.append(Built(school.id, school.name, None, f"{type(error).__name__}: {error}"))
            continue
        out.append(Built(school.id, school.name, problem, "" if problem["sessions"] else "no_sessions"))
    return out


def tasks_of(built: list[Built], time_limit: float, *, wall_clock: bool = True) -> list[tuple]:
    """The worker processes' tasks: the schools that have sessions to plan (each solve bounded in wall seconds, or in
    the engine's deterministic time with wall_clock False)."""
    return [(b.school_id, b.problem, time_limit, wall_clock) for b in built if b.problem and not b.why]


def result_of(built: list[Built], solved: list[dict]) -> dict:
    """The plan's result: every school in the county's order, planned or with why not."""
    by_school = {r["school_id"]: r for r in solved}
    schools = []
    for b in built:
        entry = by_school.get(b.school_id) or {"sessions": 0, "staffed": 0, "gaps": [], "plan_errors": [],
                                               "plan_errors_before": 0, "rejected": [], "solves": 0,
                                               "status": None, "error": b.why}
        schools.append(dict(entry, school_id=b.school_id, name=b.name))
    return {"schools": schools, "verify_rounds": VERIFY_ROUNDS}


def solve_all(tasks: list[tuple], workers: int, on_done) -> list[dict]:
    """Each task (school id, problem, time limit) through plan_school_safely, `workers` processes at once (spawned:
    a fresh interpreter holds no database connection and no solver thread of this one; each imports the engine once,
    about a second, and the program's main module, which must guard its start as flask, gunicorn, rq and pytest do);
    on_done(n) after each."""
    results = []
    if workers <= 1 or len(tasks) <= 1:
        for task in tasks:
            results.append(plan_school_safely(task))
            on_done(len(results))
        return results
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=min(workers, len(tasks)), mp_context=context) as pool:
        for future in as_completed([pool.submit(plan_school_safely, task) for task in tasks]):
            results.append(future.result())
            on_done(len(results))
    return results


def run_plan(plan_id: int) -> bool:
    """Claim and run one plan; True if this call ran it (done or failed)."""
    if not claim(plan_id):
        return False
    plan = db.session.get(CountyPlan, plan_id)
    started = time_module.monotonic()
    base = dict(plan.progress or {}, stage="building")
    _write_progress(plan_id, base)
    try:
        built = problems_of(plan.county_id, plan.monday)
        plan = db.session.get(CountyPlan, plan_id)
        tasks = tasks_of(built, plan.time_limit)
        base.update(stage="solving", needed=len(built), staffed=len(built) - len(tasks))
        _write_progress(plan_id, base)
        skipped = len(built) - len(tasks)

        def on_done(done: int) -> None:
            _write_progress(plan_id, dict(base, staffed=skipped + done,
                                          elapsed=round(time_module.monotonic() - started, 1)))

        solved = solve_all(tasks, processes(current_app), on_done)
        plan = db.session.get(CountyPlan, plan_id)
        plan.result = result_of(built, solved)
        plan.progress = dict(base, stage="done", staffed=len(built),
                             elapsed=round(time_module.monotonic() - started, 1))
        plan.status = RosterJobStatus.DONE
    except Exception as error:  # a failed plan must say why, not stay "running" forever
        logger.exception("county plan %s failed", plan_id)
        db.session.rollback()
        plan = db.session.get(CountyPlan, plan_id)
        plan.status = RosterJobStatus.FAILED
        plan.error = f"{type(error).__name__}: {error}"
    plan.finished_at = utcnow()
    db.session.commit()
    return True


@jobs.also_runs
def run_next_plan() -> bool:
    """Run the oldest queued plan, if any (the roster worker calls this when no roster job waits)."""
    plan_id = db.session.scalar(select(CountyPlan.id).where(CountyPlan.status == RosterJobStatus.QUEUED)
                                .order_by(CountyPlan.id).limit(1))
    return plan_id is not None and run_plan(plan_id)


def fail_stale(plan: CountyPlan) -> bool:
    """Mark a running plan failed once it has run far past its budget (its worker died); True if marked."""
    if plan.status is not RosterJobStatus.RUNNING:
        return False
    grace = timedelta(minutes=current_app.config.get("ROSTER_JOB_STALE_MINUTES", jobs.STALE_MINUTES))
    limit = timedelta(seconds=(plan.progress or {}).get("time_limit") or plan.time_limit)
    if plan.started_at is not None and as_utc(plan.started_at) + limit + grace >= utcnow():
        return False
    marked = db.session.execute(update(CountyPlan).where(
        CountyPlan.id == plan.id, CountyPlan.status == RosterJobStatus.RUNNING).values(
        status=RosterJobStatus.FAILED, finished_at=utcnow(),
        error="WorkerLost: the worker running this plan stopped (restarted or killed).")).rowcount
    db.session.commit()
    return bool(marked)


def latest_plans(county_id: int, limit: int = 20) -> list[CountyPlan]:
    return db.session.scalars(select(CountyPlan).filter_by(county_id=county_id)
                              .order_by(CountyPlan.id.desc()).limit(limit)).all()
