"""Programme pages: the administrator's offerings and activities, the agreement, and the public notice."""

import functools

from flask import abort, flash, jsonify, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import Select
from sqlalchemy.orm import joinedload

from app import cache
from app.access import get_for_school_or_404, roles_required
from app.accounts.models import Role
from app.extensions import db
from app.forms_common import ConfirmForm
from app.models_base import utcnow
from app.programs import bp, services, window
from app.programs.forms import ActivityForm, AgreementForm, GroupForm, OfferingForm, PublishForm
from app.programs.models import Activity, NoticeVersion, Offering
from app.schools.models import School

admin_only = roles_required(Role.SCHOOL_ADMIN)


@bp.app_template_global()
def activity_label(code: str) -> str:
    return services.activity_label(code)


@bp.app_template_global()
def kind_label(code: str) -> str:
    return services.kind_label(code)


@bp.app_template_global()
def weekday_label(day: int) -> str:
    return services.weekday_label(day)


@bp.app_template_filter()
def yuan(cents: int) -> str:
    return f"¥{cents / 100:.2f}"


def flash_offers(offers: list) -> None:
    """Say how many freed places went to the waiting list."""
    if offers:
        flash(_("Places offered to the waiting list, in queue order: %(num)d.", num=len(offers)), "info")


@bp.route("/")
@admin_only
def index():
    school = current_user.school
    offerings = db.session.scalars(db.select(Offering).filter_by(school_id=school.id)
                                   .order_by(Offering.starts_on.desc())).all()
    return render_template("programs/index.html", school=school, offerings=offerings,
                           agreement=services.current_agreement(school))


@bp.route("/new", methods=["GET", "POST"])
@admin_only
def new_offering():
    form = OfferingForm(school=current_user.school)
    if form.validate_on_submit():
        offering = services.save_offering(Offering(), form)
        db.session.commit()
        flash(_("Saved. Add the activities, then publish."), "success")
        return redirect(url_for("programs.offering", offering_id=offering.id))
    return render_template("programs/offering_form.html", form=form, offering=None)


@bp.route("/<int:offering_id>")
@admin_only
def offering(offering_id: int):
    offering = get_for_school_or_404(Offering, offering_id)
    return render_template("programs/offering.html", offering=offering, publish_form=PublishForm(),
                           days=services.service_days(offering),
                           agreement=services.current_agreement(offering.school),
                           window=services.window_summary(offering))


@bp.route("/<int:offering_id>/edit", methods=["GET", "POST"])
@admin_only
def edit_offering(offering_id: int):
    offering = get_for_school_or_404(Offering, offering_id)
    form = OfferingForm(school=offering.school, offering=offering)
    if not form.is_submitted():
        form.fill_from(offering)
    if form.validate_on_submit():
        services.save_offering(offering, form)
        db.session.commit()
        flash(_("Saved. Publish again so the public notice shows the change."), "success")
        return redirect(url_for("programs.offering", offering_id=offering.id))
    return render_template("programs/offering_form.html", form=form, offering=offering)


@bp.route("/<int:offering_id>/publish", methods=["POST"])
@admin_only
def publish(offering_id: int):
    offering = get_for_school_or_404(Offering, offering_id)
    form = PublishForm()
    if form.validate_on_submit():
        if services.current_agreement(offering.school) is None:
            flash(_("Write the agreement text first: guardians sign it when they apply."), "error")
        else:
            version = services.publish_offering(offering, current_user, form.change_note.data or "")
            db.session.commit()
            flash(_("Published as version %(version)d.", version=version.version), "success")
    return redirect(url_for("programs.offering", offering_id=offering.id))


@bp.route("/<int:offering_id>/activities/new", methods=["GET", "POST"])
@admin_only
def new_activity(offering_id: int):
    offering = get_for_school_or_404(Offering, offering_id)
    form = ActivityForm(offering=offering)
    if not form.is_submitted():
        form.weekdays.data = list(offering.weekdays)
        form.starts_at.data, form.ends_at.data = offering.starts_at, offering.ends_at
    if form.validate_on_submit():
        services.save_activity(Activity(), offering, form)
        db.session.commit()
        flash(_("Activity saved."), "success")
        return redirect(url_for("programs.offering", offering_id=offering.id))
    return render_template("programs/activity_form.html", form=form, offering=offering, activity=None)


@bp.route("/activities/<int:activity_id>/edit", methods=["GET", "POST"])
@admin_only
def edit_activity(activity_id: int):
    activity = get_for_school_or_404(Activity, activity_id)
    form = ActivityForm(offering=activity.offering, activity=activity)
    if not form.is_submitted():
        form.fill_from(activity)
    if form.validate_on_submit():
        offers = services.save_activity(activity, activity.offering, form, current_user)
        db.session.commit()
        flash(_("Activity saved."), "success")
        flash_offers(offers)
        return redirect(url_for("programs.offering", offering_id=activity.offering_id))
    return render_template("programs/activity_form.html", form=form, offering=activity.offering, activity=activity)


