"""Every malformed document is refused with the faulty field named (API and CLI)."""

import copy
import json
import subprocess
import sys

import pytest

from scheduling import ProblemError, parse_problem
from tests.scheduling.conftest import make_problem, make_session, make_staff


def base():
    return make_problem([make_session("x-1")], [make_staff("t-1")],
                        providers=[{"id": "p-1", "name": "星火", "categories": ["sports"], "status": "active",
                                    "vetted_until": "2027-01-01", "max_weekly_sessions": 3, "cost_per_session": 1}],
                        pinned=[{"session": "x-1", "staff": "t-1"}], previous=[{"session": "x-1", "staff": "t-1"}])


def mutate(path, value):
    doc = copy.deepcopy(base())
    target = doc
    *head, last = path
    for key in head:
        target = target[key]
    if value is KeyError:
        del target[last]
    else:
        target[last] = value
    return doc


CASES = [
    (("sessions", 0, "end"), "15:00", "sessions[0].end"),
    (("sessions", 0, "start"), "25:00", "sessions[0].start"),
    (("sessions", 0, "date"), "2026-02-30", "sessions[0].date"),
    (("sessions", 0, "kind"), "weekend_camp", "sessions[0].kind"),
    (("sessions", 0, "activity"), "chess", "sessions[0].activity"),
    (("sessions", 0, "groups"), ["g-404"], "sessions[0].groups[0]"),
    (("sessions", 0, "staff_needed"), -1, "sessions[0].staff_needed"),
    (("sessions", 0, "enrolled"), -3, "sessions[0].enrolled"),
    (("sessions", 0, "staff_needed"), "two", "sessions[0].staff_needed"),
    (("sessions", 0, "id"), KeyError, "sessions[0].id"),
    (("staff", 0, "type"), "parent", "staff[0].type"),
    (("staff", 0, "opted_in"), "yes", "staff[0].opted_in"),
    (("staff", 0, "max_weekly_minutes"), -60, "staff[0].max_weekly_minutes"),
    (("staff", 0, "provider"), "p-404", "staff[0].provider"),
    (("staff", 0, "unavailable"), [{"date": "2026-11-23", "start": "18:00", "end": "17:00"}],
     "staff[0].unavailable[0].end"),
    (("staff", 0, "teaching_minutes"), {"2026-11-23": -5}, "staff[0].teaching_minutes.2026-11-23"),
    (("groups", 0, "grade"), 10, "groups[0].grade"),
    (("groups", 0, "grade"), 0, "groups[0].grade"),
    (("pinned", 0, "session"), "x-404", "pinned[0].session"),
    (("previous", 0, "staff"), "t-404", "previous[0].staff"),
    (("providers", 0, "vetted_until"), "soon", "providers[0].vetted_until"),
    (("policy",), {"teacher_max_weekly_minutes": -1}, "policy.teacher_max_weekly_minutes"),
    (("policy",), {"evening_end_latest": "8:30pm"}, "policy.evening_end_latest"),
    (("calendar",), {"school_days": ["2026/11/23"]}, "calendar.school_days[0]"),
    (("school",), KeyError, "school"),
    (("sessions",), "none", "sessions"),
]


@pytest.mark.parametrize(("path", "value", "field"), CASES, ids=[c[2] for c in CASES])
def test_bad_field_is_named(path, value, field):
    with pytest.raises(ProblemError) as info:
        parse_problem(mutate(path, value))
    assert info.value.field == field


def test_duplicate_ids_are_refused():
    doc = base()
    doc["staff"].append(make_staff("t-1"))
    with pytest.raises(ProblemError, match=r"staff\[1\]\.id: duplicate id"):
        parse_problem(doc)


def test_bad_json_is_refused():
    with pytest.raises(ProblemError, match="bad JSON"):
        parse_problem('{"school": ')


def test_policy_defaults_and_default_school_days():
    doc = base()
    del doc["calendar"]
    doc["sessions"][0]["date"] = "2026-11-26"
    problem = parse_problem(doc)
    assert problem.policy.teacher_max_weekly_minutes == 360
    assert problem.policy.evening_end_latest == 20 * 60 + 30
    assert sorted(d.isoformat() for d in problem.calendar.school_days) == [
        "2026-11-23", "2026-11-24", "2026-11-25", "2026-11-26", "2026-11-27"]


def run_cli(tmp_path, *args, text=None):
    if text is not None:
        (tmp_path / "p.json").write_text(text, encoding="utf-8")
    return subprocess.run([sys.executable, "-m", "scheduling", *args], capture_output=True, text=True,
                          encoding="utf-8", timeout=120)


@pytest.mark.parametrize(("text", "field"), [
    ("{not json", "bad JSON"),
    (json.dumps(mutate(("sessions", 0, "end"), "15:00")), "sessions[0].end"),
    (json.dumps(mutate(("pinned", 0, "staff"), "ghost")), "pinned[0].staff"),
    (json.dumps(mutate(("groups", 0, "grade"), 12)), "groups[0].grade"),
])
def test_cli_exit_2_names_field(tmp_path, text, field):
    result = run_cli(tmp_path, "solve", str(tmp_path / "p.json"), text=text)
    assert result.returncode == 2
    assert field in result.stderr
    assert "Traceback" not in result.stderr


def test_cli_solve_and_validate_round_trip(tmp_path):
    out = tmp_path / "r.json"
    result = run_cli(tmp_path, "solve", str(tmp_path / "p.json"), "--out", str(out), "--time-limit", "2",
                     text=json.dumps(base(), ensure_ascii=False))
    assert result.returncode == 0, result.stderr
    roster = json.loads(out.read_text(encoding="utf-8"))
    assert roster["assignments"] == [{"session": "x-1", "staff": "t-1"}]
    check = run_cli(tmp_path, "validate", str(tmp_path / "p.json"), str(out))
    assert check.returncode == 0, check.stderr
    roster["assignments"] = []
    out.write_text(json.dumps(roster), encoding="utf-8")
    broken = run_cli(tmp_path, "validate", str(tmp_path / "p.json"), str(out))
    assert broken.returncode == 1
    assert "STRUCTURE" in broken.stderr
