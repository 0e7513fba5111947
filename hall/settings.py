"""One settings class, read once per process from the environment (prefix ``HALL_``)."""

from __future__ import annotations

from datetime import time
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every knob has a default that works on one machine."""

    model_config = SettingsConfigDict(env_prefix="HALL_", extra="ignore")

    data_dir: Path = Field(
        Path("./data"),
        description="Folder for the SQLite files, the generated cipher key and the holiday table.",
    )
    database_url: str | None = Field(
        None,
        description="postgresql://user@host:port/db puts every store on PostgreSQL; unset: SQLite.",
    )
    database_schema: str = Field(
        "public", description="PostgreSQL schema holding hall's tables (one per deployment)."
    )
    pool_size: int = Field(
        4,
        ge=1,
        le=50,
        description="PostgreSQL connections per service store (plus as many overflow under "
        "load; one is kept open while idle).",
    )
    admin_token: str | None = Field(
        None,
        description="Bearer token with the admin role; unset: generated into "
        "<data-dir>/admin.token (0600) on first start.",
    )
    cipher_key: str | None = Field(
        None,
        description="AES key (base64) encrypting stored events; unset: generated into "
        "<data-dir>/cipher.key (0600) on first start.",
    )
    holidays_file: Path | None = Field(
        None,
        description="Operator's holiday table (TOML); default <data-dir>/holidays.toml if present.",
    )
    create_tables: bool = Field(
        True,
        description="Create missing tables at start-up. Distributed workers set false and rely "
        "on `hall migrate`.",
    )
    group_commit_max_events: int = Field(
        2000, ge=1, description="Upper bound of events coalesced into one store transaction."
    )
    token_cache_seconds: float = Field(
        2.0, ge=0, description="How long another process's token revocation may take to apply."
    )
    remittance_deadline_days: int = Field(
        1, ge=0, le=60, description="Fees must be remitted by this many working days after payment."
    )
    remittance_deadline_time: time = Field(
        time(16, 0),
        description="…at this time of day, China time (default: next working day 16:00).",
    )
    alert_warning_days_left: int = Field(
        1, ge=0, description="Alert board: warning when this many working days or fewer are left."
    )
    alert_warning_share: float = Field(
        0.9, gt=0, le=1, description="…or when this share of the working days is used."
    )
    alert_red_after_days: int = Field(
        5, ge=1, description="Red card (alert board and supervision) once overdue this long."
    )
    followers: bool = Field(
        True,
        description="Run the read models and supervision in this process. The distributed "
        "layout sets false on the API replicas: `hall project`/`hall supervise` run them.",
    )
    follower_process: bool = Field(
        True,
        description="On PostgreSQL, `hall serve` runs the read models and supervision in "
        "child processes (`hall follow --part`) rather than as threads of the API, where they "
        "shared its interpreter lock: measured, they cut the API's ingest capacity by about two "
        "thirds. "
        "False keeps them in the API process (always so on SQLite).",
    )
    follower_nice: int = Field(
        10,
        ge=0,
        le=19,
        description="How far `hall serve`'s follower children lower their CPU priority below "
        "the API's (0: equal). On a machine the API, PostgreSQL and the followers share, a "
        "burst of posts then goes to the API first and the read models catch up after it "
        "(figures in the README).",
    )
    access_log: bool = Field(
        False,
        description="Log a line per HTTP request. Off by default: terminals post thousands of "
        "events a second at peak, and hall_request_seconds in /metrics counts every request.",
    )
    kafka_bootstrap: str | None = Field(None, description="host:port of the Kafka bus, if any.")
    relays: bool = Field(
        True,
        description="With HALL_KAFKA_BOOTSTRAP set, publish this process's logs to Kafka from "
        "threads in it. The distributed layout sets false on API replicas: `hall relay` does it.",
    )
    role: Literal["both", "intake", "billing"] = Field(
        "both",
        description="Which services' events this API records (`hall serve --role`). Every role "
        "answers reads; events of a service not served go to its URL below, or get 421.",
    )
    intake_url: str | None = Field(
        None,
        description="Base URL of an intake API: where a billing-only API forwards case events.",
    )
    billing_url: str | None = Field(
        None,
        description="Base URL of a billing API: where an intake-only API forwards money events.",
    )
    case_directory_wait: float = Field(
        2.0,
        ge=0,
        le=30,
        description="How long a billing-only API waits for a just-accepted case to arrive from "
        "intake's topic before refusing its fee as a case it does not know.",
    )

    @property
    def on_postgres(self) -> bool:
        return self.database_url is not None

    @property
    def served(self) -> tuple[str, ...]:
        """The services whose events this process records."""
        return ("intake", "billing") if self.role == "both" else (self.role,)

    def url_of(self, service: str) -> str | None:
        """Where another process records ``service``'s events, if configured."""
        return {"intake": self.intake_url, "billing": self.billing_url}.get(service)

    def resolved_holidays_file(self) -> Path | None:
        if self.holidays_file is not None:
            return self.holidays_file
        default = self.data_dir / "holidays.toml"
        return default if default.exists() else None
