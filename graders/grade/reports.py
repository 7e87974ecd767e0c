"""What grading writes: Gradescope `results.json`, per-student feedback, and the grades CSV.

Feedback for hidden tests carries their one-line description and result only: never their
source, assertion messages or the student's output during them.
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

from graders.grade.gradebook import GradedSubmission
from graders.scoring import Score

MARK = {True: "PASS", False: "FAIL"}


def write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def gradescope(score: Score, seconds: float, reason: str = "") -> dict:
    """Gradescope's results format; hidden tests become visible after grades are published."""
    tests = []
    for t in score.tests:
        output = "" if t.info.hidden or t.outcome.passed else t.outcome.message
        tests.append(
            {
                "name": t.info.description,
                "number": t.info.id,
                "score": t.score,
                "max_score": t.info.points,
                "status": "passed" if t.outcome.passed else "failed",
                "visibility": "after_published" if t.info.hidden else "visible",
                "output": output,
            }
        )
    return {
        "score": score.earned,
        "max_score": score.possible,
        "execution_time": round(seconds, 3),
        "output": reason,
        "tests": tests,
    }


def rejected(max_score: float, reason: str) -> dict:
    return {"score": 0.0, "max_score": max_score, "output": f"Not graded: {reason}", "tests": []}


def feedback(lab_title: str, student: str, score: Score | None, reason: str, notes: list[str]) -> str:
    lines = [f"# {lab_title} — feedback for {student}", ""]
    if score is None:
        return "\n".join(lines + [f"Your submission was not graded: {reason}", ""])
    lines += [f"**Score: {score.earned:g} / {score.possible:g}**", ""]
    lines += [f"> {note}" for note in notes] + ([""] if notes else [])
    for t in score.tests:
        where = "hidden test" if t.info.hidden else "test"
        lines.append(
            f"- {MARK[t.outcome.passed]} ({t.score:g}/{t.info.points:g}) {where}: {t.info.description}"
        )
        if not t.outcome.passed and not t.info.hidden and t.outcome.message:
            lines += ["", "  ```", *("  " + x for x in t.outcome.message.splitlines()[:20]), "  ```"]
    return "\n".join(lines) + "\n"


def grades_csv(rows: list[GradedSubmission], path: Path) -> None:
    tmp = path.with_suffix(".csv.tmp")
    with tmp.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["lab", "student", "score", "max_score", "percent", "status", "reason", "graded_at"])
        for r in rows:
            percent = round(100 * r.score / r.max_score, 1) if r.max_score else 0.0
            writer.writerow(
                [
                    r.lab_id,
                    r.student,
                    f"{r.score:g}",
                    f"{r.max_score:g}",
                    percent,
                    r.status,
                    r.reason,
                    r.graded_at.isoformat(timespec="seconds"),
                ]
            )
    os.replace(tmp, path)


def dump(data: dict) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
