"""Matrix cases for complaints: filing (a guardian, or anyone with a proven mobile), the filer's progress, the
school's and the county's case pages and counts, contacts, and the county's public transparency page."""

import secrets
from datetime import date

from app.complaints import services
from app.complaints.models import Complaint, ComplaintCategory
from app.extensions import db
from tests.authz import EVERYONE, SCHOOL_ADMINS, Case

OFFICER = frozenset({"county_officer"})
HANDLERS = SCHOOL_ADMINS | OFFICER
FILERS = frozenset({"anonymous", "guardian"})
TRACKED_MOBILE = "13712340000"


def _complaint(world, which: str, *, guardian: bool = False, token: str | None = None) -> Complaint:
    """A complaint about the own school (own) or the far county's school (other), shared identity; filed by the
    world's guardian, or without an account from TRACKED_MOBILE with the given tracking token."""
    school = world.own_school if which == "own" else world.far_school
    complaint = Complaint(school_id=school.id, county_id=school.county_id, category=ComplaintCategory.FEES,
                          body="收费超出公示标准", identity_shared=True, respond_by=date(2099, 1, 1),
                          tracking_hash=services.token_hash(token or secrets.token_hex(8)))
    if guardian:
        complaint.filer_id = world.users["guardian"].id
    else:
        complaint.filer_mobile, complaint.filer_name = TRACKED_MOBILE, "匿名家长"
    db.session.add(complaint)
    db.session.commit()
    return complaint


def case_args(world, which: str) -> dict:
    return {"complaint_id": _complaint(world, which).id}


def my_case_args(world, which: str) -> dict:
    return {"complaint_id": _complaint(world, which, guardian=True).id}


def track_args(world, which: str) -> dict:
    _complaint(world, which, token="tracking-token-own")
    return {"token": "tracking-token-own"}


def school_args(world, which: str) -> dict:
    return {"school_id": world.own_school.id}


def complaint_data(world, which: str) -> dict:
    return {"category": "fees", "body": "每月多收了100元资料费", "offering_id": "0", "provider_id": "0"}


def answer_data(world, which: str) -> dict:
    return {"text": "已核实，多收费用全部退还。"}


CASES = [
    Case("complaints.file", FILERS, args=school_args),
    # Anonymous without a proven number is sent to the number step; a guardian's complaint goes to the school.
    Case("complaints.file", FILERS, method="POST", ok=302, args=school_args, data=complaint_data),
    Case("complaints.send_code", FILERS, method="POST", ok=302, args=school_args,
         data=lambda world, which: {"mobile": "13712349999"}),
    Case("complaints.filed", EVERYONE, ok=302),  # nothing just filed in this browser: back to the home page
    Case("complaints.mine", frozenset({"guardian"})),
    Case("complaints.my_case", frozenset({"guardian"}), args=my_case_args),
    Case("complaints.my_escalate", frozenset({"guardian"}), method="POST", ok=302, args=my_case_args),
    Case("complaints.track", EVERYONE, args=track_args),
    Case("complaints.track", EVERYONE, method="POST", args=track_args,
         data=lambda world, which: {"mobile": TRACKED_MOBILE}),
    Case("complaints.track_escalate", EVERYONE, method="POST", ok=302, args=track_args,
         data=lambda world, which: {"mobile": TRACKED_MOBILE}),
    Case("complaints.school_cases", SCHOOL_ADMINS),
    Case("complaints.case", HANDLERS, scoped=True, args=case_args),
    Case("complaints.answer", SCHOOL_ADMINS, method="POST", ok=302, scoped=True, args=case_args, data=answer_data),
    Case("complaints.close", OFFICER, method="POST", ok=302, scoped=True, args=case_args, data=answer_data),
    # The principal and the county see the filer's name and mobile (shared) by asking; coordinators never.
    Case("complaints.reveal", frozenset({"school_admin", "county_officer"}), method="POST", scoped=True,
         args=case_args),
    Case("complaints.county", OFFICER),
    Case("complaints.school_contacts", SCHOOL_ADMINS),
    Case("complaints.school_contacts", SCHOOL_ADMINS, method="POST", ok=302,
         data=lambda world, which: {"complaint_phone": "0571-8888 1234", "complaint_email": "ts@school.example"}),
    Case("complaints.county_contacts", OFFICER),
    Case("complaints.county_contacts", OFFICER, method="POST", ok=302,
         data=lambda world, which: {"complaint_phone": "0571-8888 0000", "complaint_email": "",
                                    "complaint_address": "县教育局信访室"}),
    Case("transparency.county", EVERYONE, args=lambda world, which: {"county_id": world.county.id}),
]
