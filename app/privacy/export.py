"""Everything the site holds about a guardian and the children the school confirmed them for (PIPL Art. 45: access
and copy), as JSON and as XLSX: the account, links, applications, consents, messages and the children's school days
(register marks and their changes, sign-outs, collecting adults, advance absences, alerts, incidents without the
school's internal notes). Rows go through app.spreadsheets.append_row, so no text becomes a formula."""

import io
import json

from flask_babel import gettext as _
from openpyxl import Workbook

from app.accounts.models import User
from app.complaints import services as complaint_services
from app.daily import models as daily
from app.enrolment import need_to_know
from app.enrolment.models import Application
from app.extensions import db
from app.notifications.models import Notification, NotificationPreference
from app.privacy.models import NoticeAcceptance, SensitiveConsent
from app.schools.models import Student, class_label
from app.spreadsheets import append_row

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _time(value) -> str:
    return value.isoformat() if value is not None else ""


def family_applications(guardian: User) -> list[Application]:
    """The applications for the children the school confirmed this guardian for (need to know)."""
    child_ids = need_to_know.confirmed_child_ids(guardian)
    if not child_ids:
        return []
    return list(db.session.scalars(db.select(Application).where(Application.student_id.in_(child_ids))
                                   .order_by(Application.id)))


def _email(user: User) -> str:
    preference = db.session.get(NotificationPreference, user.id)
    return (preference.email or "") if preference else ""


def _name(user) -> str:
    return user.name if user is not None else ""


def _session(session) -> dict:
    return {"date": session.on_date.isoformat(), "session": f"{session.starts_at:%H:%M}–{session.ends_at:%H:%M} "
                                                            f"{session.series}".strip()}


def _rows(model, child_ids, order):
    return db.session.scalars(db.select(model).where(model.student_id.in_(child_ids)).order_by(order, model.id)).all()


def school_days(child_ids) -> dict[str, list[dict]]:
    """The children's school days as the school recorded them (the family's copy: no internal notes)."""
    ids = sorted(child_ids)
    children = {s.id: s.name for s in db.session.scalars(db.select(Student).where(Student.id.in_(ids)))}
    return {
        "register_marks": [{"child": children[m.student_id], **_session(m.session), "mark": m.status.value,
                            "marked_by": _name(m.marked_by), "marked_at": _time(m.marked_at)}
                           for m in _rows(daily.AttendanceMark, ids, daily.AttendanceMark.marked_at)],
        "register_changes": [{"child": children[c.student_id], "mark": c.status.value, "previous": c.previous,
                              "changed_by": _name(c.changed_by), "changed_at": _time(c.changed_at)}
                             for c in _rows(daily.AttendanceChange, ids, daily.AttendanceChange.changed_at)],
        "sign_outs": [{"child": children[o.student_id], **_session(o.session), "method": o.method.value,
                       "adult": o.adult_name, "staff": _name(o.staff), "signed_out_at": _time(o.signed_out_at)}
                      for o in _rows(daily.SignOut, ids, daily.SignOut.signed_out_at)],
        "collecting_adults": [{"child": children[a.student_id], "name": a.name, "relation": a.relation,
                               "mobile": a.mobile, "added_at": _time(a.added_at), "removed_at": _time(a.removed_at)}
                              for a in _rows(daily.PickupAdult, ids, daily.PickupAdult.added_at)],
        "advance_absences": [{"child": children[a.student_id], "from": a.starts_on.isoformat(),
                              "to": a.ends_on.isoformat(), "reason": a.reason, "reported_at": _time(a.reported_at),
                              "cancelled_at": _time(a.cancelled_at)}
                             for a in _rows(daily.AdvanceAbsence, ids, daily.AdvanceAbsence.starts_on)],
        "alerts": [{"child": children[a.student_id], **_session(a.session), "kind": a.kind.value,
                    "raised_at": _time(a.raised_at), "resolved_at": _time(a.resolved_at), "resolution": a.resolution}
                   for a in _rows(daily.Alert, ids, daily.Alert.raised_at)],
        "incidents": [{"child": children[i.student_id], "category": i.category.value,
                       "occurred_at": _time(i.occurred_at), "what_happened": i.what_happened,
                       "action_taken": i.action_taken, "recorded_by": _name(i.recorded_by),
                       "acknowledged_at": _time(i.acknowledged_at), "guardian_comment": i.guardian_comment}
                      for i in _rows(daily.Incident, ids, daily.Incident.occurred_at)],
    }


