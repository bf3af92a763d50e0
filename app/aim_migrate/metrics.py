"""Metrics for Prometheus, pushed to a Pushgateway at the end of every `migrate` run.

A batch job has no scrape endpoint, so the run pushes its own gauges (the Pushgateway
guidance for batch jobs): from a dedicated registry (no process collectors), without an
`instance` label (a dead pod leaves no stale series), grouped by job plus configured labels.
The push uses POST (push-add): only the pushed metric names are replaced, so the
last-success timestamp, pushed by successful runs only, survives a failed run.

prometheus-client is imported only here, and only when a Pushgateway is configured.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

    from aim_migrate.config import Config
    from aim_migrate.logs import Logger

PREFIX = "aim_migrate_"


@dataclass(frozen=True, slots=True)
class RunReport:
    exit_code: int
    duration_s: float
    applied: int | None = None
    pending: int | None = None
    schema_version: int | None = None
    lock_wait_s: float | None = None
    database: str | None = None
    batched_rows: int | None = None


def grouping_key(config: Config, database: str | None) -> dict[str, str]:
    labels = dict(config.pushgateway_grouping)
    if database and "database" not in labels:
        labels["database"] = database
    return labels


def push(config: Config, report: RunReport, log: Logger) -> bool:
    """Push this run's gauges; False (and a warning) if the Pushgateway did not take them."""
    if not config.pushgateway_url:
        return True
    from prometheus_client import CollectorRegistry, Gauge  # noqa: PLC0415

    registry = CollectorRegistry(auto_describe=True)
    now = time.time()
    success = report.exit_code == 0

    def gauge(name: str, documentation: str, value: float | None) -> None:
        Gauge(PREFIX + name, documentation, registry=registry).set(
            math.nan if value is None else value
        )

    gauge("last_run_timestamp_seconds", "When the last migration run finished.", now)
    gauge("last_run_success", "1 if the last migration run succeeded, else 0.", int(success))
    gauge("last_run_exit_code", "Exit code of the last migration run.", report.exit_code)
    gauge("last_run_duration_seconds", "Wall time of the last migration run.", report.duration_s)
    gauge(
        "last_run_migrations_applied",
        "Migrations applied by the last run (the baseline counts as one).",
        report.applied,
    )
    gauge(
        "pending_migrations",
        "Migrations still pending after the last run (NaN: the database could not be read).",
        report.pending,
    )
    gauge("schema_version", "Highest migration version the database holds.", report.schema_version)
    gauge(
        "lock_wait_seconds", "Time the last run waited for the advisory lock.", report.lock_wait_s
    )
    gauge(
        "last_run_batched_rows",
        "Rows changed by batched migrations (backfills) in the last run.",
        report.batched_rows,
    )
    if success:
        gauge(
            "last_success_timestamp_seconds",
            "When a migration run last succeeded (never written by a failed run).",
            now,
        )

    return _send(config, registry, grouping_key(config, report.database), log)


def _send(config: Config, registry: CollectorRegistry, labels: dict[str, str], log: Logger) -> bool:
    """push-add one registry; False (and a warning, never a credential) if it did not land."""
    from prometheus_client import pushadd_to_gateway  # noqa: PLC0415

    assert config.pushgateway_url is not None
    try:
        pushadd_to_gateway(
            config.pushgateway_url,
            job=config.pushgateway_job,
            registry=registry,
            grouping_key=labels,
            timeout=config.pushgateway_timeout,
            **_auth(config),
        )
    except Exception as exc:  # noqa: BLE001 - urllib raises many kinds; all mean "not pushed"
        from aim_migrate.config import redact, url_secrets  # noqa: PLC0415

        # urllib quotes the URL it could not use (`nonnumeric port: 'secret@gateway'` for
        # http://user:secret@gateway/): never log credentials given in it.
        secrets = [*url_secrets(config.pushgateway_url), config.pushgateway_password]
        log.warning(
            "metrics.push_failed",
            cause=redact(f"{type(exc).__name__}: {_first_line(exc)}", secrets),
            hint="Credentials belong in AIM_PUSHGATEWAY_USERNAME and AIM_PUSHGATEWAY_PASSWORD, "
            "not in the URL."
            if url_secrets(config.pushgateway_url)
            else "Check AIM_PUSHGATEWAY_URL and that the Pushgateway is reachable.",
            required=config.metrics_required,
            message="The run's metrics did not reach the Pushgateway.",
        )
        return False
    log.debug("metrics.pushed", job=config.pushgateway_job, grouping=labels)
    return True


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else ""


def push_fanout(
    config: Config,
    shard: str,
    outcomes: dict[str, int],
    exit_code: int,
    duration_s: float,
    log: Logger,
) -> bool:
    """A fan-out shard's summary (each target pushes its own set with `push`): how many
    targets ended how, grouped by job, the configured labels and `shard`."""
    if not config.pushgateway_url:
        return True
    from prometheus_client import CollectorRegistry, Gauge  # noqa: PLC0415

    registry = CollectorRegistry(auto_describe=True)
    targets = Gauge(
        PREFIX + "fanout_targets",
        "Targets of the last fan-out run of this shard, by outcome (ok, exit_N, not_started).",
        ["outcome"],
        registry=registry,
    )
    for outcome, count in outcomes.items():
        targets.labels(outcome=outcome).set(count)
    Gauge(
        PREFIX + "fanout_exit_code", "Exit code of the shard's last fan-out run.", registry=registry
    ).set(exit_code)
    Gauge(
        PREFIX + "fanout_duration_seconds", "Wall time of the shard's last run.", registry=registry
    ).set(duration_s)
    return _send(config, registry, {**dict(config.pushgateway_grouping), "shard": shard}, log)


def _auth(config: Config) -> dict[str, Any]:
    """Basic auth for the push, if configured: {"handler": ...} for pushadd_to_gateway."""
    if not config.pushgateway_username:
        return {}
    from prometheus_client.exposition import basic_auth_handler  # noqa: PLC0415

    username, password = config.pushgateway_username, config.pushgateway_password or ""

    def handler(url: str, method: str, timeout: float | None, headers: Any, data: bytes) -> Any:
        return basic_auth_handler(url, method, timeout, headers, data, username, password)

    return {"handler": handler}
