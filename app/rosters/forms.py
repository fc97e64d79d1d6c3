"""Forms for templates, settings, the week's sessions, what-if runs, adjustments and publishing.

Choices (kinds, activities, weekdays) and limits come from scheduling.policy; the plan rules themselves are
checked by the engine on the planned week (services.plan_problems), never restated here.
"""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TimeField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from app.forms_common import MultiCheckboxField
from app.programs.services import activity_label, kind_label, weekday_label
from app.schools.models import School, class_label
from scheduling import policy


def _class_choices(school: School) -> list[tuple[int, str]]:
    return [(c.id, class_label(c)) for g in school.grades for c in g.classes]


def subject_choices() -> list[tuple[str, str]]:
    """None, then the policy's subjects, subject-type (学科类) ones marked as such."""
    return [("", str(_l("none")))] + [
        (name, str(_l("%(name)s (subject-type)", name=name)) if subject_type else name)
        for name, subject_type in policy.SUBJECTS.items()]


class _SessionFields(FlaskForm):
    """Fields shared by a template and a single planned session."""

    series = StringField(_l("Label"), validators=[DataRequired(), Length(max=100)])
    starts_at = TimeField(_l("Starts"), validators=[InputRequired()])
    ends_at = TimeField(_l("Ends"), validators=[InputRequired()])
    kind = SelectField(_l("Kind of session"))
    activity = SelectField(_l("Activity"))
    subject = SelectField(_l("Subject (optional)"), validate_choice=False)
    room = StringField(_l("Room"), validators=[Optional(), Length(max=50)])
    classes = MultiCheckboxField(_l("Classes"), coerce=int)

    def __init__(self, *args, school: School, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = [(k, kind_label(k)) for k in policy.KINDS]
        self.activity.choices = [(a, activity_label(a)) for a in policy.ACTIVITIES]
        self.subject.choices = subject_choices()
        self.classes.choices = _class_choices(school)

    def validate_subject(self, field):
        """Only the policy's subjects (002 (二)3): a name typed freely could pass a subject-type one as non-subject."""
        if (field.data or "") not in policy.SUBJECTS and field.data:
            raise ValidationError(_l("Please choose the subject from the list."))

    def validate_ends_at(self, field):
        if self.starts_at.data and field.data and field.data <= self.starts_at.data:
            raise ValidationError(_l("The end must be after the start."))

    def validate_classes(self, field):
        if not field.data:
            raise ValidationError(_l("Choose at least one class."))


class TemplateForm(_SessionFields):
    """A weekly repeating session."""

    weekdays = MultiCheckboxField(_l("Days"), coerce=int, validators=[DataRequired()])
    typed_enrolled = IntegerField(_l("Children expected (when no approved places can be counted)"),
                                  validators=[Optional(), NumberRange(min=0, max=2000)])
    staff_needed = IntegerField(_l("Staff needed (empty: by the children-per-staff ratio)"),
                                validators=[Optional(), NumberRange(min=1, max=20)])
    submit = SubmitField(_l("Save"))

    def __init__(self, *args, school: School, **kwargs):
        super().__init__(*args, school=school, **kwargs)
        self.weekdays.choices = [(d, weekday_label(d)) for d in range(7)]

class SessionForm(_SessionFields):
    """One extra session of a week."""

    on_date = DateField(_l("Date"), validators=[InputRequired()])
    enrolled = IntegerField(_l("Children expected (when no approved places can be counted)"),
                            validators=[InputRequired(), NumberRange(min=0, max=2000)])
    staff_needed = IntegerField(_l("Staff needed"), validators=[InputRequired(), NumberRange(min=1, max=20)])
    submit = SubmitField(_l("Add session"))

    def __init__(self, *args, school: School, week=None, **kwargs):
        super().__init__(*args, school=school, **kwargs)
        self._week = week

    def validate_on_date(self, field):
        if self._week is not None and field.data and not (0 <= (field.data - self._week.monday).days < 7):
            raise ValidationError(_l("Choose a date in this week."))


class SettingsForm(FlaskForm):
    """Children per staff member, subsidy, compensatory rest, and the school day's alert times."""

    default_ratio = IntegerField(_l("Children per staff member"), validators=[InputRequired(), NumberRange(1, 200)])
    ratio_evening_study = IntegerField(_l("Children per staff member in evening self-study"),
                                       validators=[Optional(), NumberRange(1, 200)])
    ratio_holiday_care = IntegerField(_l("Children per staff member in holiday care"),
                                      validators=[Optional(), NumberRange(1, 200)])
    subsidy_yuan_per_hour = IntegerField(_l("Subsidy per service hour (yuan)"),
                                         validators=[InputRequired(), NumberRange(0, 1000)])
    rest_threshold_minutes = IntegerField(_l("Minutes of evening duty that earn compensatory rest"),
                                          validators=[InputRequired(), NumberRange(0, 1440)])
    rest_earned_minutes = IntegerField(_l("Minutes of rest earned"), validators=[InputRequired(),
                                                                                 NumberRange(0, 1440)])
    register_alert_minutes = IntegerField(
        _l("Minutes after a session starts before an unmarked child raises a missing-child alert"),
        validators=[InputRequired(), NumberRange(1, 120)])
    pickup_grace_minutes = IntegerField(
        _l("Minutes after a child's last session ends before a child not collected alerts the family"),
        validators=[InputRequired(), NumberRange(0, 120)])
    submit = SubmitField(_l("Save"))


class OpenWeekForm(FlaskForm):
    """Pick a week by any of its dates."""

    day = DateField(_l("A date in the week"), validators=[InputRequired()])
    submit = SubmitField(_l("Open week"))


class WhatIfForm(FlaskForm):
    """Re-run with changes, without touching the saved roster."""

    volunteers = IntegerField(_l("Add this many volunteers"), validators=[Optional(), NumberRange(0, 20)])
    volunteer_skill = SelectField(_l("Their skill"))
    extra_day_for = SelectField(_l("Allow one more day for"), validators=[Optional()])
    submit = SubmitField(_l("Try it"))

    def __init__(self, *args, people: list[tuple[str, str]] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.volunteer_skill.choices = [(a, activity_label(a)) for a in policy.ACTIVITIES if a != policy.NEW_LESSON]
        self.extra_day_for.choices = [("", "—")] + list(people)

    def changes(self) -> dict:
        out: dict = {}
        if self.volunteers.data:
            out["add_volunteers"] = [{"skills": [self.volunteer_skill.data]} for _ in range(self.volunteers.data)]
        if self.extra_day_for.data:
            out["extra_days"] = {self.extra_day_for.data: 1}
        return out

    def validate_volunteers(self, field):
        if not field.data and not self.extra_day_for.data:
            raise ValidationError(_l("Add a volunteer or allow one more day."))


class PinForm(FlaskForm):
    """Pin a person to a session."""

    session_id = SelectField(_l("Session"), coerce=int)
    profile_id = SelectField(_l("Person"), coerce=int)
    submit = SubmitField(_l("Pin"))


class SwapForm(FlaskForm):
    """Swap the people of two assignments."""

    first = SelectField(_l("Swap"), coerce=int)
    second = SelectField(_l("with"), coerce=int)
    submit = SubmitField(_l("Swap"))


class PublishForm(FlaskForm):
    """Publish the working roster; `seen` is the latest version the coordinator saw."""

    seen = HiddenField(validators=[InputRequired()])
    note = StringField(_l("Note for staff (optional)"), validators=[Optional(), Length(max=200)])
    submit = SubmitField(_l("Publish"))

    def validate_seen(self, field):
        if not str(field.data).isdigit():
            raise ValidationError(_l("Reload the page and publish again."))
