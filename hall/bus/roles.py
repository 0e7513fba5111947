"""``hall relay``, ``hall project``, ``hall supervise``: the distributed layout's process roles.

Each runs until SIGTERM or Ctrl-C and serves ``/healthz`` and ``/metrics`` on ``--metrics-port``.
Mounted into ``hall`` by ``app.add_typer(roles.app)``; ``python -m hall.bus.roles`` runs it alone.
"""

from __future__ import annotations

import logging
import signal
import threading
from enum import StrEnum
from pathlib import Path
from typing import Annotated, cast

import typer

from hall import collector, logs
from hall.bus.metrics import MetricsServer
from hall.bus.settings import BusSettings

app = typer.Typer(add_completion=False, no_args_is_help=True)

DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Folder for SQLite files, cipher key, holiday table."),
]
MetricsHost = Annotated[
    str, typer.Option(help="Address for /healthz and /metrics (0.0.0.0 in containers).")
]


def _settings(data_dir: Path | None) -> BusSettings:
    settings = BusSettings()
    if data_dir is not None:
        settings = settings.model_copy(update={"data_dir": data_dir})
    return settings


def _until_stopped() -> threading.Event:
    """An event set by SIGTERM or SIGINT."""
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    return stop


def _starting() -> None:
    """Logging and garbage-collector settings of a long-running role process."""
    logs.configure()
    logging.getLogger("kafka").setLevel(logging.ERROR)  # reconnect chatter while a broker is down
    collector.settle()


@app.command()
def relay(
    service: Annotated[
        list[str] | None,
        typer.Option(help="Service whose log to publish (repeatable; default: all on the bus)."),
    ] = None,
    metrics_host: MetricsHost = "127.0.0.1",
    metrics_port: Annotated[int, typer.Option(help="Port for /healthz and /metrics.")] = 9101,
    data_dir: DataDir = None,
) -> None:
    """Publish each service's stored events to Kafka (<prefix>.<service>) from its durable
    position; needs HALL_KAFKA_BOOTSTRAP. Run one relay per service."""
    from hall.bus.relay import Relay, RelayTracking
    from hall.bus.services import OPENERS, opened, tracking_store

    _starting()
    settings = _settings(data_dir)
    if not settings.kafka_bootstrap:
        raise typer.BadParameter("set HALL_KAFKA_BOOTSTRAP=host:port")
    stop = _until_stopped()
    with opened(settings, service or list(OPENERS)) as logs:
        relays = [
            Relay(
                name,
                store_log,
                RelayTracking(tracking_store(settings, name), settings.topic(name)),
                settings,
            )
            for name, store_log in logs.items()
        ]
        threads = [threading.Thread(target=r.run, args=(stop,), name=r.topic) for r in relays]
        for thread in threads:
            thread.start()

        def health() -> tuple[bool, str]:
            down = [r.topic for r in relays if not r.healthy()]
            return not down, f"not reaching the broker: {', '.join(down)}" if down else "relaying"

        server = MetricsServer(metrics_host, metrics_port, health)
        typer.echo(f"relaying {', '.join(r.topic for r in relays)}; metrics on :{server.port}")
        stop.wait()
        for thread in threads:
            thread.join()
        for r in relays:
            r.tracking.close()
        server.close()


@app.command()
def project(
    projection: Annotated[
        list[str] | None,
        typer.Option(help="Read model to maintain (repeatable; default: all)."),
    ] = None,
    batch: Annotated[int, typer.Option(help="Events per projection transaction.")] = 2000,
    metrics_host: MetricsHost = "127.0.0.1",
    metrics_port: Annotated[int, typer.Option(help="Port for /healthz and /metrics.")] = 9102,
    data_dir: DataDir = None,
) -> None:
    """Keep the read models up to date: from Kafka in a consumer group per read model when
    HALL_KAFKA_BOOTSTRAP is set (run several to split the partitions), else from the stores."""
    from hall.bus.services import opened
    from hall.followers import PROJECTIONS, Followers, view_store
    from hall.runtime import projection_context, work_calendar
    from projections.sources import EventSource, Sources

    _starting()
    settings = _settings(data_dir)
    known = {cls.name: cls for cls in PROJECTIONS}
    unknown = sorted(set(projection or []) - set(known))
    if unknown:
        names = ", ".join(known)
        raise typer.BadParameter(f"no such projection: {', '.join(unknown)}; known: {names}")
    chosen = [known[name] for name in projection or known]
    streams = sorted({s for cls in chosen for s in cls.streams})
    context = projection_context(settings, work_calendar(settings))
    stop = _until_stopped()
    store = view_store(settings)
    with opened(settings, streams) as logs:
        stores = Sources(*[cast(EventSource, log) for log in logs.values()])
        if not settings.kafka_bootstrap:
            followers = Followers(store, stores, context, chosen)
            followers.start()
            server = MetricsServer(metrics_host, metrics_port, lambda: (True, "from the stores"))
            stop.wait()
            followers.stop()
            server.close()
            return
        from hall.bus.worker import KafkaProjector

        workers = [KafkaProjector(cls, store, settings, context, batch=batch) for cls in chosen]
        preparing = True

        def health() -> tuple[bool, str]:
            if preparing:
                return True, "building from the stores"
            stuck = [w.cls.name for w in workers if not w.healthy()]
            return not stuck, f"not polling: {', '.join(stuck)}" if stuck else "projecting"

        server = MetricsServer(metrics_host, metrics_port, health)
        for worker in workers:
            worker.prepare(stores)
            worker.start()
        preparing = False
        typer.echo(f"projecting {', '.join(c.name for c in chosen)} from Kafka")
        stop.wait()
        for worker in workers:
            worker.stop()
        server.close()
        store.close()


