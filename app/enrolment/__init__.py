"""Enrolment: guardians apply, class teachers review, principals approve; seats, lottery, waiting list, fees."""

from flask import Blueprint

bp = Blueprint("enrolment", __name__, url_prefix="/enrolment")

from app.enrolment import routes  # noqa: E402,F401
