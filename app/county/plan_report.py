"""A finished county coverage plan in words: gaps by school and by skill, the extra people that close them, the
plan rules broken — for the result page and its XLSX export (the one place that words the plan's result)."""

import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from openpyxl import Workbook

from app.county.plan_engine import PROVIDER, RETIRED_TEACHER, VOLUNTEER
from app.county.plan_models import CountyPlan
from app.programs.services import activity_label, weekday_label
from app.rosters.words import in_language, rule_meaning
from app.spreadsheets import add_table

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

KIND_WORDS = {VOLUNTEER: _l("volunteers"), RETIRED_TEACHER: _l("retired teachers"), PROVIDER: _l("provider staff")}


def need_words(kind: str, skill: str, subject: str) -> str:
    """What a gap needs: "homework help (数学)"."""
    what = activity_label(skill)
    return f"{what}（{subject}）" if subject else what


def people_words(kind: str, skill: str, subject: str, count: int) -> str:
    """The extra people in words: "2 volunteers", "1 provider staff of the category sports"."""
    if kind == PROVIDER:
        return ngettext("%(num)d provider staff member of the category %(category)s",
                        "%(num)d provider staff of the category %(category)s", count,
                        category=activity_label(skill))
    if kind == RETIRED_TEACHER:
        return ngettext("%(num)d retired teacher able to give %(what)s", "%(num)d retired teachers able to give "
                        "%(what)s", count, what=need_words(kind, skill, subject))
    if skill == "supervision":
        return ngettext("%(num)d volunteer", "%(num)d volunteers", count)
    return ngettext("%(num)d volunteer able to lead %(what)s", "%(num)d volunteers able to lead %(what)s", count,
                    what=activity_label(skill))


def when_words(times) -> str:
    """When the unstaffed sessions are, by weekday and time: "周一、周三 16:40–17:40"."""
    by_time: dict[tuple, list[int]] = defaultdict(list)
    for day, start, end in times:
        weekday = date.fromisoformat(day).weekday()
        if weekday not in by_time[(start, end)]:
            by_time[(start, end)].append(weekday)
    return "；".join(f"{'、'.join(weekday_label(d) for d in sorted(days))} {start}–{end}"
                    for (start, end), days in sorted(by_time.items()))


def why_words(rules: dict) -> str:
    """The rules that kept people out, most frequent first, each with the sessions it concerned."""
    return "；".join(_("%(meaning)s (%(n)s sessions)", meaning=rule_meaning(code), n=n)
                    for code, n in sorted(rules.items(), key=lambda kv: (-kv[1], kv[0])))


@dataclass
class GapRow:
    school: str
    need: str
    sessions: int
    places: int
    when: str
    why: str
    rules: list[str]
    reasons: list[str]
    extra: str
    extra_count: int
    kind: str
    closed: bool
    still_open: int


@dataclass
class SkillRow:
    need: str
    kind: str
    skill: str
    subject: str
    schools: int = 0
    sessions: int = 0
    places: int = 0
    extra_count: int = 0
    closed: bool = True
    names: list[str] = field(default_factory=list)

    @property
    def extra(self) -> str:
        return people_words(self.kind, self.skill, self.subject, self.extra_count)


@dataclass
class PlanReport:
    schools: list[dict]
    gaps: list[GapRow]
    by_skill: list[SkillRow]
    plan_rules: list[dict]
    totals: dict


def report(plan: CountyPlan) -> PlanReport:
    """The plan's result in words (empty until the plan is done)."""
    schools = (plan.result or {}).get("schools", [])
    gaps, skills, rules = [], {}, []
    totals = {"schools": len(schools), "sessions": 0, "staffed": 0, "unstaffed": 0, "extra": 0,
              "schools_with_gaps": 0, "closed": True, "class_days_short": 0}
    for school in schools:
        totals["sessions"] += school["sessions"]
        totals["staffed"] += school["staffed"]
        totals["schools_with_gaps"] += bool(school["gaps"])
        totals["class_days_short"] += school.get("plan_errors_before", 0)
        for gap in school["gaps"]:
            key = (gap["kind"], gap["skill"], gap["subject"])
            gaps.append(GapRow(
                school=school["name"], need=need_words(*key), sessions=gap["sessions"], places=gap["places"],
                when=when_words(gap["times"]), why=why_words(gap["rules"]), rules=list(gap["rules"]),
                reasons=[in_language(r) for r in gap["reasons"]], extra=people_words(*key, gap["extra"]),
                extra_count=gap["extra"], kind=gap["kind"], closed=gap["closed"], still_open=gap["still_open"]))
            row = skills.setdefault(key, SkillRow(need_words(*key), *key))
            row.schools += 1
            row.sessions += gap["sessions"]
            row.places += gap["places"]
            row.extra_count += gap["extra"]
            row.closed = row.closed and gap["closed"]
            row.names.append(school["name"])
            totals["unstaffed"] += gap["sessions"]
            totals["extra"] += gap["extra"]
            totals["closed"] = totals["closed"] and gap["closed"]
        for error in school["plan_errors"]:
            rules.append({"school": school["name"], "rule": error.get("rule", ""), "meaning": rule_meaning(
                error.get("rule", "")), "where": error.get("group_label", ""), "date": error.get("date", ""),
                "reason": in_language(error.get("reason", ""))})
        for rejected in school["rejected"]:
            for code in rejected["rules"]:
                rules.append({"school": school["name"], "rule": code, "meaning": rule_meaning(code),
                              "where": rejected["series"], "date": rejected["date"],
                              "reason": in_language(rejected["reason"])})
    by_skill = sorted(skills.values(), key=lambda r: (-r.sessions, r.need))
    return PlanReport(schools, gaps, by_skill, rules, totals)


def plan_xlsx(plan: CountyPlan) -> bytes:
    """The plan as a workbook: gaps by school, by skill, plan rules broken, and each school's figures."""
    found = report(plan)
    workbook = Workbook()
    yes, no = _("yes"), _("no")
    add_table(workbook, _("Gaps by school"),
              [_("School"), _("Needs"), _("Sessions not staffed"), _("Places missing"), _("When"), _("Why"),
               _("Extra people that close it"), _("Extra people"), _("Closed when solved again")],
              [[g.school, g.need, g.sessions, g.places, g.when, g.why, g.extra, g.extra_count, yes if g.closed else no]
               for g in found.gaps], first=True, widest=50)
    add_table(workbook, _("By skill"),
              [_("Needs"), _("Schools"), _("Sessions not staffed"), _("Places missing"),
               _("Extra people that close it"), _("Extra people"), _("Closed when solved again")],
              [[r.need, r.schools, r.sessions, r.places, r.extra, r.extra_count, yes if r.closed else no]
               for r in found.by_skill], widest=50)
    add_table(workbook, _("Plan rules"),
              [_("School"), _("Rule"), _("Rule code"), _("Class or session"), _("Date"), _("Reason")],
              [[r["school"], r["meaning"], r["rule"], r["where"], r["date"], r["reason"]] for r in found.plan_rules],
              widest=50)
    add_table(workbook, _("Schools"), [_("School"), _("Sessions"), _("Staffed"), _("Problem")],
              [[s["name"], s["sessions"], s["staffed"], school_problem_words(s)] for s in found.schools], widest=50)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def school_problem_words(school: dict) -> str:
    """Why a school has no figures, in words ("" when it was planned)."""
    error = school.get("error") or ""
    if error == "no_sessions":
        return _("No sessions that week: the school has no active session templates for it.")
    return error
