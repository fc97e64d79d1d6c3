"""Plan rules: what is wrong with the sessions themselves, before anyone is assigned."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from scheduling import policy
from scheduling.problem import Problem, Session, format_time, week_of


@dataclass(frozen=True)
class Finding:
    """One broken plan rule, with a bilingual reason."""

    rule: str
    zh: str
    en: str

    @property
    def reason(self) -> str:
        return f"{self.zh} / {self.en}"


@dataclass(frozen=True)
class GroupDay:
    """A group's after_school sessions on one school day, merged into continuous blocks."""

    group: str
    date: dt.date
    blocks: tuple[tuple[int, int, tuple[str, ...]], ...]  # (start, end, session ids), merged
    qualifying: tuple[int, ...]  # indexes of blocks at least min_daily_minutes long
    findings: tuple[Finding, ...]  # structural errors (block too short / ends too early)


def session_findings(problem: Problem, session: Session) -> list[Finding]:
    """Every plan rule one session breaks on its own (it is then rejected)."""
    pol = problem.policy
    out: list[Finding] = []
    act_zh, act_en = policy.ACTIVITY_LABELS[session.activity]
    kind_zh, kind_en = policy.KIND_LABELS[session.kind]
    if session.activity == policy.NEW_LESSON:
        out.append(Finding("NO_NEW_LESSONS", "任何托管时段都不得讲授新课",
                           "new lessons may not be taught in any session"))
    if session.kind == policy.HOLIDAY_KIND:
        if session.activity not in policy.HOLIDAY_ALLOWED_ACTIVITIES:
            out.append(Finding("HOLIDAY_ACTIVITY", f"假期托管不得安排{act_zh}（严禁集体补课）",
                               f"holiday care may not offer {act_en} (no group tutoring)"))
        elif session.subject in policy.SUBJECT_TYPE_SUBJECTS:
            out.append(Finding("HOLIDAY_ACTIVITY", f"假期托管不得安排学科类内容（{session.subject}）",
                               f"holiday care may not cover a subject-type subject ({session.subject})"))
        weekend = session.date.weekday() in policy.WEEKEND_WEEKDAYS
        holiday = session.date in problem.calendar.public_holidays
        if not policy.holiday_care_on(session.date.weekday(), public_holiday=holiday,
                                      holiday_weekends=pol.holiday_weekends):
            zh = "周末" if weekend else "法定节假日"
            en = "a weekend" if weekend else "a public holiday"
            out.append(Finding("HOLIDAY_WEEKEND", f"假期托管原则上不在{zh}开展（{session.date}）",
                               f"holiday care is not held on {en} ({session.date})"))
    if session.kind in policy.SCHOOL_DAY_KINDS and session.date not in problem.calendar.school_days:
        out.append(Finding("SCHOOL_DAY", f"{kind_zh}只在上学日开展，{session.date}不是上学日",
                           f"{kind_en} runs only on school days; {session.date} is not one"))
    if session.kind == policy.EVENING_KIND:
        if session.end > pol.evening_end_latest:
            latest = format_time(pol.evening_end_latest)
            out.append(Finding("EVENING_END", f"晚自习须在{latest}前结束（本节{format_time(session.end)}结束）",
                               f"evening self-study must end by {latest} (this one ends {format_time(session.end)})"))
        young = [g for g in session.groups if not policy.evening_study_allowed_for(problem.groups[g].grade)]
        if young:
            labels = "、".join(problem.groups[g].label for g in young)
            out.append(Finding("EVENING_JUNIOR_ONLY", f"晚自习只面向七至九年级，{labels}不是初中班级",
                               f"evening self-study is for grades 7–9 only; {', '.join(young)} is not"))
    return out


def reject_sessions(problem: Problem) -> dict[str, list[Finding]]:
    """Sessions that break a plan rule, with their findings (in session order)."""
    rejected = {}
    for session in problem.sessions.values():
        findings = session_findings(problem, session)
        if findings:
            rejected[session.id] = findings
    return rejected


def merge_blocks(sessions: list[Session]) -> list[tuple[int, int, tuple[str, ...]]]:
    """Merge sessions whose times overlap or touch into continuous blocks."""
    blocks: list[list] = []
    for s in sorted(sessions, key=lambda s: (s.start, s.end, s.id)):
        if blocks and s.start <= blocks[-1][1]:
            blocks[-1][1] = max(blocks[-1][1], s.end)
            blocks[-1][2].append(s.id)
        else:
            blocks.append([s.start, s.end, [s.id]])
    return [(a, b, tuple(ids)) for a, b, ids in blocks]


