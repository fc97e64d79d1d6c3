"""The demo county: two schools, their classes, students, guardians, staff, providers and one login per role."""

import logging
import random
from dataclasses import dataclass
from datetime import date, time, timedelta

from flask import current_app
from flask_babel import force_locale
from sqlalchemy.exc import IntegrityError

from app.accounts.models import AdminTitle, GuardianLink, Relationship, Role, User
from app.complaints.demo import build_complaints_demo, delete_complaints_demo
from app.county.demo import build_county_history, delete_county_history
from app.county.plan_demo import build_county_plan
from app.demo_calendar import DemoCalendar, local_moment
from app.extensions import db
from app.models_base import local_time, local_today, school_zone
from app.privacy.models import NoticeAcceptance, SensitiveConsent
from app.privacy.services import FAMILY_SITUATION, NOTICE_VERSION
from app.providers.models import Provider, ProviderStatus
from app.schools.models import County, Grade, Holiday, HolidayKind, School, SchoolClass, SchoolType, Student, Term
from app.staff.models import StaffProfile, StaffType
from app.surveys.demo import build_survey_demo
from scheduling import policy
from scheduling.policy import REGISTER_ALERT_MINUTES

logger = logging.getLogger(__name__)

DEMO_COUNTY_CODE = "demo"
DEMO_PASSWORD = "demo-2026"

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红建文辉力燕云飞宇浩然子涵梓萱思雨欣怡俊熙一诺佳琪"
PRIMARY_SUBJECTS = ["语文", "数学", "外语", "道德与法治", "体育", "音乐", "美术", "科学", "信息技术"]
JUNIOR_SUBJECTS = ["语文", "数学", "外语", "物理", "化学", "生物", "历史", "地理", "道德与法治", "体育", "音乐", "美术"]
# Activities a teacher of a subject can lead besides supervision and homework help (contract activity names).
SUBJECT_SKILLS = {"体育": ["sports", "games"], "音乐": ["arts", "club"], "美术": ["arts", "club"],
                  "科学": ["science", "practice"], "信息技术": ["science", "club"], "语文": ["reading"],
                  "物理": ["science"], "化学": ["science"], "生物": ["science", "labour"]}


@dataclass(frozen=True)
class DemoLogin:
    """One login the README lists."""

    role: str
    mobile: str
    name: str
    note: str


# The logins the README lists; the demo creates exactly these (plus many unlisted staff and guardians).
DEMO_LOGINS = [
    DemoLogin("county_officer", "13800000001", "周科长", "示范县教育局 county education officer"),
    DemoLogin("school_admin", "13800000010", "林校长", "实验小学 principal"),
    DemoLogin("school_admin", "13800000011", "陈主任", "实验小学 after-school coordinator"),
    DemoLogin("finance", "13800000012", "王会计", "实验小学 finance officer (fees and hardship waivers)"),
    DemoLogin("class_teacher", "13800000020", "王老师", "实验小学 class teacher of 一年级1班"),
    DemoLogin("teacher", "13800000030", "赵老师", "实验小学 PE teacher, opted in"),
    DemoLogin("guardian", "13800000100", "张家长", "guardian of 张子涵 (一年级1班, link confirmed)"),
    DemoLogin("provider_staff", "13800000200", "孙教练", "星火体育 (vetted) coach"),
    DemoLogin("school_admin", "13900000010", "郑校长", "第一初级中学 principal"),
    DemoLogin("class_teacher", "13900000020", "何老师", "第一初级中学 class teacher of 七年级1班"),
]


class DemoBuilder:
    """Builds the demo with a fixed seed so every load gives the same people."""

    def __init__(self, calendar: DemoCalendar, seed: int = 2026) -> None:
        self.calendar = calendar
        self.rng = random.Random(seed)
        self.mobile_counter = 0
        self.used_names: set[str] = set()
        self.password_hash: str | None = None  # one hash of the one demo password, shared by every demo login

    def person_name(self) -> str:
        while True:
            name = self.rng.choice(SURNAMES) + "".join(self.rng.sample(GIVEN, self.rng.choice([1, 2])))
            if name not in self.used_names:
                self.used_names.add(name)
                return name

    def next_mobile(self, prefix: str) -> str:
        self.mobile_counter += 1
        return f"{prefix}{self.mobile_counter:05d}"

    def user(self, mobile: str, name: str, role: Role, **fields) -> User:
        user = User(mobile=mobile, name=name, role=role, **fields)
        if self.password_hash is None:
            user.set_password(DEMO_PASSWORD)
            self.password_hash = user.password_hash
        else:  # hashing once keeps the load fast with hundreds of families (a slow hash each time)
            user.password_hash = self.password_hash
            user.rotate_session_token()
        db.session.add(user)
        if role is Role.GUARDIAN:  # accepted the privacy notice when registering
            db.session.add(NoticeAcceptance(user=user, notice_version=NOTICE_VERSION))
        return user

    def teacher(self, school: School, mobile: str, name: str, subject: str, *, opted_in: bool = True,
                exempt_reason: str = "") -> User:
        user = self.user(mobile, name, Role.TEACHER, school=school)
        skills = ["supervision", "homework_help", "tutoring", *SUBJECT_SKILLS.get(subject, [])]
        user.staff_profile = StaffProfile(
            school_id=school.id, staff_type=StaffType.TEACHER, subjects=[subject], skills=sorted(set(skills)),
            opted_in=opted_in and not exempt_reason, exempt=bool(exempt_reason), exempt_reason=exempt_reason,
        )
        return user

    def school(self, county: County, code: str, name: str, school_type: SchoolType, grades: range,
               classes_per_grade: int, subjects: list[str], login_prefix: str) -> School:
        school = School(county=county, code=code, name=name, school_type=school_type, address=f"示范县{name}路1号",
                        work_end_winter=time.fromisoformat(policy.WORK_END_WINTER),
                        work_end_summer=time.fromisoformat(policy.WORK_END_SUMMER))
        db.session.add(school)
        term = self.calendar.term
        school.terms.append(Term(name=term.name, starts_on=term.starts_on, ends_on=term.ends_on))
        school.holidays.extend(
            Holiday(kind=HolidayKind.PUBLIC, name=name, starts_on=starts, ends_on=ends)
            for name, starts, ends in self.calendar.public_holidays)
        school.holidays.append(Holiday(kind=HolidayKind.WINTER if term.holiday_is_winter else HolidayKind.SUMMER,
                                       name=term.holiday_name, starts_on=term.holiday_starts,
                                       ends_on=term.holiday_ends))
        db.session.flush()
        for number in grades:
            grade = Grade(number=number)
            school.grades.append(grade)
            for class_number in range(1, classes_per_grade + 1):
                grade.classes.append(SchoolClass(school=school, number=class_number))
        db.session.flush()
        # One teacher per class leads it; more teachers than classes so rosters have room.
        all_classes = [c for g in school.grades for c in g.classes]
        teachers = []
        for index in range(len(all_classes) + 8):
            subject = subjects[index % len(subjects)]
            opted_in = index % 7 != 3  # about one in seven has not opted in
            teachers.append(self.teacher(school, self.next_mobile(login_prefix), self.person_name() + "老师",
                                         subject, opted_in=opted_in))
        teachers[5].staff_profile.opted_in = False
        teachers[5].staff_profile.exempt = True
        teachers[5].staff_profile.exempt_reason = "身体原因（医嘱），本学期免于课后服务"
        for school_class, teacher in zip(all_classes, teachers, strict=False):
            school_class.class_teacher = teacher
        student_no = 0
        for school_class in all_classes:
            for _ in range(12):
                student_no += 1
                school_class.students.append(Student(
                    school=school, name=self.person_name(),
                    student_number=f"{school.code}{2026 - school_class.grade.number + 1}{student_no:04d}"))
        db.session.flush()
        return school


