"""The county's view: the board (participation, every school day covered, hours delivered, workloads, money) with
its drill-down county → school → class, and the county coverage plan. Pages live in one module per part
(app/county/routes.py gathers them); importing a part (its models) does not load the pages."""

from flask import Blueprint

bp = Blueprint("county", __name__, url_prefix="/county")
