"""The demo's complaints: one the school answered, one open with the school, one the county took when the school let
its day pass; and the complaint contacts of the demo schools and county. Called from app/demo.py."""

from datetime import timedelta

from app.accounts.models import GuardianLink, User
from app.complaints import services
from app.complaints.models import Complaint, ComplaintCategory, ComplaintStatus
from app.demo_calendar import DemoCalendar
from app.extensions import db
from app.schools.models import County, School, Student
from scheduling import policy

# Without an account: the tracking link /complaints/track/<DEMO_TRACKING_TOKEN> and this mobile show the open one.
DEMO_TRACKING_TOKEN = "demo-tracking-link"
DEMO_ANONYMOUS_MOBILE = "13700009999"


def _complaint(school, calendar: DemoCalendar, days_ago: int, category: ComplaintCategory, body: str, *,
               token: str, filer: User | None = None, **fields) -> Complaint:
    filed_on = calendar.today - timedelta(days=days_ago)
    complaint = Complaint(school_id=school.id, county_id=school.county_id, category=category, body=body,
                          filer_id=filer.id if filer else None, tracking_hash=services.token_hash(token),
                          filed_at=calendar.at(filed_on, 19), respond_by=services.respond_by_for(filed_on), **fields)
    db.session.add(complaint)
    db.session.flush()
    return complaint


def build_complaints_demo(county: County, calendar: DemoCalendar) -> None:
    """Contacts, and the three complaints (flushes; the caller commits)."""
    schools = {s.code: s for s in db.session.scalars(db.select(School).filter_by(county_id=county.id))}
    primary, junior = schools["SY"], schools["YZ"]  # 实验小学, 第一初级中学
    now = calendar.now
    county.complaint_phone, county.complaint_email = "0571-8800 1234", "jiandu@shifanxian.example"
    county.complaint_address = "示范县教育局督导室（县府路1号）"
    county.complaint_contacts_updated_at = now - timedelta(days=40)
    for school, phone in ((primary, "0571-8800 2001"), (junior, "0571-8800 3001")):
        school.complaint_phone, school.complaint_email = phone, f"kehou-{school.code.lower()}@shifanxian.example"
        school.complaint_contacts_updated_at = now - timedelta(days=30)

    guardian = db.session.scalar(db.select(User).filter_by(mobile="13800000100"))
    principal = db.session.scalar(db.select(User).filter_by(mobile="13800000010"))
    answered = _complaint(primary, calendar, 3, ComplaintCategory.NEW_LESSONS,
                          "作业辅导时间老师讲了下周数学的新课内容，孩子回家说听不懂。",
                          token="demo-answered", filer=guardian, identity_shared=True)
    answered.status, answered.answered_by_id = ComplaintStatus.ANSWERED, principal.id
    answered.school_answer = ("已核实：该老师在作业辅导时讲解了新课内容。学校已提醒全体教师"
                              "课后服务只答疑辅导、不讲新课，并加强巡查。")
    answered.answered_at = calendar.at(calendar.today - timedelta(days=1), 10)

    _complaint(junior, calendar, 1, ComplaintCategory.FEES, "课后服务每月另收30元“资料费”，公示里没有这一项。",
               token=DEMO_TRACKING_TOKEN, filer_name="李女士", filer_mobile=DEMO_ANONYMOUS_MOBILE)

    other_parent = db.session.scalar(
        db.select(User).join(GuardianLink, GuardianLink.guardian_id == User.id).join(Student)
        .where(Student.school_id == primary.id, User.mobile != "13800000100").order_by(User.id).limit(1))
    overdue = _complaint(
        primary, calendar, policy.COMPLAINT_RESPONSE_DAYS + 3, ComplaintCategory.FORCED,
        "班主任在家长群里说全班都要参加课后服务，不参加要写说明。", token="demo-escalated", filer=other_parent,
        identity_shared=True)
    services.escalate(overdue, "overdue")  # what `flask enrolment run-due` did when the school's day passed
    overdue.escalated_at = calendar.at(overdue.respond_by + timedelta(days=1), 7)


def delete_complaints_demo(school_ids: list[int]) -> None:
    """Remove the demo schools' complaints (before the schools and accounts go)."""
    db.session.execute(db.delete(Complaint).where(Complaint.school_id.in_(school_ids)))
