"""Policy numbers and lists of the "double reduction" rules, in one place.

Read by the parser, the plan rules, the solver, the validator and the web forms. Import-light on
purpose: no OR-Tools, no Flask. Seeds are cited as in /work/shared/DOMAIN.md.
"""

# --- Times and caps (policy defaults; a problem's "policy" object may override them) ---

MIN_DAILY_MINUTES = 120  # after-school service at least 2 hours a day (000 §(一)5; 003 丽水 8; 004)
EVENING_END_LATEST = "20:30"  # junior evening self-study done by 20:30 (000 §(一)5; 003 丽水 8)
TEACHER_MAX_WEEKLY_MINUTES = 360  # weekly service cap for an in-service teacher (school setting, 003 丽水 11)
TEACHER_MAX_DAYS = 4  # days a week an in-service teacher serves at most (flexible hours, 003 丽水 11)
TEACHER_MAX_DAILY_MINUTES = 540  # teaching + service minutes a day at most (弹性上下班, 003 丽水 11; 000 §7)
PROVIDER_NEEDS_SCHOOL_STAFF = True  # provider sessions keep a school person present (课后服务由学校组织, 001 §10)
HOLIDAY_WEEKENDS = False  # holiday care not at weekends in principle (001 §12; 003 丽水 6)
WORK_END_WINTER = "17:00"  # local end of work, winter timetable (003 篇4); a school setting
WORK_END_SUMMER = "17:30"  # local end of work, summer timetable (003 篇4; 000 §(一)5); a school setting
SUMMER_TIMETABLE_STARTS = "05-01"  # MM-DD the summer timetable starts (inclusive); a school setting
WINTER_TIMETABLE_STARTS = "10-01"  # MM-DD the winter timetable starts (inclusive); a school setting
DEFAULT_WORK_END = WORK_END_SUMMER  # the contract's school.work_end when a problem leaves it out
FEE_SPAN_MONTHS = 3  # no charge, single or split into several, covers a span of more than 3 months (000 §(二)13):
# counted from the current month (it counts), every month charged and not yet over must fall within it
PERSONAL_DATA_RETENTION_DAYS = 365  # applications' personal details and draw tickets kept this long after the
# offering ends, then anonymised (PIPL 个人信息保护法 §19: no longer than the purpose needs); a school setting
LOG_RETENTION_DAYS = 3 * 365  # access and security log rows kept 3 years (PIPL §56 records kept at least 3 years)



def work_end_on(day, *, winter, summer, summer_starts: str = SUMMER_TIMETABLE_STARTS,
                winter_starts: str = WINTER_TIMETABLE_STARTS):
    """END_BEFORE_WORK_END: a school's local end of work on a date, by its seasonal timetable (003 篇4)."""
    mmdd = day.strftime("%m-%d")
    return summer if summer_starts <= mmdd < winter_starts else winter


# --- Every school day, every class (工作日全覆盖: 002 三; 000 (一)5; 003 丽水 8) ---
# EVERY_SCHOOL_DAY (an extension rule, scheduling/README.md): each class that has the after-school service has a
# block of at least MIN_DAILY_MINUTES on every school day of its term, except the weekly exception days its school
# declares with a reason (003 篇4 runs Monday–Friday "周四教师学习除外"); the notice shows them.
EXCEPTION_REASON_MAX = 200  # characters of a declared exception day's reason


def service_days(school_days, exception_weekdays=()) -> list:
    """EVERY_SCHOOL_DAY: the school days (dates) the after-school service must run: every one but the declared
    weekly exception days (weekday numbers as date.weekday())."""
    skip = set(exception_weekdays or ())
    return [day for day in school_days if day.weekday() not in skip]


def merged_blocks(intervals) -> list[tuple[int, int]]:
    """Touching or overlapping (start, end) minute intervals merged into continuous blocks, in time order."""
    blocks: list[list[int]] = []
    for start, end in sorted(intervals):
        if blocks and start <= blocks[-1][1]:
            blocks[-1][1] = max(blocks[-1][1], end)
        else:
            blocks.append([start, end])
    return [(start, end) for start, end in blocks]


def day_covered(intervals, *, min_minutes: int = MIN_DAILY_MINUTES, work_end: int | None = None) -> bool:
    """TWO_HOUR_MINIMUM and END_BEFORE_WORK_END for one class-day: the after-school intervals (minutes from midnight)
    contain one continuous block of at least min_minutes that ends no earlier than work_end (minutes), if given."""
    return any(end - start >= min_minutes and (work_end is None or end >= work_end)
               for start, end in merged_blocks(intervals))