class DemoRefused(RuntimeError):
    """The demo may not be loaded or reset here."""


def check_demo_allowed() -> None:
    """Refuse under the production configuration: every demo login shares one published password."""
    if not current_app.config.get("DEMO_ALLOWED", False):
        raise DemoRefused(
            "The demo county is not loaded or reset under the production configuration (APP_CONFIG=production): "
            f"every demo login has the published password {DEMO_PASSWORD!r}. Use a development database.")


def load_demo(reset: bool = False, today: date | None = None) -> None:
    """Create the demo county unless it exists (with reset, delete it first), its dates around `today`."""
    check_demo_allowed()
    existing = db.session.scalar(db.select(County).filter_by(code=DEMO_COUNTY_CODE))
    calendar = DemoCalendar.for_day(today or local_today(), zone=school_zone())
    if existing is not None:
        if not reset:
            logger.info("demo county already loaded")
            print("The demo county is already loaded (use --reset to load it again).")
            terms = [term for school in existing.schools for term in school.terms]
            if terms and not any(term.starts_on <= calendar.today <= term.ends_on for term in terms):
                print(f"Its term ({terms[0].starts_on} – {terms[0].ends_on}) does not hold {calendar.today}: "
                      "`flask demo --reset` loads it again around today.")
            return
        delete_demo(existing)
    try:
        build_demo(calendar)
    except IntegrityError as error:
        # An account outside the demo holds one of the demo's mobile numbers: change nothing, say so.
        db.session.rollback()
        listed = [login.mobile for login in DEMO_LOGINS]
        taken = db.session.scalars(db.select(User.mobile).where(User.mobile.in_(listed))).all()
        raise DemoRefused(
            "The demo was not loaded and nothing was changed: a mobile number the demo gives one of its logins "
            f"already has an account outside the demo ({', '.join(taken) or 'one of its unlisted logins'}).",
        ) from error
    db.session.commit()
    term = calendar.term
    print(f"Demo county loaded for {calendar.today}: {term.name} {term.starts_on} – {term.ends_on}, "
          f"{term.holiday_name} care open until {local_time(calendar.care_closes_at):%Y-%m-%d %H:%M}.")
    print("Password for every demo login:", DEMO_PASSWORD)
    for login in DEMO_LOGINS:
        print(f"  {login.role:15} {login.mobile}  {login.name}  {login.note}")


def demo_user_ids(county: County) -> list[int]:
    """The demo's own accounts: those reachable from its county (its officers, its schools' staff, its providers'
    staff) and the guardians whose every child is one of its students. Never a match on mobile numbers: an account
    elsewhere keeps its number, and a guardian with a child outside the demo keeps the account (only the demo
    child's link goes with the child)."""
    school_ids = [s.id for s in county.schools]
    provider_ids = db.select(Provider.id).where(Provider.county_id == county.id)
    students = db.select(Student.id).where(Student.school_id.in_(school_ids))
    linked_elsewhere = db.select(GuardianLink.guardian_id).where(GuardianLink.student_id.not_in(students))
    demo_guardians = db.select(GuardianLink.guardian_id).where(
        GuardianLink.student_id.in_(students), GuardianLink.guardian_id.not_in(linked_elsewhere))
    return list(db.session.scalars(db.select(User.id).where(
        User.school_id.in_(school_ids) | User.provider_id.in_(provider_ids) | (User.county_id == county.id)
        | User.id.in_(demo_guardians))))


def delete_demo(county: County) -> None:
    """Remove the demo county and everything in it, and nothing outside it (see demo_user_ids)."""
    check_demo_allowed()
    school_ids = [s.id for s in county.schools]
    students = db.select(Student.id).where(Student.school_id.in_(school_ids))
    users = demo_user_ids(county)
    delete_complaints_demo(school_ids)
    delete_county_history(school_ids)
    delete_daily_demo(school_ids)
    delete_roster_demo(school_ids)
    delete_enrolment_demo(school_ids, users)
    db.session.execute(db.delete(GuardianLink).where(GuardianLink.student_id.in_(students)))
    db.session.execute(db.delete(Student).where(Student.school_id.in_(school_ids)))
    db.session.execute(db.update(SchoolClass).where(SchoolClass.school_id.in_(school_ids)).values(class_teacher_id=None))
    db.session.execute(db.delete(StaffProfile).where(StaffProfile.school_id.in_(school_ids)))
    db.session.execute(db.delete(StaffProfile).where(StaffProfile.user_id.in_(users)))
    db.session.execute(db.delete(User).where(User.id.in_(users)).execution_options(synchronize_session=False))
    for school in county.schools:
        db.session.delete(school)
    db.session.execute(db.delete(Provider).where(Provider.county_id == county.id))
    db.session.flush()
    db.session.delete(county)
    db.session.flush()


