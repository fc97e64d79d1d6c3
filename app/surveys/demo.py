"""The demo county's quality surveys: the past term's, closed, with the families' and staff answers (so the results
pages and the providers' term evaluations have figures), and the current term's, open now (its families and staff
are told, and the home page asks them).

The past term's after-school service is the one the county's history already holds when there is one (a term of
that name at the school); otherwise a small one is made here: the term, its published offering with three
activities (足球 by 星火体育, 书法 by 墨香书画社, 绘本阅读 by a teacher) and most of the children placed this term
placed then too (张家长's children did not take part, as in the current term)."""

import logging
import random
from datetime import time, timedelta

from sqlalchemy import select

from app.accounts.models import Role, User
from app.demo_calendar import DemoCalendar, SchoolTerm
from app.enrolment.models import Application, ApplicationStatus, Seat
from app.extensions import db
from app.programs.models import Activity, AgreementText, NoticeVersion, Offering, OfferingKind
from app.providers.models import Provider
from app.schools.models import County, School, Term
from app.surveys import services
from app.surveys.models import Survey

logger = logging.getLogger(__name__)

NAMED_GUARDIAN = "13800000100"  # 张家长: the walk applies for the current term; no past term to explain
PAST_SHARE = 0.8  # families with a confirmed link whose child took part last term
ANSWER_SHARE = 0.7  # ... of whom this share answered the past term's survey
OPEN_ANSWER_SHARE = 0.3  # the current survey opened two days ago: a few have answered
SCORES = (5, 5, 5, 4, 4, 4, 4, 3, 3, 2)  # most families satisfied, a few not
COMMENTS = ("孩子很喜欢足球课，教练很负责。", "希望作业辅导时老师能多讲解一些。", "接孩子时门口有点拥挤，建议错峰。",
            "书法老师很耐心，孩子的字进步了。", "希望增加一些科学实验类的活动。")
STAFF_COMMENTS = ("看护任务分配比较均衡。", "希望周五的看护能轮换安排。")


def build_survey_demo(county: County, calendar: DemoCalendar) -> None:
    """The past term's survey (closed, answered) and the current term's (open, its audience told); flushes."""
    rng = random.Random("demo-2026-survey")
    past = calendar.previous_term
    officer = db.session.scalar(select(User).filter_by(county_id=county.id, role=Role.COUNTY_OFFICER))
    for school in county.schools:
        _past_service(school, past, calendar, rng)
    closed = Survey(county_id=county.id, term_name=past.name, opens_on=past.ends_on - timedelta(days=11),
                    closes_on=past.ends_on, for_guardians=True, for_staff=True, published_by_id=officer.id,
                    notified_at=calendar.at(past.ends_on - timedelta(days=11), 9))
    db.session.add(closed)
    db.session.flush()
    _answer(closed, rng, ANSWER_SHARE)
    current = services.publish(county, term_name=calendar.term.name, opens_on=calendar.today - timedelta(days=2),
                               closes_on=calendar.today + timedelta(days=12), for_guardians=True, for_staff=True,
                               by=officer, today=calendar.today)
    _answer(current, rng, OPEN_ANSWER_SHARE, staff=False)
    logger.info("survey demo built")


def _past_service(school: School, past: SchoolTerm, calendar: DemoCalendar, rng: random.Random) -> None:
    """The school's after-school service of the past term, made unless the county's history has it (app/county/demo.py:
    offering, places, rosters), and its activity groups with their providers and the children's seats in them."""
    term = db.session.scalar(select(Term).filter_by(school_id=school.id, name=past.name))
    offering = term and db.session.scalar(select(Offering).filter_by(term_id=term.id, kind=OfferingKind.AFTER_SCHOOL))
    if offering is None:
        offering = _past_offering(school, term, past, calendar, rng)
    if not offering.activities:
        _past_activities(school, offering)
        _past_seats(offering, rng)


