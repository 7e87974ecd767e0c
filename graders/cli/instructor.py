"""Instructor commands: grade, export, release, verify, and the guided tour."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from graders.cli.render import console, score_table
from graders.course import all_labs, find_lab, find_root


def grade(
    lab: Annotated[str, typer.Argument(help="Lab id, slug or number.")],
    submissions: Annotated[list[Path], typer.Argument(help="Folders or `daca submit` archives.")],
    out: Annotated[Path, typer.Option("--out", help="Folder for gradebook, results and feedback.")],
    db: Annotated[str | None, typer.Option(help="SQLAlchemy URL (default: sqlite in --out).")] = None,
    jobs: Annotated[int | None, typer.Option(help="Parallel workers (default: one per core).")] = None,
    force: Annotated[bool, typer.Option(help="Regrade submissions already in the gradebook.")] = False,
) -> None:
    """Grade submissions with visible and hidden tests; resumable, parallel and sandboxed."""
    from rich.table import Table

    from graders.grade.batch import Batch

    root = find_root()
    found = find_lab(root, lab)
    summary = Batch(found, out, root, db).run(submissions, jobs=jobs, force=force)
    table = Table(
        title=f"{found.id}: {summary.graded} graded, {summary.skipped} already graded, "
        f"{summary.rejected} rejected in {summary.seconds:.1f} s",
        title_justify="left",
    )
    table.add_column("student")
    table.add_column("score", justify="right")
    for student, points in sorted(summary.scores.items()):
        table.add_row(student, f"{points:g}")
    for student, reason in sorted(summary.reasons.items()):
        table.add_row(student, f"[red]rejected[/]: {reason}")
    console.print(table)
    console.print(f"Gradebook, grades.csv, results/ and feedback/ are in [bold]{out}[/]")


def export(
    out: Annotated[Path, typer.Option("--out", help="Folder for the exported CSVs and plots.")],
    db: Annotated[str | None, typer.Option(help="SQLAlchemy URL of the gradebook.")] = None,
    gradebook_dir: Annotated[
        Path | None,
        typer.Option("--gradebook-dir", help="A `daca grade --out` folder (default: --out)."),
    ] = None,
) -> None:
    """Export the gradebook: nbgrader-style CSVs, a Canvas import CSV and score histograms."""
    from graders.grade.exports import export as write_exports
    from graders.grade.gradebook import Gradebook

    if db is None:
        path = (gradebook_dir or out) / "gradebook.sqlite"
        if not path.is_file():
            console.print(f"[red]No gradebook at {path}: pass --gradebook-dir or --db.[/]")
            raise typer.Exit(2)
        db = f"sqlite:///{path.resolve()}"
    rows = Gradebook(db).rows()
    if not rows:
        console.print("[red]The gradebook is empty: nothing to export.[/]")
        raise typer.Exit(1)
    written = write_exports(rows, out)
    labs = len({r.lab_id for r in rows})
    console.print(f"Exported {len(rows)} grades of {labs} labs to [bold]{out}[/]:")
    for path in written:
        console.print(f"  {path.name}")


def release(
    out: Annotated[Path, typer.Argument(help="Empty folder for the student edition.")],
    force: Annotated[bool, typer.Option(help="Replace a non-empty OUT.")] = False,
) -> None:
    """Write the student edition: starters instead of solutions, no hidden tests, checksums."""
    from graders.release import ReleaseError
    from graders.release import release as write_release

    try:
        record = write_release(find_root(), out, force=force)
    except ReleaseError as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from None
    console.print(
        f"Student edition of {len(record['labs'])} labs ({len(record['files'])} files) "
        f"written to [bold]{out}[/]"
    )


def verify(labs: Annotated[list[str] | None, typer.Argument(help="Labs (default: all).")] = None) -> None:
    """Prove every reference solution scores 100% and every starter fails its graded tests."""
    from graders.verify import verify as run_verify

    root = find_root()
    chosen = [find_lab(root, name) for name in labs] if labs else all_labs(root)
    failed = 0
    for verdict in run_verify(chosen, root):
        mark = "[green]ok[/]" if verdict.ok else "[red]FAILED[/]"
        console.print(
            f"{mark} {verdict.lab.id} {verdict.lab.spec.title}: solution "
            f"{verdict.solution.earned:g}/{verdict.solution.possible:g}, starter "
            f"{verdict.starter.earned:g}/{verdict.starter.possible:g}"
        )
        for problem in verdict.problems:
            console.print(f"    [red]- {problem}[/]")
        failed += not verdict.ok
    raise typer.Exit(1 if failed else 0)


def tour() -> None:
    """A guided tour: the labs, then lab 1's reference solution and starter checked end to end."""
    from graders.cli.student import list_labs
    from graders.verify import verify as run_verify

    root = find_root()
    console.rule("DACA Labs — the guided tour")
    list_labs()
    first = all_labs(root)[0]
    console.print(
        f"\nChecking [bold]{first.id}[/]'s reference solution and starter in the sandbox "
        "(every test, hidden ones too)…"
    )
    verdict = next(run_verify([first], root))
    score_table(first, verdict.solution, title=f"{first.id} reference solution")
    score_table(first, verdict.starter, title=f"{first.id} starter (what students begin with)")
    if not verdict.ok:
        for problem in verdict.problems:
            console.print(f"[red]- {problem}[/]")
        raise typer.Exit(1)
    console.print(
        "\n[green]The lab is proven solvable and its starter is unsolved.[/] Next steps:\n"
        f"  daca release ../daca-student   # the student edition\n"
        f"  cd ../daca-student && daca check {first.id}   # what a student runs\n"
        f"  daca hint {first.id}"
    )


COMMANDS = [grade, export, release, verify, tour]