# --- School settings' defaults (RosterSettings, Offering, provider evaluations) ---
CHILDREN_PER_STAFF = 30  # children one staff member looks after when a kind of session has no ratio of its own
REST_THRESHOLD_MINUTES = 120  # every this many minutes of evening or over-time duty ...
REST_EARNED_MINUTES = 60  # ... earn this much compensatory rest (调休, 弹性上下班: 003 丽水 11)
SUBSIDY_CENTS_PER_HOUR = 0  # teachers' service subsidy (补助) per hour: none until the school sets its own rate
OFFER_HOURS = 48  # a waiting-list place offered to a family stays open this long before passing on
PROVIDER_PASS_SCORE = 60  # a scored provider evaluation below this is unsatisfactory (不合格, 001 §15 退出机制)

# --- Messages to people (app/notifications) ---
NOTIFY_MAX_ATTEMPTS = 5  # tries per channel before a message is marked failed (the inbox copy is always there)
NOTIFY_RETRY_MINUTES = (1, 5, 15, 60)  # wait after the 1st, 2nd, ... failed try (the last number repeats)
QUIET_HOURS = ("21:00", "07:00")  # school time: routine messages wait until morning; alerts (a missing child, an
# incident, a child not collected) go out at once

DEFAULT_POLICY = {  # the contract's "policy" object with every field at its default (ROSTER_FORMAT.md)
    "min_daily_minutes": MIN_DAILY_MINUTES,
    "evening_end_latest": EVENING_END_LATEST,
    "teacher_max_weekly_minutes": TEACHER_MAX_WEEKLY_MINUTES,
    "teacher_max_days": TEACHER_MAX_DAYS,
    "teacher_max_daily_minutes": TEACHER_MAX_DAILY_MINUTES,
    "provider_needs_school_staff": PROVIDER_NEEDS_SCHOOL_STAFF,
    "holiday_weekends": HOLIDAY_WEEKENDS,
}

# --- Grades ---

PRIMARY_GRADES = range(1, 7)  # 小学 grades 1–6 (义务教育, 000 一)
JUNIOR_GRADES = range(7, 10)  # 初中 grades 7–9 (义务教育, 000 一)
ALL_GRADES = range(1, 10)  # compulsory education grades 1–9 (000 一)

# --- Kinds of session ---

KINDS = ("after_school", "morning", "noon", "evening_study", "late_care", "holiday_care")  # 003 篇4; 001 §12
SCHOOL_DAY_KINDS = frozenset(  # run only on school days (工作日全覆盖, 002 §3; 000 §(一)5)
    {"after_school", "morning", "noon", "evening_study", "late_care"}
)
HOLIDAY_KIND = "holiday_care"  # summer and winter care (001 §12)
EVENING_KIND = "evening_study"  # junior-high evening self-study (000 §(一)5)
MORNING_KIND = "morning"  # morning care before class (003 篇4)
AFTER_SCHOOL_KIND = "after_school"  # the daily 2-hour service (000 §(一)5)

# --- Activities ---

