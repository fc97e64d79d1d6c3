"""Web pieces every form module shares, written once: the empty CSRF form, a list of checkboxes, the strip filter and
the pick between a Chinese and an English label by the user's language."""

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import SelectMultipleField, SubmitField
from wtforms.widgets import CheckboxInput, ListWidget
from wtforms.widgets.core import clean_key


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


def html_params(**kwargs) -> Markup:
    """WTForms' attribute writer (wtforms.widgets.html_params), the same text for the same arguments, in plain string
    work: WTForms' own builds a Markup per attribute through str.format, a fifth of an application form's CPU."""
    params = []
    for key, value in sorted(kwargs.items()):
        key = str(escape(clean_key(key)))
        if value is True:
            params.append(key)
        elif value is not False:
            params.append(f'{key}="{str(escape(value)).replace(chr(34), "&quot;")}"')
    return Markup(" ".join(params))


def use_fast_html_params() -> None:
    """Every WTForms widget and label writes its attributes with html_params above (idempotent)."""
    from wtforms import widgets
    from wtforms.widgets import core

    original = core.__dict__.get("_original_html_params", core.html_params)
    core._original_html_params = original
    core.html_params = widgets.html_params = html_params
    for widget in vars(core).values():
        if isinstance(widget, type) and widget.__dict__.get("html_params") is not None:
            widget.html_params = staticmethod(html_params)
