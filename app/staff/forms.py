"""Forms for staff accounts and profiles, exemption, and a teacher's own participation."""

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TimeField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from app.accounts.forms import PASSWORD_MIN_LENGTH, mobile_field
from app.accounts.models import User
from app.forms_common import MultiCheckboxField, stripped
from app.models_base import local_today
from app.staff import services
from app.staff.models import StaffProfile
from scheduling.policy import TEACHER_MAX_DAILY_MINUTES, TEACHER_MAX_DAYS, TEACHER_MAX_WEEKLY_MINUTES


def limits_fields():
    """The weekly minutes and days a retired teacher or volunteer can give."""
    return (
        IntegerField(_l("Most minutes a week"), validators=[
            Optional(), NumberRange(min=0, max=7 * 24 * 60, message=_l("Between %(min)s and %(max)s."))],
            render_kw={"inputmode": "numeric", "min": 0, "placeholder": str(TEACHER_MAX_WEEKLY_MINUTES)}),
        IntegerField(_l("Most days a week"), validators=[
            Optional(), NumberRange(min=0, max=7, message=_l("Between %(min)s and %(max)s."))],
            render_kw={"inputmode": "numeric", "min": 0, "max": 7, "placeholder": str(TEACHER_MAX_DAYS)}),
    )


class StaffForm(FlaskForm):
    """Add or edit a staff member; `user` is the one being edited (None when adding)."""

    name = StringField(_l("Name"), validators=[
        DataRequired(message=_l("Please fill this in.")), Length(max=50, message=_l("At most %(max)d characters."))],
        filters=[stripped], render_kw={"maxlength": 50})
    mobile = mobile_field(_l("Mobile number (the login)"))
    staff_type = SelectField(_l("Type"))
    password = PasswordField(_l("Initial password"), validators=[
        Optional(), Length(min=PASSWORD_MIN_LENGTH, max=128,
                           message=_l("A password has between %(min)d and %(max)d characters."))],
        render_kw={"autocomplete": "new-password"})
    subjects = MultiCheckboxField(_l("Subjects taught"))
    skills = MultiCheckboxField(_l("Can lead"))
    max_weekly_minutes, max_days = limits_fields()
    submit = SubmitField(_l("Save"))

    def __init__(self, *args, user: User | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.staff_type.choices = [SelectChoice(kind, services.STAFF_TYPE_LABELS[kind])
                                   for kind in services.SCHOOL_STAFF_TYPES]
        self.subjects.choices = [SelectChoice(subject) for subject in services.SUBJECTS]
        self.skills.choices = services.skill_choices()
        if user is not None:
            del self.password

    def validate_mobile(self, field) -> None:
        if services.mobile_taken(field.data, except_user_id=self.user.id if self.user else None):
            raise ValidationError(_l("This mobile number already has an account."))


class ExemptForm(FlaskForm):
    exempt = BooleanField(_l("Exempt from after-school duty"))
    reason = StringField(_l("Reason"), validators=[Length(max=200, message=_l("At most %(max)d characters."))],
                         filters=[stripped], render_kw={"maxlength": 200})
    submit = SubmitField(_l("Save"))

    def validate_reason(self, field) -> None:
        if self.exempt.data and not field.data:
            raise ValidationError(_l("Please give the reason for the exemption."))


class ParticipationForm(FlaskForm):
    """A staff member's own choice; the limits only for retired teachers and volunteers."""

    opted_in = BooleanField(_l("I take part in after-school service this term"))
    skills = MultiCheckboxField(_l("I can lead"))
    max_weekly_minutes, max_days = limits_fields()
    submit = SubmitField(_l("Save"))

    def __init__(self, *args, exempt: bool, in_service: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.exempt = exempt
        self.skills.choices = services.skill_choices()
        if in_service:
            del self.max_weekly_minutes
            del self.max_days

    def validate_opted_in(self, field) -> None:
        if field.data and self.exempt:
            raise ValidationError(_l("You are exempt from after-school duty. Ask the school to lift the exemption "
                                     "first if you want to take part."))


# --- Availability (issue 6) ---


class _WindowForm(FlaskForm):
    """A time the person cannot serve; `profile` is whose it is (for the duplicate check).

    Each subclass says when the window falls with `_when()`: {"weekday": ..., "on_date": ...}.
    """

    starts_at = TimeField(_l("From"), validators=[InputRequired(message=_l("Please fill this in."))])
    ends_at = TimeField(_l("Until"), validators=[InputRequired(message=_l("Please fill this in."))])
    reason = StringField(_l("Note (optional)"), validators=[Length(max=200, message=_l("At most %(max)d characters."))],
                         filters=[stripped], render_kw={"maxlength": 200})
    submit = SubmitField(_l("Add"))

    def __init__(self, *args, profile: StaffProfile, **kwargs):
        super().__init__(*args, **kwargs)
        self.profile = profile

    def validate_ends_at(self, field) -> None:
        if self.starts_at.data is None or field.data is None:
            return
        if field.data <= self.starts_at.data:
            raise ValidationError(_l("The end must be after the start."))
        if services.window_exists(self.profile, starts_at=self.starts_at.data, ends_at=field.data, **self._when()):
            raise ValidationError(_l("This time is already listed."))


class RegularWindowForm(_WindowForm):
    """Every week on a weekday."""

    weekday = SelectField(_l("Weekday"), coerce=int)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.weekday.choices = [SelectChoice(day, services.weekday_label(day)) for day in range(7)]

    def _when(self) -> dict:
        return {"weekday": self.weekday.data, "on_date": None}


class OneOffWindowForm(_WindowForm):
    """On one date, today or later."""

    on_date = DateField(_l("Date"), validators=[InputRequired(message=_l("Please fill this in."))])

    def _when(self) -> dict:
        return {"weekday": None, "on_date": self.on_date.data}

    def validate_on_date(self, field) -> None:
        if field.data is not None and field.data < local_today():
            raise ValidationError(_l("The date is in the past."))


def _minutes_field(weekday: int) -> IntegerField:
    return IntegerField(
        lazy_weekday_label(weekday),
        validators=[Optional(), NumberRange(min=0, max=TEACHER_MAX_DAILY_MINUTES,
                                            message=_l("Between %(min)s and %(max)s."))],
        render_kw={"inputmode": "numeric", "min": 0, "max": TEACHER_MAX_DAILY_MINUTES})


def lazy_weekday_label(weekday: int):
    """A weekday's label, resolved in the request's language when rendered."""
    return LazyString(services.weekday_label, weekday)


class TeachingMinutesForm(FlaskForm):
    """Minutes taught per school day (from the timetable); empty means none."""

    submit = SubmitField(_l("Save teaching minutes"))

    def __init__(self, *args, minutes: dict[int, int] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if minutes is not None and not self.is_submitted():
            for weekday in services.TEACHING_WEEKDAYS:
                self[f"day{weekday}"].data = minutes.get(weekday)

    @property
    def day_fields(self) -> list:
        return [self[f"day{weekday}"] for weekday in services.TEACHING_WEEKDAYS]

    def minutes(self) -> dict[int, int | None]:
        return {weekday: self[f"day{weekday}"].data for weekday in services.TEACHING_WEEKDAYS}


for _weekday in services.TEACHING_WEEKDAYS:
    setattr(TeachingMinutesForm, f"day{_weekday}", _minutes_field(_weekday))


class WindowDeleteForm(FlaskForm):
    """Remove one unavailable time (the id is checked against the person's own windows)."""

    window_id = IntegerField(validators=[InputRequired()])
