"""The county coverage plan's form: the week to plan."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SubmitField
from wtforms.validators import InputRequired


class PlanWeekForm(FlaskForm):
    """Pick the week by any of its dates (the plan starts on its Monday)."""

    day = DateField(_l("A date in the week to plan"), validators=[InputRequired()])
    submit = SubmitField(_l("Plan every school's week"))
