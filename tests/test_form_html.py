"""The forms' HTML is WTForms' own, attribute for attribute, though the site writes the attributes itself (faster)."""

import pytest
from flask_babel import lazy_gettext
from markupsafe import Markup
from wtforms.widgets import core

from app.forms_common import html_params

ATTRIBUTES = [
    {},
    {"name": "choice_1", "id": "choice_1", "class_": "checks", "required": True, "readonly": False},
    {"value": '<b>"引号" & \'单\'</b>', "data_places_activity": 3, "aria_describedby": "hint"},
    {"value": Markup('<b title="x">安全</b>'), "for_": "pickup-0", "checked": True, "placeholder": None},
    {"type": "checkbox", "value": 0, "maxlength": 200, "label": "周一"},
]


@pytest.mark.parametrize("attributes", ATTRIBUTES)
def test_the_attributes_read_as_wtforms_writes_them(app, attributes):
    original = core.__dict__.get("_original_html_params", core.html_params)
    assert html_params(**attributes) == original(**attributes)
    assert isinstance(html_params(**attributes), Markup)


def test_a_translated_value_reads_as_wtforms_writes_it(app):
    original = core.__dict__.get("_original_html_params", core.html_params)
    with app.test_request_context():
        assert html_params(value=lazy_gettext("Apply")) == original(value=lazy_gettext("Apply"))


def test_the_site_s_widgets_and_labels_use_it(app):
    from wtforms import widgets

    assert core.html_params is html_params and widgets.html_params is html_params
    assert core.Input.html_params is html_params