@bp.route("/activities/<int:activity_id>/new-group", methods=["GET", "POST"])
@admin_only
def new_group(activity_id: int):
    """Open another group of an over-subscribed activity (加开); its places go to the waiting list in order."""
    original = get_for_school_or_404(Activity, activity_id)
    if original.section_of_id is not None:
        abort(404)  # groups are opened from the first group, whose waiting list they share
    form = GroupForm(original=original)
    if not form.is_submitted():
        form.fill_from(original)
        form.name.data = services.group_name(original)
    if form.validate_on_submit():
        group, offers = services.add_group(original, form, current_user)
        db.session.commit()
        flash(_("%(name)s opened with %(places)d places.", name=group.name, places=group.capacity), "success")
        if offers:
            flash_offers(offers)
        else:
            flash(_("Nobody is on the waiting list now: the places are free."), "info")
        return redirect(url_for("programs.offering", offering_id=original.offering_id))
    return render_template("programs/group_form.html", form=form, original=original, offering=original.offering)


@bp.route("/activities/<int:activity_id>/delete", methods=["POST"])
@admin_only
def delete_activity(activity_id: int):
    activity = get_for_school_or_404(Activity, activity_id)
    offering_id = activity.offering_id
    if ConfirmForm().validate_on_submit():
        if activity.taken:
            flash(_("Children hold places in this activity; it cannot be deleted."), "error")
        elif services.groups_of(activity):
            flash(_("This activity has other groups: delete them first."), "error")
        else:
            services.delete_activity(activity)
            db.session.commit()
            flash(_("Activity deleted."), "success")
    return redirect(url_for("programs.offering", offering_id=offering_id))


@bp.route("/agreement", methods=["GET", "POST"])
@admin_only
def agreement():
    school = current_user.school
    current = services.current_agreement(school)
    form = AgreementForm()
    if not form.is_submitted() and current is not None:
        form.body.data = current.body
    if form.validate_on_submit():
        text = services.add_agreement(school, form.body.data, current_user)
        db.session.commit()
        flash(_("Agreement saved as version %(version)d.", version=text.version), "success")
        return redirect(url_for("programs.index"))
    return render_template("programs/agreement.html", form=form, current=current)


@bp.route("/notice/<int:school_id>")
def notice(school_id: int):
    """The school's public notice (公示): no login, shareable by link."""
    school = db.get_or_404(School, school_id)
    return render_template("programs/notice_index.html", school=school,
                           offerings=services.published_offerings(school))


@functools.cache
def notice_statement() -> Select:
    """A published version with its offering, school, county and activities (their places are the cache's key);
    built once per process (its cache key too)."""
    return db.select(NoticeVersion).filter(
        NoticeVersion.offering_id == db.bindparam("offering_id"), NoticeVersion.version == db.bindparam("version"),
    ).options(joinedload(NoticeVersion.offering).options(
        joinedload(Offering.school).joinedload(School.county), joinedload(Offering.activities)),
    ).execution_options(prepare=True)


@bp.route("/notice/offering/<int:offering_id>/v<int:version>")
def notice_version(offering_id: int, version: int):
    """One published version of an offering's notice, as it was published."""
    notice = db.session.scalars(notice_statement(), {"offering_id": offering_id, "version": version}).unique().first()
    if notice is None:
        abort(404)
    offering = notice.offering
    current = notice.version == offering.published_version
    places = window.places_left(offering) if current else None
    apply_by = window.apply_by_text(offering) if current else None

    def render_facts() -> str:
        return render_template("programs/_notice_facts.html", notice=notice, offering=offering,
                               content=notice.content, current=current, places=places, apply_by=apply_by)

    # Keyed by what the facts are made of: a publish or an allocation changes the key on every node (app/cache.py).
    key = (offering.id, notice.version, offering.published_version, apply_by, str(get_locale()),
           tuple(sorted(places.items())) if places is not None else None)
    return render_template("programs/notice.html", notice=notice, offering=offering, content=notice.content,
                           current=current, places=places, facts=Markup(cache.notices().get(key, render_facts)))


@bp.route("/notice/offering/<int:offering_id>/places.json")
def places(offering_id: int):
    """Places left now per activity of a published offering (the notice and the application form refresh them)."""
    offering = db.get_or_404(Offering, offering_id)
    if not offering.is_published:
        abort(404)
    response = jsonify(activities={str(a): n for a, n in window.places_left(offering).items()},
                       updated_at=utcnow().isoformat())
    response.cache_control.public = True
    response.cache_control.max_age = 10  # the same for everyone; pages ask every 20 seconds
    return response
