"""`hall projections rebuild`: fresh tables from position 0, swapped in, equal to the live ones."""

from __future__ import annotations

from typer.testing import CliRunner

from hall.cli import app
from hall.runtime import Hall
from hall.settings import Settings
from projections.alert_board import AlertBoard
from projections.case_list import CaseList
from projections.completion import Completion
from tests.projections.harness import rows
from tests.projections.test_runner import random_workload
from tests.support import Desk

MODELS = (CaseList, AlertBoard, Completion)


def test_the_rebuild_command_swaps_in_tables_equal_to_the_live_ones(
    desk: Desk, hall: Hall, settings: Settings, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    random_workload(desk, cases=20, seed=3)
    assert hall.followers is not None
    hall.followers.catch_up()
    live = {cls: rows(hall.followers, cls, "cases", "case_no") for cls in MODELS}
    for name, value in {
        "HALL_DATA_DIR": str(settings.data_dir),
        "HALL_DATABASE_URL": settings.database_url or "",
        "HALL_DATABASE_SCHEMA": settings.database_schema,
    }.items():
        monkeypatch.setenv(name, value)
    if not settings.database_url:
        monkeypatch.delenv("HALL_DATABASE_URL")

    # every model: on PostgreSQL one worker process per core, each reading what the models use
    result = CliRunner().invoke(app, ["projections", "rebuild"])

    assert result.exit_code == 0, result.output
    assert "case_list: generation" in result.output
    assert {cls: rows(hall.followers, cls, "cases", "case_no") for cls in MODELS} == live


def test_rebuilding_an_unknown_projection_says_which_exist(settings: Settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("HALL_DATA_DIR", str(settings.data_dir))
    if settings.database_url:
        monkeypatch.setenv("HALL_DATABASE_URL", settings.database_url)
        monkeypatch.setenv("HALL_DATABASE_SCHEMA", settings.database_schema)

    result = CliRunner().invoke(app, ["projections", "rebuild", "nonsense"])

    assert result.exit_code == 2
    assert "no such projection: nonsense" in result.output
    assert "case_list" in result.output
