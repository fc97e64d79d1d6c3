"""Forms of the provider whitelist: applications, vetting decisions, evaluations and staff logins."""

import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp, ValidationError

from app.accounts.forms import MOBILE_PATTERN, PASSWORD_MIN_LENGTH
from app.accounts.models import User
from app.extensions import db
from app.forms_common import MultiCheckboxField, stripped
from app.models_base import local_today
from app.providers.models import (
    PROVIDER_CATEGORIES,
    EvaluationRating,
    Provider,
    ProviderEvaluation,
    ProviderStatus,
    ReasonCategory,
    VettingAction,
    VettingStatus,
)
from app.staff.services import skill_label
from scheduling import policy

# 统一社会信用代码 (GB 32100-2015): 18 characters from this alphabet (no I, O, S, V, Z), the last a check character.
CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
CREDIT_CODE_PATTERN = re.compile(rf"^[{CREDIT_CODE_ALPHABET}]{{18}}$")

STATUS_LABELS = {
    ProviderStatus.APPLIED: _l("Applied"),
    ProviderStatus.ACTIVE: _l("Active"),
    ProviderStatus.SUSPENDED: _l("Suspended"),
    ProviderStatus.EXITED: _l("Exited"),
}
VETTING_LABELS = {
    VettingStatus.APPLIED: _l("Applied"),
    VettingStatus.VETTED: _l("Vetted"),
    VettingStatus.EXPIRING: _l("Vetted, expires within 30 days"),
    VettingStatus.EXPIRED: _l("Vetting expired"),
    VettingStatus.SUSPENDED: _l("Suspended"),
    VettingStatus.EXITED: _l("Exited"),
}
ACTION_LABELS = {
    VettingAction.APPLY: _l("Application received"),
    VettingAction.APPROVE: _l("Approved"),
    VettingAction.RENEW: _l("Renewed"),
    VettingAction.SUSPEND: _l("Suspended"),
    VettingAction.EXIT: _l("Exited"),
}
REASON_LABELS = {
    ReasonCategory.EVALUATION: _l("Unsatisfactory evaluation"),
    ReasonCategory.SAFETY: _l("Safety concern"),
    ReasonCategory.QUALIFICATION: _l("Qualifications not met or expired"),
    ReasonCategory.FEES: _l("Improper fees"),
    ReasonCategory.SUBJECT_TRAINING: _l("Subject-type training"),
    ReasonCategory.REQUEST: _l("At the organisation's request"),
    ReasonCategory.OTHER: _l("Other"),
}
RATING_LABELS = {
    EvaluationRating.EXCELLENT: _l("Excellent"),
    EvaluationRating.PASS: _l("Satisfactory"),
    EvaluationRating.FAIL: _l("Unsatisfactory"),
}


def credit_code_is_valid(code: str) -> bool:
    """Whether an 18-character unified social credit code has the right alphabet and check character."""
    if not CREDIT_CODE_PATTERN.match(code):
        return False
    pairs = zip(code[:17], CREDIT_CODE_WEIGHTS, strict=True)
    total = sum(CREDIT_CODE_ALPHABET.index(char) * weight for char, weight in pairs)
    return CREDIT_CODE_ALPHABET[(31 - total % 31) % 31] == code[17]


def _upper(value):
    return value.strip().upper() if isinstance(value, str) else value


def activity_name(code: str) -> str:
    """A policy activity's name in the chosen language only (体育, or sports)."""
    return skill_label(code)


def category_refusal(code: str) -> str | None:
    """Why a category may not be on a provider's list, or None when it may (002 (二)3; 001 §9, §10)."""
    if code in PROVIDER_CATEGORIES:
        return None
    if code in policy.SUBJECT_TYPE_SUBJECTS:
        return _("%(name)s is a subject (学科类): providers may offer only non-subject activities.", name=code)
    if code == policy.NEW_LESSON:
        return _("%(name)s: no one may teach new lessons in after-school time.", name=activity_name(code))
    if code in policy.PROVIDER_FORBIDDEN_ACTIVITIES:
        return _("%(name)s stays with school staff: providers may lead only non-subject activities.",
                 name=activity_name(code))
    return _("Unknown category: %(name)s.", name=code[:40])