def group_days(problem: Problem, rejected: dict[str, list[Finding]]) -> list[GroupDay]:
    """Each group's after_school day (school days only, rejected sessions left out), with its blocks."""
    by_key: dict[tuple[str, dt.date], list[Session]] = {}
    for s in problem.sessions.values():
        if s.kind != policy.AFTER_SCHOOL_KIND or s.date not in problem.calendar.school_days:
            continue
        for g in s.groups:
            by_key.setdefault((g, s.date), [])
            if s.id not in rejected:
                by_key[(g, s.date)].append(s)
    out = []
    pol, work_end = problem.policy, problem.school.work_end
    for (g, day), sessions in sorted(by_key.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        blocks = merge_blocks(sessions)
        long_enough = [i for i, (a, b, _) in enumerate(blocks) if b - a >= pol.min_daily_minutes]
        findings = []
        label = problem.groups[g].label
        if not blocks:
            findings.append(Finding(
                "TWO_HOUR_MINIMUM",
                f"{label}在{day}的课后服务时段全部被拒绝，当天没有两小时课后服务",
                f"{g} on {day}: every after-school session was rejected, so there is no 2-hour service",
            ))
        elif not long_enough:
            longest = max(b - a for a, b, _ in blocks)
            findings.append(Finding(
                "TWO_HOUR_MINIMUM",
                f"{label}在{day}的课后服务最长连续{longest}分钟，不足{pol.min_daily_minutes}分钟",
                f"{g} on {day}: longest continuous after-school block is {longest} min, "
                f"less than {pol.min_daily_minutes}",
            ))
        candidates = long_enough or list(range(len(blocks)))
        if blocks and not any(blocks[i][1] >= work_end for i in candidates):
            last = max(blocks[i][1] for i in candidates)
            findings.append(Finding(
                "END_BEFORE_WORK_END",
                f"{label}在{day}的课后服务{format_time(last)}结束，早于下班时间{format_time(work_end)}",
                f"{g} on {day}: after-school service ends {format_time(last)}, before work ends at "
                f"{format_time(work_end)}",
            ))
        qualifying = tuple(long_enough)
        out.append(GroupDay(g, day, tuple(blocks), qualifying, tuple(findings)))
    return out


def staffing_findings(problem: Problem, gd: GroupDay, staffed: set[str]) -> list[Finding]:
    """TWO_HOUR_MINIMUM for a group-day whose qualifying blocks all have an unstaffed session."""
    if not gd.qualifying:
        return []
    for i in gd.qualifying:
        if all(sid in staffed for sid in gd.blocks[i][2]):
            return []
    a, b, ids = gd.blocks[gd.qualifying[0]]
    missing = [sid for sid in ids if sid not in staffed]
    label = problem.groups[gd.group].label
    return [Finding(
        "TWO_HOUR_MINIMUM",
        f"{label}在{gd.date}的两小时课后服务（{format_time(a)}–{format_time(b)}）中有时段无人值守："
        f"{'、'.join(missing)}",
        f"{gd.group} on {gd.date}: the 2-hour block {format_time(a)}–{format_time(b)} has unstaffed "
        f"sessions: {', '.join(missing)}",
    )]


def every_school_day_findings(problem: Problem) -> list[tuple[str, dt.date, Finding]]:
    """EVERY_SCHOOL_DAY (extension, on when policy.every_school_day): (group, date, finding) for each service day
    (policy.service_days: a school day but not one of the group's declared exception weekdays) of a week in which
    the group has after_school sessions, on which it has none at all. Days that have sessions are judged by
    TWO_HOUR_MINIMUM and END_BEFORE_WORK_END, so one gap is listed once."""
    if not problem.policy.every_school_day:
        return []
    planned: dict[str, set[dt.date]] = {}
    for s in problem.sessions.values():
        if s.kind == policy.AFTER_SCHOOL_KIND and s.date in problem.calendar.school_days:
            for g in s.groups:
                planned.setdefault(g, set()).add(s.date)
    out = []
    for g in sorted(planned):
        group = problem.groups[g]
        weeks = {week_of(day) for day in planned[g]}
        school_days = sorted(day for day in problem.calendar.school_days if week_of(day) in weeks)
        for day in policy.service_days(school_days, group.exception_weekdays):
            if day not in planned[g]:
                wd_zh, wd_en = policy.WEEKDAY_LABELS[day.weekday()]
                out.append((g, day, Finding(
                    "EVERY_SCHOOL_DAY",
                    f"{group.label}在{day}（{wd_zh}）没有课后服务：每个上学日都应有课后服务，除非学校申明了例外日",
                    f"{g} on {day} ({wd_en}): no after-school service, though it is due every school day "
                    f"but declared exception days",
                )))
    return sorted(out, key=lambda item: (item[1], item[0]))
