"""The gradebook: one row per (lab, student), one per test, in any SQLAlchemy database.

Rows are written once per graded submission in one transaction, so a batch killed half-way
leaves only whole submissions behind, and rerunning skips those whose files have not changed.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint, create_engine, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship, selectinload


class Base(DeclarativeBase):
    pass


class GradedSubmission(Base):
    __tablename__ = "submission"
    __table_args__ = (UniqueConstraint("lab_id", "student"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lab_id: Mapped[str] = mapped_column(String(32), index=True)
    student: Mapped[str] = mapped_column(String(200))
    digest: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))  # graded | rejected | error
    score: Mapped[float]
    max_score: Mapped[float]
    reason: Mapped[str] = mapped_column(default="")
    seconds: Mapped[float] = mapped_column(default=0.0)
    source: Mapped[str] = mapped_column(String(64), default="pytest")  # pytest | nbgrader
    graded_at: Mapped[datetime] = mapped_column(default=lambda: datetime.now(UTC))
    tests: Mapped[list[TestResult]] = relationship(
        back_populates="submission", cascade="all, delete-orphan", order_by="TestResult.id"
    )


class TestResult(Base):
    __tablename__ = "test_result"
    __test__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id", ondelete="CASCADE"))
    test_id: Mapped[str] = mapped_column(String(300))
    hidden: Mapped[bool]
    passed: Mapped[bool]
    kind: Mapped[str] = mapped_column(String(16))
    score: Mapped[float]
    max_score: Mapped[float]
    submission: Mapped[GradedSubmission] = relationship(back_populates="tests")


class Gradebook:
    """A thin layer over the database: what is graded already, and recording a new grade."""

    def __init__(self, url: str):
        self.engine = create_engine(url)
        Base.metadata.create_all(self.engine)

    def graded_digest(self, lab_id: str, student: str) -> str | None:
        with Session(self.engine) as session:
            row = session.scalar(
                select(GradedSubmission).where(
                    GradedSubmission.lab_id == lab_id, GradedSubmission.student == student
                )
            )
            return row.digest if row else None

    def record(self, row: GradedSubmission) -> None:
        """Store a grade, replacing any earlier grade of the same lab and student."""
        with Session(self.engine) as session, session.begin():
            old = session.scalar(
                select(GradedSubmission).where(
                    GradedSubmission.lab_id == row.lab_id, GradedSubmission.student == row.student
                )
            )
            if old is not None:
                session.delete(old)
                session.flush()
            session.add(row)

    def rows(self, lab_id: str | None = None) -> list[GradedSubmission]:
        with Session(self.engine, expire_on_commit=False) as session:
            query = (  # tests in one more query, loaded before the session closes
                select(GradedSubmission)
                .options(selectinload(GradedSubmission.tests))
                .order_by(GradedSubmission.lab_id, GradedSubmission.student)
            )
            if lab_id:
                query = query.where(GradedSubmission.lab_id == lab_id)
            return list(session.scalars(query))