def my_data(guardian: User) -> dict:
    """The guardian's account, links, children, applications (health notes, choices, fees), consents, messages."""
    child_ids = set(need_to_know.confirmed_child_ids(guardian))
    applications = family_applications(guardian)
    children = [db.session.get(Student, student_id) for student_id in sorted(child_ids)]
    consents = db.session.scalars(db.select(SensitiveConsent).where(
        SensitiveConsent.application_id.in_([a.id for a in applications])).order_by(SensitiveConsent.id)).all()
    notifications = db.session.scalars(db.select(Notification).filter_by(user_id=guardian.id)
                                       .order_by(Notification.id)).all()
    acceptances = db.session.scalars(db.select(NoticeAcceptance).filter_by(user_id=guardian.id)
                                     .order_by(NoticeAcceptance.notice_version)).all()
    return {
        "account": {"name": guardian.name, "mobile": guardian.mobile, "role": guardian.role.value,
                    "language": guardian.locale or "", "email": _email(guardian)},
        "links": [{"child": link.student.name if link.verified else "", "relationship": link.relationship_kind.value,
                   "confirmed": link.verified, "created_at": _time(link.created_at),
                   "confirmed_at": _time(link.verified_at)} for link in guardian.guardian_links],
        "children": [{"name": s.name, "student_number": s.student_number, "school": s.school.name,
                      "class": class_label(s.school_class)} for s in children],
        "applications": [{
            "child": a.student.name, "offering": a.offering.title, "status": a.status.value,
            "weekdays": list(a.weekdays), "evening_study": a.evening_study, "pickup": a.pickup.value,
            "pickup_people": a.pickup_people, "walk_alone_consent": a.walk_alone_consent,
            "health_notes": a.health_notes, "priority_groups": list(a.priority_groups or []),
            "hardship": a.hardship.value, "agreement_version": a.agreement.version, "signed_at": _time(a.signed_at),
            "signed_by": a.signed_by.name, "return_reason": a.return_reason, "created_at": _time(a.created_at),
            "choices": [{"rank": c.rank, "activity": c.activity.name, "status": c.status.value}
                        for c in a.choices],
            "fees": [{"kind": e.kind.value, "amount_cents": e.amount_cents, "months": e.months,
                      "period_start": e.period_start, "note": e.note, "created_at": _time(e.created_at)}
                     for e in a.ledger],
        } for a in applications],
        "consents": [{"child": c.application.student.name, "field": c.field, "notice_version": c.notice_version,
                      "given_at": _time(c.given_at), "withdrawn_at": _time(c.withdrawn_at)} for c in consents],
        "privacy_notice_accepted": [{"version": a.notice_version, "accepted_at": _time(a.accepted_at)}
                                    for a in acceptances],
        "messages": [{"subject": n.subject, "body": n.body, "created_at": _time(n.created_at),
                      "read_at": _time(n.read_at)} for n in notifications],
        "school_days": school_days(child_ids),
        "complaints": complaint_services.filer_record(guardian),
    }


def my_data_json(guardian: User) -> bytes:
    return json.dumps(my_data(guardian), ensure_ascii=False, indent=2).encode("utf-8")


def _sheet(workbook: Workbook, title: str, rows: list[dict]) -> None:
    sheet = workbook.create_sheet(title[:31])
    if not rows:
        append_row(sheet, [_("Nothing held")])
        return
    header = [key for key, value in rows[0].items() if not isinstance(value, list | dict)]
    append_row(sheet, header)
    for row in rows:
        append_row(sheet, [", ".join(map(str, row[key])) if isinstance(row[key], list) else row[key]
                           for key in header])


def my_data_xlsx(guardian: User) -> bytes:
    """The same data, one sheet per part (choices and fees on sheets of their own, named by child and offering)."""
    data = my_data(guardian)
    workbook = Workbook()
    workbook.remove(workbook.active)
    _sheet(workbook, _("Account"), [data["account"]])
    _sheet(workbook, _("Links"), data["links"])
    _sheet(workbook, _("Children"), data["children"])
    _sheet(workbook, _("Applications"), [{k: v for k, v in a.items() if k not in ("choices", "fees")}
                                         for a in data["applications"]])
    _sheet(workbook, _("Activity choices"), [{"child": a["child"], "offering": a["offering"], **c}
                                             for a in data["applications"] for c in a["choices"]])
    _sheet(workbook, _("Fees"), [{"child": a["child"], "offering": a["offering"], **f}
                                 for a in data["applications"] for f in a["fees"]])
    _sheet(workbook, _("Consents"), data["consents"])
    _sheet(workbook, _("Complaints"), data["complaints"])
    _sheet(workbook, _("Privacy notice"), data["privacy_notice_accepted"])
    _sheet(workbook, _("Messages"), data["messages"])
    days = data["school_days"]
    for key, title in (("register_marks", _("Register marks")), ("register_changes", _("Register changes")),
                       ("sign_outs", _("Sign-outs")), ("collecting_adults", _("Collecting adults")),
                       ("advance_absences", _("Advance absences")), ("alerts", _("Alerts")),
                       ("incidents", _("Incidents"))):
        _sheet(workbook, title, days[key])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
