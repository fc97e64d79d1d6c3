"""My week: a teacher's or provider staff member's published sessions, caps, iCal feed and "I can't make it";
the coordinator's absence notices with their replacements, and the print and XLSX exports of the published roster."""

from flask import Blueprint

bp = Blueprint("myweek", __name__)

from app.myweek import routes  # noqa: E402,F401
