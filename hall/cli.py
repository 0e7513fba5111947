"""``hall``: one command per process role, plus migrations, schema export and token issue."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from hall import collector, logs
from hall.bus import roles
from hall.settings import Settings

app = typer.Typer(
    help="hall: event-sourced case processing for government service halls.",
    no_args_is_help=True,
    add_completion=False,
)
token = typer.Typer(help="Issue and revoke terminal tokens without the HTTP API.")
app.add_typer(token, name="token")
billing = typer.Typer(help="Billing: the bank's statements and daily reconciliation.")
app.add_typer(billing, name="billing")
projections = typer.Typer(help="Read models: rebuild them from position 0.")
app.add_typer(projections, name="projections")
app.add_typer(roles.app)  # hall relay / project / supervise: the distributed layout's roles

DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Folder for SQLite files, cipher key, holiday table."),
]


def _settings(data_dir: Path | None) -> Settings:
    settings = Settings()
    if data_dir is not None:
        settings = settings.model_copy(update={"data_dir": data_dir})
    return settings


class Role(StrEnum):
    both = "both"
    intake = "intake"
    billing = "billing"


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    role: Annotated[
        Role | None,
        typer.Option(
            help="Whose events this API records (default HALL_ROLE, else both); the other "
            "service's events are forwarded to HALL_INTAKE_URL / HALL_BILLING_URL."
        ),
    ] = None,
    data_dir: DataDir = None,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            envvar="HALL_WORKERS",
            help="API processes sharing the port (PostgreSQL only): the interpreter lock holds "
            "one process to one core, so a second one uses an idle core.",
        ),
    ] = 1,
) -> None:
    """Run the API (SQLite unless HALL_DATABASE_URL is set), with every service's read models
    and supervision: in the API's process on SQLite, in child processes (`hall follow --part`) on
    PostgreSQL (HALL_FOLLOWERS=false leaves them to `hall project` and `hall supervise`)."""
    import os

    import uvicorn

    from hall.http.app import create_app
    from hall.runtime import FOLLOWING, Hall
    from hall.sidecar import Sidecar, child_env, stop_on_signals

    logs.configure()
    settings = _settings(data_dir)
    if role is not None:
        settings = settings.model_copy(update={"role": role.value})
    if workers > 1 and not settings.on_postgres:
        raise typer.BadParameter(
            "several API processes need PostgreSQL (set HALL_DATABASE_URL): on SQLite one "
            "process writes",
            param_hint="--workers",
        )
    if not settings.admin_token:
        from hall.stores import admin_token

        admin_token(settings)
        typer.echo(f"admin token: {settings.data_dir / 'admin.token'} (HALL_ADMIN_TOKEN overrides)")
    sidecars: list[Sidecar] = []
    # With several API processes, the followers can only be children: in each API they
    # would follow twice.
    follow_apart = settings.follower_process or workers > 1
    if settings.on_postgres and (workers > 1 or (settings.followers and follow_apart)):
        # Tables and read models first, once: two processes creating them at once conflict.
        Hall.start(settings, follow=False, record=False).close()
        settings = settings.model_copy(update={"create_tables": False})
    if settings.on_postgres and settings.followers and follow_apart:
        # A child per part: in one interpreter, supervision's passes held the lock the read
        # models needed, and the case list's lag doubled (bench.projections' lag phase).
        sidecars = [
            Sidecar(data_dir, parent=os.getpid(), env=child_env(settings, part), part=part)
            for part in FOLLOWING
        ]
        settings = settings.model_copy(update={"followers": False})  # the children follow
    served = {
        "host": host,
        "port": port,
        "timeout_graceful_shutdown": 30,
        "log_level": "info",
        "access_log": settings.access_log,
    }
    if workers > 1:
        _serve_workers(settings, workers, sidecars, served)
        return
    api = create_app(settings)
    collector.settle()
    if sidecars:
        for sidecar in sidecars:
            sidecar.start()
        stop_on_signals(sidecars)
    try:
        # SIGTERM: uvicorn stops accepting, finishes in-flight requests, then the lifespan
        # drains the writers, so whatever was acknowledged is durable before the process exits.
        uvicorn.run(api, **served)  # type: ignore[arg-type]
    finally:
        for sidecar in sidecars:
            sidecar.stop()


def _serve_workers(
    settings: Settings, workers: int, sidecars: list[Any], served: dict[str, Any]
) -> None:
    """``hall serve --workers N`` (``hall/workers.py``): N API processes, each building its app
    from the environment prepared here; the followers' children are this process's, started
    once."""
    import os
    import shutil
    import tempfile

    from hall.workers import Workers, WorkersFailed

    os.environ.update(worker_environment(settings))
    # Each worker counts its own requests and events; prometheus_client's multiprocess mode
    # adds them up for ``GET /metrics``, whichever worker answers it.
    metrics_dir = tempfile.mkdtemp(prefix="hall-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    try:
        for sidecar in sidecars:
            sidecar.start()
        Workers(workers, served).run()
    except (WorkersFailed, OSError) as error:
        typer.echo(f"hall serve: {error}", err=True)
        raise typer.Exit(1) from None
    finally:
        for sidecar in sidecars:
            sidecar.stop()
        shutil.rmtree(metrics_dir, ignore_errors=True)


def worker_environment(settings: Settings) -> dict[str, str]:
    """What an API worker needs in its environment to build the settings this process uses
    (the options given on the command line, and what ``serve`` decided)."""
    return {
        "HALL_DATA_DIR": str(settings.data_dir),
        "HALL_ROLE": settings.role,
        "HALL_FOLLOWERS": str(settings.followers).lower(),
        "HALL_CREATE_TABLES": str(settings.create_tables).lower(),
    }


@app.command()
def migrate(data_dir: DataDir = None) -> None:
    """Create every table once (run before starting workers with HALL_CREATE_TABLES=false)."""
    from hall.runtime import Hall

    settings = _settings(data_dir).model_copy(update={"create_tables": True})
    Hall.start(settings, follow=False).close()
    typer.echo("tables are in place")


@app.command()
def schema(
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to a file.")] = None,
) -> None:
    """Print the JSON Schema of the events contract."""
    from events.schema import export_schema

    text = json.dumps(export_schema(), ensure_ascii=False, indent=2)
    if output is None:
        typer.echo(text)
    else:
        output.write_text(text + "\n", encoding="utf-8")


@token.command("issue")
def token_issue(
    terminal_id: Annotated[str, typer.Argument(help="e.g. W-12")],
    role: Annotated[str, typer.Option(help="window|cashier|supervisor|auditor|admin")],
    window_no: Annotated[str | None, typer.Option(help="Required for the window role.")] = None,
    data_dir: DataDir = None,
) -> None:
    """Register a terminal and print its token (shown once)."""
    from hall.runtime import Hall

    hall = Hall.start(_settings(data_dir))
    try:
        typer.echo(hall.access.register(terminal_id, role, window_no).token)
    finally:
        hall.close()


@token.command("revoke")
def token_revoke(terminal_id: str, data_dir: DataDir = None) -> None:
    """Revoke a terminal's token."""
    from hall.runtime import Hall

    hall = Hall.start(_settings(data_dir))
    try:
        hall.access.revoke(terminal_id)
    finally:
        hall.close()


