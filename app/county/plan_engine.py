"""The county coverage plan's engine side: one school's week solved, its gaps grouped, and the extra people that
close each gap found and checked by solving again with them added. Pure: no Flask, no database — a worker process
runs `plan_school` on a problem the job built (app/county/plan.py), so the processes share nothing.

How the number of extra people is found (per school and kind of gap):
1. Solve the school's week as the coordinator would (scheduling.solve).
2. Group the sessions still unstaffed by what they need (`remedy_for`): a retired teacher with the skill (and
   subject) for homework help, tutoring and self-study (teachers and retired teachers only); provider staff of the
   activity's category for a non-subject activity that needs two or more people (a provider's person works beside a
   teacher); a volunteer with the skill (none for supervision) otherwise.
3. First guess: the most places of that group missing at one moment (the unstaffed sessions that overlap, each
   counting its staff needed; one per session for provider staff). Fewer people could not cover those sessions
   alone, because one person is in one session at a time.
4. Add that many people (free all week, opted in, no caps of their own) and solve again. A group still unstaffed
   gets one more person (a provider group that stays open becomes volunteers, for lack of a free teacher to work
   beside), and the week is solved again, at most VERIFY_ROUNDS times. A group is "closed" only when a solve with
   its extra people left none of its sessions unstaffed.
"""

from __future__ import annotations

from collections import Counter, defaultdict

import scheduling
from scheduling import policy
from scheduling.problem import parse_time

VERIFY_ROUNDS = 3  # solves with extra people after the first, at most
VOLUNTEER, RETIRED_TEACHER, PROVIDER = "volunteer", "retired_teacher", "provider"


def remedy_for(session: dict, *, force_volunteer: bool = False) -> tuple[str, str, str]:
    """(kind of person, skill, subject) that could take an unstaffed session of the problem."""
    activity, subject = session["activity"], session.get("subject") or ""
    if activity in policy.SCHOOL_STAFF_ONLY_ACTIVITIES:
        return RETIRED_TEACHER, activity, subject if activity == policy.TUTORING else ""
    if (not force_volunteer and policy.provider_may_lead(activity, subject or None)
            and session.get("staff_needed", 1) >= 2):
        return PROVIDER, activity, ""
    return VOLUNTEER, activity, ""


def peak_places(sessions: list[dict], per_session) -> int:
    """The most places needed at one moment by these sessions (per_session(s) places each)."""
    peak = 0
    by_day: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for s in sessions:
        by_day[s["date"]].append((parse_time(s["start"]), per_session(s)))
        by_day[s["date"]].append((parse_time(s["end"]), -per_session(s)))
    for events in by_day.values():
        running = 0
        for _moment, change in sorted(events):  # an end sorts before a start at the same minute (touching is free)
            running += change
            peak = max(peak, running)
    return peak


def _places(kind: str):
    return (lambda s: 1) if kind == PROVIDER else (lambda s: s.get("staff_needed", 1))


def extra_people(problem: dict, needs: dict[tuple, int]) -> dict:
    """The problem with `needs[(kind, skill, subject)]` extra people of each kind added (a copy)."""
    out = dict(problem, staff=list(problem["staff"]), providers=list(problem.get("providers") or []))
    sunday = max([s["date"] for s in problem["sessions"]] or ["2099-12-31"])
    for (kind, skill, subject), count in sorted(needs.items()):
        provider_id = None
        if kind == PROVIDER:
            provider_id = f"extra-provider-{skill}"
            out["providers"].append({"id": provider_id, "name": provider_id, "categories": [skill],
                                     "status": policy.ACTIVE_PROVIDER_STATUS, "vetted_until": sunday})
        for n in range(1, count + 1):
            out["staff"].append({
                "id": f"extra-{kind}-{skill}-{subject}-{n}", "name": f"extra {kind} {skill} {subject} {n}".strip(),
                "type": kind, "opted_in": True, "exempt": False,
                "skills": [] if skill == policy.SUPERVISION else [skill],
                "subjects": [subject] if subject else [], "max_weekly_minutes": None, "max_days": None,
                "teaching_minutes": {}, "unavailable": [], "provider": provider_id,
            })
    return out


def _solve(problem: dict, time_limit: float, wall_clock: bool) -> dict:
    # One search worker per process (a process per core); in wall seconds, so the county's batch ends on time, or in
    # the engine's deterministic time (the same plan on any machine: the demo's).
    return scheduling.roster_to_dict(scheduling.solve(problem, time_limit=time_limit, workers=1,
                                                      wall_clock=wall_clock))


