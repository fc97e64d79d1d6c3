"""Forms for applying, reviewing, withdrawing and fees. Policy numbers come from scheduling.policy."""

from datetime import date
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, ValidationError

from app.enrolment import services as fees
from app.enrolment.models import Pickup
from app.enrolment.services import application_for
from app.forms_common import MultiCheckboxField, stripped
from app.models_base import utcnow
from app.privacy.services import FAMILY_SITUATION, SENSITIVE_GROUPS, has_sensitive_data
from app.programs.forms import as_choices, weekday_choices
from app.programs.models import Offering
from app.programs.window import accepts_applications, apply_by_text
from app.programs.words import priority_group_choices
from app.schools.models import Student
from scheduling.policy import FEE_SPAN_MONTHS, evening_study_allowed_for, holiday_care_on

RANKS = 3  # extended activities a guardian may rank


UNREAD = object()  # ApplicationForm's `existing` when the page did not read the child's application


class ApplicationForm(FlaskForm):
    """The application for one child the guardian is confirmed for (the page names the child: no number to type).
    `choices_locked`: a returned application fixed after its choices went into the draw or the first-come places;
    its activity choices and priority groups stay as they are, the rest can be corrected."""

    weekdays = MultiCheckboxField(_l("Days of the week"), coerce=int, validate_choice=False)
    choice_1 = SelectField(_l("First choice of extended activity"), coerce=int, validate_choice=False)
    choice_2 = SelectField(_l("Second choice"), coerce=int, validate_choice=False)
    choice_3 = SelectField(_l("Third choice"), coerce=int, validate_choice=False)
    evening_study = BooleanField(_l("Evening self-study (grades 7–9; may leave early)"))
    pickup = RadioField(_l("Going home"), default=Pickup.COLLECTED.value, choices=as_choices([
        (Pickup.COLLECTED.value, _l("Collected by the people named below")),
        (Pickup.WALKS_ALONE.value, _l("Walks home alone")),
    ]))
    pickup_people = StringField(_l("Who may collect the child (names and relationship)"),
                                validators=[Length(max=200)], filters=[stripped])
    walk_alone_consent = BooleanField(_l("I agree that my child walks home alone and take responsibility for it"))
    health_notes = TextAreaField(_l("Health notes or special needs (optional)"), validators=[Length(max=2000)])
    health_consent = BooleanField(_l("I consent separately to the school keeping these health notes (sensitive "
                                     "personal information of a minor); I can withdraw this at any time"))
    priority_groups = MultiCheckboxField(_l("Our family belongs to (checked by the school before the draw)"),
                                         choices=priority_group_choices)
    hardship = BooleanField(_l("Request a hardship fee waiver"))
    situation_consent = BooleanField(_l("I consent separately to the school keeping what these answers say about our "
                                        "family (hardship, left-behind child, working late: sensitive personal "
                                        "information); I can withdraw this at any time"))
    agree = BooleanField(_l("I have read the agreement and sign it"))
    submit = SubmitField(_l("Send the application"))

    def __init__(self, *args, student: Student, offering: Offering, today: date, editing=None,
                 choices_locked: bool = False, existing=UNREAD, **kwargs):
        super().__init__(*args, **kwargs)
        self.student, self.offering, self.today, self.editing = student, offering, today, editing
        self.existing = existing  # the child's application to the offering, when the page has just read it
        self.choices_locked = choices_locked
        self.grade = student.school_class.grade.number
        self.weekdays.choices = weekday_choices(offering.weekdays)
        self.open_activities = [a for a in offering.activities if self.grade in a.grades and a.section_of_id is None]
        choices = [(0, "—")] + [(a.id, a.name) for a in self.open_activities]
        for field in self.choice_fields:
            field.choices = choices
        self.priority_groups.choices = [c for c in priority_group_choices() if c.value in offering.priority_groups]

    @property
    def choice_fields(self):
        return [self.choice_1, self.choice_2, self.choice_3][:RANKS]

    @property
    def offers_evening(self) -> bool:
        return self.offering.evening_ends_at is not None and evening_study_allowed_for(self.grade)

    def pickup_value(self) -> Pickup:
        return Pickup(self.pickup.data)

    def ranked_activity_ids(self) -> list[int]:
        return [f.data for f in self.choice_fields if f.data]

    def validate(self, extra_validators=None) -> bool:
        """The fields' rules, then whether the offering takes this application now (shown above the form)."""
        valid = super().validate(extra_validators)
        problem = self.window_problem()
        if problem is not None:
            self.form_errors.append(problem)
        return valid and problem is None

    def window_problem(self) -> str | None:
        """Why the offering cannot take this application now, or None. A returned application's corrections are
        taken whenever it was returned (its choices are locked then)."""
        if self.choices_locked:
            return None
        if not accepts_applications(self.offering, utcnow()):
            return _l("This offering is not taking applications now (the last moment to apply is %(time)s).",
                      time=apply_by_text(self.offering))
        existing = application_for(self.student, self.offering) if self.existing is UNREAD else self.existing
        if existing is not None and existing is not self.editing:
            return _l("%(name)s already has an application for this offering.", name=self.student.name)
        return None

    def validate_weekdays(self, field) -> None:
        if not field.data:
            raise ValidationError(_l("Please choose at least one day."))
        if self.offering.is_holiday_care and not all(holiday_care_on(day) for day in field.data):
            raise ValidationError(_l("Holiday care does not run at weekends (no weekends in principle)."))
        if not set(field.data) <= set(self.offering.weekdays):
            raise ValidationError(_l("Please choose among the days the school offers."))

    def validate_choice_1(self, field) -> None:
        if self.choices_locked:
            return
        wanted = self.ranked_activity_ids()
        if len(wanted) != len(set(wanted)):
            raise ValidationError(_l("Each activity can be chosen once."))
        by_id = {a.id: a for a in self.offering.activities}
        for activity_id in wanted:
            activity = by_id.get(activity_id)
            if activity is None:
                raise ValidationError(_l("Please choose among this offering's activities."))
            if self.grade not in activity.grades:
                raise ValidationError(_l("%(activity)s is not open to grade %(grade)d.", activity=activity.name,
                                         grade=self.grade))

    def validate_evening_study(self, field) -> None:
        if field.data and not self.offers_evening:
            raise ValidationError(_l("Evening self-study is for junior-high grades 7 to 9 in term time."))

    def validate_pickup_people(self, field) -> None:
        if self.pickup.data == Pickup.COLLECTED.value and not field.data:
            raise ValidationError(_l("Please name who may collect the child."))

    def validate_walk_alone_consent(self, field) -> None:
        if self.pickup.data == Pickup.WALKS_ALONE.value and not field.data:
            raise ValidationError(_l("A child walks home alone only with the guardian's consent."))

    def validate_health_consent(self, field) -> None:
        if (self.health_notes.data or "").strip() and not field.data:
            raise ValidationError(_l("Health notes are kept only with your separate consent: tick the box, or leave "
                                     "the notes empty."))

    def validate_situation_consent(self, field) -> None:
        groups = self.editing.priority_groups if self.choices_locked and self.editing else self.priority_groups.data
        if (self.hardship.data or set(groups or []) & set(SENSITIVE_GROUPS)) and not field.data:
            raise ValidationError(_l("A hardship request or a priority group about your family's situation is kept "
                                     "only with your separate consent: tick the box, or leave them unticked."))

    def validate_agree(self, field) -> None:
        if not field.data:
            raise ValidationError(_l("Please read and sign the agreement."))

    def fill_from(self, application) -> None:
        self.weekdays.data = list(application.weekdays)
        ranked = [c.activity_id for c in application.choices]
        for field, activity_id in zip(self.choice_fields, ranked + [0] * RANKS, strict=False):
            field.data = activity_id
        self.evening_study.data = application.evening_study
        self.pickup.data = application.pickup.value
        self.pickup_people.data = application.pickup_people
        self.walk_alone_consent.data = application.walk_alone_consent
        self.health_notes.data = application.health_notes
        self.health_consent.data = bool(application.health_notes)
        self.priority_groups.data = list(application.priority_groups)
        self.hardship.data = application.hardship.value != "none"
        self.situation_consent.data = has_sensitive_data(application, FAMILY_SITUATION)