def build_demo(calendar: DemoCalendar | None = None) -> County:
    """Build the demo county in the session, its dates around the calendar's day (default: today in school
    time); flushes, the caller commits."""
    calendar = calendar or DemoCalendar.for_day(local_today(), zone=school_zone())
    builder = DemoBuilder(calendar)
    county = County(name="示范县", code=DEMO_COUNTY_CODE)
    db.session.add(county)
    logins = {login.mobile: login for login in DEMO_LOGINS}

    builder.user("13800000001", logins["13800000001"].name, Role.COUNTY_OFFICER, county=county)

    providers = [
        Provider(county=county, name="星火体育", categories=["sports", "games"], status=ProviderStatus.ACTIVE,
                 vetted_until=calendar.vetted_until(7), contact_name="孙教练", contact_mobile="13800000200"),
        Provider(county=county, name="墨香书画社", categories=["arts", "club"], status=ProviderStatus.ACTIVE,
                 vetted_until=calendar.vetted_until(9), contact_name="钱老师", contact_mobile="13800000201"),
        Provider(county=county, name="小小科学家", categories=["science", "practice"], status=ProviderStatus.ACTIVE,
                 vetted_until=calendar.vetting_expired_on, contact_name="吴老师", contact_mobile="13800000202",
                 status_reason="资质审核有效期已过，待重新审核"),
        Provider(county=county, name="乐乐游戏营", categories=["games"], status=ProviderStatus.SUSPENDED,
                 vetted_until=calendar.vetted_until(7), status_reason="学期评价不合格，暂停服务整改"),
    ]
    db.session.add_all(providers)
    db.session.flush()
    coach = builder.user("13800000200", "孙教练", Role.PROVIDER_STAFF, provider=providers[0])
    coach.staff_profile = StaffProfile(staff_type=StaffType.PROVIDER, skills=["sports", "games"], opted_in=True)
    expired = builder.user("13800000202", "吴老师", Role.PROVIDER_STAFF, provider=providers[2])
    expired.staff_profile = StaffProfile(staff_type=StaffType.PROVIDER, skills=["science"], opted_in=True)

    primary = builder.school(county, "SY", "实验小学", SchoolType.PRIMARY, range(1, 7), 2, PRIMARY_SUBJECTS, "137001")
    junior = builder.school(county, "YZ", "第一初级中学", SchoolType.JUNIOR, range(7, 10), 3, JUNIOR_SUBJECTS, "137002")

    builder.user("13800000010", "林校长", Role.SCHOOL_ADMIN, school=primary, admin_title=AdminTitle.PRINCIPAL)
    builder.user("13800000011", "陈主任", Role.SCHOOL_ADMIN, school=primary, admin_title=AdminTitle.COORDINATOR)
    builder.user("13800000012", "王会计", Role.FINANCE, school=primary)
    builder.user("13900000010", "郑校长", Role.SCHOOL_ADMIN, school=junior, admin_title=AdminTitle.PRINCIPAL)

    # Named demo teachers: the class teacher of 一年级1班 / 七年级1班, and a PE teacher without a class.
    primary_1_1 = primary.grades[0].classes[0]
    primary_1_1.class_teacher = builder.teacher(primary, "13800000020", "王老师", "语文")
    builder.teacher(primary, "13800000030", "赵老师", "体育")
    junior_7_1 = junior.grades[0].classes[0]
    junior_7_1.class_teacher = builder.teacher(junior, "13900000020", "何老师", "数学")

    # Retired teacher and volunteer at the primary school, each on their own terms.
    retired = builder.user(builder.next_mobile("137001"), "钱老师（退休）", Role.TEACHER, school=primary)
    retired.staff_profile = StaffProfile(school_id=primary.id, staff_type=StaffType.RETIRED_TEACHER,
                                         subjects=["数学"], skills=["supervision", "homework_help", "tutoring"],
                                         opted_in=True, max_weekly_minutes=240, max_days=2)
    volunteer = builder.user(builder.next_mobile("137001"), "刘阿姨（志愿者）", Role.TEACHER, school=primary)
    volunteer.staff_profile = StaffProfile(school_id=primary.id, staff_type=StaffType.VOLUNTEER,
                                           skills=["supervision", "reading"], opted_in=True,
                                           max_weekly_minutes=180, max_days=3)
    db.session.flush()

    # The named guardian's child, link confirmed; more guardians with a child each, some links waiting.
    first_child = primary_1_1.students[0]
    first_child.name = "张子涵"
    guardian = builder.user("13800000100", "张家长", Role.GUARDIAN)
    guardian.guardian_links.append(GuardianLink(student=first_child, relationship_kind=Relationship.MOTHER,
                                                verified=True, verified_by=primary_1_1.class_teacher))
    sibling_class = primary.grades[1].classes[0]  # a brother in grade 2, so siblings can be linked
    sibling_class.students[0].name = "张子轩"
    guardian.guardian_links.append(GuardianLink(student=sibling_class.students[0], verified=True,
                                                relationship_kind=Relationship.MOTHER,
                                                verified_by=sibling_class.class_teacher))
    for school in (primary, junior):
        for school_class in [c for g in school.grades for c in g.classes]:
            for student in school_class.students[1:4]:
                parent = builder.user(builder.next_mobile("137003"), student.name[0] + "家长", Role.GUARDIAN)
                parent.guardian_links.append(GuardianLink(
                    student=student, relationship_kind=builder.rng.choice(list(Relationship)[:3]),
                    verified=builder.rng.random() < 0.7))
    add_family_accounts(builder, primary, junior)
    db.session.flush()
    build_enrolment_demo(primary, junior, providers[0], calendar)
    build_staff_demo(primary, junior)
    build_roster_demo(primary)
    build_school_day_demo(primary, calendar)
    build_county_history(county, calendar)
    build_complaints_demo(county, calendar)
    build_survey_demo(county, calendar)  # after the county's history: its past term is the survey's
    build_county_plan(county, calendar)  # the county's coverage plan for next week, solved for real
    return county


