"""Grading a batch: submissions in parallel worker processes, scores written here.

Workers (forked from this trusted process) run the instructor's tests with pytest; the student's
code runs only in sandboxes forked by a separate zygote. This process turns outcomes into scores and
writes every output: nothing a submission does can reach it.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from graders.check import lab_tests
from graders.grade import reports, submission
from graders.grade.gradebook import Gradebook, GradedSubmission, TestResult
from graders.labspec import Lab
from graders.runner import RunResult, run_tests
from graders.sandbox.client import Zygote
from graders.scoring import score

_worker: dict = {}


@dataclass
class BatchSummary:
    graded: int = 0
    skipped: int = 0
    rejected: int = 0
    seconds: float = 0.0
    scores: dict[str, float] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)


def _init_worker(lab: Lab, socket_path: str, hide: list[str]) -> None:
    _worker.update(lab=lab, zygote=Zygote(Path(socket_path), None), hide=hide)


def _run(files: dict[str, Path]) -> tuple[RunResult, float]:
    started = time.perf_counter()
    result = run_tests(_worker["lab"], files, _worker["zygote"], hide=_worker["hide"])
    return result, time.perf_counter() - started


def _unique(subs: list[submission.Submission]) -> list[submission.Submission]:
    seen: dict[str, int] = {}
    for sub in subs:
        seen[sub.student] = seen.get(sub.student, 0) + 1
        if seen[sub.student] > 1:
            sub.student = f"{sub.student}-{seen[sub.student]}"
    return subs


class Batch:
    """One `daca grade` run: where outputs go and how scores are recorded."""

    def __init__(self, lab: Lab, out: Path, course_root: Path, db_url: str | None = None):
        self.lab, self.out, self.course_root = lab, out.resolve(), course_root
        self.out.mkdir(parents=True, exist_ok=True)
        self.infos = lab_tests(lab)
        self.possible = sum(i.points for i in self.infos)
        self.gradebook = Gradebook(db_url or f"sqlite:///{self.out / 'gradebook.sqlite'}")

    def _write(self, sub: submission.Submission, results: dict, feedback: str) -> None:
        folder = self.out / "results" / self.lab.id / sub.student
        reports.write_atomic(folder / "results.json", reports.dump(results))
        reports.write_atomic(self.out / "feedback" / self.lab.id / f"{sub.student}.md", feedback)

    def record_rejected(self, sub: submission.Submission) -> None:
        self._write(
            sub,
            reports.rejected(self.possible, sub.rejected),
            reports.feedback(self.lab.spec.title, sub.student, None, sub.rejected, []),
        )
        self.gradebook.record(
            GradedSubmission(
                lab_id=self.lab.id,
                student=sub.student,
                digest=sub.digest or "-",
                status="rejected",
                score=0.0,
                max_score=self.possible,
                reason=sub.rejected,
            )
        )

    def record(self, sub: submission.Submission, result: RunResult, seconds: float) -> float:
        graded = score(self.infos, result)
        summary = graded.summary()
        reason = "; ".join([*sub.notes, *([summary] if summary else [])])
        self._write(
            sub,
            reports.gradescope(graded, seconds, reason),
            reports.feedback(self.lab.spec.title, sub.student, graded, reason, sub.notes),
        )
        row = GradedSubmission(
            lab_id=self.lab.id,
            student=sub.student,
            digest=sub.digest,
            status="error" if result.problem else "graded",
            score=graded.earned,
            max_score=graded.possible,
            reason=reason,
            seconds=seconds,
            source="nbgrader" if self.lab.is_notebook else "pytest",
        )
        row.tests = [
            TestResult(
                test_id=t.info.id,
                hidden=t.info.hidden,
                passed=t.outcome.passed,
                kind=t.outcome.kind,
                score=t.score,
                max_score=t.info.points,
            )
            for t in graded.tests
        ]
        self.gradebook.record(row)
        return graded.earned

    def run(
        self, paths: list[Path], *, jobs: int | None = None, force: bool = False, show_progress: bool = True
    ) -> BatchSummary:
        started = time.perf_counter()
        summary = BatchSummary()
        work = self.out / ".work"
        subs = _unique([submission.load(p, self.lab, work) for p in paths])
        todo = []
        for sub in subs:
            if sub.rejected:
                self.record_rejected(sub)
                summary.rejected += 1
                summary.reasons[sub.student] = sub.rejected
            elif not force and self.gradebook.graded_digest(self.lab.id, sub.student) == sub.digest:
                summary.skipped += 1
            else:
                todo.append(sub)
        if todo:
            self._grade(todo, jobs or os.cpu_count() or 1, summary, show_progress)
        shutil.rmtree(work, ignore_errors=True)
        reports.grades_csv(self.gradebook.rows(), self.out / "grades.csv")
        summary.seconds = time.perf_counter() - started
        return summary

    def _grade(self, todo, jobs: int, summary: BatchSummary, show_progress: bool) -> None:
        if self.lab.is_notebook:
            self._grade_notebooks(todo, jobs, summary, show_progress)
            return
        zygote = Zygote.start(self.lab.preload())
        hide = [str(self.course_root), str(self.out)]
        context = multiprocessing.get_context("fork")
        try:
            with ProcessPoolExecutor(
                min(jobs, len(todo)),
                mp_context=context,
                initializer=_init_worker,
                initargs=(self.lab, str(zygote.socket_path), hide),
            ) as pool:
                # submit before the progress bar starts its thread: workers are forked on submit
                futures = {pool.submit(_run, sub.files): sub for sub in todo}
                with _progress(show_progress) as progress:
                    task = progress.add_task(self.lab.id, total=len(todo))
                    for future in as_completed(futures):
                        sub = futures[future]
                        result, seconds = future.result()
                        summary.scores[sub.student] = self.record(sub, result, seconds)
                        summary.graded += 1
                        progress.advance(task)
        finally:
            zygote.stop()

    def _grade_notebooks(self, todo, jobs: int, summary: BatchSummary, show_progress: bool) -> None:
        """nbgrader autograde, in shards of one process each; scores recorded here as they come."""
        from graders.notebooks import grade_texts

        by_name = {sub.student: sub for sub in todo}
        texts, missing = {}, []
        for sub in todo:
            path = sub.files.get(self.lab.spec.files[0])
            if path is None:
                missing.append(sub)
            else:
                texts[sub.student] = path.read_text(encoding="utf-8", errors="replace")
        with _progress(show_progress) as progress:
            task = progress.add_task(self.lab.id, total=len(todo))

            def done(student: str, result: RunResult, seconds: float) -> None:
                summary.scores[student] = self.record(by_name[student], result, seconds)
                summary.graded += 1
                progress.advance(task)

            for sub in missing:
                done(sub.student, RunResult(), 0.0)  # its notes say the notebook is missing
            work = self.out / ".work" / "nbgrader"
            shutil.rmtree(work, ignore_errors=True)
            hide = [str(self.course_root), str(self.out)]
            grade_texts(self.lab, texts, work, jobs=jobs, hide=hide, done=done)


def _progress(show: bool) -> Progress:
    columns = (
        TextColumn("grading {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    return Progress(*columns, disable=not show, transient=False)