@app.command()
def supervise(
    metrics_host: MetricsHost = "127.0.0.1",
    metrics_port: Annotated[int, typer.Option(help="Port for /healthz and /metrics.")] = 9103,
    data_dir: DataDir = None,
) -> None:
    """Raise supervision findings from intake's and billing's events: from Kafka (consumer
    group <prefix>.supervise) when HALL_KAFKA_BOOTSTRAP is set, else from their stores.
    Run one per supervision store."""
    from hall.bus.services import CONSUMED, opened
    from hall.metrics import FINDINGS_RAISED
    from hall.runtime import supervision_thresholds, work_calendar
    from hall.stores import store_env
    from projections.sources import EventSource, Sources
    from services.supervision.application import Supervision
    from services.supervision.follower import Follower

    _starting()
    settings = _settings(data_dir)
    stop = _until_stopped()
    app_ = Supervision(
        store_env(settings, "supervision"),
        calendar=work_calendar(settings),
        thresholds=supervision_thresholds(settings),
    )
    app_.on_raised.append(lambda rule: FINDINGS_RAISED.labels(rule).inc())
    try:
        if settings.kafka_bootstrap:
            from hall.bus.supervisor import KafkaSupervisor

            supervisor = KafkaSupervisor(app_, settings)
            server = MetricsServer(
                metrics_host,
                metrics_port,
                lambda: (  # healthy while joining: the topics may not exist yet
                    supervisor.last_round is None or supervisor.healthy(),
                    f"{supervisor.follower.errors} failed rounds",
                ),
            )
            supervisor.prepare()
            supervisor.start()
            typer.echo("supervising intake and billing from Kafka")
            stop.wait()
            supervisor.stop()
            server.close()
            return
        with opened(settings, list(CONSUMED)) as logs:
            follower = Follower(app_, Sources(*[cast(EventSource, log) for log in logs.values()]))
            follower.start()

            def health() -> tuple[bool, str]:
                thread = getattr(follower, "_thread", None)
                alive = thread is not None and thread.is_alive()
                return alive, f"following the stores; {follower.errors} failed rounds"

            server = MetricsServer(metrics_host, metrics_port, health)
            typer.echo("supervising intake and billing from their stores")
            stop.wait()
            follower.stop()
            server.close()
    finally:
        app_.close()


class Part(StrEnum):
    views = "views"
    supervision = "supervision"


@app.command()
def follow(
    parent: Annotated[
        int | None,
        typer.Option(help="End when the process with this id ends (hall serve passes its own)."),
    ] = None,
    part: Annotated[
        Part | None,
        typer.Option(help="Only the read models, or only supervision (default: both)."),
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Keep the read models and supervision up to date from the stores, in a process that
    records nothing: what `hall serve` runs beside its API on PostgreSQL (one child per part).
    Wakes on PostgreSQL's notifications of each commit (and polls)."""
    import os

    from hall.listen import Listener
    from hall.runtime import FOLLOWING, Hall, commit_channels

    _starting()
    settings = _settings(data_dir).model_copy(update={"followers": True})
    if parent is not None:  # beside an API: its requests come first (HALL_FOLLOWER_NICE)
        os.nice(settings.follower_nice)
    stop = _until_stopped()
    parts = FOLLOWING if part is None else (part.value,)
    hall = Hall.start(settings, follow=True, record=False, parts=parts)
    listener = None
    try:
        assert hall.followers is not None
        if settings.database_url is not None:
            channels = commit_channels(hall)
            listener = Listener(settings.database_url, channels, hall.followers.doorbell.ring)
            listener.start()
        typer.echo(f"following intake and billing: {' and '.join(parts)}")
        while not stop.wait(1.0):
            if parent is not None and os.getppid() != parent:
                typer.echo("the serving process is gone; stopping", err=True)
                break
    finally:
        if listener is not None:
            listener.stop()
        hall.close()


if __name__ == "__main__":
    app()
