"""Survey pages: the county publishes and reads the results (all its schools), the principal reads their own
school's, guardians answer for each child who took part, school staff answer their own questionnaire."""

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.access import roles_required
from app.accounts.models import Role
from app.enrolment.need_to_know import confirmed_child_ids
from app.extensions import db
from app.models_base import local_today
from app.schools.models import Student
from app.surveys import bp, results, services
from app.surveys.forms import SCORE_LABELS, StaffAnswerForm, SurveyForm, activity_field_name, guardian_answer_form
from app.surveys.models import Survey

officer_only = roles_required(Role.COUNTY_OFFICER)
readers = roles_required(Role.COUNTY_OFFICER, principal=True)


@bp.app_template_global("surveys_waiting")
def surveys_waiting() -> list[services.Waiting]:
    """The open surveys the logged-in person may still answer (the home page's card)."""
    return services.waiting_for(current_user, local_today())


@bp.app_template_filter("survey_mean")
def survey_mean(mean: float | None) -> str:
    """A mean on the five-point scale, two decimals; a dash without answers."""
    return "—" if mean is None else f"{mean:.2f}"


def _survey_of_my_county_or_404(survey_id: int) -> Survey:
    survey = db.session.get(Survey, survey_id)
    if survey is None or survey.county_id != current_user.effective_county_id:
        abort(404)
    return survey


def _open_or_back(survey: Survey):
    """None while the survey takes answers; else the way back with a word why."""
    today = local_today()
    if survey.is_open_on(today):
        return None
    flash(_("This survey is not open: it takes answers from %(opens)s to %(closes)s.",
            opens=survey.opens_on.isoformat(), closes=survey.closes_on.isoformat()), "warning")
    return redirect(url_for("surveys.mine"))


@bp.route("/")
@readers
def index():
    surveys = db.session.scalars(db.select(Survey).filter_by(county_id=current_user.effective_county_id)
                                 .order_by(Survey.opens_on.desc(), Survey.id.desc())).all()
    return render_template("surveys/index.html", surveys=surveys, today=local_today())


@bp.route("/new", methods=["GET", "POST"])
@officer_only
def new():
    form = SurveyForm(county_id=current_user.county_id)
    if form.validate_on_submit():
        survey = services.publish(current_user.county, term_name=form.term_name.data, opens_on=form.opens_on.data,
                                  closes_on=form.closes_on.data, for_guardians=form.for_guardians.data,
                                  for_staff=form.for_staff.data, by=current_user, today=local_today())
        db.session.commit()
        if survey.notified_at is not None:
            flash(_("The survey is published and open; its audience has been told."), "success")
        else:
            flash(_("The survey is published; its audience will be told on the day it opens."), "success")
        return redirect(url_for("surveys.results_page", survey_id=survey.id))
    return render_template("surveys/new.html", form=form)


@bp.route("/<int:survey_id>")
@readers
def results_page(survey_id: int):
    survey = _survey_of_my_county_or_404(survey_id)
    # The county sees every school of its county; a principal only their own (figures and free text alike).
    school_ids = None if current_user.role is Role.COUNTY_OFFICER else [current_user.school_id]
    return render_template(
        "surveys/results.html", survey=survey, today=local_today(), score_labels=SCORE_LABELS,
        schools=results.school_results(survey, school_ids), activities=results.activity_results(survey, school_ids),
        providers=results.provider_results(survey) if school_ids is None else [],
        comments=results.comments(survey, school_ids), starting_score=results.starting_score)


@bp.route("/mine")
@roles_required(Role.GUARDIAN, Role.TEACHER)
def mine():
    return render_template("surveys/mine.html", waiting=services.waiting_for(current_user, local_today()))


@bp.route("/<int:survey_id>/children/<int:student_id>", methods=["GET", "POST"])
@roles_required(Role.GUARDIAN)
def answer(survey_id: int, student_id: int):
    survey = db.session.get(Survey, survey_id)
    student = db.session.get(Student, student_id)
    # Only a child the school confirmed this guardian for, of the survey's county, who took part in its term.
    if (survey is None or student is None or student.id not in confirmed_child_ids(current_user)
            or not survey.for_guardians or student.school.county_id != survey.county_id
            or not services.took_part(survey, student.id)):
        abort(404)
    if services.answer_for(survey, student.id) is not None:
        flash(_("%(child)s's answer for this term has already been sent. Thank you.", child=student.name), "info")
        return redirect(url_for("surveys.mine"))
    if (back := _open_or_back(survey)) is not None:
        return back
    activities = services.activities_of(survey, student.id)
    form = guardian_answer_form(activities)
    if form.validate_on_submit():
        ratings = {activity.id: form[activity_field_name(activity.id)].data for activity in activities}
        try:
            services.record_guardian_answer(survey, student, overall=form.overall.data,
                                            ratings=ratings, comment=form.comment.data or "")
        except services.AlreadyAnswered:
            db.session.rollback()
            flash(_("%(child)s's answer for this term has already been sent. Thank you.", child=student.name), "info")
            return redirect(url_for("surveys.mine"))
        db.session.commit()
        flash(_("Thank you: your answer for %(child)s has been sent.", child=student.name), "success")
        return redirect(url_for("surveys.mine"))
    return render_template("surveys/answer.html", survey=survey, student=student, form=form)


@bp.route("/<int:survey_id>/staff", methods=["GET", "POST"])
@roles_required(Role.TEACHER)
def staff_answer(survey_id: int):
    survey = _survey_of_my_county_or_404(survey_id)
    if not services.staff_may_answer(survey, current_user):
        abort(404)
    if services.staff_answer_of(survey, current_user) is not None:
        flash(_("Your answer for this term has already been sent. Thank you."), "info")
        return redirect(url_for("surveys.mine"))
    if (back := _open_or_back(survey)) is not None:
        return back
    form = StaffAnswerForm()
    if form.validate_on_submit():
        try:
            services.record_staff_answer(survey, current_user, overall=form.overall.data,
                                         workload_fairness=form.workload_fairness.data,
                                         comment=form.comment.data or "")
        except services.AlreadyAnswered:
            db.session.rollback()
            flash(_("Your answer for this term has already been sent. Thank you."), "info")
            return redirect(url_for("surveys.mine"))
        db.session.commit()
        flash(_("Thank you: your answer has been sent."), "success")
        return redirect(url_for("surveys.mine"))
    return render_template("surveys/staff_answer.html", survey=survey, form=form)
