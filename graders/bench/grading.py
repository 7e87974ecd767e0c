"""Benchmark: `daca grade` against real `nbgrader autograde`, and `daca check` warm.

Both graders get the same number of synthetic lab-2 submissions in the same run (a mix of
reference solutions, partly stubbed solutions, untouched starters and syntax errors); each is timed
end to end as a fresh command, start-up included. Prints submissions per second and the ratio.

    python -m graders.bench.grading --n 60
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from graders.course import find_lab, find_root
from graders.labspec import Lab
from graders.markers import BEGIN_SOLUTION, to_starter


def variants(lab: Lab) -> list[dict[str, str]]:
    """Reference solution, each solution block stubbed alone, the starter, a syntax error."""
    sources = {name: (lab.root / name).read_text(encoding="utf-8") for name in lab.spec.files}
    blocks = max(text.count(BEGIN_SOLUTION) for text in sources.values())
    out = [dict(sources)]
    out += [{n: to_starter(t, n, only={k}) for n, t in sources.items()} for k in range(blocks)]
    out.append({n: to_starter(t, n) for n, t in sources.items()})
    out.append({n: t + "\ndef broken(:\n" for n, t in sources.items()})
    return out


def write_submissions(lab: Lab, n: int, folder: Path) -> list[Path]:
    kinds = variants(lab)
    paths = []
    for i in range(n):
        student = folder / f"student{i:04d}"
        student.mkdir(parents=True)
        for name, text in kinds[i % len(kinds)].items():
            (student / name).write_text(text, encoding="utf-8")
        paths.append(student)
    return paths


def _daca(*args: str, cwd: Path) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "graders.cli", *args],
        cwd=cwd,
        check=True,
        stdout=subprocess.DEVNULL,
        env={**os.environ, "COLUMNS": "100"},
    )
    return time.perf_counter() - started


def time_daca_grade(lab: Lab, n: int, root: Path, work: Path) -> float:
    subs = write_submissions(lab, n, work / "daca-submissions")
    started = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "graders.cli",
            "grade",
            lab.id,
            *map(str, subs),
            "--out",
            str(work / "daca-out"),
        ],
        cwd=root,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def time_daca_check(root: Path, lab_id: str, runs: int) -> list[float]:
    """`daca check` as a student runs it, after one warm-up run (which starts the warm zygote)."""
    subprocess.run(
        [sys.executable, "-m", "graders.cli", "check", lab_id, "--hidden"],
        cwd=root,
        stdout=subprocess.DEVNULL,
    )
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "graders.cli", "check", lab_id], cwd=root, stdout=subprocess.DEVNULL
        )
        times.append(time.perf_counter() - started)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=60, help="submissions per grader")
    parser.add_argument("--lab", default="ai201-02", help="lab graded by daca")
    parser.add_argument("--check-lab", default="ai201-01", help="lab for the daca check timing")
    parser.add_argument("--skip-nbgrader", action="store_true")
    parser.add_argument("--min-ratio", type=float, default=0, help="exit 1 below this speed-up")
    args = parser.parse_args(argv)
    root = find_root()
    lab = find_lab(root, args.lab)
    with tempfile.TemporaryDirectory(prefix="daca-bench-") as tmp:
        work = Path(tmp)
        daca_seconds = time_daca_grade(lab, args.n, root, work)
        daca_rate = args.n / daca_seconds
        print(
            f"daca grade      {args.n:4d} submissions of {lab.id} in {daca_seconds:6.2f} s "
            f"= {daca_rate:6.2f} submissions/s"
        )
        ratio = None
        if not args.skip_nbgrader:
            from graders.bench.nbgrader_baseline import run_nbgrader_baseline

            baseline = run_nbgrader_baseline(args.n, work / "nbgrader")
            nb_rate = args.n / baseline["seconds"]
            ratio = daca_rate / nb_rate
            print(
                f"nbgrader        {args.n:4d} submissions of lab02 notebook in "
                f"{baseline['seconds']:6.2f} s = {nb_rate:6.2f} submissions/s"
            )
            print(f"speed-up        {ratio:6.1f}x (daca grade / nbgrader autograde)")
    checks = time_daca_check(root, args.check_lab, runs=5)
    print(
        f"daca check {args.check_lab} warm: median {statistics.median(checks):.2f} s, "
        f"min {min(checks):.2f} s, max {max(checks):.2f} s over {len(checks)} runs"
    )
    return 1 if ratio is not None and ratio < args.min_ratio else 0


if __name__ == "__main__":
    raise SystemExit(main())
