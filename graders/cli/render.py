"""Rich rendering of check results."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from graders.labspec import Lab
from graders.scoring import Score

console = Console()
ICON = {True: "[green]✓[/]", False: "[red]✗[/]"}


def score_table(lab: Lab, score: Score, title: str | None = None) -> None:
    table = Table(title=title or f"{lab.id} · {lab.spec.title}", title_justify="left")
    table.add_column("", width=1)
    table.add_column("test")
    table.add_column("points", justify="right")
    for t in score.tests:
        label = escape(t.info.description) + (" [dim](hidden)[/]" if t.info.hidden else "")
        table.add_row(ICON[t.outcome.passed], label, f"{t.score:g}/{t.info.points:g}")
    console.print(table)
    style = "green" if score.earned == score.possible else "yellow"
    console.print(f"[bold {style}]Score: {score.earned:g} / {score.possible:g}[/]")


def first_failure(lab: Lab, score: Score) -> None:
    if score.problem:
        console.print(Panel(escape(score.problem), title="The tests could not run", border_style="red"))
        return
    failed = score.first_failure
    if failed is None:
        console.print(
            "[green]All tests pass. Well done![/] Next: `daca submit "
            f"{lab.id}` or the next lab in `daca list`."
        )
        return
    body = escape(failed.outcome.message or failed.outcome.kind)
    if failed.outcome.output.strip():
        body += f"\n\n[dim]your code printed:[/]\n{escape(failed.outcome.output.strip()[-800:])}"
    console.print(
        Panel(
            body,
            title=f"First failure: {escape(failed.info.description)}",
            border_style="red",
            title_align="left",
        )
    )
    console.print(f"Stuck? [bold]daca hint {lab.id}[/] shows a hint; the lab's README explains the task.")