NEW_LESSON = "new_lesson"  # teaching new lessons is never allowed (001 §9; 003 丽水 7)
SUPERVISION = "supervision"  # 看护 needs no skill (001 §12 以看护为主)
TUTORING = "tutoring"  # 答疑辅导: needs the subject too when a subject is given (001 §9)
ACTIVITIES = (  # what a session may be about (001 §9; 003 丽水 6); new_lesson exists only to be refused
    "supervision", "homework_help", "tutoring", "self_study", "sports", "arts",
    "science", "reading", "labour", "practice", "club", "games", NEW_LESSON,
)
HOLIDAY_ALLOWED_ACTIVITIES = frozenset(  # holiday care: mainly supervision, no group tutoring (001 §12)
    {"supervision", "reading", "sports", "arts", "science", "labour", "practice", "club", "games"}
)
SCHOOL_STAFF_ONLY_ACTIVITIES = frozenset(  # homework and tutoring by school staff (003 丽水 6, 7; 001 §9)
    {"homework_help", "tutoring", "self_study"}
)
PROVIDER_FORBIDDEN_ACTIVITIES = frozenset(  # providers only for non-subject activities (002 (二)3; 001 §10)
    {"supervision", "homework_help", "tutoring", "self_study"}
)
SUBJECTS = {  # the subjects a session, a template, an activity or a teacher may name; True: subject-type (学科类)
    # 002 (二)3: 道德与法治、语文、历史、地理、数学、外语、物理、化学、生物 are 学科类; 体育（体育与健康）、
    # 艺术（音乐、美术）、综合实践活动、劳动、信息技术教育 are not. 科学 (primary) is not named there: kept non-subject.
    "道德与法治": True, "语文": True, "历史": True, "地理": True, "数学": True, "外语": True, "物理": True,
    "化学": True, "生物": True,
    "体育": False, "音乐": False, "美术": False, "科学": False, "信息技术": False, "劳动": False, "综合实践活动": False,
}
SUBJECT_TYPE_SUBJECTS = frozenset(name for name, subject_type in SUBJECTS.items() if subject_type)
NON_SUBJECT_SUBJECTS = tuple(name for name, subject_type in SUBJECTS.items() if not subject_type)
SUBJECT_ALIASES = {  # other names people write for a listed subject: read as that subject (imports, old free text)
    "英语": "外语", "日语": "外语", "俄语": "外语", "奥数": "数学", "作文": "语文",
    "思想品德": "道德与法治", "品德与社会": "道德与法治", "政治": "道德与法治", "道德与法制": "道德与法治",
    "体育与健康": "体育", "信息技术教育": "信息技术", "信息科技": "信息技术",
}


def subject_named(text: str | None) -> str | None:
    """The listed subject a name stands for ("" for none), or None when it names no subject on the list."""
    name = (text or "").strip()
    if not name:
        return ""
    name = SUBJECT_ALIASES.get(name, name)
    return name if name in SUBJECTS else None

# --- People ---

STAFF_TYPES = ("teacher", "retired_teacher", "volunteer", "provider")  # 003 丽水 9; 001 §10
TEACHER = "teacher"  # in-service teacher: policy caps apply by default (003 丽水 11)
SCHOOL_STAFF_TYPES = frozenset({"teacher", "retired_teacher"})  # school staff for supervision rules (003 丽水 9)
VOLUNTEER = "volunteer"  # volunteers may join any session unqualified, like school staff (003 丽水 9)
PROVIDER_TYPE = "provider"  # staff of a vetted third-party organisation (001 §10; 002 (三)1)
ACTIVE_PROVIDER_STATUS = "active"  # only whitelisted, active providers may serve (001 §15; 004)

def weekly_minutes_cap(staff_type: str, own: int | None,
                       teacher_default: int = TEACHER_MAX_WEEKLY_MINUTES) -> int | None:
    """TEACHER_WEEKLY_LIMIT: the service minutes a week a person gives at most. Their own cap when they set one (0
    is a cap: no time at all), else the school's for an in-service teacher, else none (003 丽水 9, 11)."""
    if own is not None:
        return own
    return teacher_default if staff_type == TEACHER else None


def days_cap(staff_type: str, own: int | None, teacher_default: int = TEACHER_MAX_DAYS) -> int | None:
    """TEACHER_DAYS_LIMIT: the days a week a person serves at most, read like weekly_minutes_cap."""
    if own is not None:
        return own
    return teacher_default if staff_type == TEACHER else None


# --- Plan predicates: one reading for the engine's plan rules and the web forms ---

WEEKEND_WEEKDAYS = frozenset({5, 6})  # Saturday and Sunday, as date.weekday()


def evening_study_allowed_for(grade: int) -> bool:
    """EVENING_JUNIOR_ONLY: evening self-study is for junior-high grades 7–9 only (000 §(一)5)."""
    return grade in JUNIOR_GRADES


def holiday_care_on(weekday: int, *, public_holiday: bool = False, holiday_weekends: bool = HOLIDAY_WEEKENDS) -> bool:
    """HOLIDAY_WEEKEND: whether holiday care may run on a day (weekday as date.weekday()) (001 §12; 003 丽水 6)."""
    return holiday_weekends or (weekday not in WEEKEND_WEEKDAYS and not public_holiday)


def holiday_activity_allowed(activity: str, subject: str | None = None) -> bool:
    """HOLIDAY_ACTIVITY: holiday care offers care and non-subject activities only, no group tutoring (001 §12)."""
    return activity in HOLIDAY_ALLOWED_ACTIVITIES and subject not in SUBJECT_TYPE_SUBJECTS


