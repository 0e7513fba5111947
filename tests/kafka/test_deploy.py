"""deploy/ names only what exists: every command and option is in ``hall --help``, every
``HALL_*`` variable is a setting, every port agrees between commands, probes and services, and
every role of the layout is there (Docker can't run here, so the files are checked as text)."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml
from typer.testing import CliRunner

from hall.bus import roles
from hall.bus.settings import BusSettings

DEPLOY = Path(__file__).parents[2] / "deploy"
VERSION = tomllib.loads((DEPLOY.parent / "pyproject.toml").read_text())["project"]["version"]
HALL_IMAGE = f"hall:{VERSION}"
ROLES = {"migrate", "serve", "relay", "project", "supervise"}


def hall_cli() -> typer.Typer:
    """``hall`` as operators get it: hall/cli.py with the bus roles mounted."""
    from hall.cli import app

    mounted = {
        c.name or (c.callback.__name__ if c.callback else "") for c in app.registered_commands
    }
    if "relay" in mounted:
        return app
    combined = typer.Typer()
    combined.registered_commands = [*app.registered_commands, *roles.app.registered_commands]
    combined.registered_groups = list(app.registered_groups)
    return combined


def help_of(*command: str) -> str:
    result = CliRunner().invoke(hall_cli(), [*command, "--help"], terminal_width=200)
    assert result.exit_code == 0, f"hall {' '.join(command)} --help: {result.output}"
    return result.output


def settings_variables() -> set[str]:
    return {f"HALL_{name.upper()}" for name in BusSettings.model_fields}


def compose() -> dict[str, Any]:
    return dict(yaml.safe_load((DEPLOY / "docker-compose.yml").read_text()))


def k8s_documents() -> list[dict[str, Any]]:
    return [
        doc
        for path in sorted((DEPLOY / "k8s").glob("*.yaml"))
        for doc in yaml.safe_load_all(path.read_text())
        if doc
    ]


def containers() -> Iterator[tuple[str, dict[str, Any]]]:
    """(workload name, container) of every pod template in k8s/."""
    for doc in k8s_documents():
        spec = doc.get("spec", {})
        template = spec.get("template", {}).get("spec", {})
        for container in template.get("containers", []):
            yield doc["metadata"]["name"], container


def check_hall_command(command: list[str]) -> None:
    """``hall <role> --option …``: the role exists and takes every option named."""
    assert command[0] == "hall", command
    role = command[1]
    shown = help_of(role)
    for option in (arg for arg in command[2:] if arg.startswith("--")):
        assert option in shown, f"hall {role} has no {option}"


def option(command: list[str], name: str) -> str:
    return command[command.index(name) + 1]


def test_the_compose_file_runs_every_role_of_the_layout() -> None:
    services = compose()["services"]
    commands = {name: s["command"] for name, s in services.items() if s.get("image") == HALL_IMAGE}

    assert {"postgres", "kafka"} <= set(services)
    assert {c[1] for c in commands.values()} == ROLES
    assert [c[1] for c in commands.values()].count("serve") == 2
    assert [c[1] for c in commands.values()].count("project") == 2
    assert services["kafka"]["image"].startswith("apache/kafka:")
    kraft = services["kafka"]["environment"]
    assert "controller" in kraft["KAFKA_PROCESS_ROLES"] and "KAFKA_ZOOKEEPER_CONNECT" not in kraft
    assert services["postgres"]["image"].startswith("postgres:")
    for name, command in commands.items():
        check_hall_command(command)
        assert services[name]["build"]["dockerfile"] == "deploy/Dockerfile"
    assert (DEPLOY / "Dockerfile").exists()


def test_every_variable_in_the_compose_file_is_a_setting_and_points_at_a_service() -> None:
    services = compose()["services"]
    known = settings_variables()
    for name, service in services.items():
        for variable in service.get("environment") or {}:
            if variable.startswith("HALL_"):
                assert variable in known, f"{name}: {variable} is no setting"
        env = service.get("environment") or {}
        if "HALL_KAFKA_BOOTSTRAP" in env:
            host, port = env["HALL_KAFKA_BOOTSTRAP"].split(":")
            advertised = services[host]["environment"]["KAFKA_ADVERTISED_LISTENERS"]
            assert f"//{host}:{port}" in advertised
        if "HALL_DATABASE_URL" in env:
            assert re.search(r"@(\w+):5432/", env["HALL_DATABASE_URL"])[1] in services  # type: ignore[index]
    for name, service in services.items():
        if service.get("image") == HALL_IMAGE and service["command"][1] != "migrate":
            assert service["environment"]["HALL_CREATE_TABLES"] == "false", name


def test_the_compose_ports_and_health_checks_match_each_command() -> None:
    services = compose()["services"]
    for name, service in services.items():
        command = service.get("command", [])
        if service.get("image") != HALL_IMAGE or command[1] in {"migrate"}:
            continue
        port = option(command, "--port" if command[1] == "serve" else "--metrics-port")
        assert any(mapping.endswith(f":{port}") for mapping in service["ports"]), name
        check = " ".join(service.get("healthcheck", {}).get("test", []))
        if check:
            assert f"127.0.0.1:{port}/healthz" in check, name
    published = [m.split(":")[0] for s in services.values() for m in s.get("ports", [])]
    assert len(published) == len(set(published)), "two services publish one host port"


def test_the_kubernetes_manifests_run_every_role_with_known_variables_and_ports() -> None:
    docs = k8s_documents()
    kinds = {(d["kind"], d["metadata"]["name"]) for d in docs}
    configs = {d["metadata"]["name"]: d for d in docs if d["kind"] in {"ConfigMap", "Secret"}}
    selectors = {
        d["metadata"]["name"]: d["spec"]["selector"]["matchLabels"]
        for d in docs
        if d["kind"] in {"Deployment", "StatefulSet"}
    }
    known = settings_variables()
    seen_roles = set()
    for workload, container in containers():
        command = container.get("command")
        if container["image"] == HALL_IMAGE:
            check_hall_command(command)
            seen_roles.add(command[1])
        for ref in container.get("envFrom", []):
            source = ref.get("configMapRef") or ref.get("secretRef")
            assert source["name"] in configs, f"{workload}: no {source['name']}"
            data = configs[source["name"]].get("data") or configs[source["name"]]["stringData"]
            assert all(k in known or not k.startswith("HALL_") for k in data), source["name"]
        for env in container.get("env", []):
            assert env["name"] in known or not env["name"].startswith("HALL_"), env["name"]
        ports = {p["containerPort"] for p in container.get("ports", [])}
        for probe in ("readinessProbe", "livenessProbe"):
            http = container.get(probe, {}).get("httpGet")
            if http:
                assert http["port"] in ports, f"{workload}: {probe} on a closed port"
        if command and command[0] == "hall" and "--metrics-port" in command:
            assert int(option(command, "--metrics-port")) in ports, workload
        if command and command[:2] == ["hall", "serve"]:
            assert int(option(command, "--port")) in ports, workload
    for doc in docs:
        if doc["kind"] == "Service":
            selector = doc["spec"]["selector"]
            assert selector in selectors.values() or selector == {"app": "hall-api"}, doc
    assert seen_roles == ROLES
    assert ("Job", "hall-migrate") in kinds
    assert ("StatefulSet", "kafka") in kinds and ("StatefulSet", "postgres") in kinds


@pytest.mark.parametrize("role", sorted(ROLES))
def test_each_role_has_help_and_the_readme_describes_it(role: str) -> None:
    readme = (DEPLOY / "README.md").read_text()

    assert help_of(role)
    assert f"hall {role}" in readme


def test_the_readme_documents_every_variable_the_files_set() -> None:
    readme = (DEPLOY / "README.md").read_text()
    files = (DEPLOY / "docker-compose.yml").read_text() + (
        DEPLOY / "k8s" / "config.yaml"
    ).read_text()

    for variable in set(re.findall(r"HALL_[A-Z_]+", files)):
        assert variable in readme, variable
