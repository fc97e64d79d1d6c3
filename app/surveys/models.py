"""The quality survey: one per county and term, its guardians' answers (one per child) and staff answers."""

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models_base import TimestampColumn, utcnow

LOWEST, HIGHEST = 1, 5  # every question is answered on a five-point scale: 1 very dissatisfied … 5 very satisfied


def _scale(column: str) -> CheckConstraint:
    return CheckConstraint(f"{column} >= {LOWEST} AND {column} <= {HIGHEST}", name=f"{column}_on_scale")


class Survey(db.Model):
    """The county's end-of-term survey (期末满意度调查) of one term, open between two school days, to guardians,
    staff or both."""

    __table_args__ = (
        UniqueConstraint("county_id", "term_name"),
        CheckConstraint("opens_on <= closes_on", name="survey_opens_before_it_closes"),
        CheckConstraint("for_guardians OR for_staff", name="survey_has_an_audience"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    county_id: Mapped[int] = mapped_column(ForeignKey("county.id", ondelete="CASCADE"), index=True)
    term_name: Mapped[str] = mapped_column(String(60))
    opens_on: Mapped[date] = mapped_column(Date)
    closes_on: Mapped[date] = mapped_column(Date)
    for_guardians: Mapped[bool] = mapped_column(default=True)
    for_staff: Mapped[bool] = mapped_column(default=False)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(TimestampColumn(), default=utcnow)
    notified_at: Mapped[datetime | None] = mapped_column(TimestampColumn())  # when the audience was told it opened

    county: Mapped["County"] = relationship()  # noqa: F821

    def is_open_on(self, day: date) -> bool:
        """Answers are taken from the opening day to the closing day, both included (school days)."""
        return self.opens_on <= day <= self.closes_on

    def __repr__(self) -> str:
        return f"<Survey {self.county_id} {self.term_name}>"


class GuardianAnswer(db.Model):
    """A family's answer for one child: one per child and survey (so one per child per term), whichever guardian
    answered. Which guardian it was is not kept: the answer is the family's, and nobody reads it by name."""

    __table_args__ = (UniqueConstraint("survey_id", "student_id"), _scale("overall"))

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id", ondelete="CASCADE"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id", ondelete="CASCADE"), index=True)
    overall: Mapped[int]
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(TimestampColumn(), default=utcnow)

    survey: Mapped[Survey] = relationship()
    ratings: Mapped[list["ActivityRating"]] = relationship(back_populates="answer", cascade="all, delete-orphan",
                                                           order_by="ActivityRating.id")

    def __repr__(self) -> str:
        return f"<GuardianAnswer {self.survey_id} {self.student_id}>"


class ActivityRating(db.Model):
    """The family's rating of one activity the child took part in that term (and of its provider, if any)."""

    __table_args__ = (UniqueConstraint("answer_id", "activity_id"), _scale("rating"))

    id: Mapped[int] = mapped_column(primary_key=True)
    answer_id: Mapped[int] = mapped_column(ForeignKey("guardian_answer.id", ondelete="CASCADE"), index=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activity.id", ondelete="CASCADE"), index=True)
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("provider.id", ondelete="SET NULL"), index=True)
    rating: Mapped[int]

    answer: Mapped[GuardianAnswer] = relationship(back_populates="ratings")
    activity: Mapped["Activity"] = relationship()  # noqa: F821

    def __repr__(self) -> str:
        return f"<ActivityRating {self.answer_id} {self.activity_id}={self.rating}>"


class StaffAnswer(db.Model):
    """A staff member's own questionnaire: overall satisfaction and how fairly the work is shared; one per survey."""

    __table_args__ = (UniqueConstraint("survey_id", "user_id"), _scale("overall"), _scale("workload_fairness"))

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id", ondelete="CASCADE"), index=True)
    overall: Mapped[int]
    workload_fairness: Mapped[int]
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(TimestampColumn(), default=utcnow)

    def __repr__(self) -> str:
        return f"<StaffAnswer {self.survey_id} {self.user_id}>"