@billing.command("import-statement")
def billing_import_statement(
    file: Annotated[
        Path, typer.Argument(help="The bank's CSV: date,bank_ref,receipt_no,amount,kind")
    ],
    data_dir: DataDir = None,
) -> None:
    """Reconcile each day of a bank statement (re-importing the same file changes nothing)."""
    from hall.runtime import Hall
    from services.billing.statement import BadStatement

    try:
        text = file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        typer.echo(f"cannot read {file}: {error}", err=True)
        raise typer.Exit(2) from None
    hall = Hall.start(_settings(data_dir))
    try:
        days = hall.billing.import_statement(text, imported_by="cli")
    except BadStatement as error:
        typer.echo(f"bad statement: {error}", err=True)
        raise typer.Exit(1) from None
    finally:
        hall.close()
    typer.echo(json.dumps({"days": days}, ensure_ascii=False, indent=2))


@projections.command("rebuild")
def projections_rebuild(
    names: Annotated[
        list[str] | None,
        typer.Argument(
            help="Projections to rebuild (default: all): case_list, alert_board, "
            "completion, fee_ledger."
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(help="Processes sharing the work on PostgreSQL (default: one per core)."),
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Rebuild read models from position 0 with a progress bar, then swap each in atomically;
    a running service keeps answering from the old tables until the swap."""
    from hall.rebuild import rebuild
    from hall.runtime import Hall

    collector.settle()
    hall = Hall.start(_settings(data_dir), follow=False)
    try:
        assert hall.followers is not None
        built = rebuild(hall, names, workers)
    except ValueError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from None
    finally:
        hall.close()
    for name, generation in built.items():
        typer.echo(f"{name}: generation {generation} is live")


def main() -> None:
    app()
