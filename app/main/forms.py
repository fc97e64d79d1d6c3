"""The language switch in the page header."""

from flask_wtf import FlaskForm
from wtforms import HiddenField


class LanguageForm(FlaskForm):
    locale = HiddenField()
