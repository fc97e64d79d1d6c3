"""Weekly rosters: session templates, a school's roster settings, planned weeks, solver jobs,
the working assignments and the published versions.

How the pieces fit (read this first if you build on these tables):

- A ``SessionTemplate`` says "every Monday and Wednesday 15:40–16:40, homework help for classes 1-1
  and 1-2 in room 101". ``generate_sessions`` (rosters/services.py) turns the templates into the
  ``PlannedSession`` rows of one ``Week``.
- A ``RosterJob`` runs the engine (``scheduling.solve``) on the problem that rosters/services.py
  builds from the week; a ``generate`` job's result becomes the week's working ``Assignment`` rows,
  a ``whatif`` job's result is only shown.
- ``Assignment`` rows are the coordinator's working roster (pins, swaps, removals happen here).
- Publishing copies the working roster into a new ``RosterVersion`` (number N+1 for the week). A
  version is self-contained: its ``roster`` JSON keeps the contract roster plus a snapshot of the
  sessions and people, so earlier versions stay readable whatever happens to the week later.
  Teachers' and providers' "My week" read the latest published version (``Week.published``).

Ids in the engine's problem: session ``s-<PlannedSession.id>``, staff ``p-<StaffProfile.id>``,
group ``c-<SchoolClass.id>``, provider ``v-<Provider.id>`` (see ``staff_key`` etc. below).
"""

import enum
from datetime import date, datetime, time

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    Date,
    Float,
    ForeignKey,
    String,
    Table,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models_base import TimestampColumn, enum_column, utcnow
from scheduling import policy
from scheduling.problem import span_minutes

# --- Engine ids (the one place that spells them) ----------------------------------------------


def session_key(session_id: int) -> str:
    """The engine's id of a PlannedSession."""
    return f"s-{session_id}"


def staff_key(profile_id: int) -> str:
    """The engine's id of a StaffProfile."""
    return f"p-{profile_id}"


def group_key(class_id: int) -> str:
    """The engine's id of a SchoolClass."""
    return f"c-{class_id}"


def provider_key(provider_id: int) -> str:
    """The engine's id of a Provider."""
    return f"v-{provider_id}"


def id_of(key: str) -> int:
    """The database id inside an engine id ("s-12" → 12)."""
    return int(key.split("-", 1)[1])


template_class = Table(
    "session_template_class",
    db.metadata,
    Column("template_id", ForeignKey("session_template.id", ondelete="CASCADE"), primary_key=True),
    Column("class_id", ForeignKey("school_class.id", ondelete="CASCADE"), primary_key=True),
)

planned_session_class = Table(
    "planned_session_class",
    db.metadata,
    Column("session_id", ForeignKey("planned_session.id", ondelete="CASCADE"), primary_key=True),
    Column("class_id", ForeignKey("school_class.id", ondelete="CASCADE"), primary_key=True),
)


