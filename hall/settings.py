"""One settings class, read once per process from the environment (prefix ``HALL_``)."""

from __future__ import annotations

from datetime import time
from pathlib import Path

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
        4, ge=1, le=50, description="PostgreSQL connections kept open per service store."
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
    followers: bool = Field(
        True,
        description="Run the read models and supervision in this process. The distributed "
        "layout sets false on the API replicas: `hall project`/`hall supervise` run them.",
    )
    kafka_bootstrap: str | None = Field(None, description="host:port of the Kafka bus, if any.")

    @property
    def on_postgres(self) -> bool:
        return self.database_url is not None

    def resolved_holidays_file(self) -> Path | None:
        if self.holidays_file is not None:
            return self.holidays_file
        default = self.data_dir / "holidays.toml"
        return default if default.exists() else None
