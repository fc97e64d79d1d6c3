"""The county board's fact tables: what the published rosters add up to, kept ready so the board reads sums.

The board's figures that need per-session work (a class's day covered or not, a teacher's week, a provider's
sessions, the hours the published roster promised) are worked out once from the published roster versions and
stored here by app/county/facts.py: refreshed for a week when it is published (rosters.services.publish), and for
whole schools by ``flask county refresh`` (after calendar or offering changes). Everything else on the board
(students, applications, places, staff opted in, fees, register marks) is read live with SQL aggregates.

Rows carry no foreign key to the sessions and people they summarise (a published version outlives a re-planned
week); they go with their school.
"""

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models_base import TimestampColumn, utcnow


class ClassDayFact(db.Model):
    """One class on one school day of a term: a service day or a declared exception, and covered or not
    (facts.class_day_coverage: policy.service_days and policy.day_covered)."""

    __tablename__ = "county_class_day"
    __table_args__ = (Index("ix_county_class_day_school_date", "school_id", "on_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id", ondelete="CASCADE"))
    term_id: Mapped[int] = mapped_column(ForeignKey("term.id", ondelete="CASCADE"), index=True)
    class_id: Mapped[int] = mapped_column(ForeignKey("school_class.id", ondelete="CASCADE"), index=True)
    on_date: Mapped[date] = mapped_column(Date)
    service_day: Mapped[bool]  # False: a weekly exception day the school declared
    covered: Mapped[bool]  # a block of MIN_DAILY_MINUTES reaching the end of work in the (published) plan
    minutes: Mapped[int] = mapped_column(default=0)  # after-school minutes planned for the class that day

    def __repr__(self) -> str:
        return f"<ClassDayFact c{self.class_id} {self.on_date} {'covered' if self.covered else 'gap'}>"


class SchoolDayFact(db.Model):
    """A school's day in sum, what the county's pages add up (twenty times fewer rows than class-days and sessions):
    class-days to serve and covered, minutes of published sessions whose register has a mark, and minutes of those
    with someone on them but no mark yet (delivered once the day is past)."""

    __tablename__ = "county_school_day"
    __table_args__ = (Index("ix_county_school_day_school_date", "school_id", "on_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id", ondelete="CASCADE"))
    term_id: Mapped[int] = mapped_column(ForeignKey("term.id", ondelete="CASCADE"), index=True)
    on_date: Mapped[date] = mapped_column(Date)
    service_days: Mapped[int] = mapped_column(default=0)  # class-days that are service days
    covered_days: Mapped[int] = mapped_column(default=0)  # ... and covered
    marked_minutes: Mapped[int] = mapped_column(default=0)
    staffed_minutes: Mapped[int] = mapped_column(default=0)  # staffed, no mark

    def __repr__(self) -> str:
        return f"<SchoolDayFact {self.school_id} {self.on_date}>"


class SessionFact(db.Model):
    """A session of a published roster (the week's latest version): when, how long, how many staff, which
    provider's staff (if any)."""

    __tablename__ = "county_session"
    __table_args__ = (Index("ix_county_session_school_date", "school_id", "on_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id", ondelete="CASCADE"))
    term_id: Mapped[int | None] = mapped_column(ForeignKey("term.id", ondelete="CASCADE"), index=True)
    monday: Mapped[date] = mapped_column(Date)
    session_id: Mapped[int] = mapped_column(index=True)  # PlannedSession.id as published ("s-<id>")
    on_date: Mapped[date] = mapped_column(Date)
    minutes: Mapped[int]
    kind: Mapped[str] = mapped_column(String(20))
    activity: Mapped[str] = mapped_column(String(20))
    staff: Mapped[int] = mapped_column(default=0)  # people on it in the published roster
    marked: Mapped[bool] = mapped_column(default=False)  # its register has a mark (facts.session_marked)
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("provider.id", ondelete="SET NULL"), index=True)

    def __repr__(self) -> str:
        return f"<SessionFact s{self.session_id} {self.on_date} {self.minutes}min>"


class SessionClassFact(db.Model):
    """Which classes a published session serves (for a class's hours)."""

    __tablename__ = "county_session_class"
    __table_args__ = (Index("ix_county_session_class_school_term", "school_id", "term_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id", ondelete="CASCADE"))
    term_id: Mapped[int | None] = mapped_column(ForeignKey("term.id", ondelete="CASCADE"))
    session_id: Mapped[int] = mapped_column(index=True)  # SessionFact.session_id
    class_id: Mapped[int] = mapped_column(ForeignKey("school_class.id", ondelete="CASCADE"), index=True)


class StaffLoadFact(db.Model):
    """A person's published service in a week (monday set) or a whole term (monday empty): minutes, days,
    compensatory rest earned and subsidy owed (myweek.services.tally, the one place these are computed), and the
    weekly cap that applies to them (policy.weekly_minutes_cap)."""

    __tablename__ = "county_staff_load"
    __table_args__ = (Index("ix_county_staff_load_school_term", "school_id", "term_id", "monday"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id", ondelete="CASCADE"))
    term_id: Mapped[int | None] = mapped_column(ForeignKey("term.id", ondelete="CASCADE"))
    monday: Mapped[date | None] = mapped_column(Date)  # None: the term's total
    profile_id: Mapped[int] = mapped_column(ForeignKey("staff_profile.id", ondelete="CASCADE"), index=True)
    staff_type: Mapped[str] = mapped_column(String(20))
    minutes: Mapped[int]
    weeks: Mapped[int] = mapped_column(default=1)  # weeks with service (term rows)
    largest_week: Mapped[int] = mapped_column(default=0)  # the person's busiest week's minutes
    rest_minutes: Mapped[int] = mapped_column(default=0)
    subsidy_cents: Mapped[int] = mapped_column(default=0)
    weekly_cap: Mapped[int | None]

    def __repr__(self) -> str:
        return f"<StaffLoadFact p{self.profile_id} {self.monday or 'term'} {self.minutes}min>"


class FactsRefresh(db.Model):
    """When a school's facts were last worked out (shown on the board)."""

    __tablename__ = "county_facts_refresh"

    school_id: Mapped[int] = mapped_column(ForeignKey("school.id", ondelete="CASCADE"), primary_key=True)
    refreshed_at: Mapped[datetime] = mapped_column(TimestampColumn(), default=utcnow)
