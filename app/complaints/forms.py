"""Forms: filing a complaint (with an account, or with a mobile proven by SMS), answers, tracking, contacts."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectChoice, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from app.accounts.forms import MOBILE_PATTERN, code_field, mobile_field
from app.complaints.models import ComplaintCategory
from app.complaints.words import CATEGORY_LABELS
from app.extensions import db
from app.forms_common import stripped
from app.programs.services import published_offerings
from app.providers.models import Provider
from scheduling import policy


def _text(label, *, required: bool = True) -> TextAreaField:
    validators = [Length(max=policy.COMPLAINT_TEXT_MAX, message=_l("At most %(max)d characters."))]
    if required:
        validators.insert(0, DataRequired(message=_l("Please fill this in.")))
    return TextAreaField(label, validators=validators, filters=[stripped],
                         render_kw={"maxlength": policy.COMPLAINT_TEXT_MAX, "rows": 6})


class ComplaintForm(FlaskForm):
    """A complaint about one school's service. Without an account the form also asks for the SMS code (the number
    was given in the step before) and an optional name."""

    category = SelectField(_l("What is it about?"),
                           choices=[SelectChoice(c.value, label) for c, label in CATEGORY_LABELS.items()],
                           validators=[DataRequired(message=_l("Please choose one."))])
    body = _text(_l("What happened"))
    offering_id = SelectField(_l("Which service (optional)"), coerce=int, default=0)
    provider_id = SelectField(_l("Which provider (optional)"), coerce=int, default=0)
    identity_shared = BooleanField(_l("The principal and the county may see my name and mobile number"))
    name = StringField(_l("Your name (optional)"), filters=[stripped],
                       validators=[Length(max=50, message=_l("At most %(max)d characters."))],
                       render_kw={"maxlength": 50, "autocomplete": "name"})
    code = code_field()
    submit = SubmitField(_l("Send the complaint"))

    def __init__(self, *args, school, with_account: bool, **kwargs):
        super().__init__(*args, **kwargs)
        none = SelectChoice(0, _l("— none —"))
        self.offering_id.choices = [none] + [SelectChoice(o.id, o.title) for o in published_offerings(school)]
        providers = db.session.scalars(
            db.select(Provider).filter_by(county_id=school.county_id).order_by(Provider.name))
        self.provider_id.choices = [none] + [SelectChoice(p.id, p.name) for p in providers]
        if with_account:
            del self.name
            del self.code

    @property
    def category_value(self) -> ComplaintCategory:
        return ComplaintCategory(self.category.data)


class MobileForm(FlaskForm):
    """No account: first the number the complaint comes from, proven by an SMS code."""

    mobile = mobile_field()
    submit = SubmitField(_l("Send me a code"))


class AnswerForm(FlaskForm):
    text = _text(_l("Your answer"))
    submit = SubmitField(_l("Send the answer"))


class CloseForm(FlaskForm):
    text = _text(_l("The county's answer"))
    submit = SubmitField(_l("Answer and close"))


class TrackForm(FlaskForm):
    """The tracking link's second half: the mobile number the complaint was filed from."""

    mobile = StringField(_l("The mobile number you filed it from"), filters=[stripped], validators=[
        DataRequired(message=_l("Please enter your mobile number.")),
        Regexp(MOBILE_PATTERN, message=_l("A mobile number is 11 digits starting with 1."))],
        render_kw={"inputmode": "numeric", "autocomplete": "tel", "maxlength": 11})
    submit = SubmitField(_l("Show my complaint"))


def _contact(label, max_length: int, *validators) -> StringField:
    return StringField(label, filters=[stripped], render_kw={"maxlength": max_length},
                       validators=[Optional(), Length(max=max_length, message=_l("At most %(max)d characters.")),
                                   *validators])


class SchoolContactsForm(FlaskForm):
    complaint_phone = _contact(_l("Complaint telephone"), 30, Regexp(
        r"^[0-9 +()\-]{5,30}$", message=_l("A telephone number: digits, spaces, + ( ) and - only.")))
    complaint_email = _contact(_l("Complaint e-mail"), 120, Regexp(
        r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_l("Enter an e-mail address like name@example.com.")))
    submit = SubmitField(_l("Save"))


class CountyContactsForm(SchoolContactsForm):
    complaint_address = _contact(_l("Address for letters and visits"), 200)
