"""Publishing a survey and answering it."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, RadioField, SelectChoice, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from app.extensions import db
from app.forms_common import stripped
from app.surveys.models import Survey

SATISFACTION = [SelectChoice("5", _l("Very satisfied")), SelectChoice("4", _l("Satisfied")),
                SelectChoice("3", _l("Neither satisfied nor dissatisfied")), SelectChoice("2", _l("Dissatisfied")),
                SelectChoice("1", _l("Very dissatisfied"))]
FAIRNESS = [SelectChoice("5", _l("Very fair")), SelectChoice("4", _l("Fair")), SelectChoice("3", _l("Neither")),
            SelectChoice("2", _l("Unfair")), SelectChoice("1", _l("Very unfair"))]
SCORE_LABELS = {int(choice.value): choice.label for choice in SATISFACTION}
CHOOSE_ONE = _l("Please choose one.")
COMMENT_LENGTH = 1000


def _scale(label, choices=SATISFACTION) -> RadioField:
    return RadioField(label, choices=choices, coerce=int, validators=[InputRequired(message=CHOOSE_ONE)])


def _comment(label) -> TextAreaField:
    return TextAreaField(label, filters=[stripped], validators=[
        Length(max=COMMENT_LENGTH, message=_l("At most %(max)d characters."))])


class SurveyForm(FlaskForm):
    """The county publishes the end-of-term survey of a term."""

    term_name = StringField(_l("Term"), validators=[
        DataRequired(message=_l("Please name the term.")),
        Length(max=60, message=_l("At most %(max)d characters.")),
    ], filters=[stripped], render_kw={"placeholder": "2026—2027学年第一学期"})
    opens_on = DateField(_l("Opens on"), validators=[DataRequired(message=_l("Please give a date."))])
    closes_on = DateField(_l("Closes on (the last day answers are taken)"),
                          validators=[DataRequired(message=_l("Please give a date."))])
    for_guardians = BooleanField(_l("Guardians of the children who took part (one answer per child)"), default=True)
    for_staff = BooleanField(_l("School staff (their own questionnaire)"))
    submit = SubmitField(_l("Publish the survey"))

    def __init__(self, *args, county_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.county_id = county_id

    def validate_term_name(self, field) -> None:
        if db.session.scalar(db.select(Survey.id).filter_by(county_id=self.county_id, term_name=field.data)):
            raise ValidationError(_l("This term already has a survey."))

    def validate_closes_on(self, field) -> None:
        if self.opens_on.data and field.data and field.data < self.opens_on.data:
            raise ValidationError(_l("The survey closes on or after the day it opens."))

    def validate_for_staff(self, field) -> None:
        if not field.data and not self.for_guardians.data:
            raise ValidationError(_l("Choose who answers: guardians, staff or both."))


class GuardianAnswerForm(FlaskForm):
    """A family's answer for one child; a rating field per activity the child took part in is added by
    `guardian_answer_form`."""

    overall = _scale(_l("Overall, how satisfied are you with the after-school service this term?"))
    comment = _comment(_l("Anything you would like to tell the school or the county (optional)"))
    submit = SubmitField(_l("Send"))


def activity_field_name(activity_id: int) -> str:
    return f"activity_{activity_id}"


def guardian_answer_form(activities, **kwargs) -> GuardianAnswerForm:
    """The answer form with one 1–5 question per activity the child took part in."""

    class Form(GuardianAnswerForm):
        pass

    for activity in activities:
        setattr(Form, activity_field_name(activity.id), _scale(activity.name))
    form = Form(**kwargs)
    form.activity_fields = [(activity, form[activity_field_name(activity.id)]) for activity in activities]
    return form


class StaffAnswerForm(FlaskForm):
    """A staff member's own questionnaire."""

    overall = _scale(_l("Overall, how satisfied are you with the after-school service this term?"))
    workload_fairness = _scale(_l("How fairly is the after-school work shared among staff?"), FAIRNESS)
    comment = _comment(_l("Anything you would like to tell the county (optional)"))
    submit = SubmitField(_l("Send"))
