"""Explanations a coordinator can act on: why a session is unstaffed, why a pin could not hold."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from scheduling import policy, rules
from scheduling.problem import Problem, Session, Staff, week_of

# Chinese and English phrase for "this many people ..." per rule (the count goes in front).
PHRASES = {
    "OPT_IN": ("名未报名或已免除", "not opted in or exempt"),
    "CAMPUS": ("名属于其他校区", "on another campus"),
    "PROVIDER_VETTED": ("名所属机构未在有效审核期内", "with a provider not vetted for that date"),
    "PROVIDER_NON_SUBJECT": ("名为机构人员，不能承担看护、作业或学科类活动",
                             "provider staff, who may not take care, homework or subject sessions"),
    "SCHOOL_STAFF_ONLY": ("名不是本校教师或退休教师", "not teachers or retired teachers"),
    "QUALIFICATION": ("名不具备资质", "not qualified"),
    "AVAILABILITY": ("名{win}不可用", "unavailable {win}"),
    "TEACHER_DAILY_LIMIT": ("名当天授课加服务已达每日上限", "at their daily cap with teaching"),
    "TEACHER_WEEKLY_LIMIT": ("名已达每周上限", "at their weekly cap"),
    "TEACHER_DAYS_LIMIT": ("名已达每周服务天数上限", "at their days-a-week cap"),
    "NO_OVERLAP": ("名同一时段已有安排", "already in another session at that time"),
    "REST_AFTER_EVENING": ("名因晚自习后弹性休息不排早托", "resting after an evening session"),
    "PROVIDER_WEEKLY_SESSIONS": ("名所属机构本周场次已满", "with a provider at its weekly session limit"),
}


class RosterState:
    """Who works what in a finished roster, for the explanations."""

    def __init__(self, problem: Problem, staff_of: dict[str, list[str]]):
        self.problem = problem
        self.sessions_of: dict[str, list[Session]] = {}
        self.week_minutes: Counter = Counter()
        self.day_minutes: Counter = Counter()
        self.week_days: dict[tuple[str, dt.date], set[dt.date]] = {}
        self.provider_sessions: dict[tuple[str, dt.date], set[str]] = {}
        for sid, people in staff_of.items():
            s = problem.sessions[sid]
            for pid in people:
                person = problem.staff[pid]
                self.sessions_of.setdefault(pid, []).append(s)
                self.week_minutes[(pid, week_of(s.date))] += s.minutes
                self.day_minutes[(pid, s.date)] += s.minutes
                self.week_days.setdefault((pid, week_of(s.date)), set()).add(s.date)
                if person.provider is not None:
                    self.provider_sessions.setdefault((person.provider, week_of(s.date)), set()).add(sid)

    def dynamic_blocker(self, person: Staff, session: Session) -> str | None:
        """The rule that stops this person taking this session given everything else they work."""
        pid, week = person.id, week_of(session.date)
        others = [s for s in self.sessions_of.get(pid, []) if s.id != session.id]
        if any(rules.sessions_overlap(s, session) for s in others):
            return "NO_OVERLAP"
        minutes = sum(s.minutes for s in others if s.date == session.date)
        if minutes + session.minutes > rules.daily_budget(self.problem, person, session.date):
            return "TEACHER_DAILY_LIMIT"
        cap = rules.weekly_cap(self.problem, person)
        week_minutes = sum(s.minutes for s in others if week_of(s.date) == week)
        if cap is not None and week_minutes + session.minutes > cap:
            return "TEACHER_WEEKLY_LIMIT"
        cap_days = rules.days_cap(self.problem, person)
        days = {s.date for s in others if week_of(s.date) == week}
        if cap_days is not None and session.date not in days and len(days) >= cap_days:
            return "TEACHER_DAYS_LIMIT"
        for s in others:
            before = s.kind == policy.EVENING_KIND and session.kind == policy.MORNING_KIND
            after = s.kind == policy.MORNING_KIND and session.kind == policy.EVENING_KIND
            if (before and s.date + dt.timedelta(days=1) == session.date) or (
                after and session.date + dt.timedelta(days=1) == s.date
            ):
                return "REST_AFTER_EVENING"
        if person.provider is not None:
            provider = self.problem.providers[person.provider]
            used = self.provider_sessions.get((person.provider, week), set()) - {session.id}
            if provider.max_weekly_sessions is not None and len(used) >= provider.max_weekly_sessions:
                return "PROVIDER_WEEKLY_SESSIONS"
        return None

    def blocker(self, person: Staff, session: Session) -> tuple[str, object] | None:
        """First static (pre-filter) or dynamic rule that keeps this person out; None when free."""
        static = rules.pair_blockers(self.problem, person, session)
        if static:
            return static[0].rule, static[0].window
        dynamic = self.dynamic_blocker(person, session)
        return (dynamic, None) if dynamic else None


def _sentence(counts: Counter, windows: list, order: list[str]) -> tuple[str, str]:
    zh_parts, en_parts = [], []
    for rule in order:
        n = counts[rule]
        zh, en = PHRASES[rule]
        if rule == "AVAILABILITY":
            wins = sorted({rules.describe_window(w) for w in windows})[:2]
            zh = zh.format(win="、".join(w[0] for w in wins))
            en = en.format(win=", ".join(w[1] for w in wins))
        zh_parts.append(f"{n}{zh}")
        en_parts.append(f"{n} {en}")
    return "，".join(zh_parts), ", ".join(en_parts)


def explain_unstaffed(problem: Problem, session: Session, state: RosterState) -> dict:
    """Rule codes and a bilingual reason for one unstaffed session."""
    act_zh, act_en = policy.ACTIVITY_LABELS[session.activity]
    if session.activity == policy.TUTORING and session.subject:
        act_zh, act_en = f"{session.subject}{act_zh}", f"{session.subject} {act_en}"
    pool = [p for p in problem.staff.values() if rules.is_qualified(problem, p, session)]
    counts: Counter = Counter()
    windows = []
    free: list[Staff] = []
    for person in pool:
        found = state.blocker(person, session)
        if found is None:
            free.append(person)
            continue
        counts[found[0]] += 1
        if found[0] == "AVAILABILITY":
            windows.append(found[1])
    order = [rule for rule, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
    free_all = [p for p in problem.staff.values() if state.blocker(p, session) is None]
    if not pool:
        return {
            "rules": ["QUALIFICATION"],
            "reason": f"没有具备{act_zh}资质的人员 / no staff member is qualified for {act_en}",
            "candidates": 0,
        }
    head_zh = f"{len(pool)}名具备{act_zh}资质的人员"
    head_en = f"{len(pool)} staff qualified for {act_en}"
    if not free:
        zh, en = _sentence(counts, windows, order)
        return {"rules": order, "reason": f"{head_zh}：{zh} / {head_en}: {en}", "candidates": len(pool)}
    codes = list(order)
    if len(free_all) < session.staff_needed:
        codes.append("COVERAGE")
        zh = f"需要{session.staff_needed}人，只有{len(free_all)}人有空"
        en = f"{session.staff_needed} people needed but only {len(free_all)} are free"
    elif problem.policy.provider_needs_school_staff and all(p.type == policy.PROVIDER_TYPE for p in free):
        codes.append("PROVIDER_NEEDS_SCHOOL_STAFF")
        zh = "有空的只有机构人员，且没有可陪同的本校教师"
        en = "only provider staff are free and no teacher is free to accompany them"
    else:
        codes.append("COVERAGE")
        zh = f"{len(free)}人有空，但安排他们会使更重要的时段无人值守或求解时间不足"
        en = (f"{len(free)} are free, but placing them would leave a higher-priority session unstaffed "
              "or the time limit ran out")
    if order:
        szh, sen = _sentence(counts, windows, order)
        zh, en = f"{szh}；{zh}", f"{sen}; {en}"
    return {"rules": list(dict.fromkeys(codes)), "reason": f"{head_zh}：{zh} / {head_en}: {en}",
            "candidates": len(pool)}


def explain_pin(problem: Problem, sid: str, pid: str, state: RosterState, plan_rules: list[str]) -> dict:
    """Which rule a pinned pair that could not hold breaks."""
    session, person = problem.sessions[sid], problem.staff[pid]
    name = person.name
    if plan_rules:
        return {"session": sid, "staff": pid, "rules": list(plan_rules),
                "reason": f"该时段违反计划规则，已被拒绝 / the session breaks a plan rule and is rejected ({name})"}
    static = rules.pair_blockers(problem, person, session)
    codes = [b.rule for b in static]
    if not codes:
        dynamic = state.dynamic_blocker(person, session)
        codes = [dynamic] if dynamic else ["COVERAGE"]
    phrases = [PHRASES.get(c, ("名超出所需人数", "more people pinned than needed")) for c in codes]
    zh = "；".join(p[0].lstrip("名").format(win="该时段") for p in phrases)
    en = "; ".join(p[1].format(win="at that time") for p in phrases)
    return {"session": sid, "staff": pid, "rules": codes,
            "reason": f"固定安排{name}无法保留：{zh} / pinned {name} cannot hold: {en}"}