DEMO_AGREEMENT = (
    "课后服务协议书\n一、学生自愿参加，家长申请，学校审核后实施；家长可随时申请退出。\n"
    "二、学校按公示内容组织看护、作业辅导和拓展活动，不讲授新课。\n"
    "三、家长按约定时间接送或书面同意学生自行回家，如实告知健康情况。\n"
    "四、费用按月收取，已收费用的时间跨度不超过三个月（含当月，分次收取合并计算）；退出时未开始月份的费用全额退还；困难家庭可申请减免。"
)


def care_title(school: School, calendar: DemoCalendar) -> str:
    """实验小学寒假托管 or 实验小学暑假托管: the care of the holiday after the demo's term."""
    return f"{school.name}{calendar.term.holiday_name}托管"


def build_enrolment_demo(primary: School, junior: School, coach_provider: Provider, calendar: DemoCalendar) -> None:
    """Published notices, an agreement, the term's after-school service with most families placed
    (build_after_school_places), and the holiday care open now with two applications (flushes)."""
    from app.enrolment import allocation
    from app.enrolment.models import ActivityChoice, Application, ApplicationStatus
    from app.programs.models import Activity, AgreementText, AllocationMode, NoticeVersion, Offering, OfferingKind
    from app.programs.services import notice_content

    for school in (primary, junior):
        term = school.terms[0]
        agreement = AgreementText(school_id=school.id, version=1, body=DEMO_AGREEMENT)
        db.session.add(agreement)
        junior_school = school is junior
        offering = Offering(
            school_id=school.id, kind=OfferingKind.AFTER_SCHOOL, term_id=term.id, title=f"{school.name}课后服务",
            starts_on=term.starts_on, ends_on=term.ends_on, weekdays=[0, 1, 2, 3, 4], starts_at=time(15, 30),
            ends_at=time(17, 40), basic_content="看护、作业辅导与答疑，不讲授新课",
            apply_deadline=calendar.after_school_deadline,
            evening_starts_at=time(19, 0) if junior_school else None,
            evening_ends_at=time.fromisoformat(policy.EVENING_END_LATEST) if junior_school else None,
            basic_fee_cents=20000,
            fee_rules="按月收取，收费时间跨度不超过三个月（含当月）", refund_rule="退出时，尚未开始月份的费用全额退还",
            hardship_rule="家庭经济困难学生经学校审核免收费用", safety_measures="专人看护，凭接送卡接送",
            priority_groups=["hardship", "left_behind", "late_working"],
            # The term's window closed with its draw; places left since then go first come.
            window_opens_at=calendar.after_school_opens_at, window_closes_at=calendar.after_school_draw_at,
            first_come_after_draw=True)
        db.session.add(offering)
        db.session.flush()
        grades = [g.number for g in school.grades]
        teachers = [c.class_teacher for g in school.grades for c in g.classes]
        offering.activities.extend([
            Activity(school_id=school.id, name="足球", activity="sports", grades=grades[:3], weekdays=[0, 2],
                     starts_at=time(16, 30), ends_at=time(17, 30), capacity=2, room="操场",
                     provider_id=coach_provider.id, fee_cents=5000),
            Activity(school_id=school.id, name="绘本阅读", activity="reading", grades=grades, weekdays=[1, 3],
                     starts_at=time(16, 30), ends_at=time(17, 30), capacity=30, room="图书室",
                     leader_id=teachers[1].id),
            Activity(school_id=school.id, name="科学小实验", activity="science", grades=grades, weekdays=[4],
                     starts_at=time(16, 30), ends_at=time(17, 30), capacity=20, room="科学室",
                     leader_id=teachers[2].id),
        ])
        db.session.flush()
        offering.published_version = 1
        db.session.add(NoticeVersion(offering_id=offering.id, version=1, content=notice_content(offering)))
        holiday = next(h for h in school.holidays if h.kind is not HolidayKind.PUBLIC)
        care = Offering(school_id=school.id, kind=OfferingKind.HOLIDAY_CARE, holiday_id=holiday.id,
                        title=care_title(school, calendar), starts_on=calendar.care_starts_on,
                        ends_on=calendar.care_ends_on, weekdays=[0, 1, 2, 3, 4], starts_at=time(8, 30),
                        ends_at=time(17, 30), basic_content="以看护为主，开展阅读、体育和游戏，不组织集体补课",
                        apply_deadline=calendar.care_deadline, basic_fee_cents=30000,
                        priority_groups=["left_behind", "late_working"],
                        # Holiday care: the primary school's window is open now (one draw at the close);
                        # the junior high gives places first come.
                        allocation=AllocationMode.FIRST_COME if junior_school else AllocationMode.DRAW,
                        window_opens_at=calendar.care_opens_at, window_closes_at=calendar.care_closes_at)
        db.session.add(care)
        db.session.flush()
        care.activities.append(Activity(school_id=school.id, name="趣味体育", activity="sports", grades=grades,
                                        weekdays=[0, 2, 4], starts_at=time(9, 0), ends_at=time(10, 30),
                                        capacity=25, room="体育馆", leader_id=teachers[3].id))
        care.activities.append(Activity(school_id=school.id, name="围棋", activity="club", grades=grades,
                                        weekdays=[1, 3], starts_at=time(14, 0), ends_at=time(15, 30),
                                        capacity=2, room="棋艺室", leader_id=teachers[4].id))
        db.session.flush()
        care.published_version = 1
        db.session.add(NoticeVersion(offering_id=care.id, version=1, content=notice_content(care)))
        db.session.flush()

        # Most families applied in the window and were placed by its draw (see build_after_school_places).
        build_after_school_places(school, offering, agreement, calendar)
        # Holiday care: two left-behind children have asked for the two 围棋 places.
        winter_links = [link for g in school.grades[2:3] for c in g.classes for s in c.students
                        for link in s.guardian_links if link.verified]
        for link in winter_links[:2]:
            application = Application(
                school_id=school.id, offering_id=care.id, student_id=link.student_id, guardian_id=link.guardian_id,
                status=ApplicationStatus.CONFIRMED, notice_version=1, weekdays=[0, 1, 2, 3, 4],
                pickup_people=link.student.name[0] + "家长", agreement_id=agreement.id,
                signed_at=calendar.care_signed_at, signed_by_id=link.guardian_id, priority_groups=["left_behind"])
            application.choices.append(ActivityChoice(activity_id=care.activities[1].id, rank=1))
            db.session.add(application)
            db.session.add(situation_consent(application, link.guardian_id))
            db.session.flush()
            if allocation.needs_arrival_placement(care):
                allocation.place_on_arrival(application)
    logger.info("enrolment demo built")


