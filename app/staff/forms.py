"""Forms for staff accounts and profiles, exemption, and a teacher's own participation."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    IntegerField,
    PasswordField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from app.accounts.forms import PASSWORD_MIN_LENGTH, mobile_field
from app.accounts.models import User
from app.staff import services
from scheduling.policy import TEACHER_MAX_DAYS, TEACHER_MAX_WEEKLY_MINUTES


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class CheckboxListField(SelectMultipleField):
    """Several choices as a list of checkboxes (readable on a phone, unlike a multi-select)."""

    widget = ListWidget(prefix_label=False, html_tag="ul")
    option_widget = CheckboxInput()


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
        filters=[_strip], render_kw={"maxlength": 50})
    mobile = mobile_field(_l("Mobile number (the login)"))
    staff_type = SelectField(_l("Type"))
    password = PasswordField(_l("Initial password"), validators=[
        Optional(), Length(min=PASSWORD_MIN_LENGTH, max=128,
                           message=_l("A password has between %(min)d and %(max)d characters."))],
        render_kw={"autocomplete": "new-password"})
    subjects = CheckboxListField(_l("Subjects taught"))
    skills = CheckboxListField(_l("Can lead"))
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
                         filters=[_strip], render_kw={"maxlength": 200})
    submit = SubmitField(_l("Save"))

    def validate_reason(self, field) -> None:
        if self.exempt.data and not field.data:
            raise ValidationError(_l("Please give the reason for the exemption."))


class ParticipationForm(FlaskForm):
    """A staff member's own choice; the limits only for retired teachers and volunteers."""

    opted_in = BooleanField(_l("I take part in after-school service this term"))
    skills = CheckboxListField(_l("I can lead"))
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
