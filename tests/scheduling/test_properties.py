"""Whatever the instance, the solver's roster passes the independent validator; same input → same roster."""

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduling import parse_problem, roster_to_dict, solve, validate
from scheduling.generate import generate
from scheduling.policy import ACTIVITIES, KINDS
from tests.scheduling.conftest import MON, SAT, TUE, WED, make_problem, make_session, make_staff


@settings(max_examples=4, deadline=None)
@given(seed=st.integers(0, 10_000), holiday=st.booleans())
def test_generated_small_instances_validate(seed, holiday):
    doc = generate("small", seed, holiday=holiday)
    roster = solve(doc, time_limit=2.0)
    assert validate(parse_problem(doc), roster) == []


def random_problem(seed):
    rng = random.Random(seed)
    days = [MON, TUE, WED, SAT]
    sessions = []
    for i in range(rng.randint(1, 12)):
        start = rng.choice([440, 720, 940, 1000, 1140])
        end = start + rng.choice([30, 60, 90, 120])
        sessions.append(make_session(
            f"x{i}", date=rng.choice(days), start=f"{start // 60:02d}:{start % 60:02d}",
            end=f"{end // 60:02d}:{end % 60:02d}", kind=rng.choice(KINDS), activity=rng.choice(ACTIVITIES),
            groups=[rng.choice(["g-1", "g-7"])], staff_needed=rng.randint(1, 2),
            subject=rng.choice([None, None, "数学", "编程"]), series=rng.choice([None, "s1", "s2"])))
    types = ["teacher", "teacher", "retired_teacher", "volunteer", "provider"]
    staff = []
    for i in range(rng.randint(1, 6)):
        kind = rng.choice(types)
        staff.append(make_staff(
            f"p{i}", type=kind, skills=rng.sample(ACTIVITIES, 3), subjects=rng.sample(["数学", "语文", "编程"], 1),
            provider="p-1" if kind == "provider" else None, max_weekly_minutes=rng.choice([None, 120, 240]),
            max_days=rng.choice([None, 1, 2]), opted_in=rng.random() > 0.1,
            teaching_minutes={MON: rng.choice([0, 300, 480])},
            unavailable=[{"date": TUE, "start": "15:00", "end": "17:00"}] if rng.random() < 0.3 else [],
            avoid_days=[WED] if rng.random() < 0.3 else []))
    provider = {"id": "p-1", "name": "星火", "categories": rng.sample(ACTIVITIES, 3),
                "status": rng.choice(["active", "suspended"]), "vetted_until": rng.choice(["2026-11-24", "2027-01-01"]),
                "max_weekly_sessions": rng.choice([None, 1, 3]), "cost_per_session": 100}
    pinned = [{"session": rng.choice(sessions)["id"], "staff": rng.choice(staff)["id"]}
              for _ in range(rng.randint(0, 2))]
    previous = [{"session": rng.choice(sessions)["id"], "staff": rng.choice(staff)["id"]}
                for _ in range(rng.randint(0, 3))]
    groups = [{"id": "g-1", "label": "一年级1班", "grade": 1, "exception_weekdays": rng.sample(range(5), 1)},
              {"id": "g-7", "label": "七年级1班", "grade": 7}]
    return make_problem(sessions, staff, groups=groups, providers=[provider], pinned=pinned, previous=previous,
                        policy={"provider_needs_school_staff": rng.random() < 0.7,
                                "holiday_weekends": rng.random() < 0.3, "every_school_day": rng.random() < 0.5})


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 1_000_000))
def test_random_instances_validate(seed):
    doc = random_problem(seed)
    roster = solve(doc, time_limit=1.0)
    assert validate(parse_problem(doc), roster) == []
    placed = [a["session"] for a in roster.assignments]
    others = [e["session"] for e in roster.unstaffed + roster.rejected]
    assert sorted(set(placed) | set(others)) == sorted(s["id"] for s in doc["sessions"])


def test_same_input_same_roster_with_one_worker():
    doc = generate("small", 3)
    first = roster_to_dict(solve(doc, time_limit=3.0, workers=1))
    second = roster_to_dict(solve(doc, time_limit=3.0, workers=1))
    for r in (first, second):
        r["metrics"].pop("wall_seconds")
    assert first == second


def test_generator_is_deterministic():
    assert generate("medium", 7) == generate("medium", 7)
    assert generate("medium", 7) != generate("medium", 8)