FAMILY_ACCOUNTS = 0.85  # share of the other students whose family has an account (link confirmed)
PARTICIPATION = 0.85  # ... of whom this share applied for the after-school service (about 70% of all students)
DEMO_HEALTH_NOTES = ["花生过敏，随身携带肾上腺素笔", "哮喘，剧烈运动前需用药", "对青霉素过敏", "轻度近视，需坐前排"]
DEMO_RETURN_REASON = "请补充接送人电话"


def add_family_accounts(builder: DemoBuilder, *schools: School) -> None:
    """A guardian account, its link confirmed by the class teacher, for most of the students who have none yet
    (numbers 137003…, after the first guardians'); the seed's own stream, so earlier names stay as they were."""
    rng = random.Random("demo-2026-families")
    for school in schools:
        for school_class in [c for g in school.grades for c in g.classes]:
            for student in school_class.students:
                if student.guardian_links or rng.random() >= FAMILY_ACCOUNTS:
                    continue
                parent = builder.user(builder.next_mobile("137003"), student.name[0] + "家长", Role.GUARDIAN)
                parent.guardian_links.append(GuardianLink(
                    student=student, relationship_kind=rng.choice(list(Relationship)[:3]), verified=True,
                    verified_by=school_class.class_teacher))


def situation_consent(application, guardian_id: int) -> SensitiveConsent:
    """The guardian's separate consent to the family's situation (hardship, left-behind...), given when signing."""
    return SensitiveConsent(application=application, guardian_id=guardian_id, field=FAMILY_SITUATION,
                            notice_version=NOTICE_VERSION, given_at=application.signed_at)


def build_after_school_places(school: School, offering, agreement, calendar: DemoCalendar) -> None:
    """The term's after-school service as a school has it a few weeks in, through the services that do it for real:
    most families with a confirmed link applied in the window (张家长's children did not); the class teachers
    confirmed nearly all (one returned, for a missing phone number; a few not yet reviewed); the principal decided
    two hardship requests (one more waits); the draw placed the children in the activities, capacities respected,
    the rest on waiting lists; the principal approved the confirmed applications; a few class teachers confirmed
    after that (for the principal to approve); an hour ago a family withdrew a child from 足球, so the first child
    on its waiting list has an offer open (flushes)."""
    from app.enrolment import allocation
    from app.enrolment import services as enrolment
    from app.enrolment.models import ActivityChoice, Application, ApplicationStatus, HardshipStatus, Pickup

    rng = random.Random(f"demo-2026-{school.code}")
    principal = db.session.scalar(db.select(User).filter_by(school_id=school.id, admin_title=AdminTitle.PRINCIPAL))
    junior_school = school.school_type is SchoolType.JUNIOR
    stories: dict[str, list[Application]] = {"submitted": [], "returned": [], "late": [], "approved": [],
                                            "hardship": []}
    first = calendar.after_school_signed_at  # families applied from the day after the window opened to the close
    window_hours = int((calendar.after_school_draw_at - first).total_seconds() // 3600)
    for grade in school.grades:
        activities = [a for a in offering.activities if grade.number in (a.grades or [])]
        for school_class in grade.classes:
            for student in school_class.students:
                link = next((link for link in student.guardian_links if link.verified), None)
                if link is None or link.guardian.mobile == "13800000100" or rng.random() >= PARTICIPATION:
                    continue
                roll = rng.random()
                weekdays = [0, 1, 2, 3, 4] if roll < 0.75 else [0, 1, 2, 3] if roll < 0.9 else [0, 2, 4]
                walks = grade.number >= 5 and rng.random() < 0.3
                application = Application(
                    school_id=school.id, offering_id=offering.id, student_id=student.id, guardian_id=link.guardian_id,
                    status=ApplicationStatus.SUBMITTED, notice_version=1, weekdays=weekdays,
                    evening_study=junior_school and rng.random() < 0.4,
                    pickup=Pickup.WALKS_ALONE if walks else Pickup.COLLECTED, walk_alone_consent=walks,
                    pickup_people="" if walks else student.name[0] + "家长", agreement_id=agreement.id,
                    signed_at=first + timedelta(hours=rng.randint(0, window_hours - 1)),
                    signed_by_id=link.guardian_id)
                roll = rng.random()
                if roll < 0.08:
                    application.priority_groups = ["left_behind"]
                elif roll < 0.16:
                    application.priority_groups = ["late_working"]
                if rng.random() < 0.06:
                    application.health_notes = rng.choice(DEMO_HEALTH_NOTES)
                wanted = rng.sample(activities, k=min(len(activities), rng.choice([0, 1, 1, 2, 2, 3])))
                for rank, activity in enumerate(wanted, start=1):
                    application.choices.append(ActivityChoice(activity_id=activity.id, rank=rank))
                db.session.add(application)
                # Who stands where: the README's cases in 一年级 first, then by chance.
                roll = rng.random()
                if not stories["submitted"]:
                    story = "submitted"  # a hardship request for the principal and the finance officer to decide
                    application.hardship = HardshipStatus.REQUESTED
                    application.priority_groups = ["hardship"]
                elif not stories["returned"]:
                    story = "returned"
                elif len(stories["hardship"]) < 2 and roll < 0.1:
                    story = "hardship"
                    application.hardship = HardshipStatus.REQUESTED
                    application.priority_groups = ["hardship"]
                elif roll < 0.04:
                    story = "submitted"
                elif roll < 0.09:
                    story = "late"
                else:
                    story = "approved"
                if story == "approved" and not any(a.health_notes for a in stories["approved"]):
                    application.health_notes = DEMO_HEALTH_NOTES[0]  # for the staff on the child's sessions
                if application.health_notes:  # kept under the guardian's separate consent, given when signing
                    db.session.add(SensitiveConsent(application=application, guardian_id=link.guardian_id,
                                                    notice_version=NOTICE_VERSION, given_at=application.signed_at))
                if application.priority_groups or application.hardship is HardshipStatus.REQUESTED:
                    db.session.add(situation_consent(application, link.guardian_id))
                stories[story].append(application)
    db.session.flush()
    # Before the close: the class teachers review, the principal decides the hardship requests.
    for application in stories["approved"] + stories["hardship"]:
        enrolment.confirm_application(application, application.student.school_class.class_teacher)
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):  # its decision word is read outside requests
        for application in stories["hardship"]:
            enrolment.decide_hardship(application, True, principal, "低保家庭证明已核验")
    for application in stories["returned"]:
        enrolment.return_application(application, application.student.school_class.class_teacher,
                                     DEMO_RETURN_REASON)
    # The close: the one recorded draw; then the principal approves the confirmed applications.
    allocation.draw_offering(offering, None, seed="demo-2026", now=calendar.after_school_draw_at)
    enrolment.approve_offering(offering, principal)
    if not junior_school:  # 张子涵 has had a place since the term began (her brother has none: the README's story)
        child = school.grades[0].classes[0].students[0]
        guardian = next(link.guardian for link in child.guardian_links if link.verified)
        db.session.add(Application(
            school_id=school.id, offering_id=offering.id, student_id=child.id, guardian_id=guardian.id,
            status=ApplicationStatus.APPROVED, notice_version=1, weekdays=[0, 1, 2, 3, 4],
            pickup=Pickup.COLLECTED, pickup_people="张家长、奶奶", agreement_id=agreement.id,
            signed_at=first, signed_by_id=guardian.id))
        db.session.flush()
    for application in stories["late"]:  # reviewed since: for the principal to approve
        enrolment.confirm_application(application, application.student.school_class.class_teacher)
    # An hour ago a family withdrew its child from the service: the first child waiting for 足球 has an offer.
    football = offering.activities[0]
    placed = [a for a in stories["approved"] if not a.health_notes and a.placed_choice is not None
              and a.placed_choice.activity_id == football.id]
    if placed:
        enrolment.withdraw(placed[0], placed[0].guardian, calendar.today, now=calendar.withdrawn_at)


