"""Forms for offerings, activities, publishing and the agreement. Every policy number comes from scheduling.policy."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    DecimalField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    StopValidation,
    ValidationError,
)

from app.accounts.models import Role, User
from app.extensions import db
from app.forms_common import MultiCheckboxField, stripped
from app.models_base import as_utc, school_zone
from app.programs.models import Activity, AllocationMode, FeePeriod, Offering, OfferingKind
from app.programs.services import activity_label, care_holidays, weekday_label
from app.programs.window import day_end
from app.programs.words import priority_group_choices
from app.providers.models import Provider
from app.schools.models import School
from scheduling.policy import (
    ACTIVITIES,
    AFTER_SCHOOL_KIND,
    EVENING_END_LATEST,
    EXCEPTION_REASON_MAX,
    HOLIDAY_KIND,
    MIN_DAILY_MINUTES,
    NEW_LESSON,
    OFFER_HOURS,
    SCHOOL_DAY_WEEKDAYS,
    SUBJECT_TYPE_SUBJECTS,
    evening_study_allowed_for,
    holiday_activity_allowed,
    holiday_care_on,
    provider_may_lead,
)
from scheduling.problem import clock, span_minutes


def to_cents(value: Decimal | None) -> int:
    return int((value or Decimal(0)) * 100)


def as_choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs as WTForms choices."""
    return [SelectChoice(value, label) for value, label in pairs]


def weekday_choices(days=range(7)) -> list[SelectChoice]:
    return as_choices((d, weekday_label(d)) for d in days)




def same_minute(a: datetime | None, b: datetime | None) -> bool:
    """Two moments (aware, or None) equal to the minute, as a datetime-local input shows them."""
    if a is None or b is None:
        return a is b
    return as_utc(a).replace(second=0, microsecond=0) == as_utc(b).replace(second=0, microsecond=0)


MAX_OFFER_HOURS = 336  # two weeks


def unchanged_after_draw(form, field) -> None:
    """Once the offering's draw has run, the window and the mode it ran under stay as they were (even emptied)."""
    offering = form.offering
    if offering is None or offering.drawn_at is None:
        return
    stored = getattr(offering, field.name)
    same = field.data == stored.value if isinstance(stored, AllocationMode) else same_minute(field.data, stored)
    if not same:
        # StopValidation: an Optional() after this would clear a ValidationError on an emptied field.
        raise StopValidation(_l("The draw has run: the application window and the way places are shared can no "
                                "longer change."))


class OfferingForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=as_choices([(AFTER_SCHOOL_KIND, _l("After-school service (per term)")),
                                           (HOLIDAY_KIND, _l("Holiday care (per holiday)"))]))
    term_id = SelectField(_l("Term"), coerce=int, validate_choice=False)
    holiday_id = SelectField(_l("Holiday"), coerce=int, validate_choice=False)
    title = StringField(_l("Title"), validators=[DataRequired(message=_l("Please give a title.")), Length(max=100)],
                        filters=[stripped])
    starts_on = DateField(_l("First day"), validators=[Optional()])
    ends_on = DateField(_l("Last day"), validators=[Optional()])
    weekdays = MultiCheckboxField(_l("Days of the week"), coerce=int)
    exception_weekdays = MultiCheckboxField(_l("Weekly exception days (no after-school service)"), coerce=int)
    exception_reason = StringField(_l("Why the service does not run on the exception days"),
                                   validators=[Length(max=EXCEPTION_REASON_MAX)], filters=[stripped])
    starts_at = TimeField(_l("Starts at"), validators=[InputRequired(message=_l("Please give a time."))])
    ends_at = TimeField(_l("Ends at"), validators=[InputRequired(message=_l("Please give a time."))])
    basic_content = TextAreaField(_l("Basic care (supervision, homework guidance)"), validators=[Length(max=2000)])
    evening_starts_at = TimeField(_l("Evening self-study starts at"), validators=[Optional()])
    evening_ends_at = TimeField(_l("Evening self-study ends at"), validators=[Optional()])
    apply_deadline = DateField(_l("Applications close on"),
                               validators=[InputRequired(message=_l("Please give a date."))])
    fee_period = SelectField(_l("Fee charged per"), choices=as_choices([(FeePeriod.MONTH.value, _l("month")),
                                                              (FeePeriod.TERM.value, _l("term"))]))
    basic_fee = DecimalField(_l("Basic fee (yuan)"), places=2, default=Decimal(0),
                             validators=[InputRequired(), NumberRange(min=0)])
    fee_rules = TextAreaField(_l("Fee rules"), validators=[Length(max=2000)])
    refund_rule = TextAreaField(_l("Refund rule on withdrawal"), validators=[Length(max=2000)])
    hardship_rule = TextAreaField(_l("Hardship waiver rule"), validators=[Length(max=2000)])
    safety_measures = TextAreaField(_l("Safety measures"), validators=[Length(max=2000)])
    priority_groups = MultiCheckboxField(_l("Placed first when an activity is over-subscribed"),
                                         choices=priority_group_choices)
    allocation = SelectField(_l("How places are shared when an activity is over-subscribed"),
                             default=AllocationMode.DRAW.value, validators=[unchanged_after_draw], choices=as_choices([
                                 (AllocationMode.DRAW.value, _l("Draw: every application in the window is equal; "
                                                                "one recorded draw when it closes")),
                                 (AllocationMode.FIRST_COME.value, _l("First come: places go in the order "
                                                                      "applications arrive")),
                             ]))
    window_opens_at = DateTimeLocalField(_l("Applications open at"), validators=[unchanged_after_draw, Optional()],
                                         tz=school_zone,
                                         format=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"])
    window_closes_at = DateTimeLocalField(_l("Applications close (and the draw runs) at"),
                                          validators=[unchanged_after_draw, Optional()], tz=school_zone,
                                          format=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"])
    first_come_after_draw = BooleanField(_l("Places left after the draw go first come until the last day to apply"))
    siblings_together = BooleanField(_l("Keep brothers and sisters together in the draw"), default=True)
    offer_hours = IntegerField(_l("Hours a waiting-list offer stays open"), default=OFFER_HOURS, validators=[
        NumberRange(min=1, max=MAX_OFFER_HOURS,
                    message=_l("An offer stays open between 1 and %(max)d hours.", max=MAX_OFFER_HOURS))])
    submit = SubmitField(_l("Save"))

    def __init__(self, *args, school: School, offering: Offering | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.school = school
        self.offering = offering  # the offering edited (None: a new one)
        self.weekdays.choices = weekday_choices()  # per request: the names follow the page's language
        self.exception_weekdays.choices = weekday_choices(sorted(SCHOOL_DAY_WEEKDAYS))
        self.term_id.choices = as_choices([(0, "—")] + [(t.id, t.name) for t in school.terms])
        self.holiday_id.choices = as_choices([(0, "—")] + [(h.id, h.name) for h in care_holidays(school)])
        self.period = None  # the chosen Term or Holiday, once validated

    @property
    def is_holiday(self) -> bool:
        return self.kind.data == HOLIDAY_KIND

    def validate_term_id(self, field) -> None:
        if self.is_holiday:
            return
        self.period = next((t for t in self.school.terms if t.id == field.data), None)
        if self.period is None:
            raise ValidationError(_l("Please choose the term."))

    def validate_holiday_id(self, field) -> None:
        if not self.is_holiday:
            return
        self.period = next((h for h in care_holidays(self.school) if h.id == field.data), None)
        if self.period is None:
            raise ValidationError(_l("Holiday care is offered for a winter or summer holiday: please choose one."))

    def _dates(self):
        if self.period is None:
            return None
        return (self.starts_on.data or self.period.starts_on, self.ends_on.data or self.period.ends_on)

    def service_days(self, starts_on: date, ends_on: date) -> list[date]:
        """The dates of the period on the chosen days of the week (every date when none is chosen yet)."""
        weekdays = set(self.weekdays.data or range(7))
        days = [starts_on + timedelta(days=n) for n in range((ends_on - starts_on).days + 1)]
        return [d for d in days if d.weekday() in weekdays] or days

    def validate_ends_on(self, field) -> None:
        dates = self._dates()
        if dates is None:
            return
        if dates[1] < dates[0]:
            raise ValidationError(_l("The last day comes before the first day."))
        if dates[0] < self.period.starts_on or dates[1] > self.period.ends_on:
            raise ValidationError(_l("The days must lie within %(period)s (%(start)s to %(end)s).",
                                     period=self.period.name, start=self.period.starts_on, end=self.period.ends_on))

    def validate_weekdays(self, field) -> None:
        if not field.data:
            raise ValidationError(_l("Please choose at least one day."))
        if self.is_holiday and not all(holiday_care_on(day) for day in field.data):
            raise ValidationError(_l("Holiday care does not run at weekends (no weekends in principle)."))
        if not self.is_holiday and not set(field.data) <= SCHOOL_DAY_WEEKDAYS:
            raise ValidationError(_l("After-school service runs on school days, Monday to Friday."))
        missing = sorted(SCHOOL_DAY_WEEKDAYS - set(field.data) - set(self.exception_weekdays.data or []))
        if not self.is_holiday and missing:
            raise ValidationError(_l("After-school service runs every school day: add %(days)s, or declare it a "
                                     "weekly exception day with its reason.",
                                     days="、".join(weekday_label(d) for d in missing)))

    def validate_exception_weekdays(self, field) -> None:
        if self.is_holiday or not field.data:
            return
        both = sorted(set(field.data) & set(self.weekdays.data or []))
        if both:
            raise ValidationError(_l("%(days)s is chosen both as a service day and as an exception day.",
                                     days="、".join(weekday_label(d) for d in both)))

    def validate_exception_reason(self, field) -> None:
        if not self.is_holiday and self.exception_weekdays.data and not field.data:
            raise ValidationError(_l("Please say why there is no service on the exception days (it is shown on "
                                     "the notice)."))

    def validate_ends_at(self, field) -> None:
        if self.starts_at.data is None or field.data is None:
            return
        if field.data <= self.starts_at.data:
            raise ValidationError(_l("The end comes before the start."))
        if not self.is_holiday and span_minutes(self.starts_at.data, field.data) < MIN_DAILY_MINUTES:
            raise ValidationError(_l("After-school service lasts at least %(minutes)d minutes a day.",
                                     minutes=MIN_DAILY_MINUTES))
        days = self.service_days(*self._dates()) if self._dates() is not None else []
        if days:
            work_end = self.school.work_end_over(days)
            if field.data < work_end:
                raise ValidationError(_l("The service may not end before the local end of work (%(time)s).",
                                         time=work_end.strftime("%H:%M")))

    def validate_evening_ends_at(self, field) -> None:
        if field.data is None and self.evening_starts_at.data is None:
            return
        if self.is_holiday or not any(evening_study_allowed_for(g.number) for g in self.school.grades):
            raise ValidationError(_l("Evening self-study is for junior-high grades 7 to 9 in term time."))
        if field.data is None or self.evening_starts_at.data is None or field.data <= self.evening_starts_at.data:
            raise ValidationError(_l("Please give the evening self-study's start and an end after it."))
        if field.data > clock(EVENING_END_LATEST):
            raise ValidationError(_l("Evening self-study ends by %(time)s.", time=EVENING_END_LATEST))

    def validate_apply_deadline(self, field) -> None:
        dates = self._dates()
        if dates is not None and field.data is not None and field.data > dates[1]:
            raise ValidationError(_l("Applications must close before the last day."))

    @property
    def is_draw(self) -> bool:
        return self.allocation.data == AllocationMode.DRAW.value

    def validate_window_opens_at(self, field) -> None:
        if field.data is not None and self.apply_deadline.data is not None \
                and field.data >= day_end(self.apply_deadline.data):
            raise ValidationError(_l("Applications must open before the last day to apply (%(day)s) ends.",
                                     day=self.apply_deadline.data))

    def validate_window_closes_at(self, field) -> None:
        if field.data is None:  # not a valid date and time (Optional() stops the chain on an empty one)
            return
        if not self.is_draw:
            raise ValidationError(_l("First come takes applications until the end of the last day to apply: leave "
                                     "this empty."))
        if self.window_opens_at.data is not None and field.data <= self.window_opens_at.data:
            raise ValidationError(_l("Applications must close after they open."))
        if self.apply_deadline.data is not None and field.data > day_end(self.apply_deadline.data):
            raise ValidationError(_l("Applications must close by the end of the last day to apply (%(day)s).",
                                     day=self.apply_deadline.data))

    def populate_offering(self, offering: Offering) -> None:
        """Copy the validated data into an offering."""
        offering.school_id = self.school.id
        offering.kind = OfferingKind(self.kind.data)
        offering.term_id = None if self.is_holiday else self.period.id
        offering.holiday_id = self.period.id if self.is_holiday else None
        offering.starts_on, offering.ends_on = self._dates()
        offering.title = self.title.data
        offering.weekdays = sorted(self.weekdays.data)
        exceptions = [] if self.is_holiday else sorted(self.exception_weekdays.data or [])
        offering.exception_weekdays = exceptions
        offering.exception_reason = (self.exception_reason.data or "") if exceptions else ""
        offering.starts_at, offering.ends_at = self.starts_at.data, self.ends_at.data
        offering.basic_content = self.basic_content.data or ""
        offering.evening_starts_at, offering.evening_ends_at = self.evening_starts_at.data, self.evening_ends_at.data
        offering.apply_deadline = self.apply_deadline.data
        offering.fee_period = FeePeriod(self.fee_period.data)
        offering.basic_fee_cents = to_cents(self.basic_fee.data)
        offering.fee_rules = self.fee_rules.data or ""
        offering.refund_rule = self.refund_rule.data or ""
        offering.hardship_rule = self.hardship_rule.data or ""
        offering.safety_measures = self.safety_measures.data or ""
        offering.priority_groups = list(self.priority_groups.data or [])
        offering.allocation = AllocationMode(self.allocation.data)
        offering.window_opens_at = self.window_opens_at.data.astimezone(UTC) if self.window_opens_at.data else None
        offering.window_closes_at = (self.window_closes_at.data.astimezone(UTC) if self.window_closes_at.data
                                     else None)
        offering.first_come_after_draw = self.is_draw and self.first_come_after_draw.data
        offering.siblings_together = self.siblings_together.data
        offering.offer_hours = self.offer_hours.data

    def fill_from(self, offering: Offering) -> None:
        """Show an existing offering's values (GET of the edit page)."""
        self.kind.data = offering.kind.value
        self.term_id.data = offering.term_id or 0
        self.holiday_id.data = offering.holiday_id or 0
        for name in ("title", "starts_on", "ends_on", "weekdays", "exception_weekdays", "exception_reason",
                     "starts_at", "ends_at", "basic_content",
                     "evening_starts_at", "evening_ends_at", "apply_deadline", "fee_rules", "refund_rule",
                     "hardship_rule", "safety_measures", "priority_groups"):
            getattr(self, name).data = getattr(offering, name)
        self.fee_period.data = offering.fee_period.value
        self.basic_fee.data = Decimal(offering.basic_fee_cents) / 100
        self.allocation.data = offering.allocation.value
        self.window_opens_at.data = as_utc(offering.window_opens_at)
        self.window_closes_at.data = as_utc(offering.window_closes_at)
        for name in ("first_come_after_draw", "siblings_together", "offer_hours"):
            getattr(self, name).data = getattr(offering, name)


class ActivityForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(message=_l("Please give a name.")), Length(max=100)],
                       filters=[stripped])
    activity = SelectField(_l("Kind of activity"))
    subject = SelectField(_l("School subject it teaches, if any"))
    description = TextAreaField(_l("Description"), validators=[Length(max=2000)])
    grades = MultiCheckboxField(_l("Grades allowed"), coerce=int)
    weekdays = MultiCheckboxField(_l("Days of the week"), coerce=int)
    starts_at = TimeField(_l("Starts at"), validators=[InputRequired(message=_l("Please give a time."))])
    ends_at = TimeField(_l("Ends at"), validators=[InputRequired(message=_l("Please give a time."))])
    capacity = IntegerField(_l("Places"), validators=[InputRequired(message=_l("Please give the number of places.")),
                                                      NumberRange(min=1, max=1000)])
    room = StringField(_l("Room"), validators=[Length(max=50)], filters=[stripped])
    leader_id = SelectField(_l("Led by a teacher of the school"), coerce=int, validate_choice=False)
    provider_id = SelectField(_l("or by a vetted provider"), coerce=int, validate_choice=False)
    fee = DecimalField(_l("Extra fee (yuan)"), places=2, default=Decimal(0), validators=[InputRequired(),
                                                                                        NumberRange(min=0)])
    submit = SubmitField(_l("Save"))

    def __init__(self, *args, offering: Offering, activity: Activity | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.offering = offering
        self.existing = activity
        school = offering.school
        self.activity.choices = as_choices([(code, activity_label(code)) for code in ACTIVITIES])
        self.subject.choices = as_choices([("", _l("none"))] + [(s, s) for s in sorted(SUBJECT_TYPE_SUBJECTS)])
        self.grades.choices = as_choices([(g.number, str(g.number)) for g in school.grades])
        self.weekdays.choices = weekday_choices(offering.weekdays)
        self.teachers = db.session.scalars(
            db.select(User).filter_by(school_id=school.id, role=Role.TEACHER).order_by(User.name)).all()
        self.providers = db.session.scalars(
            db.select(Provider).filter_by(county_id=school.county_id).order_by(Provider.name)).all()
        self.leader_id.choices = as_choices([(0, "—")] + [(t.id, t.name) for t in self.teachers])
        self.provider_id.choices = as_choices([(0, "—")] + [(p.id, p.name) for p in self.providers])

    def validate_activity(self, field) -> None:
        if field.data == NEW_LESSON:
            raise ValidationError(_l("Teaching new lessons is not allowed in after-school time."))
        if self.offering.is_holiday_care and not holiday_activity_allowed(field.data):
            raise ValidationError(_l("Holiday care is mainly supervision: no group tutoring or homework classes."))

    def validate_subject(self, field) -> None:
        if field.data and self.offering.is_holiday_care:
            raise ValidationError(_l("Holiday care has no subject-type content."))

    def validate_grades(self, field) -> None:
        if not field.data:
            raise ValidationError(_l("Please choose at least one grade."))

    def validate_weekdays(self, field) -> None:
        if not field.data:
            raise ValidationError(_l("Please choose at least one day."))

    def validate_ends_at(self, field) -> None:
        if self.starts_at.data is not None and field.data is not None and field.data <= self.starts_at.data:
            raise ValidationError(_l("The end comes before the start."))

    def validate_capacity(self, field) -> None:
        if self.existing is not None and field.data is not None and field.data < self.existing.taken:
            raise ValidationError(_l("%(taken)d places are already taken or offered: the activity cannot have fewer "
                                     "places than that.", taken=self.existing.taken))

    def validate_leader_id(self, field) -> None:
        if field.data and self.provider_id.data:
            raise ValidationError(_l("Choose a teacher or a provider, not both."))
        if not field.data and not self.provider_id.data:
            raise ValidationError(_l("Please say who leads the activity."))
        if field.data and field.data not in {t.id for t in self.teachers}:
            raise ValidationError(_l("Please choose a teacher of this school."))

    def validate_provider_id(self, field) -> None:
        if not field.data:
            return
        provider = next((p for p in self.providers if p.id == field.data), None)
        if provider is None:
            raise ValidationError(_l("Please choose a provider of the county whitelist."))
        if not provider.is_vetted_on(self.offering.ends_on):
            raise ValidationError(_l("%(name)s is not on the county whitelist through %(day)s.",
                                     name=provider.name, day=self.offering.ends_on))
        if self.subject.data or any(c in SUBJECT_TYPE_SUBJECTS for c in provider.categories):
            raise ValidationError(_l("Providers may lead only non-subject activities."))
        if not provider_may_lead(self.activity.data):
            raise ValidationError(_l("Supervision and homework guidance are led by school staff, not providers."))
        if self.activity.data not in provider.categories:
            raise ValidationError(_l("%(name)s is not vetted for this kind of activity.", name=provider.name))

    def populate_activity(self, activity: Activity) -> None:
        """Copy the validated data into an activity."""
        for name in ("name", "activity", "subject", "starts_at", "ends_at", "capacity", "room"):
            setattr(activity, name, getattr(self, name).data)
        activity.description = self.description.data or ""
        activity.grades = sorted(self.grades.data)
        activity.weekdays = sorted(self.weekdays.data)
        activity.leader_id = self.leader_id.data or None
        activity.provider_id = self.provider_id.data or None
        activity.fee_cents = to_cents(self.fee.data)
        if activity.taken is None:
            activity.taken = 0

    def fill_from(self, activity: Activity) -> None:
        for name in ("name", "activity", "subject", "description", "grades", "weekdays", "starts_at", "ends_at",
                     "capacity", "room"):
            getattr(self, name).data = getattr(activity, name)
        self.leader_id.data = activity.leader_id or 0
        self.provider_id.data = activity.provider_id or 0
        self.fee.data = Decimal(activity.fee_cents) / 100


class GroupForm(ActivityForm):
    """Another group of an activity (加开): its own places, days, time, room and leader. The kind, subject,
    description, grades and fee are the first group's, whatever is posted (they are not on the page)."""

    fee = DecimalField(_l("Extra fee (yuan)"), places=2)  # the first group's: not asked for

    def __init__(self, *args, original: Activity, **kwargs):
        super().__init__(*args, offering=original.offering, **kwargs)
        self.original = original
        for name in ("activity", "subject", "description", "grades"):
            getattr(self, name).data = getattr(original, name)
        self.fee.data = Decimal(original.fee_cents) / 100


class PublishForm(FlaskForm):
    change_note = StringField(_l("What changed (shown with the new version)"), validators=[Length(max=500)])
    submit = SubmitField(_l("Publish"))


class AgreementForm(FlaskForm):
    body = TextAreaField(_l("Agreement text"), validators=[DataRequired(message=_l("Please write the agreement.")),
                                                           Length(max=10000)])
    submit = SubmitField(_l("Save as a new version"))

