"""Reading deploy/docker-compose.yml as docker compose does: YAML (with merge keys), then
`${...}` interpolation from the environment / deploy/.env, without a Docker engine."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from tests.support import ROOT

DEPLOY = ROOT / "deploy"
COMPOSE_FILE = DEPLOY / "docker-compose.yml"
ENV_EXAMPLE = DEPLOY / ".env.example"
APP_SERVICES = ("enrollment", "grants", "partners", "notifications")

# $$ | $NAME | ${NAME} | ${NAME:-default} | ${NAME-default} | ${NAME:?error} | ${NAME?error}
_REFERENCE = re.compile(
    r"\$(?:(?P<escaped>\$)|(?P<bare>[A-Za-z_][A-Za-z0-9_]*)|\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\})"
)


class InterpolationError(Exception):
    pass


def _substitute(text: str, env: dict[str, str]) -> str:
    def replace(match: re.Match) -> str:
        if match["escaped"]:
            return "$"
        name = match["bare"] or match["name"]
        op, arg = match["op"], match["arg"]
        value = env.get(name)
        unset_or_empty = value is None or (value == "" and op is not None and op.startswith(":"))
        if op in (":-", "-") and (value is None if op == "-" else unset_or_empty):
            return _substitute(arg, env)
        if op in (":?", "?") and (value is None if op == "?" else unset_or_empty):
            raise InterpolationError(f"required variable {name} is missing a value: {arg}")
        return value or ""

    return _REFERENCE.sub(replace, text)


def interpolate(node, env: dict[str, str]):
    """Every string in the document with its variables substituted (keys stay as written)."""
    if isinstance(node, dict):
        return {key: interpolate(value, env) for key, value in node.items()}
    if isinstance(node, list):
        return [interpolate(item, env) for item in node]
    if isinstance(node, str):
        return _substitute(node, env)
    return node


def referenced_variables(text: str) -> set[str]:
    return {m["bare"] or m["name"] for m in _REFERENCE.finditer(text) if not m["escaped"]}


def load_raw(path: Path = COMPOSE_FILE) -> dict:
    return yaml.safe_load(path.read_text())


def load(env: dict[str, str], path: Path = COMPOSE_FILE) -> dict:
    return interpolate(load_raw(path), env)


def parse_env_file(path: Path) -> dict[str, str]:
    """docker compose's .env format as this project writes it: NAME=value lines, # comments, a
    value in single quotes taken literally (deploy/make-env quotes what a shell would misread)."""
    values = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, _, value = line.partition("=")
        if len(value) >= 2 and value[0] == value[-1] == "'":
            value = value[1:-1]
        values[name.strip()] = value
    return values


def environment(service: dict) -> dict[str, str]:
    """A service's `environment`, as a mapping (the file may use either form)."""
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {key: "" if value is None else str(value) for key, value in env.items()}