def delete_enrolment_demo(school_ids: list[int], user_ids: list[int]) -> None:
    """Remove the demo schools' offerings, applications and everything hanging off them, and the demo users'
    notifications."""
    from app.enrolment.models import ActivityChoice, Application, AuditEvent, LedgerEntry, Lottery, Seat
    from app.notifications.models import Notification, NotificationPreference
    from app.programs.models import Activity, AgreementText, NoticeVersion, Offering

    applications = db.select(Application.id).where(Application.school_id.in_(school_ids))
    offerings = db.select(Offering.id).where(Offering.school_id.in_(school_ids))
    for statement in (
        db.delete(ActivityChoice).where(ActivityChoice.application_id.in_(applications)),
        db.delete(Seat).where(Seat.application_id.in_(applications)),
        db.delete(LedgerEntry).where(LedgerEntry.school_id.in_(school_ids)),
        db.delete(Application).where(Application.school_id.in_(school_ids)),
        db.delete(Lottery).where(Lottery.school_id.in_(school_ids)),
        db.delete(NoticeVersion).where(NoticeVersion.offering_id.in_(offerings)),
        db.delete(Activity).where(Activity.school_id.in_(school_ids)),
        db.delete(Offering).where(Offering.school_id.in_(school_ids)),
        db.delete(AgreementText).where(AgreementText.school_id.in_(school_ids)),
        db.delete(AuditEvent).where(AuditEvent.school_id.in_(school_ids)),
        db.delete(Notification).where(Notification.user_id.in_(user_ids)),
        db.delete(NotificationPreference).where(NotificationPreference.user_id.in_(user_ids)),
    ):
        db.session.execute(statement.execution_options(synchronize_session=False))


# --- Staff availability (issue 6) ---

DEMO_TEACHING_MINUTES = (240, 200, 160, 280, 120)  # a week's lessons, Monday first, shifted per teacher
DEMO_REGULAR_UNAVAILABLE = {  # mobile: (weekday, start, end, reason)
    "13800000020": (2, time(15, 30), time(17, 30), "年级教研"),
    "13900000020": (4, time(16, 0), time(18, 0), "家访"),
    "13800000030": (0, time(7, 0), time(8, 0), "晨练带队"),
}


def build_staff_demo(*schools: School) -> None:
    """Teaching minutes from the timetable for every in-service demo teacher, and some regular unavailable times
    (flushes). Removed with the profiles by delete_demo (the foreign keys cascade)."""
    from app.staff.models import StaffUnavailability, TeachingMinutes

    for school in schools:
        profiles = db.session.scalars(db.select(StaffProfile).filter_by(school_id=school.id,
                                                                         staff_type=StaffType.TEACHER)
                                      .order_by(StaffProfile.id)).all()
        for index, profile in enumerate(profiles):
            for weekday in range(5):
                minutes = DEMO_TEACHING_MINUTES[(weekday + index) % len(DEMO_TEACHING_MINUTES)]
                profile.teaching_minutes.append(TeachingMinutes(weekday=weekday, minutes=minutes))
            window = DEMO_REGULAR_UNAVAILABLE.get(profile.user.mobile)
            if window is not None:
                weekday, starts_at, ends_at, reason = window
                profile.unavailability.append(StaffUnavailability(weekday=weekday, starts_at=starts_at,
                                                                  ends_at=ends_at, reason=reason))
    db.session.flush()


# --- Weekly roster templates (issue 6, coordinator side) ---

DEMO_ACTIVITY_BY_GRADE = {1: "supervision", 2: "reading", 3: "supervision", 4: "sports", 5: "arts", 6: "science"}


