"""CP-SAT roster solver: plan rules, pre-filter, one model per independent component, staged objective."""

from __future__ import annotations

import datetime as dt
import logging
import math
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass

from ortools.sat.python import cp_model

from scheduling import bounds, explain, greedy, loads, plan, policy, rules
from scheduling.problem import Problem, parse_problem, week_of
from scheduling.roster import Roster

log = logging.getLogger(__name__)



@dataclass(frozen=True)
class Stage:
    """One objective stage: its name, its share of the time limit, and the part of the search it takes
    (the rest of a max_load stage goes to the proof)."""

    name: str
    share: float
    search: float = 1.0


# Objective stages in the contract's order of importance.
STAGES = (
    Stage("coverage", 0.30),  # pins kept, then sessions staffed, then 2-hour blocks complete
    Stage("changes", 0.08),  # previous pairs kept
    Stage("max_load", 0.42, search=0.55),  # largest weekly load of an in-service teacher (search, then proof)
    Stage("spread", 0.14),  # loads spread evenly: Σ (load − μ)² over in-service teachers
    Stage("continuity", 0.04),  # distinct people per series + sessions on avoid_days
    Stage("cost", 0.02),  # provider cost
)
BUILD_SECONDS = 5e-5  # per variable of a component: about what building a relaxation for it takes (loaded machine)
PROOF_GAP = 30  # minutes: the largest gap between search value and bound for which the proof is tried
RESERVE = (0.10, 0.5)  # part of the time limit, plus seconds, kept back for reading the solution and the roster


@dataclass
class Progress:
    """What the progress callback receives for each improving solution."""

    stage: str
    staffed: int
    objective: float
    bound: float
    elapsed: float


# --- Rule constraints --------------------------------------------------------------------------
# AVAILABILITY, OPT_IN, SCHOOL_STAFF_ONLY, PROVIDER_VETTED, PROVIDER_NON_SUBJECT, CAMPUS and the
# per-person part of QUALIFICATION are enforced by the pre-filter (rules.pair_blockers): a pair
# that breaks one of them gets no variable at all.


def add_coverage_constraint(model, x, staffed, session, people):
    """COVERAGE: a staffed session has exactly staff_needed distinct people, an unstaffed one none."""
    model.add(sum(x[(session.id, p)] for p in people) == session.staff_needed * staffed[session.id])


def add_qualification_constraint(model, x, staffed, session, qualified_people):
    """QUALIFICATION: at least one qualified person in every staffed session."""
    model.add(sum(x[(session.id, p)] for p in qualified_people) >= staffed[session.id])


def add_no_overlap_constraint(model, x, person_sessions):
    """NO_OVERLAP: at most one session per person in every maximal set of overlapping sessions."""
    for (pid, _day), sessions in person_sessions.items():
        if len(sessions) < 2:
            continue
        starts = sorted({s.start for s in sessions})
        seen = set()
        for i, t in enumerate(starts):
            active = [s for s in sessions if s.start <= t < s.end]
            next_start = starts[i + 1] if i + 1 < len(starts) else None
            if len(active) < 2 or (next_start is not None and next_start < min(s.end for s in active)):
                continue  # not a maximal clique: the next start still overlaps all of them
            key = tuple(sorted(s.id for s in active))
            if key not in seen:
                seen.add(key)
                model.add_at_most_one(x[(s.id, pid)] for s in active)


def add_provider_needs_school_staff_constraint(model, x, session, provider_people, school_people):
    """PROVIDER_NEEDS_SCHOOL_STAFF: a provider person in a session needs a teacher or retired teacher."""
    school = sum(x[(session.id, q)] for q in school_people)
    for p in provider_people:
        model.add(x[(session.id, p)] <= school)


def add_provider_weekly_sessions_constraint(model, x, serves, provider, sessions_by_week, people_in):
    """PROVIDER_WEEKLY_SESSIONS: a provider's staff are in at most max_weekly_sessions sessions a week."""
    for _week, sids in sessions_by_week.items():
        for sid in sids:
            for p in people_in[sid]:
                model.add_implication(x[(sid, p)], serves[(provider.id, sid)])
        if provider.max_weekly_sessions is not None and len(sids) > provider.max_weekly_sessions:
            model.add(sum(serves[(provider.id, sid)] for sid in sids) <= provider.max_weekly_sessions)


def add_teacher_weekly_limit_constraint(model, terms, cap):
    """TEACHER_WEEKLY_LIMIT: session minutes in one week within the person's cap."""
    if cap is not None and sum(m for m, _ in terms) > cap:
        model.add(sum(m * v for m, v in terms) <= cap)


def add_teacher_days_limit_constraint(model, works, day_vars, cap):
    """TEACHER_DAYS_LIMIT: at most cap distinct dates a week (works[d] is set by any session that day)."""
    if cap is None or len(day_vars) <= cap:
        return
    for day, xs in day_vars.items():
        for v in xs:
            model.add_implication(v, works[day])
    model.add(sum(works[d] for d in day_vars) <= cap)


def add_teacher_daily_limit_constraint(model, terms, budget):
    """TEACHER_DAILY_LIMIT: teaching minutes + session minutes on a date within the daily cap."""
    if sum(m for m, _ in terms) > budget:
        model.add(sum(m * v for m, v in terms) <= budget)


def add_rest_after_evening_constraint(model, x, pid, evenings, mornings_next_day):
    """REST_AFTER_EVENING: no morning session the date after an evening_study session."""
    for e in evenings:
        for m in mornings_next_day:
            model.add_bool_or([x[(e, pid)].negated(), x[(m, pid)].negated()])


def add_two_hour_block_terms(model, staffed, gds):
    """TWO_HOUR_MINIMUM (a first-stage term, not a constraint: see README): per group-day, day_ok is set only
    when one of its qualifying blocks has every session staffed.
    Returns (day_ok per group-day, the session ids of each block option per group-day, auxiliaries)."""
    day_oks, block_sessions, aux = [], [], []
    for gd in gds:
        options = []
        option_ids = []
        for i in gd.qualifying:
            ids = gd.blocks[i][2]
            if len(ids) < 2 or any(sid not in staffed for sid in ids):
                continue
            ok = model.new_bool_var(f"block_{gd.group}_{gd.date}_{i}")
            aux.append((ok, lambda v, ys=[staffed[sid] for sid in ids]: int(all(v[a.index] for a in ys))))
            for sid in ids:
                model.add_implication(ok, staffed[sid])
            options.append(ok)
            option_ids.append(ids)
        if options:
            block_sessions.append(option_ids)
            day_ok = model.new_bool_var(f"day_ok_{gd.group}_{gd.date}")
            aux.append((day_ok, lambda v, ys=list(options): int(any(v[a.index] for a in ys))))
            model.add_bool_or(options + [day_ok.negated()])
            day_oks.append(day_ok)
    return day_oks, block_sessions, aux


