"""Forms of the register part: a guardian's advance absence, resolving an alert, a confirmed button."""

from datetime import timedelta

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from app.models_base import local_today
from scheduling.policy import ADVANCE_ABSENCE_MAX_AHEAD_DAYS, ADVANCE_ABSENCE_MAX_DAYS


class AbsenceForm(FlaskForm):
    """请假: a day, or a range of days, and why. Not in the past, ordered, at most ADVANCE_ABSENCE_MAX_DAYS long,
    starting within ADVANCE_ABSENCE_MAX_AHEAD_DAYS; not over an absence already reported."""

    starts_on = DateField(_l("From"), validators=[InputRequired()])
    ends_on = DateField(_l("To (leave empty for one day)"), validators=[Optional()])
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=200)])
    submit = SubmitField(_l("Report the absence"))

    def __init__(self, *args, overlapping=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._overlapping = overlapping  # (starts_on, ends_on) -> an absence already covering a day, or None

    @property
    def last_day(self):
        return self.ends_on.data or self.starts_on.data

    def validate_starts_on(self, field):
        today = local_today()
        if field.data < today:
            raise ValidationError(_l("The day has passed: report an absence for today or a day to come."))
        if field.data > today + timedelta(days=ADVANCE_ABSENCE_MAX_AHEAD_DAYS):
            raise ValidationError(_l("At most %(days)d days ahead.", days=ADVANCE_ABSENCE_MAX_AHEAD_DAYS))

    def validate_ends_on(self, field):
        if field.data is None or self.starts_on.data is None:
            return
        if field.data < self.starts_on.data:
            raise ValidationError(_l("The last day must not be before the first."))
        if (field.data - self.starts_on.data).days + 1 > ADVANCE_ABSENCE_MAX_DAYS:
            raise ValidationError(_l("At most %(days)d days at a time.", days=ADVANCE_ABSENCE_MAX_DAYS))

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        if self._overlapping is not None and self._overlapping(self.starts_on.data, self.last_day) is not None:
            self.starts_on.errors.append(_l("An absence is already reported for one of these days."))
            return False
        return True


class ResolveForm(FlaskForm):
    """Close an alert: what was found or done."""

    note = TextAreaField(_l("What happened (required)"), validators=[DataRequired(), Length(max=1000)])
    submit = SubmitField(_l("Resolve"))
