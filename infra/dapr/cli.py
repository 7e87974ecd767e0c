"""`daca dapr`: get the pinned Dapr binaries and run an app with its sidecar."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Annotated

import typer

from infra.dapr import binaries as _binaries
from infra.dapr.harness import CONFIG_FILE, ControlPlane, DaprError, Sidecar

app = typer.Typer(help="Real Dapr: install the pinned daprd/placement/scheduler and run apps with a sidecar.",
                  no_args_is_help=True)


def _ensure(build: bool = True) -> _binaries.DaprBinaries:
    try:
        return _binaries.ensure(build=build, log=lambda m: typer.echo(m, err=True))
    except _binaries.DaprBinariesMissing as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    except RuntimeError as exc:
        typer.echo(f"building Dapr failed: {exc}", err=True)
        raise typer.Exit(1) from None


@app.command()
def install(
    no_build: Annotated[bool, typer.Option("--no-build", help="Only look, never build.")] = False,
) -> None:
    """Find daprd, placement and scheduler of the pinned release, building them with Go if missing."""
    found = _ensure(build=not no_build)
    typer.echo(found.describe())


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def run(
    ctx: typer.Context,
    app_id: Annotated[str, typer.Option("--app-id", help="Dapr app id.")],
    app_port: Annotated[int | None, typer.Option("--app-port", help="Port the app listens on.")] = None,
    components: Annotated[str, typer.Option(help="Component set (embedded, local) or folder.")] = "embedded",
    config: Annotated[Path, typer.Option(help="Dapr Configuration file.")] = CONFIG_FILE,
    app_protocol: Annotated[str, typer.Option("--app-protocol", help="http or grpc.")] = "http",
    log_level: Annotated[str, typer.Option("--log-level", help="daprd log level.")] = "info",
) -> None:
    """Run COMMAND (after `--`) next to placement, scheduler and a daprd, like `dapr run`.

    The command gets DAPR_HTTP_PORT and DAPR_GRPC_PORT; everything stops when it exits.
    """
    command = list(ctx.args)
    if not command:
        typer.echo("give the app's command after `--`, e.g. -- uvicorn main:app --port 8000", err=True)
        raise typer.Exit(2)
    bins = _ensure()
    typer.echo(f"using {bins.describe()}", err=True)
    started = time.monotonic()
    with ControlPlane(bins, keep_logs=True) as cp:
        sidecar = Sidecar(cp, app_id, app_port, components=components, config=config,
                          app_protocol=app_protocol, log_level=log_level)
        try:
            sidecar.start()
        except DaprError as exc:
            typer.echo(str(exc), err=True)
            raise typer.Exit(1) from None
        with sidecar:
            typer.echo(f"daprd[{app_id}] ready in {time.monotonic() - started:.1f} s: "
                       f"HTTP {sidecar.http_port}, gRPC {sidecar.grpc_port}; logs in {cp.workdir}", err=True)
            proc = subprocess.Popen(command, env={**os.environ, **sidecar.env()})
            try:
                code = proc.wait()
            except KeyboardInterrupt:
                proc.send_signal(signal.SIGINT)
                code = proc.wait()
    raise typer.Exit(code)