def add_max_load_terms(model, loads):
    """The largest in-service teacher weekly load: max_load ≥ every load (and ≥ each week's average, a redundant
    cut that strengthens the bound). Returns (max_load or None, [(key, load expression, most minutes)], aux)."""
    if not loads:
        return None, [], []
    top = max(sum(m for m, _ in terms) for terms in loads.values())
    max_load = model.new_int_var(0, top, "max_teacher_minutes")
    all_loads = list(loads.values())
    aux = [(max_load, lambda v: max(sum(m * v[a.index] for m, a in terms) for terms in all_loads))]
    load_exprs = []
    for key, terms in loads.items():
        expr = sum(m * v for m, v in terms)
        load_exprs.append((key, expr, sum(m for m, _ in terms)))
        model.add(expr <= max_load)
    by_week: dict[dt.date, list] = {}
    for (_pid, week), expr, _ in load_exprs:
        by_week.setdefault(week, []).append(expr)
    for exprs in by_week.values():
        model.add(len(exprs) * max_load >= sum(exprs))
    return max_load, load_exprs, aux


def add_series_terms(model, x, sessions, candidates):
    """Continuity: used[series, person] is set when the person is in any session of the series (the count of
    them = distinct people per series). Returns (the used variables, auxiliaries)."""
    terms, aux = [], []
    series: dict[str, list[str]] = {}
    for s in sessions:
        if s.series is not None:
            series.setdefault(s.series, []).append(s.id)
    for name, ids in series.items():
        if len(ids) < 2:
            continue
        for p in sorted({p for sid in ids for p in candidates[sid]}):
            used = model.new_bool_var(f"series_{name}_{p}")
            aux.append((used, lambda v, xs=[x[(sid, p)] for sid in ids if (sid, p) in x]: int(
                any(v[a.index] for a in xs))))
            for sid in ids:
                if (sid, p) in x:
                    model.add_implication(x[(sid, p)], used)
            terms.append(used)
    return terms, aux


def avoid_day_terms(problem, x) -> list:
    """The pairs that put a person in a session on one of their avoid_days."""
    return [v for (sid, pid), v in x.items() if problem.sessions[sid].date in problem.staff[pid].avoid_days]


def provider_cost_terms(problem, serves) -> list[tuple[int, object]]:
    """(cents, serves variable) per provider and session it may serve."""
    return [(round(problem.providers[prov].cost_per_session * 100), v) for (prov, _sid), v in serves.items()
            if problem.providers[prov].cost_per_session > 0]