def provider_may_lead(activity: str, subject: str | None = None) -> bool:
    """PROVIDER_NON_SUBJECT: provider staff only in non-subject activities, never care or homework (002 (二)3)."""
    return activity not in PROVIDER_FORBIDDEN_ACTIVITIES and subject not in SUBJECT_TYPE_SUBJECTS


# --- Words for people (explanations, forms) ---

ACTIVITY_LABELS = {  # Chinese / English names shown to coordinators
    "supervision": ("看护", "supervision"),
    "homework_help": ("作业辅导", "homework help"),
    "tutoring": ("答疑辅导", "tutoring"),
    "self_study": ("自习", "self-study"),
    "sports": ("体育", "sports"),
    "arts": ("艺术", "arts"),
    "science": ("科学", "science"),
    "reading": ("阅读", "reading"),
    "labour": ("劳动", "labour"),
    "practice": ("综合实践", "practice"),
    "club": ("社团", "club"),
    "games": ("游戏", "games"),
    "new_lesson": ("讲授新课", "new lesson"),
}
KIND_LABELS = {  # Chinese / English names of the kinds of session
    "after_school": ("课后服务", "after-school service"),
    "morning": ("早托", "morning care"),
    "noon": ("午托", "noon care"),
    "evening_study": ("晚自习", "evening self-study"),
    "late_care": ("延时托管", "late care"),
    "holiday_care": ("假期托管", "holiday care"),
}
WEEKDAY_LABELS = (  # Monday first, as date.weekday()
    ("周一", "Monday"), ("周二", "Tuesday"), ("周三", "Wednesday"), ("周四", "Thursday"),
    ("周五", "Friday"), ("周六", "Saturday"), ("周日", "Sunday"),
)

# --- Rule codes (ROSTER_FORMAT.md) ---

PLAN_RULES = (
    "NO_NEW_LESSONS", "HOLIDAY_ACTIVITY", "HOLIDAY_WEEKEND", "SCHOOL_DAY", "EVENING_END",
    "EVENING_JUNIOR_ONLY", "TWO_HOUR_MINIMUM", "END_BEFORE_WORK_END",
    "EVERY_SCHOOL_DAY",  # extension: a class's week leaves out a service day (scheduling/README.md)
)
ASSIGNMENT_RULES = (
    "COVERAGE", "NO_OVERLAP", "AVAILABILITY", "OPT_IN", "QUALIFICATION", "SCHOOL_STAFF_ONLY",
    "PROVIDER_VETTED", "PROVIDER_NON_SUBJECT", "PROVIDER_NEEDS_SCHOOL_STAFF", "PROVIDER_WEEKLY_SESSIONS",
    "TEACHER_WEEKLY_LIMIT", "TEACHER_DAYS_LIMIT", "TEACHER_DAILY_LIMIT", "REST_AFTER_EVENING", "PINNED",
    "CAMPUS",  # extension: staff tied to a campus serve only that campus's groups (scheduling/README.md)
)

# --- Enrolment (appended by the enrolment work) ---

SCHOOL_DAY_WEEKDAYS = frozenset(range(5))  # school days Monday–Friday, as date.weekday(); 工作日全覆盖 (002 §3)

# --- The school day: registers, pickup, alerts (003 篇4 五.3(4); 二.3) ---
# School settings (RosterSettings) start from these defaults.
REGISTER_ALERT_MINUTES = 15  # a child expected but not marked this long after the start raises a missing-child alert
PICKUP_GRACE_MINUTES = 20  # a child not signed out this long after the session ends stays red and alerts the family
PICKUP_CODE_DIGITS = 6  # a collecting adult's personal code: this many digits, a new one every school day
PICKUP_CODE_TRIES_PER_DAY = 5  # wrong codes for one child in one day before codes are refused (a listed adult and ID)
ADVANCE_ABSENCE_MAX_DAYS = 60  # a guardian's advance absence (请假) covers at most this many days in one notice
ADVANCE_ABSENCE_MAX_AHEAD_DAYS = 180  # and starts at most this many days from today

# --- Complaints (投诉渠道: 001 §14 监督检查; 002 (四) 畅通投诉渠道) ---

COMPLAINT_RESPONSE_DAYS = 5  # the school answers a complaint within this many days of its filing (school time), else
# `flask enrolment run-due` sends it on to the county
COMPLAINT_TEXT_MAX = 2000  # characters of a complaint, or of an answer to one
