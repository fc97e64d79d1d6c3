"""The county coverage plan's pages (county officers only; another county's plan is a 404): start a plan for a
week, follow it while it runs, read and export what cannot be staffed and who would close each gap."""

from datetime import timedelta

from flask import Response, jsonify, redirect, render_template, url_for
from flask_login import current_user

from app.access import get_for_county_or_404, roles_required
from app.accounts.models import Role
from app.county import bp, plan
from app.county.plan_forms import PlanWeekForm
from app.county.plan_models import CountyPlan
from app.county.plan_report import XLSX_MIMETYPE, plan_xlsx, report, school_problem_words
from app.extensions import db
from app.models_base import local_today
from app.rosters import jobs, words

county_only = roles_required(Role.COUNTY_OFFICER)


def _plan_or_404(plan_id: int) -> CountyPlan:
    found = get_for_county_or_404(CountyPlan, plan_id)
    if plan.fail_stale(found):
        db.session.refresh(found)
    return found


@bp.route("/plans", methods=["GET", "POST"])
@county_only
def plans():
    form = PlanWeekForm()
    if form.validate_on_submit():
        started = plan.enqueue(current_user.county, form.day.data, current_user)
        db.session.commit()
        plan.dispatch(started.id)
        return redirect(url_for("county.plan_page", plan_id=started.id))
    if not form.is_submitted():
        form.day.data = local_today() + timedelta(days=7)  # next week, the one a county usually plans
    return render_template("county/plans.html", form=form, plans=plan.latest_plans(current_user.county_id))


@bp.route("/plans/<int:plan_id>")
@county_only
def plan_page(plan_id: int):
    found = _plan_or_404(plan_id)
    return render_template("county/plan.html", plan=found, report=report(found), warning=jobs.queued_warning(found),
                           problem_words=school_problem_words, status_label=words.job_status_label,
                           job_error=words.job_error, rules_in_words=words.rules_in_words)


@bp.route("/plans/<int:plan_id>.json")
@county_only
def plan_status(plan_id: int):
    found = _plan_or_404(plan_id)
    return jsonify(id=found.id, status=found.status.value, status_label=words.job_status_label(found.status),
                   warning=jobs.queued_warning(found), progress=found.progress or {}, error=found.error,
                   finished=found.finished, url=url_for("county.plan_page", plan_id=found.id))


@bp.route("/plans/<int:plan_id>.xlsx")
@county_only
def plan_export(plan_id: int):
    found = _plan_or_404(plan_id)
    if not found.result:
        return redirect(url_for("county.plan_page", plan_id=found.id))
    name = f"county-plan-{found.monday.isoformat()}.xlsx"
    return Response(plan_xlsx(found), mimetype=XLSX_MIMETYPE,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