def build_roster_demo(primary: School) -> None:
    """Weekly templates for 实验小学: homework help per class 15:40–16:40, an activity per grade 16:40–17:40
    and the enrolment clubs, plus roster settings, so a coordinator can plan and generate at once (flushes)."""
    from app.programs.models import Activity
    from app.rosters.models import RosterSettings, SessionTemplate

    db.session.add(RosterSettings(school_id=primary.id, default_ratio=policy.CHILDREN_PER_STAFF,
                                  ratios={"holiday_care": 20}, subsidy_cents_per_hour=3000,
                                  rest_threshold_minutes=policy.REST_THRESHOLD_MINUTES,
                                  rest_earned_minutes=policy.REST_EARNED_MINUTES))
    for grade in primary.grades:
        for school_class in grade.classes:
            db.session.add(SessionTemplate(
                school_id=primary.id, series=f"{grade.number}年级{school_class.number}班作业辅导",
                weekdays=[0, 1, 2, 3, 4], starts_at=time(15, 40), ends_at=time(16, 40), kind="after_school",
                activity="homework_help", room=f"{grade.number}0{school_class.number}", typed_enrolled=28,
                classes=[school_class]))
        activity = DEMO_ACTIVITY_BY_GRADE[grade.number]
        db.session.add(SessionTemplate(
            school_id=primary.id, series=f"{grade.number}年级拓展活动（{ACTIVITY_NAMES[activity]}）",
            weekdays=[0, 1, 2, 3, 4], starts_at=time(16, 40), ends_at=time(17, 40), kind="after_school",
            activity=activity, room=f"{grade.number}楼活动室", typed_enrolled=50, classes=list(grade.classes)))
    clubs = db.session.scalars(db.select(Activity).filter_by(school_id=primary.id).order_by(Activity.id)).all()
    for club in clubs:
        classes = [c for g in primary.grades if g.number in (club.grades or []) for c in g.classes]
        db.session.add(SessionTemplate(
            school_id=primary.id, series=f"{club.name}社团", weekdays=list(club.weekdays), starts_at=time(16, 40),
            ends_at=time(17, 40), kind="after_school", activity=club.activity, room=club.room, activity_id=club.id,
            typed_enrolled=club.capacity, staff_needed=2 if club.provider_id else None, classes=classes))
    db.session.flush()


ACTIVITY_NAMES = {"supervision": "看护", "reading": "阅读", "sports": "体育", "arts": "艺术", "science": "科学"}


def delete_roster_demo(school_ids: list[int]) -> None:
    """Remove the demo schools' roster templates, settings and weeks (sessions, jobs, versions cascade)."""
    from app.rosters.models import RosterSettings, SessionTemplate, Week

    for week in db.session.scalars(db.select(Week).where(Week.school_id.in_(school_ids))):
        db.session.delete(week)
    db.session.flush()
    for model in (SessionTemplate, RosterSettings):
        db.session.execute(db.delete(model).where(model.school_id.in_(school_ids))
                           .execution_options(synchronize_session=False))


# --- The school day (issue 13): this week's roster published, a day's records ---

DEMO_TEACHER, DEMO_COACH = "13800000030", "13800000200"  # 赵老师 runs 张子涵's class session today; 孙教练 足球
DEMO_GRANDMOTHER_MOBILE = "13800000101"  # 奶奶, who collects 张子涵 with her code
DEMO_ABSENCE_REASON = "发烧，在家休息"
DEMO_MARK_MINUTES = 2  # past days: the register taken this many minutes after a session starts
DEMO_COLLECTED_MINUTES = 25  # ... and the children collected this many minutes after their last session ends


def demo_school_day(calendar: DemoCalendar) -> date:
    """The day whose sessions the demo's story is about: today when it is a school day, else (at a weekend) this
    week's Friday, already past: the school day can be tried on school days (or `flask demo --reset --today`)."""
    today = calendar.today
    return today if today.weekday() < 5 else calendar.this_monday + timedelta(days=4)


def build_school_day_demo(primary: School, calendar: DemoCalendar) -> None:
    """实验小学's roster for this week, generated from the templates, staffed by the engine's own
    greedy pass (the solver's first roster, in milliseconds) around two pins: 赵老师 on 一年级1班's
    homework help today (张子涵's session), 孙教练 on 足球 (Monday and Wednesday, the promised leader);
    published as version 1. Then the records of the days already past this week (registers,
    hand-overs), 张子涵's collecting adults (张家长 and 奶奶), and a classmate's 请假 today (flushes)."""
    from app.programs.models import Activity
    from app.rosters import services as rosters
    from app.rosters.models import Assignment, RosterVersion

    for activity in db.session.scalars(db.select(Activity).filter_by(school_id=primary.id)):
        profile = activity.leader.staff_profile if activity.leader is not None else None
        if profile is not None and activity.activity not in (profile.skills or []):
            profile.skills = sorted({*(profile.skills or []), activity.activity})  # the leader the notice names
    week = rosters.open_week(primary, calendar.this_monday)
    rosters.generate_sessions(week)
    teacher = db.session.scalar(db.select(User).filter_by(mobile=DEMO_TEACHER))
    story_day = demo_school_day(calendar)
    class_1_1 = primary.grades[0].classes[0]
    for session in week.sessions:
        if session.on_date == story_day and session.activity_id is None and session.classes == [class_1_1]:
            session.assignments.append(Assignment(profile_id=teacher.staff_profile.id, pinned=True))
    db.session.flush()
    staff_week(week)
    coordinator = db.session.scalar(db.select(User).filter_by(school_id=primary.id,
                                                              admin_title=AdminTitle.COORDINATOR))
    db.session.add(RosterVersion(
        week_id=week.id, number=1, roster=rosters.snapshot(week, rosters.working_roster(week)),
        note="本周排班", published_by_id=coordinator.id,
        published_at=local_moment(calendar.this_monday - timedelta(days=3), time(17, 0), calendar.zone)))
    db.session.flush()
    build_pickup_demo(primary, calendar)
    build_past_days_demo(week, calendar)
    logger.info("school-day demo built")


def staff_week(week) -> None:
    """Fill the week's sessions with the engine's greedy roster (scheduling.greedy), pins kept (flushes)."""
    import scheduling
    from app.rosters import services as rosters
    from app.rosters.models import Assignment, id_of
    from scheduling import greedy, rules
    from scheduling import plan as scheduling_plan

    problem = scheduling.parse_problem(rosters.build_problem(week))
    rejected = scheduling_plan.reject_sessions(problem)
    active = [sid for sid in problem.sessions if sid not in rejected]
    candidates = {}
    for sid in active:
        session = problem.sessions[sid]
        people = [p for p in problem.staff.values() if not rules.pair_blockers(problem, p, session)]
        if session.staff_needed == 1:
            people = [p for p in people if rules.is_qualified(problem, p, session)]
        candidates[sid] = [p.id for p in people]
    pins = [(pair.session, pair.staff) for pair in problem.pinned]
    pairs = greedy.greedy_roster(problem, active, candidates, pins)
    sessions = {s.key: s for s in week.sessions}
    for sid, pid in sorted(pairs):
        session = sessions[sid]
        if not any(a.profile_id == id_of(pid) for a in session.assignments):
            session.assignments.append(Assignment(profile_id=id_of(pid), pinned=False))
    db.session.flush()


