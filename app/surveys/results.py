"""The survey's figures, one place each: per school (guardians' overall, staff's overall and workload fairness),
per activity and per provider (count, mean, how many gave each score), the free text, and the mean the county board
and the provider's term evaluation read. Aggregated in SQL: one query per table, whatever the number of schools."""

import math
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import func, select

from app.extensions import db
from app.programs.models import Activity
from app.providers.models import Provider
from app.schools.models import School
from app.surveys.models import HIGHEST, LOWEST, ActivityRating, GuardianAnswer, StaffAnswer, Survey

SCALE = tuple(range(LOWEST, HIGHEST + 1))


@dataclass
class Figure:
    """Answers on the five-point scale: how many gave each score, their number and mean (None without answers)."""

    counts: dict[int, int] = field(default_factory=lambda: dict.fromkeys(SCALE, 0))

    def add(self, score: int, how_many: int) -> None:
        self.counts[score] += how_many

    @property
    def n(self) -> int:
        return sum(self.counts.values())

    @property
    def mean(self) -> float | None:
        return sum(score * k for score, k in self.counts.items()) / self.n if self.n else None


def _figures(query) -> dict:
    """{key: Figure} from rows (key..., score, how many); a key of several columns is a tuple."""
    figures: dict = defaultdict(Figure)
    for *key, score, how_many in db.session.execute(query):
        figures[key[0] if len(key) == 1 else tuple(key)].add(score, how_many)
    return figures


def _in_schools(column, school_ids):
    return column.in_(school_ids) if school_ids is not None else True


@dataclass(frozen=True)
class SchoolResult:
    school: School
    guardians: Figure
    staff_overall: Figure
    staff_workload: Figure


def school_results(survey: Survey, school_ids: list[int] | None = None) -> list[SchoolResult]:
    """Every school of the county (or just these), with the guardians' overall satisfaction and the staff's answers."""
    schools = db.session.scalars(select(School).where(School.county_id == survey.county_id,
                                                      _in_schools(School.id, school_ids)).order_by(School.name))
    guardians = _figures(select(GuardianAnswer.school_id, GuardianAnswer.overall, func.count())
                         .where(GuardianAnswer.survey_id == survey.id)
                         .group_by(GuardianAnswer.school_id, GuardianAnswer.overall))
    staff_overall = _figures(select(StaffAnswer.school_id, StaffAnswer.overall, func.count())
                             .where(StaffAnswer.survey_id == survey.id)
                             .group_by(StaffAnswer.school_id, StaffAnswer.overall))
    staff_workload = _figures(select(StaffAnswer.school_id, StaffAnswer.workload_fairness, func.count())
                              .where(StaffAnswer.survey_id == survey.id)
                              .group_by(StaffAnswer.school_id, StaffAnswer.workload_fairness))
    return [SchoolResult(school, guardians[school.id], staff_overall[school.id], staff_workload[school.id])
            for school in schools]


@dataclass(frozen=True)
class ActivityResult:
    activity: Activity
    school: School
    provider: Provider | None
    figure: Figure


def activity_results(survey: Survey, school_ids: list[int] | None = None) -> list[ActivityResult]:
    """Each activity that was rated, by school then name."""
    figures = _figures(
        select(ActivityRating.activity_id, ActivityRating.rating, func.count())
        .join(GuardianAnswer, GuardianAnswer.id == ActivityRating.answer_id)
        .where(GuardianAnswer.survey_id == survey.id, _in_schools(GuardianAnswer.school_id, school_ids))
        .group_by(ActivityRating.activity_id, ActivityRating.rating))
    if not figures:
        return []
    rows = db.session.execute(select(Activity, School, Provider).join(School, School.id == Activity.school_id)
                              .outerjoin(Provider, Provider.id == Activity.provider_id)
                              .where(Activity.id.in_(list(figures))).order_by(School.name, Activity.name, Activity.id))
    return [ActivityResult(activity, school, provider, figures[activity.id]) for activity, school, provider in rows]