def add_spread_terms(model, load_exprs, loads, cap, step):
    """Every teacher's weekly load as u·step minutes (u integer, at most the largest load) and u².
    Returns (the u, the squares, [(auxiliary variable, value function)])."""
    all_units, squares, aux = [], [], []
    for (pid, week), expr, top in load_exprs:
        hi = min(top, cap) // step
        units = model.new_int_var(0, hi, f"load_{pid}_{week}")
        model.add(step * units == expr)
        square = model.new_int_var(0, hi * hi, f"square_{pid}_{week}")
        model.add_multiplication_equality(square, [units, units])
        terms = loads[(pid, week)]
        aux.append((units, lambda v, terms=terms: sum(m * v[a.index] for m, a in terms) // step))
        aux.append((square, lambda v, u=units: v[u.index] ** 2))
        squares.append(square)
        all_units.append(units)
    return all_units, squares, aux


def add_pinned_constraint(model, x, pins):
    """PINNED: a kept pin forces its pair; pins are kept first in the objective (see README)."""
    kept = []
    for sid, pid in pins:
        k = model.new_bool_var(f"pin_{sid}_{pid}")
        model.add_implication(k, x[(sid, pid)])
        kept.append(k)
    return kept


# --- One independent component -----------------------------------------------------------------


class ComponentModel:
    """The CP-SAT model of one set of sessions and people that do not interact with the rest."""

    def __init__(self, problem: Problem, sids: list[str], candidates: dict[str, list[str]],
                 pins: list[tuple[str, str]], gds: list[plan.GroupDay], previous: list[tuple[str, str]]):
        self.problem = problem
        self.sids = sids
        self.model = cp_model.CpModel()
        self.values: dict | None = None
        self.overhead = 0.0  # seconds a CP-SAT call took beyond its limit (loading the model, the hint)
        self.changed = False  # an earlier stage's search changed the careful greedy's roster
        self.within_start = None  # see add_start_load_preference
        sessions = [problem.sessions[s] for s in sids]

        # Variables: x[(session, staff)] for each allowed pair, staffed[session].
        self.aux: list[tuple] = []  # (variable, value from the x/staffed values): completes every hint
        self.x = {(s, p): self.model.new_bool_var(f"x_{s}_{p}") for s in sids for p in candidates[s]}
        self.staffed = {s: self.model.new_bool_var(f"staffed_{s}") for s in sids}

        self._add_session_rules(sessions, candidates)
        self._add_person_rules(sessions, candidates)
        self._add_provider_rules(sessions, candidates)
        self._add_first_stage_terms(pins, gds)
        self._add_objective_terms(sessions, candidates, previous)

    def _add_session_rules(self, sessions, candidates) -> None:
        """COVERAGE, QUALIFICATION, PROVIDER_NEEDS_SCHOOL_STAFF: one session at a time."""
        problem, model, x, staffed = self.problem, self.model, self.x, self.staffed
        for s in sessions:
            people = candidates[s.id]
            add_coverage_constraint(model, x, staffed, s, people)
            qualified = [p for p in people if rules.is_qualified(problem, problem.staff[p], s)]
            add_qualification_constraint(model, x, staffed, s, qualified)
            if problem.policy.provider_needs_school_staff:
                prov = [p for p in people if problem.staff[p].type == policy.PROVIDER_TYPE]
                if prov:
                    school = [p for p in people if rules.is_school_staff(problem.staff[p])]
                    add_provider_needs_school_staff_constraint(model, x, s, prov, school)

    def _add_person_rules(self, sessions, candidates) -> None:
        """Weekly, days and daily limits, REST_AFTER_EVENING, NO_OVERLAP; keeps each teacher's weekly load terms."""
        problem, model, x = self.problem, self.model, self.x
        by_person: dict[str, list] = {}
        for s in sessions:
            for p in candidates[s.id]:
                by_person.setdefault(p, []).append(s)
        person_day: dict[tuple[str, dt.date], list] = {}
        self.loads: dict[tuple[str, dt.date], list] = {}  # (teacher, week) -> [(minutes, var)]
        self.load_pairs: dict[tuple[str, dt.date], list] = {}
        self.works: dict[tuple[str, dt.date], object] = {}
        for pid, its in by_person.items():
            person = problem.staff[pid]
            weeks: dict[dt.date, list] = {}
            days: dict[dt.date, list] = {}
            for s in its:
                weeks.setdefault(week_of(s.date), []).append(s)
                days.setdefault(s.date, []).append(s)
                person_day.setdefault((pid, s.date), []).append(s)
            for week, ws in weeks.items():
                terms = [(s.minutes, x[(s.id, pid)]) for s in ws]
                add_teacher_weekly_limit_constraint(model, terms, rules.weekly_cap(problem, person))
                if person.type == policy.TEACHER:
                    self.loads[(pid, week)] = terms
                    self.load_pairs[(pid, week)] = [(s.minutes, (s.id, pid)) for s in ws]
                day_vars = {d: [x[(s.id, pid)] for s in ws if s.date == d] for d in sorted({s.date for s in ws})}
                cap = rules.days_cap(problem, person)
                if cap is not None and len(day_vars) > cap:
                    works = {d: model.new_bool_var(f"works_{pid}_{d}") for d in day_vars}
                    for d, var in works.items():
                        self._aux(var, lambda v, xs=day_vars[d]: int(any(v[a.index] for a in xs)))
                    self.works.update({(pid, d): v for d, v in works.items()})
                    add_teacher_days_limit_constraint(model, works, day_vars, cap)
            for day, ds in days.items():
                terms = [(s.minutes, x[(s.id, pid)]) for s in ds]
                add_teacher_daily_limit_constraint(model, terms, rules.daily_budget(problem, person, day))
            evenings = {}
            mornings = {}
            for s in its:
                if s.kind == policy.EVENING_KIND:
                    evenings.setdefault(s.date, []).append(s.id)
                elif s.kind == policy.MORNING_KIND:
                    mornings.setdefault(s.date, []).append(s.id)
            for day, es in evenings.items():
                nxt = mornings.get(day + dt.timedelta(days=1), [])
                if nxt:
                    add_rest_after_evening_constraint(model, x, pid, es, nxt)
        add_no_overlap_constraint(model, x, person_day)

    def _add_provider_rules(self, sessions, candidates) -> None:
        """PROVIDER_WEEKLY_SESSIONS: serves[(provider, session)] is set when any of its staff is in the session."""
        problem, model, x = self.problem, self.model, self.x
        self.serves = {}
        prov_sessions: dict[str, dict[dt.date, list[str]]] = {}
        people_in: dict[str, list[str]] = {}
        for s in sessions:
            for p in candidates[s.id]:
                prov_id = problem.staff[p].provider
                if prov_id is None:
                    continue
                if (prov_id, s.id) not in self.serves:
                    var = model.new_bool_var(f"serves_{prov_id}_{s.id}")
                    self.serves[(prov_id, s.id)] = var
                    xs = [x[(s.id, q)] for q in candidates[s.id] if problem.staff[q].provider == prov_id]
                    self._aux(var, lambda v, xs=xs: int(any(v[a.index] for a in xs)))
                    prov_sessions.setdefault(prov_id, {}).setdefault(week_of(s.date), []).append(s.id)
                people_in.setdefault(s.id, []).append(p)
        for prov_id, by_week in prov_sessions.items():
            add_provider_weekly_sessions_constraint(
                model, x, self.serves, problem.providers[prov_id], by_week, people_in)

    def _add_first_stage_terms(self, pins, gds) -> None:
        """Pins kept, sessions staffed and complete two-hour blocks: the coverage stage's expression."""
        self.pins = pins
        self.pin_kept = add_pinned_constraint(self.model, self.x, pins)
        for (sid, pid), k in zip(pins, self.pin_kept, strict=True):
            self._aux(k, lambda v, a=self.x[(sid, pid)]: v[a.index])
        self.block_ok, self.block_sessions, aux = add_two_hour_block_terms(self.model, self.staffed, gds)
        for var, fn in aux:
            self._aux(var, fn)
        n_blocks, n_sessions = len(self.block_ok) + 1, len(self.sids) + 1
        self.coverage_expr = (sum(self.pin_kept) * n_sessions * n_blocks + sum(self.staffed.values()) * n_blocks
                              + sum(self.block_ok))
        self.coverage_weights = (n_sessions * n_blocks, n_blocks)

    def _add_objective_terms(self, sessions, candidates, previous) -> None:
        """The later stages' terms: previous pairs kept, the largest load, series and avoid_days, provider cost."""
        self.previous = [pair for pair in previous if pair in self.x]
        self.kept_expr = sum(self.x[pair] for pair in self.previous)
        self.spread_expr = 0  # built by add_spread once the global largest load is known
        self.max_load, self.load_exprs, aux = add_max_load_terms(self.model, self.loads)
        self.series_terms, series_aux = add_series_terms(self.model, self.x, sessions, candidates)
        for var, fn in aux + series_aux:
            self._aux(var, fn)
        self.avoid_terms = avoid_day_terms(self.problem, self.x)
        self.cost_terms = provider_cost_terms(self.problem, self.serves)

    def add_start_load_preference(self, start_max: int) -> None:
        """The coverage stage's last tie-break: among rosters staffing as much, prefer one whose every teacher
        load stays within the careful greedy's largest load (within_start; a preference, not a rule, so
        coverage and changes come first; it keeps the search where the largest load is already good)."""
        self.within_start = None
        if self.max_load is None:
            return
        self.within_start = self.model.new_bool_var("within_start_load")
        self.model.add(self.max_load <= start_max).only_enforce_if(self.within_start)
        self._aux(self.within_start, lambda v, m=self.max_load: int(v[m.index] <= start_max))

    def current_pairs(self) -> set[tuple[str, str]]:
        return {pair for pair, val in zip(self.x, self.values, strict=False) if val}

    def rebalance(self) -> None:
        """Rebalance the current roster like the greedy (greedy.rebalance over the model's own candidates; pins
        and kept previous pairs stay, every session keeps its staff): the next stage starts from it."""
        pairs = self.current_pairs()
        candidates: dict[str, list[str]] = {}
        for sid, pid in self.x:
            candidates.setdefault(sid, []).append(pid)
        fixed = (set(self.pins) | set(self.previous)) & pairs
        better = greedy.rebalance(self.problem, candidates, pairs, fixed=fixed)
        if better != pairs:
            staffed = {sid for sid, _ in better}
            self.values = self.complete(
                [int(pair in better) for pair in self.x] + [int(sid in staffed) for sid in self.staffed])

    def start_from_greedy(self, pairs: set[tuple[str, str]], candidates) -> bool:
        """Hint the greedy roster; True (and coverage fixed) when it provably maximises the first stage.

        candidates are the full pre-filtered candidate lists (the model may hold a shortlist of them): the
        upper bound "every session with enough people and a qualified one is staffed" is valid for the
        full problem, so reaching it proves the first stage whatever the shortlist.
        """
        staffed = {sid for sid, _ in pairs}
        self.values = self.complete(
            [int(pair in pairs) for pair in self.x] + [int(sid in staffed) for sid in self.staffed])
        possible = bounds.coverage_upper_bound(self.problem, self.sids, candidates)
        self.possible = possible
        pins_kept = all(pin in pairs for pin in self.pins)
        blocks_ok = all(
            any(all(sid in staffed for sid in gd_block) for gd_block in opts) for opts in self.block_sessions)
        self.coverage_kept_pins = sum(pin in pairs for pin in self.pins)
        self.greedy_value = len(staffed)
        if len(staffed) == possible and pins_kept and blocks_ok:
            self.fix_coverage()
            return True
        return False

    def fix_coverage(self) -> None:
        """Coverage is at its upper bound: fix staffed/pins (smaller model for every later stage)."""
        value = dict(zip(self.all_vars(), self.values, strict=False))
        for var in list(self.staffed.values()) + list(self.pin_kept):
            self.model.add(var == value[var])

    @property
    def size(self) -> int:
        return len(self.x) + len(self.sids)

    def stage(self, name: str):
        """(expression, maximize?) of one stage, or None when the stage is trivial here."""
        if name == "coverage":
            if self.within_start is not None:
                return (2 * self.coverage_expr + self.within_start, True) if self.x else None
            return (self.coverage_expr, True) if self.x else None
        if name == "changes":
            return (self.kept_expr, True) if self.previous else None
        if name == "max_load":
            return (self.max_load, False) if self.max_load is not None else None
        if name == "spread":
            return (self.spread_expr, False) if self.max_load is not None else None
        if name == "continuity":
            terms = self.series_terms + self.avoid_terms
            return (sum(terms), False) if terms else None
        if name == "cost":
            return (sum(c * v for c, v in self.cost_terms), False) if self.cost_terms else None
        raise ValueError(name)

    def add_spread(self, global_max: int, step: int, count: int, start_total: int):
        """Cap every load at the global largest load and build the spread objective: Σ (load − μ)² over the
        teachers, μ the mean teacher load of the start of this stage (count teacher-weeks, start_total minutes),
        in units of `step` minutes and multiplied by count (integers). It is convex and separable per
        component, and a roster with a smaller Σ (load − μ)² has a smaller standard deviation than the start:
        Σ (load − μ)² = count·variance + count·(mean − μ)²."""
        self.model.add(self.max_load <= global_max)
        self.spread_step, self.spread_count, self.spread_total = step, count, start_total // step
        units, squares, aux = add_spread_terms(self.model, self.load_exprs, self.loads, global_max, step)
        for var, fn in aux:
            self._aux(var, fn)
        self.spread_expr = count * sum(squares) - 2 * self.spread_total * sum(units)
        if self.values is not None:
            self.values = self.complete(self.values)

    def spread_of(self, week_loads) -> int:
        """The spread objective of some teacher loads (minutes) of this component."""
        units = [m // self.spread_step for m in week_loads]
        return sum(self.spread_count * u * u - 2 * self.spread_total * u for u in units)

    def spread_in_minutes(self, value: float) -> float:
        """The spread objective as Σ (load − μ)² in minutes² (adds the constant the objective leaves out)."""
        n = len(self.load_exprs)
        return (value + n * self.spread_total ** 2 / self.spread_count) * self.spread_step ** 2 / self.spread_count

    def current_loads(self) -> dict[tuple[str, dt.date], int]:
        """Teacher weekly loads in the last solution found."""
        value = dict(zip(self.x, self.values, strict=False))
        return {key: sum(m for m, pair in terms if value[pair]) for key, terms in self.load_pairs.items()}

    def current_teacher_total(self) -> int:
        return sum(self.current_loads().values()) if self.values is not None else 0

    def current_spread(self) -> int:
        """The spread stage's figure in the last solution."""
        return self.spread_of(self.current_loads().values())

    def current_max_load(self) -> int:
        """Largest teacher weekly load in the last solution found."""
        if self.values is None:
            return 0
        value = dict(zip(self.x, self.values, strict=False))
        return max((sum(m for m, pair in terms if value[pair]) for terms in self.load_pairs.values()), default=0)

    def keep_current(self, stage: str) -> None:
        """A stage found nothing better in time: later stages may not undo the current figure."""
        value = dict(zip(self.all_vars(), self.values, strict=False))
        if stage == "coverage":
            for var in list(self.staffed.values()) + list(self.pin_kept):
                self.model.add(var >= value[var])
        elif stage == "changes":
            self.model.add(self.kept_expr >= sum(value[self.x[pair]] for pair in self.previous))
        elif stage == "max_load":
            self.max_load_value = value[self.max_load]
        elif self.stage(stage) is not None:  # a tie-breaker: later stages keep at least this figure
            self.model.add(self.stage(stage)[0] <= _current_value(self, stage))

    def _aux(self, var, value_fn) -> None:
        self.aux.append((var, value_fn))

    def complete(self, values: list[int]) -> list[int]:
        """Extend x/staffed values (or a shorter earlier list) with every auxiliary variable's value."""
        base = len(self.x) + len(self.staffed)
        known = {v.index: val for v, val in zip(self.all_vars(), values, strict=False)}
        out = list(values)
        for var, fn in self.aux[len(values) - base:]:
            known[var.index] = fn(known)
            out.append(known[var.index])
        return out

    def all_vars(self):
        yield from self.x.values()
        yield from self.staffed.values()
        for var, _ in self.aux:
            yield var


# --- Solve -------------------------------------------------------------------------------------


class _Clock:
    """Wall time, or with one worker the solver's deterministic time (so the roster is reproducible)."""

    def __init__(self, deterministic: bool, start: float | None = None):
        self.deterministic = deterministic
        self.start = time.monotonic() if start is None else start
        self.used = 0.0
        self.deadline = math.inf  # wall clock: when the stages must have ended

    def left(self) -> float:
        return self.deadline - self.elapsed()

    def elapsed(self) -> float:
        return self.used if self.deterministic else time.monotonic() - self.start


class _ProgressCallback(cp_model.CpSolverSolutionCallback):
    def __init__(self, stage, comp, staffed_elsewhere, on_progress, start):
        super().__init__()
        self.stage, self.comp, self.others, self.on_progress, self.start = (
            stage, comp, staffed_elsewhere, on_progress, start)

    def on_solution_callback(self):
        staffed = self.others + sum(self.value(v) for v in self.comp.staffed.values())
        self.on_progress(Progress(self.stage, staffed, self.objective_value, self.best_objective_bound,
                                  time.monotonic() - self.start))


def _run(comp: ComponentModel, stage: str, budget: float, workers: int, clock: _Clock, on_progress, staffed_else):
    expr, maximize = comp.stage(stage)
    model = comp.model
    if maximize:
        model.maximize(expr)
    else:
        model.minimize(expr)
    model.clear_hints()
    if comp.values is not None:
        for var, val in zip(comp.all_vars(), comp.values, strict=True):
            model.add_hint(var, val)
    if not clock.deterministic:
        budget = min(budget, clock.left())
        if budget < 2 * comp.overhead + 0.05:  # loading the model alone would take it (or pass the deadline)
            log.info("stage %s: skipped (%.2fs left, loading takes %.2fs)", stage, budget, comp.overhead)
            return None
    started = time.monotonic()
    solver = cp_model.CpSolver()
    params = solver.parameters
    params.num_workers = workers
    params.random_seed = 1
    if stage != "coverage":
        # Later stages start from a complete feasible hint and get their proofs from bounds computed outside
        # (bounds.py) or from the fixed earlier figures: presolving the same model again costs more than it
        # gains (measured: small max_load 1.05 s with presolve, 0.27 s without).
        params.cp_model_presolve = False
    # Wall time: less a little for loading the model and reading the solution (det. time: the det. limit rules).
    params.max_time_in_seconds = max(0.05, budget * 0.97 - 0.02) * (30 if clock.deterministic else 1)
    if clock.deterministic:
        params.max_deterministic_time = max(0.05, budget)
    callback = None
    if on_progress is not None:
        callback = _ProgressCallback(stage, comp, staffed_else, on_progress, clock.start)
    status = solver.solve(model, callback)
    clock.used += solver.deterministic_time if clock.deterministic else 0.0
    comp.overhead = max(comp.overhead, time.monotonic() - started - params.max_time_in_seconds)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        log.info("stage %s: no solution (%s) in %.2fs", stage, solver.status_name(status), budget)
        return None
    value = round(solver.objective_value)
    bound = solver.best_objective_bound
    comp.values = [solver.value(v) for v in comp.all_vars()]
    if stage == "coverage" and comp.within_start is not None:  # 2 × coverage + within_start: fix coverage only
        value, bound = value // 2, math.floor(bound / 2)
        model.add(comp.coverage_expr >= value)
    elif stage != "max_load":  # max_load is capped globally before the spread stage
        model.add(expr >= value if maximize else expr <= value)
    else:
        comp.max_load_value = value
    if stage == "coverage":
        comp.coverage_kept_pins = sum(solver.value(k) for k in comp.pin_kept)
    if stage in ("coverage", "changes"):
        comp.changed = True
    return value, bound, status == cp_model.OPTIMAL


def _prove_max_load(problem, comps, todo, candidates, summary, stage_end, clock, workers, on_progress) -> None:
    """The global largest load is max over components, so one component whose largest load V cannot be
    lowered proves V: refute "every teacher load ≤ V − 1" on the relaxation over the full candidate lists
    (bounds.load_cap_refuted), largest components first, within the rest of the max_load stage's time.
    When V is more than PROOF_GAP above the bound (a proof is unlikely, the search is probably still far
    from the optimum) that time goes to more search on the components at V instead."""
    def search_more(share):
        top = [c for c in todo if c.max_load is not None and c.current_max_load() >= summary["value"]]
        end = clock.elapsed() + (stage_end - clock.elapsed()) * share
        ran = False
        for i, c in enumerate(top):
            budget = (end - clock.elapsed()) / (len(top) - i)
            if budget >= 0.05:
                staffed_else = sum(sum(o.values[len(o.x):len(o.x) + len(o.staffed)])
                                   for o in comps if o is not c and o.values is not None)
                _run(c, "max_load", budget, workers, clock, on_progress, staffed_else)
                ran = True
        summary["value"] = max(c.current_max_load() for c in todo if c.max_load is not None)
        return ran

    tried = set()
    while summary["value"] > summary["bound"] and stage_end - clock.elapsed() >= 0.05:
        value = summary["value"]
        if value - summary["bound"] <= PROOF_GAP and value not in tried:
            tried.add(value)
            for c in todo:
                left = stage_end - clock.elapsed()
                if c.max_load is None or c.current_max_load() < value or left < 0.2 + c.size * BUILD_SECONDS:
                    continue  # (building the relaxation alone would take the time left)
                staffed_now = sum(c.values[len(c.x):len(c.x) + len(c.staffed)])
                refuted, det_time = bounds.load_cap_refuted(problem, c.sids, candidates, value - 1, staffed_now,
                                                            left, clock.deterministic)
                clock.used += det_time if clock.deterministic else 0.0
                if refuted:
                    summary["bound"] = value
                    break
            continue
        # Far from the bound, or the proof failed (the relaxation allows less): search more, half the time
        # left while a proof could still follow, else all of it.
        ran = search_more(1.0 if value in tried else 0.5)
        if not ran or (summary["value"] == value and value in tried):
            break
    value = summary["value"]
    summary["optimal"] = value <= summary["bound"]


def _current_value(c: ComponentModel, stage: str) -> int:
    """The figure of a stage in the component's current solution (when the stage found nothing better)."""
    value = dict(zip(c.all_vars(), c.values, strict=False))
    xval = dict(zip(c.x, c.values, strict=False))
    if stage == "coverage":
        w_pin, w_staff = c.coverage_weights
        return (sum(value[k] for k in c.pin_kept) * w_pin + sum(value[v] for v in c.staffed.values()) * w_staff
                + sum(value[v] for v in c.block_ok))
    if stage == "changes":
        return sum(xval[pair] for pair in c.previous)
    if stage == "max_load":
        return c.current_max_load()
    if stage == "spread":
        return c.current_spread()
    if stage == "continuity":
        return sum(value[v] for v in c.series_terms + c.avoid_terms)
    if stage == "cost":
        return sum(cost * value[v] for cost, v in c.cost_terms)
    return 0


def _kept_upper_bound(problem, sids, candidates, previous) -> int:
    """Most previous pairs any roster can keep: those still allowed, at most staff_needed per session."""
    per: dict[str, int] = {}
    for sid, pid in set(previous):
        if pid in candidates.get(sid, []):
            per[sid] = per.get(sid, 0) + 1
    return sum(min(n, problem.sessions[sid].staff_needed) for sid, n in per.items())


FULL_MODEL_PAIRS = 4000  # a component with at most this many candidate pairs keeps them all
SHORTLIST = 10  # people per place the model may choose from, beyond the greedy, pinned and previous ones


def _shortlist(problem, sids, candidates, pairs, pins, previous) -> dict[str, list[str]]:
    """A few candidates per session: greedy/pinned/previous people, series mates, non-teachers, and the
    least-loaded (in the greedy roster) and a deterministic spread of the qualified others."""
    forced: dict[str, set[str]] = {}
    for sid, pid in list(pairs) + list(pins) + list(previous):
        if sid in candidates and pid in candidates[sid]:
            forced.setdefault(sid, set()).add(pid)
    series_people: dict[str, set[str]] = {}
    for sid, pid in pairs:
        series = problem.sessions[sid].series
        if series is not None:
            series_people.setdefault(series, set()).add(pid)
    greedy_staffed = {sid for sid, _ in pairs}
    load: dict[tuple[str, dt.date], int] = {}
    for sid, pid in pairs:
        s = problem.sessions[sid]
        load[(pid, week_of(s.date))] = load.get((pid, week_of(s.date)), 0) + s.minutes
    out = {}
    for sid in sids:
        s = problem.sessions[sid]
        people = candidates[sid]
        limit = SHORTLIST * s.staff_needed
        pick = set(forced.get(sid, ()))
        if len(people) <= limit + len(pick) or sid not in greedy_staffed:  # the greedy could not staff it: all
            out[sid] = list(people)
            continue
        pick |= {p for p in series_people.get(s.series, ()) if p in set(people)}
        pick |= {p for p in people if problem.staff[p].type != policy.TEACHER}
        qualified = [p for p in people if rules.is_qualified(problem, problem.staff[p], s)]
        week = week_of(s.date)
        by_load = sorted(qualified, key=lambda p: (load.get((p, week), 0), zlib.crc32(f"{sid}|{p}".encode())))
        pick |= set(by_load[:limit // 2])
        spread = sorted(qualified, key=lambda p: zlib.crc32(f"{sid}|{p}".encode()))
        pick |= set(spread[:limit // 4])
        if s.staff_needed > 1:
            pick |= set(sorted(people, key=lambda p: zlib.crc32(f"{sid}|{p}".encode()))[:limit // 4])
        out[sid] = [p for p in people if p in pick]
    return out


def _components(problem, active, candidates, gds):
    """Connected sets of sessions: linked by a shared candidate, a provider, or a two-hour block."""
    parent = {}

    def find(a):
        while parent.setdefault(a, a) != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    def union(a, b):
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    for sid in active:
        find(("s", sid))
        for pid in candidates[sid]:
            union(("s", sid), ("p", pid))
            prov = problem.staff[pid].provider
            if prov is not None:
                union(("p", pid), ("v", prov))
    for gd in gds:
        ids = [sid for block in gd.blocks for sid in block[2]]
        for a, b in zip(ids, ids[1:], strict=False):
            union(("s", a), ("s", b))
    groups: dict = {}
    for sid in active:
        groups.setdefault(find(("s", sid)), []).append(sid)
    return list(groups.values())


def solve(problem, time_limit: float = 10.0, workers: int = 2,
          on_progress: Callable[[Progress], None] | None = None, *, wall_clock: bool = False) -> Roster:
    """Solve a problem (Problem, dict or JSON text) into a roster within time_limit seconds.

    With one worker the limit is the solver's deterministic time (the same roster every run, but the wall time may be
    a few times the limit); `wall_clock` makes it wall seconds for one worker too (a batch that must end on time: the
    county coverage plan)."""
    wall_start = time.monotonic()  # the limit counts from here: parsing, the greedy and model building included
    if not isinstance(problem, Problem):
        problem = parse_problem(problem)
    clock = _Clock(deterministic=workers == 1 and not wall_clock, start=wall_start)

    rejected = plan.reject_sessions(problem)  # plan rules
    gds = plan.group_days(problem, rejected)
    active = [sid for sid in problem.sessions if sid not in rejected]
    candidates = greedy.candidate_lists(problem, active)  # pairs that break no single-pair rule
    pins_ok, pin_conflict_pairs = greedy.usable_pins(problem, rejected, candidates)
    previous = [(p.session, p.staff) for p in problem.previous]
    comps = _component_models(problem, active, candidates, gds, pins_ok, previous)
    search_time = _search_time(time_limit, clock)
    stage_results, proven, found_any = _run_stages(problem, comps, candidates, search_time, clock, workers,
                                                   on_progress)
    # "optimal" = the contract's objectives 1-3 (coverage, changes, largest load) proven; see README.
    all_optimal = all(proven[st] for st in ("coverage", "changes", "max_load"))
    staff_of = _best_of(problem, comps)
    staff_order = {pid: i for i, pid in enumerate(problem.staff)}
    spread_bound = _spread_squares_bound(problem, comps, candidates, staff_of)
    return _build_roster(problem, rejected, gds, staff_of, staff_order, pin_conflict_pairs, stage_results,
                         all_optimal, found_any, wall_start, candidates, spread_bound)


def careful_greedy(problem) -> Roster:
    """The careful greedy alone (greedy, repair, rebalancing: greedy.careful_roster) as a roster, written the way
    the engine writes one: the benchmark's baseline, and the engine's start."""
    wall_start = time.monotonic()
    if not isinstance(problem, Problem):
        problem = parse_problem(problem)
    rejected = plan.reject_sessions(problem)
    gds = plan.group_days(problem, rejected)
    staff_of: dict[str, list[str]] = {}
    for sid, pid in sorted(greedy.careful_roster(problem)):
        staff_of.setdefault(sid, []).append(pid)
    staff_order = {pid: i for i, pid in enumerate(problem.staff)}
    return _build_roster(problem, rejected, gds, staff_of, staff_order, [], {}, False, True, wall_start, {})


def _component_models(problem, active, candidates, gds, pins_ok, previous) -> list[ComponentModel]:
    """One model per independent component over a shortlist of candidates (see README "Shortlist and proofs"),
    each started from the careful greedy (greedy, repair, rebalancing), largest first."""
    starts = []
    for sids in _components(problem, active, candidates, gds):
        if not any(candidates[s] for s in sids):
            continue
        sset = set(sids)
        comp_pins = [pin for pin in pins_ok if pin[0] in sset]
        comp_prev = [pair for pair in previous if pair[0] in sset]
        target = bounds.max_load_lower_bound(problem, sids, candidates)
        pairs = greedy.greedy_roster(problem, sids, candidates, comp_pins, comp_prev, target=target)
        pairs = greedy.rebalance(problem, candidates, pairs, fixed=set(comp_pins) | (set(comp_prev) & pairs))
        starts.append((sids, sset, comp_pins, comp_prev, pairs))
    start_max = loads.fairness(problem, {pair for *_, pairs in starts for pair in pairs}).max_minutes
    comps: list[ComponentModel] = []
    for sids, sset, comp_pins, comp_prev, pairs in starts:
        full_pairs = sum(len(candidates[sid]) for sid in sids)
        short = candidates if full_pairs <= FULL_MODEL_PAIRS else _shortlist(
            problem, sids, candidates, pairs, comp_pins, comp_prev)
        c = ComponentModel(problem, sids, short, comp_pins,
                           [gd for gd in gds if all(sid in sset for b in gd.blocks for sid in b[2])], comp_prev)
        c.restricted = any(len(short[sid]) < len(candidates[sid]) for sid in sids)
        c.start_pairs = pairs
        c.add_start_load_preference(start_max)
        c.coverage_done = c.start_from_greedy(pairs, candidates)
        c.kept_ub = _kept_upper_bound(problem, sids, candidates, comp_prev)
        c.load_lb = 0
        comps.append(c)
    comps.sort(key=lambda c: -c.size)
    return comps


def _search_time(time_limit: float, clock: _Clock) -> float:
    """Seconds left for the stages: the limit less what setup took (wall clock) and the reserve for the roster."""
    if clock.deterministic:
        return max(0.1, 0.97 * time_limit - 0.1)
    share, seconds = RESERVE
    left = max(0.1, (1 - share) * time_limit - seconds - clock.elapsed())
    clock.deadline = clock.elapsed() + left
    return left


def _run_stages(problem, comps, candidates, remaining_total, clock, workers, on_progress):
    """Stages, each earlier figure fixed before the next (lexicographic); (results, proven, found_any)."""
    stage_results: dict[str, dict] = {}
    proven = {st.name: True for st in STAGES}
    found_any = True
    spent = clock.elapsed()
    for idx, st in enumerate(STAGES):
        stage = st.name
        summary = {"value": 0, "bound": 0.0, "optimal": True}
        todo = [c for c in comps if c.stage(stage) is not None and (c.values is not None or stage == "coverage")]
        todo = _PREPARE.get(stage, _prepare_nothing)(problem, comps, todo, candidates, summary)
        if not todo:
            stage_results[stage] = summary
            continue
        later = sum(o.share for o in STAGES[idx:] if any(c.stage(o.name) is not None for c in comps))
        left = remaining_total - (clock.elapsed() - spent)
        stage_budget = max(0.05, left * st.share / later)
        stage_end = clock.elapsed() + stage_budget
        search_end = clock.elapsed() + stage_budget * st.search
        size_left = sum(c.size for c in todo)
        for c in todo:
            budget = max(0.05, (search_end - clock.elapsed()) * c.size / size_left)
            size_left -= c.size
            staffed_else = sum(
                sum(o.values[len(o.x):len(o.x) + len(o.staffed)]) for o in comps if o is not c and o.values is not None)
            gap = c.current_max_load() - c.load_lb
            if stage == "max_load" and (gap <= 0 or (gap <= PROOF_GAP and not c.changed)):
                result = None  # at the bound: nothing to search; the careful greedy's start near it: proof first
            else:
                result = _run(c, stage, budget, workers, clock, on_progress, staffed_else)
            if result is None:
                if c.values is None:
                    found_any = False
                else:
                    c.keep_current(stage)
                value, bound, optimal = _current_value(c, stage), None, False
            else:
                value, bound, optimal = result
            # A proof is valid for the whole problem when the model holds every candidate, or when the
            # figure reaches a bound computed from the full candidate lists.
            ok = _RECORD.get(stage, _record_tie_breaker)(c, stage, value, bound, optimal and not c.restricted, summary)
            summary["optimal"] = summary["optimal"] and ok
        if stage == "max_load":
            _prove_max_load(problem, comps, todo, candidates, summary, stage_end, clock, workers, on_progress)
        if stage in ("coverage", "changes"):  # CP-SAT staffed more or kept more: rebalance before the loads
            for c in todo:
                if c.values is not None:
                    c.rebalance()
        proven[stage] = summary["optimal"]
        stage_results[stage] = summary
    return stage_results, proven, found_any


# --- What each stage does before its search (returns the components left to search) and how it records a
# component's figure (returns whether that figure is proven for the whole problem). -----------------------


def _prepare_nothing(problem, comps, todo, candidates, summary):
    return todo


def _prepare_coverage(problem, comps, todo, candidates, summary):
    """Components whose greedy start reaches the coverage upper bound are done already."""
    summary["staffed_bound"] = 0
    for c in todo:
        if c.coverage_done:
            w_pin, w_staff = c.coverage_weights
            value = len(c.pins) * w_pin + c.greedy_value * w_staff + len(c.block_ok)
            summary["value"] += value
            summary["bound"] += value
            summary["staffed_bound"] += c.greedy_value
    return [c for c in todo if not c.coverage_done]


def _prepare_changes(problem, comps, todo, candidates, summary):
    """Components that keep every previous pair that can be kept are done already."""
    done = []
    for c in todo:
        kept = _current_value(c, "changes")
        if kept >= c.kept_ub:
            summary["value"] += kept
            summary["bound"] += kept
            c.model.add(c.kept_expr >= kept)
            done.append(c)
    return [c for c in todo if c not in done]


def _prepare_max_load(problem, comps, todo, candidates, summary):
    """The largest-load bound of each component (counting; the flow relaxation when every session is staffed),
    added to its model so the search stops there."""
    for c in comps:  # the load bound holds for rosters staffing at least what coverage reached
        staffed_now = sum(c.values[len(c.x):len(c.x) + len(c.staffed)]) if c.values else 0
        full = staffed_now >= c.possible
        c.load_lb = bounds.max_load_lower_bound(problem, c.sids, candidates, None if full else staffed_now)
        if full and c.possible == sum(1 for sid in c.sids if candidates[sid]) and c.max_load is not None:
            # every session is staffed in every roster of the first stage: the flow relaxation holds
            c.load_lb = bounds.flow_load_bound(problem, c.sids, candidates, c.load_lb, c.current_max_load())
        if c.max_load is not None and c.load_lb > 0:
            c.model.add(c.max_load >= c.load_lb)
    for c in todo:
        summary["bound"] = max(summary["bound"], c.load_lb)
    if not todo and comps:
        summary["value"] = max((c.current_max_load() for c in comps), default=0)
    return todo


def _prepare_spread(problem, comps, todo, candidates, summary):
    """Every load capped at the global largest load; μ from the current roster (see add_spread)."""
    with_loads = [c for c in comps if c.max_load is not None]
    global_max = max((c.current_max_load() for c in with_loads), default=0)
    step = math.gcd(*(m for c in with_loads for terms in c.loads.values() for m, _ in terms))
    count = len(loads.teacher_week_loads(problem, ()))
    start_total = sum(c.current_teacher_total() for c in with_loads)
    for c in with_loads:
        c.add_spread(global_max, step, count, start_total)
    return todo


def _record_coverage(c, stage, value, bound, cp_proof, summary) -> bool:
    w_pin, w_staff = c.coverage_weights
    ub = len(c.pins) * w_pin + c.possible * w_staff + len(c.block_ok)
    ok = cp_proof or value >= ub
    summary["value"] += value
    summary["bound"] += value if ok else (bound if cp_proof else ub)
    if ok:
        summary["staffed_bound"] += (value - c.coverage_kept_pins * w_pin) // w_staff
    else:
        summary["staffed_bound"] += c.possible
    return ok


def _record_changes(c, stage, value, bound, cp_proof, summary) -> bool:
    ok = cp_proof or value >= c.kept_ub
    summary["value"] += value
    summary["bound"] += value if ok else c.kept_ub
    return ok


def _record_max_load(c, stage, value, bound, cp_proof, summary) -> bool:
    """The global largest load is the largest over components, its bound the largest of their bounds."""
    value = c.current_max_load()
    lb = max(c.load_lb, math.ceil(bound - 1e-6) if (bound is not None and not c.restricted) else 0)
    ok = cp_proof or value <= c.load_lb
    summary["value"] = max(summary["value"], value)
    summary["bound"] = max(summary["bound"], value if ok else lb)
    return ok


def _record_tie_breaker(c, stage, value, bound, cp_proof, summary) -> bool:
    if stage == "spread":  # Σ (load − μ)² in minutes² (≥ 0)
        value = c.spread_in_minutes(value)
        bound = max(0.0, c.spread_in_minutes(bound)) if bound is not None else None
    summary["value"] += value
    summary["bound"] += value if cp_proof or bound is None else bound
    return cp_proof


_PREPARE = {"coverage": _prepare_coverage, "changes": _prepare_changes, "max_load": _prepare_max_load,
            "spread": _prepare_spread}
_RECORD = {"coverage": _record_coverage, "changes": _record_changes, "max_load": _record_max_load}


def _best_of(problem, comps) -> dict[str, list[str]]:
    """Session → staff: per component the CP-SAT roster, or its careful-greedy start when the search ended no
    better on the earlier figures and less fair (a larger largest load, or the same one spread less evenly)."""
    staff_of: dict[str, list[str]] = {}
    for c in comps:
        if c.values is None:
            pairs = c.start_pairs
        else:
            found = {pair for pair, val in zip(c.x, c.values, strict=False) if val}
            pairs = found if _not_worse(problem, c, found, c.start_pairs) else c.start_pairs
        for sid, pid in pairs:
            staff_of.setdefault(sid, []).append(pid)
    return staff_of


def _not_worse(problem, c, found, start) -> bool:
    def earlier(pairs):  # pins kept, sessions staffed, previous pairs kept
        return (sum(pin in pairs for pin in c.pins), len({sid for sid, _ in pairs}),
                sum(pair in pairs for pair in c.previous))

    if earlier(found) != earlier(start):
        return earlier(found) > earlier(start)
    return not loads.fairer(_component_fairness(problem, c, start), _component_fairness(problem, c, found))


def _component_fairness(problem, c, pairs) -> loads.Fairness:
    """Largest load and spread of the component's teachers (the rest of the problem is the same either way)."""
    return loads.from_loads(list(_week_loads(problem, pairs, {key: 0 for key in c.loads}).values()))


def _week_loads(problem, pairs, week_loads: dict) -> dict:
    """Add the minutes of pairs to the (person, week) keys of week_loads (other people are left out)."""
    for sid, pid in pairs:
        key = (pid, week_of(problem.sessions[sid].date))
        if key in week_loads:
            week_loads[key] += problem.sessions[sid].minutes
    return week_loads


def _spread_squares_bound(problem, comps, candidates, staff_of) -> float:
    """Lower bound of Σ teacher load² (minutes²) over rosters giving each component's teachers the teacher total
    this roster gives them: each teacher at most min(largest load, own reach) (bounds.reach), loads multiples of
    the gcd of their sessions' lengths, water-filled."""
    pairs = {(sid, pid) for sid, people in staff_of.items() for pid in people}
    top = loads.fairness(problem, pairs).max_minutes
    total_bound = 0.0
    for c in comps:
        its: dict[tuple[str, dt.date], list] = {}  # every teacher who could serve here (full candidate lists)
        for sid in c.sids:
            s = problem.sessions[sid]
            for pid in candidates[sid]:
                if problem.staff[pid].type == policy.TEACHER:
                    its.setdefault((pid, week_of(s.date)), []).append(s)
        if not its:
            continue
        week_loads = _week_loads(problem, pairs, {key: 0 for key in its})
        rooms = [min(top, bounds.reach(problem, problem.staff[pid], sessions)) for (pid, _w), sessions in its.items()]
        step = math.gcd(*(s.minutes for sessions in its.values() for s in sessions))
        total_bound += loads.even_squares_bound(sum(week_loads.values()), rooms, step)
    return total_bound


def _build_roster(problem, rejected, gds, staff_of, staff_order, pin_conflict_pairs, stage_results,
                  all_optimal, found_any, wall_start, candidates, spread_bound=0.0) -> Roster:
    state = explain.RosterState(problem, staff_of)
    roster = Roster(status="optimal")
    staffed = set()
    for sid, session in problem.sessions.items():
        if sid in rejected:
            findings = rejected[sid]
            roster.rejected.append({"session": sid, "rules": [f.rule for f in findings],
                                    "reason": "；".join(f.zh for f in findings) + " / "
                                    + "; ".join(f.en for f in findings)})
        elif sid in staff_of:
            staffed.add(sid)
            for pid in sorted(staff_of[sid], key=staff_order.get):
                roster.assignments.append({"session": sid, "staff": pid})
        elif not found_any and candidates.get(sid):
            reason = "求解时间内未找到排班 / the solver found no roster within the time limit"
            roster.unstaffed.append({"session": sid, "rules": ["COVERAGE"], "reason": reason})
        else:
            roster.unstaffed.append({"session": sid, **explain.explain_unstaffed(problem, session, state)})
    for gd in gds:
        for f in list(gd.findings) + plan.staffing_findings(problem, gd, staffed):
            roster.plan_errors.append({"rule": f.rule, "group": gd.group, "date": gd.date.isoformat(),
                                       "reason": f.reason})
    for group, day, f in plan.every_school_day_findings(problem):
        roster.plan_errors.append({"rule": f.rule, "group": group, "date": day.isoformat(), "reason": f.reason})
    assigned = {(a["session"], a["staff"]) for a in roster.assignments}
    for pair in problem.pinned:
        if (pair.session, pair.staff) not in assigned:
            plan_rules = [f.rule for f in rejected.get(pair.session, [])]
            roster.pin_conflicts.append(explain.explain_pin(problem, pair.session, pair.staff, state, plan_rules))
    del pin_conflict_pairs  # every unkept pin is explained above, whatever made it fail

    # Status.
    if problem.sessions and len(rejected) == len(problem.sessions):
        roster.status = "infeasible_plan"
    elif not found_any:
        roster.status = "no_solution"
    elif not all_optimal:
        roster.status = "feasible"
    roster.metrics = _metrics(problem, roster, state, staffed, rejected, stage_results, all_optimal, wall_start,
                              spread_bound)
    return roster


def _metrics(problem, roster, state, staffed, rejected, stage_results, all_optimal, wall_start, spread_bound) -> dict:
    active = len(problem.sessions) - len(rejected)
    teacher_loads = [m for (pid, _w), m in state.week_minutes.items() if problem.staff[pid].type == policy.TEACHER]
    max_load = max(teacher_loads, default=0)
    assigned = {(a["session"], a["staff"]) for a in roster.assignments}
    changed = sum(1 for p in problem.previous if (p.session, p.staff) not in assigned)
    cov = stage_results.get("coverage", {})
    staffed_bound = cov.get("staffed_bound", len(staffed)) if cov else len(staffed)
    if cov.get("optimal"):
        staffed_bound = len(staffed)
    load = stage_results.get("max_load")
    load_bound = max_load if load is None else (max_load if load["optimal"] else int(load["bound"] + 0.999))
    load_bound = min(load_bound, max_load)
    changes = stage_results.get("changes")
    fair = loads.fairness(problem, assigned)
    sd_bound = min(fair.sd, loads.sd_of(spread_bound, fair.total, fair.count))
    return {
        "staffed_sessions": len(staffed),
        "max_teacher_minutes": max_load,
        "changed_vs_previous": changed,
        "objective": active - len(staffed),
        "best_bound": max(0, active - max(staffed_bound, len(staffed))),
        "wall_seconds": round(time.monotonic() - wall_start, 3),
        "sessions": len(problem.sessions),
        "sessions_needing_staff": active,
        "rejected_sessions": len(rejected),
        "assignments": len(roster.assignments),
        "max_teacher_minutes_bound": load_bound,
        "max_teacher_minutes_gap": max_load - load_bound,
        "changed_vs_previous_optimal": True if changes is None else changes["optimal"],
        "spread_penalty": (stage_results.get("spread") or {}).get("value", 0),
        "teacher_minutes_sd": round(fair.sd, 2),
        "teacher_minutes_sd_bound": math.floor(sd_bound * 100) / 100,
        "teacher_minutes_sd_gap": round(fair.sd - math.floor(sd_bound * 100) / 100, 2),
        "continuity_penalty": (stage_results.get("continuity") or {}).get("value", 0),
        "provider_cost": sum(
            problem.providers[prov].cost_per_session for (prov, _w), sids in state.provider_sessions.items()
            for _ in sids),
        "proven_optimal": all_optimal,
        "stages": {k: {"value": v["value"], "bound": v["bound"], "optimal": v["optimal"]}
                   for k, v in stage_results.items()},
    }