def _past_offering(school: School, term: Term | None, past: SchoolTerm, calendar: DemoCalendar,
                   rng: random.Random) -> Offering:
    """A past term's after-school offering, published, with the places of children placed this term too."""
    from app.programs.services import notice_content

    if term is None:
        term = Term(school_id=school.id, name=past.name, starts_on=past.starts_on, ends_on=past.ends_on)
        db.session.add(term)
        db.session.flush()
    offering = Offering(school_id=school.id, kind=OfferingKind.AFTER_SCHOOL, term_id=term.id,
                        title=f"{school.name}课后服务（{past.name}）", starts_on=past.starts_on, ends_on=past.ends_on,
                        weekdays=[0, 1, 2, 3, 4], starts_at=time(15, 30), ends_at=time(17, 40),
                        basic_content="看护、作业辅导与答疑，不讲授新课", apply_deadline=past.starts_on,
                        basic_fee_cents=20000)
    db.session.add(offering)
    db.session.flush()
    offering.published_version = 1
    db.session.add(NoticeVersion(offering_id=offering.id, version=1, content=notice_content(offering)))
    agreement = db.session.scalar(select(AgreementText).filter_by(school_id=school.id).order_by(AgreementText.version))
    signed_at = calendar.at(past.starts_on - timedelta(days=5), 20)
    # Children placed this term (most of them took part last term too): a child with a place only in the past term
    # would count as placed for whoever asks "has an approved application" without naming the term.
    placed_now = set(db.session.scalars(
        select(Application.student_id).join(Offering, Offering.id == Application.offering_id)
        .join(Term, Term.id == Offering.term_id)
        .where(Application.school_id == school.id, Application.status == ApplicationStatus.APPROVED,
               Term.name == calendar.term.name)))
    for grade in school.grades:
        for school_class in grade.classes:
            for student in school_class.students:
                link = next((link for link in student.guardian_links if link.verified), None)
                if (link is None or link.guardian.mobile == NAMED_GUARDIAN or student.id not in placed_now
                        or rng.random() >= PAST_SHARE):
                    continue
                db.session.add(Application(
                    school_id=school.id, offering_id=offering.id, student_id=student.id, guardian_id=link.guardian_id,
                    status=ApplicationStatus.APPROVED, notice_version=1, weekdays=[0, 1, 2, 3, 4],
                    pickup_people=student.name[0] + "家长", agreement_id=agreement.id, signed_at=signed_at,
                    signed_by_id=link.guardian_id))
    db.session.flush()
    return offering


def _past_activities(school: School, offering: Offering) -> None:
    """The past term's activity groups: two run by the county's providers, one by a teacher."""
    providers = {p.name: p for p in db.session.scalars(select(Provider).filter_by(county_id=school.county_id))}
    teachers = [c.class_teacher for g in school.grades for c in g.classes if c.class_teacher]
    grades = [g.number for g in school.grades]
    offering.activities.extend([
        Activity(school_id=school.id, name="足球", activity="sports", grades=grades, weekdays=[0, 2],
                 starts_at=time(16, 30), ends_at=time(17, 30), capacity=40, room="操场",
                 provider_id=providers["星火体育"].id),
        Activity(school_id=school.id, name="书法", activity="arts", grades=grades, weekdays=[1],
                 starts_at=time(16, 30), ends_at=time(17, 30), capacity=30, room="美术室",
                 provider_id=providers["墨香书画社"].id),
        Activity(school_id=school.id, name="绘本阅读", activity="reading", grades=grades, weekdays=[3],
                 starts_at=time(16, 30), ends_at=time(17, 30), capacity=60, room="图书室",
                 leader_id=teachers[1].id if len(teachers) > 1 else None),
    ])
    db.session.flush()


def _past_seats(offering: Offering, rng: random.Random) -> None:
    """Seats in the past term's groups for some of its placed children (none, one or two groups each)."""
    approved = db.session.scalars(select(Application).filter_by(offering_id=offering.id,
                                                                status=ApplicationStatus.APPROVED)
                                  .order_by(Application.id))
    for application in approved:
        for activity in rng.sample(offering.activities, rng.choice((0, 1, 1, 2))):
            db.session.add(Seat(activity_id=activity.id, student_id=application.student_id,
                                application_id=application.id))
    db.session.flush()


def _answer(survey: Survey, rng: random.Random, share: float, staff: bool = True) -> None:
    """Some of the families (and staff) answer, through the same service as the pages."""
    people = sorted(services.audience(survey), key=lambda user: user.id)
    for guardian in [user for user in people if user.role is Role.GUARDIAN and user.mobile != NAMED_GUARDIAN]:
        for child in services.children_to_answer_for(survey, guardian):
            if services.answer_for(survey, child.id) or rng.random() >= share:
                continue
            ratings = {activity.id: rng.choice(SCORES) for activity in services.activities_of(survey, child.id)}
            comment = rng.choice(COMMENTS) if rng.random() < 0.25 else ""
            services.record_guardian_answer(survey, child, overall=rng.choice(SCORES), ratings=ratings,
                                            comment=comment)
    if not staff:
        return
    for teacher in [user for user in people if user.role is Role.TEACHER]:
        if rng.random() < share:
            services.record_staff_answer(survey, teacher, overall=rng.choice(SCORES),
                                         workload_fairness=rng.choice(SCORES),
                                         comment=rng.choice(STAFF_COMMENTS) if rng.random() < 0.2 else "")