class ReturnForm(FlaskForm):
    reason = StringField(_l("Reason (the guardian sees it)"),
                         validators=[DataRequired(message=_l("Please give a reason.")), Length(max=500)],
                         filters=[stripped])
    submit = SubmitField(_l("Return to the guardian"))


class ApproveForm(FlaskForm):
    submit = SubmitField(_l("Approve the confirmed applications"))


class RemovePlaceForm(FlaskForm):
    reason = StringField(_l("Why the place is removed (the guardian sees it)"),
                         validators=[DataRequired(message=_l("Please give a reason.")), Length(max=200)],
                         filters=[stripped])
    submit = SubmitField(_l("Remove the place and offer it to the next child"))


class SiblingForm(FlaskForm):
    """Link this application with a sibling's for the same offering (the guardian's other children)."""

    other = SelectField(_l("Keep together with"), coerce=int,
                        validators=[InputRequired(message=_l("Please choose the sibling's application."))])
    submit = SubmitField(_l("Link the siblings"))

    def __init__(self, *args, candidates: list, **kwargs):
        super().__init__(*args, **kwargs)
        self.other.choices = [(a.id, a.student.name) for a in candidates]


class ChargeForm(FlaskForm):
    first_month = DateField(_l("First month charged"), validators=[InputRequired(message=_l("Please give a date."))])
    months = IntegerField(_l("Months"), default=1, validators=[
        InputRequired(), NumberRange(min=1, max=FEE_SPAN_MONTHS,
                                     message=_l("Between %(min)d and %(max)d months."))])
    submit = SubmitField(_l("Charge"))

    def __init__(self, *args, application, today: date, **kwargs):
        super().__init__(*args, **kwargs)
        self.application, self.today = application, today

    def validate_months(self, field) -> None:
        """000 §(二)13: the fees charged, at once or in parts, cover at most FEE_SPAN_MONTHS counting this month."""
        if field.data is None or self.first_month.data is None or field.errors:
            return
        twice = fees.first_month_charged_twice(self.application, self.first_month.data, field.data)
        if twice is not None:
            raise ValidationError(_l("%(month)s is already charged.", month=twice.strftime("%Y-%m")))
        if fees.fee_span_months(self.application, self.today, self.first_month.data, field.data) > FEE_SPAN_MONTHS:
            raise ValidationError(_l(
                "Fees may not cover more than %(max)d months counting this one, charged at once or in parts: "
                "months up to %(last)s may be charged now.",
                max=FEE_SPAN_MONTHS, last=fees.last_month_chargeable(self.today).strftime("%Y-%m")))


class PaymentForm(FlaskForm):
    amount = DecimalField(_l("Amount received (yuan)"), places=2,
                          validators=[InputRequired(), NumberRange(min=Decimal("0.01"))])
    reference = StringField(_l("Receipt or reference"), validators=[Length(max=100)], filters=[stripped])
    submit = SubmitField(_l("Mark as received"))

    def __init__(self, *args, application, **kwargs):
        super().__init__(*args, **kwargs)
        self.application = application

    def cents(self) -> int:
        return int(self.amount.data * Decimal(100))

    def validate_amount(self, field) -> None:
        """No payment beyond what is charged: at most what the family owes now."""
        if field.data is None or field.errors:
            return
        owed = fees.owed_cents(self.application)
        if self.cents() > owed:
            raise ValidationError(_l("A payment may not be more than what is owed (¥%(owed).2f).",
                                     owed=owed / 100))


class HardshipDecisionForm(FlaskForm):
    decision = RadioField(_l("Decision"), choices=as_choices([("approve", _l("Approve the waiver")),
                                                   ("refuse", _l("Refuse"))]), default="approve")
    reason = StringField(_l("Reason"), validators=[Length(max=500)], filters=[stripped])
    submit = SubmitField(_l("Decide"))
