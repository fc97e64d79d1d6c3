"""The county's public transparency page (no login): its own blueprint, at /public."""

from flask import Blueprint, render_template

from app.complaints import transparency
from app.extensions import db
from app.models_base import local_today
from app.schools.models import County

bp = Blueprint("transparency", __name__, url_prefix="/public")


@bp.route("/county/<int:county_id>")
def county(county_id: int):
    """Each school's published offerings, fee standards, providers and complaint contacts, with their dates."""
    county = db.get_or_404(County, county_id)
    return render_template("complaints/public.html", county=county,
                           schools=transparency.county_page(county, local_today()))
