"""Web pieces every form module shares, written once: the empty CSRF form, a list of checkboxes, the strip filter and
the pick between a Chinese and an English label by the user's language."""

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, SubmitField
from wtforms.widgets import CheckboxInput, ListWidget


class ConfirmForm(FlaskForm):
    """An empty form: a POST button (delete, confirm, reject) carrying only the CSRF token."""

    submit = SubmitField(_l("Confirm"))


class MultiCheckboxField(SelectMultipleField):
    """A multiple choice as a list of checkboxes (readable on a phone, unlike a multi-select)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def stripped(value):
    """A field filter: text without the spaces around it (anything else as it is)."""
    return value.strip() if isinstance(value, str) else value


def chinese_page() -> bool:
    """Whether the user reads the site in Chinese (the site's own language, also outside a request)."""
    locale = get_locale()
    return locale is None or locale.language == "zh"


def in_locale(pair: tuple[str, str]) -> str:
    """The half of a (Chinese, English) label pair (the policy module's labels) for the user's language."""
    chinese, english = pair
    return chinese if chinese_page() else english