def _unstaffed_by_need(problem: dict, roster: dict, force_volunteer: set) -> dict[tuple, list[dict]]:
    sessions = {s["id"]: s for s in problem["sessions"]}
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for entry in roster.get("unstaffed", []):
        session = sessions[entry["session"]]
        plain = remedy_for(session, force_volunteer=True)
        key = remedy_for(session, force_volunteer=plain in force_volunteer)
        groups[key].append(dict(session, rules=list(entry.get("rules") or []), reason=entry.get("reason", "")))
    return groups


def plan_school(problem: dict, time_limit: float, wall_clock: bool = True) -> dict:
    """One school's week: sessions, staffed, the gaps by need with the extra people that close them, plan errors
    and rejected sessions (plain data, kept in the plan's result)."""
    roster = _solve(problem, time_limit, wall_clock)
    sessions = {s["id"]: s for s in problem["sessions"]}
    labels = {g["id"]: g.get("label") or g["id"] for g in problem.get("groups", [])}
    gaps = _unstaffed_by_need(problem, roster, set())
    solves = 1
    switched: set[tuple] = set()  # volunteer keys whose sessions were first given provider staff
    needs = {key: peak_places(found, _places(key[0])) for key, found in gaps.items()}
    open_after: dict[tuple, int] = {}
    check = roster  # the last solve: with the extra people once there were gaps
    while gaps:
        check = _solve(extra_people(problem, needs), time_limit, wall_clock)
        solves += 1
        still = _unstaffed_by_need(problem, check, switched)
        open_after = {key: len(still.get(key, [])) for key in needs}
        if not any(open_after.values()) or solves > VERIFY_ROUNDS:
            break  # every group closed, or the last check: its numbers are the ones reported
        for key, count in open_after.items():
            if not count:
                continue
            if key[0] == PROVIDER:  # no teacher free to work beside them: volunteers instead
                volunteer = (VOLUNTEER, key[1], key[2])
                switched.add(volunteer)
                needs[volunteer] = needs.get(volunteer, 0) + needs.pop(key)
                gaps[volunteer] = gaps.get(volunteer, []) + gaps.pop(key)
            else:
                needs[key] += 1
    out_gaps = []
    for key, found in sorted(gaps.items()):
        kind, skill, subject = key
        rules = Counter(code for s in found for code in s["rules"])
        out_gaps.append({
            "kind": kind, "skill": skill, "subject": subject, "sessions": len(found),
            "places": sum(s.get("staff_needed", 1) for s in found),
            "times": sorted({(s["date"], s["start"], s["end"]) for s in found}),
            "rules": dict(rules.most_common()),
            "reasons": list(dict.fromkeys(s["reason"] for s in found if s["reason"]))[:3],
            "extra": needs.get(key, 0), "still_open": open_after.get(key, len(found)),
            "closed": key in open_after and open_after[key] == 0,
        })
    return {
        "sessions": len(sessions),
        "staffed": len(sessions) - len(roster.get("unstaffed", [])) - len(roster.get("rejected", [])),
        "status": roster.get("status"),
        "solves": solves,
        "gaps": out_gaps,
        # Class-days short of their service as planned now (often only because sessions are unstaffed), ...
        "plan_errors_before": len({(e.get("group"), e.get("date")) for e in roster.get("plan_errors", [])}),
        # ... and those left with the extra people: the plan itself must change (extra people do not fix them).
        "plan_errors": [dict(e, group_label=labels.get(e.get("group"), e.get("group") or ""))
                        for e in check.get("plan_errors", [])],
        "rejected": [{"rules": list(r.get("rules") or []), "reason": r.get("reason", ""),
                      "date": sessions[r["session"]]["date"], "series": sessions[r["session"]].get("series") or ""}
                     for r in roster.get("rejected", []) if r["session"] in sessions],
    }


def plan_school_safely(args: tuple) -> dict:
    """A worker process's task: (school id, problem, time limit, wall clock) → the school's result, or what went
    wrong."""
    school_id, problem, time_limit, wall_clock = args
    try:
        return dict(plan_school(problem, time_limit, wall_clock), school_id=school_id, error="")
    except Exception as error:  # one school's bad week must not lose the county's plan
        return {"school_id": school_id, "error": f"{type(error).__name__}: {error}", "sessions": 0, "staffed": 0,
                "gaps": [], "plan_errors": [], "plan_errors_before": 0, "rejected": [], "solves": 0, "status": None}
