"""The demo county's coverage plan: next week planned for real (the engine, a short time limit, in this process), so
the plan's page shows real figures right after `./scripts/run.sh`. Deleted with the county (ON DELETE CASCADE).

The junior high gets its first weekly templates here (grade 9 evening self-study, sports for grades 7 and 8), which
its own teachers cannot all staff: the plan then has gaps to show (removed by delete_demo with the other templates).
"""

import time
from datetime import time as clock
from datetime import timedelta

from app.county import plan
from app.county.plan_engine import plan_school_safely
from app.county.plan_models import CountyPlan
from app.demo_calendar import DemoCalendar
from app.extensions import db
from app.models_base import utcnow
from app.rosters.models import RosterJobStatus, SessionTemplate
from app.schools.models import County, School
from scheduling.policy import JUNIOR_GRADES

DEMO_TIME_LIMIT = 1.0  # per solve, in the engine's deterministic time (the same plan on every machine): the demo's
# schools are small, and the demo loads in tests many times


def junior_templates(junior: School) -> None:
    """Grade 9's evening self-study every school day, and sports twice a week for grades 7 and 8 (flushes)."""
    for grade in junior.grades:
        if grade.number == 9:
            for school_class in grade.classes:
                db.session.add(SessionTemplate(
                    school_id=junior.id, series=f"{grade.number}年级{school_class.number}班晚自习",
                    weekdays=[0, 1, 2, 3, 4], starts_at=clock(19, 0), ends_at=clock(20, 30), kind="evening_study",
                    activity="self_study", room=f"{grade.number}0{school_class.number}", typed_enrolled=40,
                    classes=[school_class]))
        else:
            db.session.add(SessionTemplate(
                school_id=junior.id, series=f"{grade.number}年级体育活动", weekdays=[1, 3], starts_at=clock(16, 30),
                ends_at=clock(17, 30), kind="after_school", activity="sports", room="操场", typed_enrolled=60,
                classes=list(grade.classes)))
    db.session.flush()


def build_county_plan(county: County, calendar: DemoCalendar) -> CountyPlan:
    """A finished plan of the demo county for next week, as the county officer would get it (flushes)."""
    db.session.flush()
    for school in county.schools:
        if school.grades and school.grades[0].number in JUNIOR_GRADES:
            junior_templates(school)
    started = time.monotonic()
    built = plan.build_problems(county.id, calendar.next_monday)
    solved = [plan_school_safely(task) for task in plan.tasks_of(built, DEMO_TIME_LIMIT, wall_clock=False)]
    elapsed, finished = time.monotonic() - started, utcnow()
    found = CountyPlan(county_id=county.id, monday=calendar.next_monday, time_limit=DEMO_TIME_LIMIT,
                       status=RosterJobStatus.DONE, result=plan.result_of(built, solved), created_at=finished,
                       started_at=finished - timedelta(seconds=elapsed), finished_at=finished,
                       progress={"staffed": len(built), "needed": len(built), "stage": "done",
                                 "elapsed": round(elapsed, 1), "time_limit": 60, "processes": 1})
    db.session.add(found)
    db.session.flush()
    return found