def future_date_field(label) -> DateField:
    return DateField(label, validators=[InputRequired(message=_l("Please enter a date."))],
                     render_kw={"type": "date"})


def check_future(field) -> None:
    """A vetted-until date must be after today."""
    if field.data is not None and field.data <= local_today():
        raise ValidationError(_l("The vetted-until date must be in the future."))


class ProviderForm(FlaskForm):
    """An organisation's application to the whitelist."""

    name = StringField(_l("Organisation name"), validators=[
        DataRequired(message=_l("Please enter the organisation's name.")),
        Length(max=100, message=_l("At most %(max)d characters.")),
    ], filters=[stripped])
    credit_code = StringField(_l("Unified social credit code"), validators=[
        DataRequired(message=_l("Please enter the unified social credit code.")),
    ], filters=[_upper], render_kw={"maxlength": 18, "autocapitalize": "characters", "spellcheck": "false"})
    contact_name = StringField(_l("Contact person"), validators=[
        DataRequired(message=_l("Please enter a contact person.")),
        Length(max=50, message=_l("At most %(max)d characters.")),
    ], filters=[stripped])
    contact_mobile = StringField(_l("Contact mobile"), validators=[
        DataRequired(message=_l("Please enter the contact's mobile number.")),
        Regexp(MOBILE_PATTERN, message=_l("A mobile number is 11 digits starting with 1.")),
    ], filters=[stripped], render_kw={"inputmode": "numeric", "maxlength": 11})
    categories = MultiCheckboxField(_l("Activities offered"), validate_choice=False)
    submit = SubmitField(_l("Add application"))

    def __init__(self, *args, county_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.county_id = county_id
        self.categories.choices = [(code, activity_name(code)) for code in PROVIDER_CATEGORIES]

    def validate_name(self, field) -> None:
        taken = db.session.scalar(db.select(Provider.id).filter_by(county_id=self.county_id, name=field.data))
        if taken is not None:
            raise ValidationError(_l("An organisation with this name is already on the county's list."))

    def validate_credit_code(self, field) -> None:
        if len(field.data) != 18:
            raise ValidationError(_l("A unified social credit code has 18 characters."))
        if not credit_code_is_valid(field.data):
            raise ValidationError(_l("This is not a valid unified social credit code: please check it."))
        taken = db.session.scalar(db.select(Provider.id).filter_by(county_id=self.county_id, credit_code=field.data))
        if taken is not None:
            raise ValidationError(_l("An organisation with this credit code is already on the county's list."))

    def validate_categories(self, field) -> None:
        if not field.data:
            raise ValidationError(_l("Choose at least one activity."))
        refusals = [category_refusal(code) for code in field.data]
        refusals = [reason for reason in refusals if reason]
        if refusals:
            raise ValidationError(" ".join(refusals))


class VettingForm(FlaskForm):
    """A decision on a provider; refused when its status does not allow the action."""

    action: VettingAction

    def __init__(self, *args, provider: Provider, **kwargs):
        super().__init__(*args, **kwargs)
        self.provider = provider

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if not self.provider.can(self.action):
            self.form_errors.append(_("This cannot be done while the provider is %(status)s.",
                                      status=STATUS_LABELS[self.provider.status]))
            return False
        return valid


class ApproveForm(VettingForm):
    """Admit (or re-admit after suspension) with a vetting period."""

    action = VettingAction.APPROVE
    vetted_until = future_date_field(_l("Vetted until"))
    submit = SubmitField(_l("Approve"))

    def validate_vetted_until(self, field) -> None:
        check_future(field)


class RenewForm(VettingForm):
    """Extend an active provider's vetting period after review."""

    action = VettingAction.RENEW
    vetted_until = future_date_field(_l("New vetted-until date"))
    submit = SubmitField(_l("Renew"))

    def validate_vetted_until(self, field) -> None:
        check_future(field)
        if self.provider.vetted_until is not None and field.data <= self.provider.vetted_until:
            raise ValidationError(_l("The new date must be after the current one (%(day)s).",
                                     day=self.provider.vetted_until.isoformat()))


class RemovalForm(VettingForm):
    """Suspend or exit: a reason category (public) and the reason itself (kept by the county)."""

    reason_category = SelectField(_l("Reason category"), choices=[], validate_choice=False,
                                  validators=[DataRequired(message=_l("Please choose a reason category."))])
    reason = StringField(_l("Reason"), validators=[
        DataRequired(message=_l("Please give the reason.")),
        Length(max=500, message=_l("At most %(max)d characters.")),
    ], filters=[stripped])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.reason_category.choices = [("", _l("Choose…"))] + [(c.value, label) for c, label in REASON_LABELS.items()]

    def validate_reason_category(self, field) -> None:
        if field.data not in {c.value for c in ReasonCategory}:
            raise ValidationError(_l("Please choose a reason category."))


class SuspendForm(RemovalForm):
    action = VettingAction.SUSPEND
    submit = SubmitField(_l("Suspend"))


class ExitForm(RemovalForm):
    action = VettingAction.EXIT
    submit = SubmitField(_l("Exit from the whitelist"))


class EvaluationForm(FlaskForm):
    """The county's evaluation of a provider after a term: a rating, a score, or both."""

    term_name = StringField(_l("Term"), validators=[
        DataRequired(message=_l("Please name the term.")),
        Length(max=60, message=_l("At most %(max)d characters.")),
    ], filters=[stripped], render_kw={"placeholder": "2026—2027学年第一学期"})
    rating = SelectField(_l("Rating"), choices=[], validate_choice=False)
    score = IntegerField(_l("Score (0–100)"), validators=[
        Optional(),
        NumberRange(min=0, max=100, message=_l("A score is between %(min)s and %(max)s.")),
    ], render_kw={"inputmode": "numeric", "min": 0, "max": 100})
    comment = StringField(_l("Comment"), validators=[Length(max=1000, message=_l("At most %(max)d characters."))],
                          filters=[stripped])
    submit = SubmitField(_l("Save evaluation"))

    def __init__(self, *args, provider: Provider, **kwargs):
        super().__init__(*args, **kwargs)
        self.provider = provider
        self.rating.choices = [("", "—")] + [(r.value, label) for r, label in RATING_LABELS.items()]

    def validate_term_name(self, field) -> None:
        exists = db.session.scalar(
            db.select(ProviderEvaluation.id).filter_by(provider_id=self.provider.id, term_name=field.data)
        )
        if exists is not None:
            raise ValidationError(_l("This term has already been evaluated."))

    def validate_rating(self, field) -> None:
        if field.data and field.data not in {r.value for r in EvaluationRating}:
            raise ValidationError(_l("Please choose a rating from the list."))
        if not field.data and self.score.data is None:
            raise ValidationError(_l("Give a rating, a score, or both."))


class ProviderStaffForm(FlaskForm):
    """A login for one of a provider's staff; the password is set here or generated and shown once."""

    name = StringField(_l("Name"), validators=[
        DataRequired(message=_l("Please enter the name.")),
        Length(max=50, message=_l("At most %(max)d characters.")),
    ], filters=[stripped])
    mobile = StringField(_l("Mobile number"), validators=[
        DataRequired(message=_l("Please enter the mobile number.")),
        Regexp(MOBILE_PATTERN, message=_l("A mobile number is 11 digits starting with 1.")),
    ], filters=[stripped], render_kw={"inputmode": "numeric", "maxlength": 11, "autocomplete": "off"})
    password = PasswordField(_l("Initial password"), validators=[
        Optional(),
        Length(min=PASSWORD_MIN_LENGTH, max=128, message=_l("A password has between %(min)d and %(max)d characters.")),
    ], render_kw={"autocomplete": "new-password"})
    submit = SubmitField(_l("Create login"))

    def __init__(self, *args, provider: Provider, **kwargs):
        super().__init__(*args, **kwargs)
        self.provider = provider

    def validate_mobile(self, field) -> None:
        if db.session.scalar(db.select(User.id).filter_by(mobile=field.data)) is not None:
            raise ValidationError(_l("This mobile number already has an account."))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.provider.status is ProviderStatus.EXITED:
            self.form_errors.append(_("The organisation has left the whitelist: no new logins."))
            return False
        return valid