@dataclass(frozen=True)
class ProviderResult:
    provider: Provider
    figure: Figure


def provider_figures(*conditions) -> dict[tuple[int, int], Figure]:
    """{(survey id, provider id): Figure}: the families' ratings of the activities a provider ran, the one query the
    survey's results and the provider's evaluation both read."""
    return _figures(select(GuardianAnswer.survey_id, ActivityRating.provider_id, ActivityRating.rating, func.count())
                    .join(GuardianAnswer, GuardianAnswer.id == ActivityRating.answer_id)
                    .where(ActivityRating.provider_id.is_not(None), *conditions)
                    .group_by(GuardianAnswer.survey_id, ActivityRating.provider_id, ActivityRating.rating))


def provider_results(survey: Survey) -> list[ProviderResult]:
    """The families' ratings of the activities each provider ran that term, across the county's schools."""
    figures = provider_figures(GuardianAnswer.survey_id == survey.id)
    providers = db.session.scalars(select(Provider).where(Provider.id.in_([p for _, p in figures]))
                                   .order_by(Provider.name))
    return [ProviderResult(provider, figures[survey.id, provider.id]) for provider in providers]


def starting_score(mean: float) -> int:
    """A survey mean on the five-point scale as the evaluation's 0–100 score (5 → 100, 3.5 → 70)."""
    return math.floor(mean / HIGHEST * 100 + 0.5)  # halves round up, as on a score sheet


@dataclass(frozen=True)
class Comment:
    school: School
    who: str  # "guardian" or "staff"
    text: str


def comments(survey: Survey, school_ids: list[int] | None = None) -> list[Comment]:
    """The free text, with only the school it came from (never the child or the person): need-to-know is the
    county and the school's own principal, decided by the page."""
    schools = {s.id: s for s in db.session.scalars(select(School).where(School.county_id == survey.county_id))}
    found = []
    for who, model in (("guardian", GuardianAnswer), ("staff", StaffAnswer)):
        rows = db.session.execute(select(model.school_id, model.comment)
                                  .where(model.survey_id == survey.id, model.comment != "",
                                         _in_schools(model.school_id, school_ids))
                                  .order_by(model.school_id, model.id))
        found.extend(Comment(schools[school_id], who, text) for school_id, text in rows)
    return sorted(found, key=lambda c: (c.school.name, c.who))


def school_means(county_id: int, term_name: str) -> dict[int, tuple[float, int]]:
    """For the county board: each school's guardians' overall satisfaction in the survey of that term,
    {school_id: (mean, number of answers)}; schools without answers are left out."""
    rows = db.session.execute(
        select(GuardianAnswer.school_id, func.sum(GuardianAnswer.overall), func.count())
        .join(Survey, Survey.id == GuardianAnswer.survey_id)
        .where(Survey.county_id == county_id, Survey.term_name == term_name)
        .group_by(GuardianAnswer.school_id))
    return {school_id: (total / n, n) for school_id, total, n in rows}


def provider_survey_figures(provider: Provider) -> list[tuple[Survey, Figure]]:
    """Each of the county's surveys in which families rated the provider's activities, newest first."""
    figures = provider_figures(ActivityRating.provider_id == provider.id)
    surveys = db.session.scalars(select(Survey).where(Survey.id.in_([s for s, _ in figures]))
                                 .order_by(Survey.closes_on.desc(), Survey.id.desc()))
    return [(survey, figures[survey.id, provider.id]) for survey in surveys]


def evaluation_start(provider: Provider, term_name: str | None = None) -> tuple[Survey, Figure] | None:
    """The survey to start the provider's term evaluation from: the term asked for, else the newest surveyed term
    not yet evaluated (None: nothing to start from)."""
    surveyed = provider_survey_figures(provider)
    evaluated = {evaluation.term_name for evaluation in provider.evaluations}
    if term_name:
        return next(((s, f) for s, f in surveyed if s.term_name == term_name), None)
    return next(((s, f) for s, f in surveyed if s.term_name not in evaluated), None)