def demo_child(primary: School) -> Student:
    return primary.grades[0].classes[0].students[0]  # 张子涵


def build_pickup_demo(primary: School, calendar: DemoCalendar) -> None:
    """张子涵's place in the after-school service and collecting adults; a classmate's 请假 for the story day."""
    from app.daily.models import AdvanceAbsence, PickupAdult
    from app.enrolment.models import Application, ApplicationStatus

    child = demo_child(primary)
    guardian = db.session.scalar(db.select(User).filter_by(mobile="13800000100"))
    db.session.add_all([
        PickupAdult(student_id=child.id, name="张家长", relation="母亲", mobile=guardian.mobile,
                    added_by_id=guardian.id, added_at=calendar.after_school_signed_at),
        PickupAdult(student_id=child.id, name="奶奶", relation="祖母", mobile=DEMO_GRANDMOTHER_MOBILE,
                    added_by_id=guardian.id, added_at=calendar.after_school_signed_at),
    ])
    story_day = demo_school_day(calendar)
    classmate = next(a for a in db.session.scalars(
        db.select(Application).filter_by(school_id=primary.id, status=ApplicationStatus.APPROVED)
        .order_by(Application.id))
        if a.student.class_id == child.class_id and story_day.weekday() in (a.weekdays or []))
    db.session.add(AdvanceAbsence(
        student_id=classmate.student_id, starts_on=story_day, ends_on=story_day, reason=DEMO_ABSENCE_REASON,
        reported_by_id=classmate.guardian_id, reported_at=calendar.at(story_day - timedelta(days=1), 20)))
    db.session.flush()


def build_past_days_demo(week, calendar: DemoCalendar) -> None:
    """This week as the school recorded it up to the moment the demo is loaded: every expected child's register
    mark by the staff on the session (a few late or absent) once the session is past its alert time, and the
    hand-over after each child's last session once it has happened — 张子涵 to 奶奶 with her code, children with
    the family's consent walking home alone, the others to the adults their application names. Today's story is
    left to try: 一年级1班's session with 赵老师 and 张子涵's hand-over stay open (flushes)."""
    from app.daily.day import last_sessions
    from app.daily.models import AttendanceChange, AttendanceMark, Mark, PickupAdult, SignOut, SignOutMethod
    from app.enrolment.models import Pickup
    from app.rosters.expected import expected_by_session

    rng = random.Random("demo-2026-days")
    child = demo_child(week.school)
    grandmother = db.session.scalar(db.select(PickupAdult).filter_by(student_id=child.id, name="奶奶"))
    teacher = db.session.scalar(db.select(User).filter_by(mobile=DEMO_TEACHER)).staff_profile.id
    expected = expected_by_session(s.id for s in week.sessions)  # once for the week (a few queries)
    for day in (calendar.this_monday + timedelta(days=n) for n in range(5)):
        if day > calendar.today:
            break
        sessions = [s for s in week.sessions if s.on_date == day]
        absent: set[int] = set()
        for session in sessions:
            starts = local_moment(day, session.starts_at, calendar.zone)
            story = day == calendar.today and any(a.profile_id == teacher and a.pinned for a in session.assignments)
            if story or starts + timedelta(minutes=REGISTER_ALERT_MINUTES) > calendar.now:
                continue  # not yet due (or 赵老师's register today, the README's to take)
            staff = session.assignments[0].profile.user_id if session.assignments else None
            for application in expected[session.id].children:
                roll = 0.0 if application.student_id == child.id else rng.random()
                status = Mark.ABSENT if roll > 0.97 or application.student_id in absent else (
                    Mark.LATE if roll > 0.93 else Mark.PRESENT)
                if status is Mark.ABSENT:
                    absent.add(application.student_id)
                at = starts + timedelta(minutes=DEMO_MARK_MINUTES + (10 if status is Mark.LATE else 0))
                db.session.add(AttendanceMark(session_id=session.id, student_id=application.student_id,
                                              status=status, marked_by_id=staff, marked_at=at))
                db.session.add(AttendanceChange(session_id=session.id, student_id=application.student_id,
                                                status=status, changed_by_id=staff, changed_at=at))
        for student_id, session in last_sessions(sessions, expected).items():
            at = local_moment(day, session.ends_at, calendar.zone) + timedelta(minutes=DEMO_COLLECTED_MINUTES)
            if student_id in absent or at > calendar.now or (student_id == child.id and day == calendar.today):
                continue
            application = next(a for a in expected[session.id].children if a.student_id == student_id)
            staff = session.assignments[0].profile.user_id if session.assignments else None
            if student_id == child.id:
                sign_out = SignOut(method=SignOutMethod.CODE, adult_id=grandmother.id, adult_name=grandmother.name)
            elif application.pickup is Pickup.WALKS_ALONE and application.walk_alone_consent:
                sign_out = SignOut(method=SignOutMethod.WALKS_ALONE)
            else:
                sign_out = SignOut(method=SignOutMethod.LISTED_ADULT,
                                   adult_name=(application.pickup_people or application.guardian.name)[:50])
            sign_out.session_id, sign_out.student_id = session.id, student_id
            sign_out.staff_id, sign_out.signed_out_at = staff, at
            db.session.add(sign_out)
    db.session.flush()

def delete_daily_demo(school_ids: list[int]) -> None:
    """Remove the records of the demo schools' days (marks, absences, alerts, adults, sign-outs, incidents)."""
    from app.daily import models as daily

    students = db.select(Student.id).where(Student.school_id.in_(school_ids))
    for model in (daily.AttendanceMark, daily.AttendanceChange, daily.AdvanceAbsence, daily.Alert, daily.SignOut,
                  daily.PickupCodeAttempt, daily.Incident, daily.PickupAdult):
        db.session.execute(db.delete(model).where(model.student_id.in_(students))
                           .execution_options(synchronize_session=False))