class SessionTemplate(db.Model):
    """A weekly repeating session for some classes or an activity group (e.g. Mon–Fri 15:40–16:40)."""

    __tablename__ = "session_template"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="template_times_ordered"),
        CheckConstraint("typed_enrolled IS NULL OR typed_enrolled >= 0", name="template_enrolled_nonnegative"),
        CheckConstraint("staff_needed IS NULL OR staff_needed >= 1", name="template_staff_needed_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    series: Mapped[str] = mapped_column(String(100))  # label shown on the grid, and the engine's `series`
    weekdays: Mapped[list[int]] = mapped_column(JSON, default=list)  # 0 = Monday, as date.weekday()
    starts_at: Mapped[time] = mapped_column(Time)
    ends_at: Mapped[time] = mapped_column(Time)
    kind: Mapped[str] = mapped_column(String(20))  # a code of scheduling.policy.KINDS
    activity: Mapped[str] = mapped_column(String(20))  # a code of scheduling.policy.ACTIVITIES
    subject: Mapped[str] = mapped_column(String(20), default="")
    room: Mapped[str] = mapped_column(String(50), default="")
    # An enrolment activity group (programs.Activity): its approved seats give the enrolled count.
    activity_id: Mapped[int | None] = mapped_column(ForeignKey("activity.id", ondelete="SET NULL"), index=True)
    typed_enrolled: Mapped[int | None]  # children expected when no approved places can be counted
    staff_needed: Mapped[int | None]  # fixed number of staff; None = ceil(enrolled / the settings' ratio)
    active: Mapped[bool] = mapped_column(default=True)

    school: Mapped["School"] = relationship()  # noqa: F821
    activity_group: Mapped["Activity | None"] = relationship()  # noqa: F821
    classes: Mapped[list["SchoolClass"]] = relationship(  # noqa: F821
        secondary=template_class, order_by="SchoolClass.id"
    )

    def __repr__(self) -> str:
        return f"<SessionTemplate {self.id} {self.series} {self.weekdays} {self.starts_at}-{self.ends_at}>"


class RosterSettings(db.Model):
    """A school's roster settings: children per staff member by kind, subsidy, compensatory rest."""

    __tablename__ = "roster_settings"
    __table_args__ = (
        CheckConstraint("default_ratio >= 1", name="settings_ratio_positive"),
        CheckConstraint("subsidy_cents_per_hour >= 0", name="settings_subsidy_nonnegative"),
        CheckConstraint("rest_threshold_minutes >= 0", name="settings_rest_threshold_nonnegative"),
        CheckConstraint("rest_earned_minutes >= 0", name="settings_rest_earned_nonnegative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), unique=True)
    default_ratio: Mapped[int] = mapped_column(default=policy.CHILDREN_PER_STAFF)  # when a kind has no ratio
    ratios: Mapped[dict] = mapped_column(JSON, default=dict)  # {kind: children per staff member}
    subsidy_cents_per_hour: Mapped[int] = mapped_column(default=policy.SUBSIDY_CENTS_PER_HOUR)  # per hour (补助)
    # Compensatory rest (调休): every `rest_threshold_minutes` of evening duty earns `rest_earned_minutes`.
    rest_threshold_minutes: Mapped[int] = mapped_column(default=policy.REST_THRESHOLD_MINUTES)
    rest_earned_minutes: Mapped[int] = mapped_column(default=policy.REST_EARNED_MINUTES)
    # The school day (app/daily): a missing-child alert this long after a session starts without a mark, and a
    # child not signed out this long after their last session ends stays red and alerts the family.
    register_alert_minutes: Mapped[int] = mapped_column(default=policy.REGISTER_ALERT_MINUTES,
                                                        server_default=str(policy.REGISTER_ALERT_MINUTES))
    pickup_grace_minutes: Mapped[int] = mapped_column(default=policy.PICKUP_GRACE_MINUTES,
                                                      server_default=str(policy.PICKUP_GRACE_MINUTES))

    school: Mapped["School"] = relationship()  # noqa: F821

    def ratio_for(self, kind: str) -> int:
        """Children one staff member looks after in a session of this kind."""
        value = (self.ratios or {}).get(kind)
        return int(value) if value else self.default_ratio

    def __repr__(self) -> str:
        return f"<RosterSettings school={self.school_id} ratio={self.default_ratio}>"


class Week(db.Model):
    """A school's roster week, named by its Monday."""

    __table_args__ = (UniqueConstraint("school_id", "monday"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    monday: Mapped[date] = mapped_column(Date)
    # The last roster the engine returned for the working assignments (explanations, metrics).
    solved_roster: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(TimestampColumn(), default=utcnow)

    school: Mapped["School"] = relationship()  # noqa: F821
    sessions: Mapped[list["PlannedSession"]] = relationship(
        back_populates="week", cascade="all, delete-orphan",
        order_by="(PlannedSession.on_date, PlannedSession.starts_at, PlannedSession.id)",
    )
    versions: Mapped[list["RosterVersion"]] = relationship(
        back_populates="week", cascade="all, delete-orphan", order_by="RosterVersion.number"
    )
    jobs: Mapped[list["RosterJob"]] = relationship(
        back_populates="week", cascade="all, delete-orphan", order_by="RosterJob.id"
    )

    @property
    def published(self) -> "RosterVersion | None":
        """The latest published version, or None."""
        return self.versions[-1] if self.versions else None

    def __repr__(self) -> str:
        return f"<Week {self.school_id} {self.monday}>"


class PlannedSession(db.Model):
    """One session of a week that needs staff: date, times, kind, activity, classes, how many people."""

    __tablename__ = "planned_session"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="session_times_ordered"),
        CheckConstraint("enrolled >= 0", name="session_enrolled_nonnegative"),
        CheckConstraint("staff_needed >= 1", name="session_staff_needed_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    week_id: Mapped[int] = mapped_column(ForeignKey("week.id", ondelete="CASCADE"), index=True)
    template_id: Mapped[int | None] = mapped_column(
        ForeignKey("session_template.id", ondelete="SET NULL"), index=True
    )
    activity_id: Mapped[int | None] = mapped_column(ForeignKey("activity.id", ondelete="SET NULL"), index=True)
    on_date: Mapped[date] = mapped_column(Date)
    starts_at: Mapped[time] = mapped_column(Time)
    ends_at: Mapped[time] = mapped_column(Time)
    kind: Mapped[str] = mapped_column(String(20))  # scheduling.policy.KINDS
    activity: Mapped[str] = mapped_column(String(20))  # scheduling.policy.ACTIVITIES
    subject: Mapped[str] = mapped_column(String(20), default="")
    room: Mapped[str] = mapped_column(String(50), default="")
    series: Mapped[str] = mapped_column(String(100), default="")
    enrolled: Mapped[int] = mapped_column(default=0)
    staff_needed: Mapped[int] = mapped_column(default=1)

    week: Mapped[Week] = relationship(back_populates="sessions")
    template: Mapped[SessionTemplate | None] = relationship()
    activity_group: Mapped["Activity | None"] = relationship()  # noqa: F821
    classes: Mapped[list["SchoolClass"]] = relationship(  # noqa: F821
        secondary=planned_session_class, order_by="SchoolClass.id"
    )
    assignments: Mapped[list["Assignment"]] = relationship(
        back_populates="session", cascade="all, delete-orphan", order_by="Assignment.id"
    )

    @property
    def key(self) -> str:
        return session_key(self.id)

    @property
    def minutes(self) -> int:
        return span_minutes(self.starts_at, self.ends_at)

    def __repr__(self) -> str:
        return f"<PlannedSession {self.id} {self.on_date} {self.starts_at}-{self.ends_at} {self.activity}>"


class Assignment(db.Model):
    """The working roster: a person in a session; a pinned one is kept by every re-solve."""

    __table_args__ = (UniqueConstraint("session_id", "profile_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("planned_session.id", ondelete="CASCADE"), index=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("staff_profile.id", ondelete="CASCADE"), index=True)
    pinned: Mapped[bool] = mapped_column(default=False)

    session: Mapped[PlannedSession] = relationship(back_populates="assignments")
    profile: Mapped["StaffProfile"] = relationship()  # noqa: F821

    def __repr__(self) -> str:
        return f"<Assignment s{self.session_id} p{self.profile_id}{' pinned' if self.pinned else ''}>"


class RosterJobKind(enum.Enum):
    GENERATE = "generate"  # result replaces the working assignments (pins kept)
    WHATIF = "whatif"  # result only shown; nothing saved touched


class RosterJobStatus(enum.Enum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class RosterJob(db.Model):
    """One run of the engine for a week, queued and picked up by a worker (or a thread in development)."""

    __tablename__ = "roster_job"
    __table_args__ = (CheckConstraint("time_limit > 0", name="job_time_limit_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    week_id: Mapped[int] = mapped_column(ForeignKey("week.id", ondelete="CASCADE"), index=True)
    kind: Mapped[RosterJobKind] = mapped_column(enum_column(RosterJobKind), default=RosterJobKind.GENERATE)
    status: Mapped[RosterJobStatus] = mapped_column(
        enum_column(RosterJobStatus), default=RosterJobStatus.QUEUED, index=True
    )
    time_limit: Mapped[float] = mapped_column(Float, default=10.0)
    # {"staffed", "needed", "objective", "bound", "elapsed", "time_limit", "stage"}; rewritten as the solver runs.
    progress: Mapped[dict] = mapped_column(JSON, default=dict)
    # What-if changes: {"add_volunteers": [{"name", "skills", "max_weekly_minutes"}], "extra_days": {staff: n}}.
    changes: Mapped[dict] = mapped_column(JSON, default=dict)
    problem: Mapped[dict | None] = mapped_column(JSON)  # the contract problem handed to the engine
    result: Mapped[dict | None] = mapped_column(JSON)  # the contract roster it returned
    error: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(TimestampColumn(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(TimestampColumn())
    finished_at: Mapped[datetime | None] = mapped_column(TimestampColumn())

    week: Mapped[Week] = relationship(back_populates="jobs")
    created_by: Mapped["User | None"] = relationship()  # noqa: F821

    @property
    def finished(self) -> bool:
        return self.status in (RosterJobStatus.DONE, RosterJobStatus.FAILED)

    def __repr__(self) -> str:
        return f"<RosterJob {self.id} {self.kind.value} {self.status.value}>"


class RosterWorker(db.Model):
    """A running `flask rosters worker`: it rewrites `seen_at` every few seconds (its heartbeat) and deletes its row
    when it stops, so a job page can tell the coordinator that nobody is there to run a queued job."""

    __tablename__ = "roster_worker"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)  # host:pid
    started_at: Mapped[datetime] = mapped_column(TimestampColumn(), default=utcnow)
    seen_at: Mapped[datetime] = mapped_column(TimestampColumn(), default=utcnow, index=True)

    def __repr__(self) -> str:
        return f"<RosterWorker {self.name}>"


class RosterVersion(db.Model):
    """A published roster of a week (version N); never edited, so earlier versions stay comparable.

    ``roster`` holds the contract roster ("assignments", "unstaffed", ...) plus two snapshots:
    ``sessions`` {session key: {"date", "start", "end", "kind", "activity", "subject", "room",
    "series", "classes": [labels], "staff_needed"}} and ``staff`` {staff key: {"name", "user_id"}}.
    """

    __tablename__ = "roster_version"
    __table_args__ = (
        UniqueConstraint("week_id", "number", name="roster_version_week_number"),
        CheckConstraint("number >= 1", name="roster_version_number_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    week_id: Mapped[int] = mapped_column(ForeignKey("week.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    roster: Mapped[dict] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(String(200), default="")
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    published_at: Mapped[datetime] = mapped_column(TimestampColumn(), default=utcnow)

    week: Mapped[Week] = relationship(back_populates="versions")
    published_by: Mapped["User | None"] = relationship()  # noqa: F821

    def assignments_of(self, profile_id: int) -> list[dict]:
        """This person's sessions in this version, each as the snapshot dict plus its "session" key."""
        key = staff_key(profile_id)
        sessions = self.roster.get("sessions", {})
        return [
            dict(sessions.get(a["session"], {}), session=a["session"])
            for a in self.roster.get("assignments", []) if a["staff"] == key
        ]

    def __repr__(self) -> str:
        return f"<RosterVersion week={self.week_id} v{self.number}>"
