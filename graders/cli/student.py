"""Student commands: list, check, hint, watch, reset, submit."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from graders.cli.render import console, first_failure, score_table
from graders.course import all_labs, find_lab, find_root

LabArg = Annotated[str, typer.Argument(help="Lab id (ai201-01), slug (hello-agent) or number (1).")]


def list_labs() -> None:
    """List the labs with your progress."""
    from rich.table import Table

    from graders.student import Progress

    root = find_root()
    progress = Progress(root)
    table = Table(title="DACA Labs", title_justify="left")
    for column in ("id", "title", "folder", "needs", "progress"):
        table.add_column(column)
    for lab in all_labs(root):
        entry = progress.data.get(lab.id)
        done = entry and entry["possible"] and entry["best"] >= entry["possible"]
        state = "—" if not entry else f"{entry['best']:g}/{entry['possible']:g}" + (" ✓" if done else "")
        table.add_row(
            lab.id,
            lab.spec.title,
            str(lab.root.relative_to(root)),
            ", ".join(lab.spec.services) or "-",
            state,
        )
    console.print(table)


list_labs.__name__ = "list"


def check(
    lab: LabArg, hidden: Annotated[bool, typer.Option(help="Also run hidden tests (instructors).")] = False
) -> None:
    """Run a lab's visible tests against your code, show the score and the first failure."""
    from graders.check import check_lab
    from graders.student import Progress

    root = find_root()
    found = find_lab(root, lab)
    score = check_lab(found, root, hidden=hidden)
    score_table(found, score)
    first_failure(found, score)
    if not hidden:
        Progress(root).record_check(found.id, score.earned, score.possible)
    raise typer.Exit(0 if score.earned == score.possible and not score.problem else 1)


def hint(
    lab: LabArg, all_hints: Annotated[bool, typer.Option("--all", help="Show every hint.")] = False
) -> None:
    """Show the next hint for a lab (or all of them)."""
    from graders.student import Progress, next_hint

    root = find_root()
    found = find_lab(root, lab)
    hints = found.spec.hints
    if not hints:
        console.print("This lab has no hints; its README.md walks through the task.")
        return
    if all_hints:
        for n, text in enumerate(hints, 1):
            console.print(f"[bold]Hint {n}/{len(hints)}:[/] {escape(text)}")
        return
    shown = next_hint(found, Progress(root))
    if shown is None:
        console.print(f"You have seen all {len(hints)} hints; `daca hint {found.id} --all` repeats them.")
    else:
        console.print(f"[bold]Hint {shown[0]}/{len(hints)}:[/] {escape(shown[1])}")


def watch(lab: LabArg) -> None:
    """Re-check a lab every time you save one of its files (Ctrl-C to stop)."""
    from watchfiles import watch as watch_files

    from graders.check import check_lab

    root = find_root()
    found = find_lab(root, lab)
    paths = [found.root / f for f in found.spec.files]
    console.print(f"Watching {', '.join(str(p.relative_to(root)) for p in paths)} — Ctrl-C to stop.")
    while True:
        score = check_lab(found, root)
        score_table(found, score)
        first_failure(found, score)
        for _ in watch_files(*paths, debounce=300):
            break
        console.rule("changed: checking again")


def reset(lab: LabArg, yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask.")] = False) -> None:
    """Put a lab's starter files back (your current files are backed up first)."""
    from graders.student import reset as reset_lab

    root = find_root()
    found = find_lab(root, lab)
    if not yes:
        typer.confirm(f"Replace {', '.join(found.spec.files)} of {found.id} with the starter?", abort=True)
    try:
        backups = reset_lab(found, root)
    except FileNotFoundError as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from None
    console.print(f"Starter restored. Your previous files are in {backups[0].parent}")


def submit(
    lab: LabArg,
    student: Annotated[str | None, typer.Option(help="Your name or email (default: git user.email).")] = None,
    out: Annotated[Path, typer.Option(help="Folder for the archive.")] = Path("."),
) -> None:
    """Pack a lab's files and a manifest of their hashes into a zip to hand in."""
    from graders.student import submit as make_archive

    found = find_lab(find_root(), lab)
    archive = make_archive(found, out, student)
    console.print(
        f"Wrote [bold]{archive}[/]. Hand this file in; `daca check {found.id}` first is a good idea."
    )


COMMANDS = [list_labs, check, hint, watch, reset, submit]
