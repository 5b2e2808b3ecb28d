"""The deployment files agree with the code: .env.example lists every setting at its default,
compose.yaml wires the stack as docs/deploy.md says, the image gets every library the code
imports, and nothing secret is committed."""

from __future__ import annotations

import ast
import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]

from kro.settings import Settings
from tests.ops.nginx_support import DEPLOY, TEMPLATE, placeholders

ROOT = Path(__file__).resolve().parents[2]
ENV_EXAMPLE = ROOT / ".env.example"
COMPOSE = ROOT / "compose.yaml"
LINE = re.compile(r"^(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$")
INTERPOLATED = re.compile(r"\$\{([A-Z][A-Z0-9_]*)(?::?[-?][^}]*)?\}")
APP_SERVICES = ("migrate", "api", "worker")


def _env_lines() -> list[tuple[int, bool, str, str]]:
    """(line number, commented out?, name, value) of every ``NAME=value`` line."""
    found = []
    for number, line in enumerate(ENV_EXAMPLE.read_text().splitlines()):
        match = LINE.match(line)
        if match:
            found.append((number, bool(match.group(1)), match.group(2), match.group(3)))
    return found


def _compose() -> dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE.read_text())
    assert isinstance(loaded, dict)
    return loaded


def test_env_example_lists_every_setting_with_a_comment() -> None:
    lines = ENV_EXAMPLE.read_text().splitlines()
    listed = [name for _, _, name, _ in _env_lines()]
    settings = {f"KRO_{name.upper()}" for name in Settings.model_fields}
    kro_listed = [name for name in listed if name.startswith("KRO_")]
    assert sorted(settings - set(kro_listed)) == [], "settings missing from .env.example"
    assert sorted(set(kro_listed) - settings) == [], ".env.example names unknown settings"
    assert len(kro_listed) == len(set(kro_listed)), "a setting is listed twice"
    for number, _, name, _ in _env_lines():
        above = lines[number - 1] if number else ""
        assert above.startswith("# ") and not LINE.match(above), f"{name} has no comment of its own"


def test_env_example_defaults_are_the_codes(monkeypatch: pytest.MonkeyPatch) -> None:
    """A commented-out line shows the default: set, it changes nothing."""
    for name in list(os.environ):
        if name.startswith("KRO_"):
            monkeypatch.delenv(name)
    defaults = Settings(_env_file=None)
    for _, commented, name, value in _env_lines():
        if not (commented and name.startswith("KRO_")):
            continue
        field = name.removeprefix("KRO_").lower()
        monkeypatch.setenv(name, value)
        assert getattr(Settings(_env_file=None), field) == getattr(defaults, field), name
        monkeypatch.delenv(name)


def test_compose_requires_what_env_example_asks_for() -> None:
    """Every ``${VAR}`` of compose.yaml is documented in .env.example, and the ones it requires
    (``${VAR:?…}``) are the active, blank-or-example lines at the top of it."""
    text = COMPOSE.read_text()
    used = set(INTERPOLATED.findall(text))
    documented = {name for _, _, name, _ in _env_lines()}
    assert sorted(used - documented) == []
    required = set(re.findall(r"\$\{([A-Z0-9_]+):\?", text))
    active = {name for _, commented, name, _ in _env_lines() if not commented}
    assert required == active, "compose's required values are the uncommented lines"


def test_compose_wires_the_stack() -> None:
    compose = _compose()
    services = compose["services"]
    assert set(services) == {"postgres", "redis", "nginx", "migrate", *APP_SERVICES}
    assert re.fullmatch(r"postgres:1[56][-.\w]*", services["postgres"]["image"])
    fields = {f"KRO_{name.upper()}" for name in Settings.model_fields}
    for name in APP_SERVICES:
        service = services[name]
        assert service["env_file"] == ".env"
        assert set(service["environment"]) <= fields, f"{name}: a KRO_ name that is no setting"
        assert service["environment"]["KRO_ENV"] == "production"
        assert service["environment"]["KRO_WORKER_IN_PROCESS"] == "false"
    assert services["migrate"]["command"] == ["migrate"]
    assert services["api"]["command"][0] == "serve"
    assert services["worker"]["command"] == ["worker"]
    for name in ("api", "worker"):
        replicas = services[name]["deploy"]["replicas"]
        assert int(re.sub(r"\$\{\w+:-(\d+)\}", r"\1", str(replicas))) >= 2, name
        after = services[name]["depends_on"]
        assert after["migrate"] == {"condition": "service_completed_successfully"}
        assert after["postgres"] == {"condition": "service_healthy"}
        # In-flight requests and leased jobs get their grace period before SIGKILL.
        assert int(services[name]["stop_grace_period"].rstrip("s")) > 30
    for name in ("postgres", "redis", "api", "nginx"):
        assert services[name]["healthcheck"]["test"], name
    assert "/readyz" in " ".join(services["api"]["healthcheck"]["test"])
    assert {"pgdata", "files"} <= set(compose["volumes"])
    assert any(v.startswith("files:") for v in services["api"]["volumes"])


def test_compose_runs_the_shipped_nginx_configuration() -> None:
    nginx = _compose()["services"]["nginx"]
    mounts = {m.split(":")[0]: m.split(":")[1] for m in nginx["volumes"]}
    assert mounts["./deploy/nginx/kro.conf"] == "/etc/nginx/templates/kro.conf.template"
    assert mounts["./deploy/nginx/nginx.conf"] == "/etc/nginx/nginx.conf"
    upstream_file = nginx["environment"]["NGINX_UPSTREAM"]
    assert mounts["./deploy/nginx/upstream.conf"] == upstream_file
    # Every placeholder of the template is given, and only NGINX_ ones are rendered.
    assert placeholders(TEMPLATE.read_text()) <= set(nginx["environment"])
    assert nginx["environment"]["NGINX_ENVSUBST_FILTER"] == "^NGINX_"
    assert "include /etc/nginx/conf.d/kro.conf;" in (DEPLOY / "nginx.conf").read_text()
    # upstream.conf re-resolves the replicas with `server … resolve`: nginx >= 1.27.3.
    assert "resolve" in (DEPLOY / "upstream.conf").read_text()
    version = re.fullmatch(r"nginx:(\d+)\.(\d+)[-.\w]*", nginx["image"])
    assert version and (int(version.group(1)), int(version.group(2))) >= (1, 28)
    # The app believes X-Forwarded-For from the network nginx shares with it, and only that.
    subnet = _compose()["networks"]["backend"]["ipam"]["config"][0]["subnet"]
    app = _compose()["services"]["api"]["environment"]
    assert app["KRO_FORWARDED_ALLOW_IPS"] == subnet


def test_dockerfile_builds_the_locked_app_as_a_non_root_user() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    stages = re.findall(r"^FROM \S+ AS (\w+)$", dockerfile, re.M)
    assert stages == ["builder", "runtime"]
    assert "uv sync --frozen --no-dev" in dockerfile
    assert "kro web-vendor" in dockerfile
    runtime = dockerfile.split("AS runtime", 1)[1]
    assert re.search(r"^USER kro", runtime, re.M)
    assert 'ENTRYPOINT ["kro"]' in runtime and 'CMD ["serve"]' in runtime
    python = re.search(r"python:(\d+\.\d+)", dockerfile)
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert python and f">={python.group(1)}" in requires
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".env", ".venv", "var", ".git", "tests"} <= set(ignored)


def _runtime_distributions() -> set[str]:
    """The distributions ``uv sync --no-dev`` installs: kro's locked dependencies, with the
    extras they ask for, and theirs (markers ignored: a superset)."""
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    packages = {p["name"]: p for p in lock["package"]}
    wanted: list[tuple[str, tuple[str, ...]]] = [
        (d["name"], tuple(d.get("extra", []))) for d in packages["kro"]["dependencies"]
    ]
    seen: set[str] = set()
    while wanted:
        name, extras = wanted.pop()
        package = packages[name]
        deps = list(package.get("dependencies", []))
        for extra in extras:
            deps += package.get("optional-dependencies", {}).get(extra, [])
        key = f"{name}{sorted(extras)}"
        if key in seen:
            continue
        seen.add(key)
        wanted += [(d["name"], tuple(d.get("extra", []))) for d in deps]
    return {key.split("[")[0] for key in seen}


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _imported_distributions() -> dict[str, set[str]]:
    """Third-party distributions the code under src/ and migrations/ imports (at any depth:
    a lazy import inside a function runs in production too) → the files importing them."""
    providers = importlib.metadata.packages_distributions()
    found: dict[str, set[str]] = {}
    for path in [*(ROOT / "src").rglob("*.py"), *(ROOT / "migrations").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            else:
                continue
            for module in modules:
                top = module.split(".")[0]
                if top in sys.stdlib_module_names or top in ("kro", "migrations"):
                    continue
                for dist in providers.get(top, [top]):
                    found.setdefault(_normal(dist), set()).add(str(path.relative_to(ROOT)))
    return found


def test_the_image_gets_every_library_the_code_imports() -> None:
    runtime = {_normal(name) for name in _runtime_distributions()}
    missing = {d: sorted(files) for d, files in _imported_distributions().items()}
    missing = {d: files for d, files in missing.items() if d not in runtime}
    assert missing == {}, "imported, but not a (locked) runtime dependency"


def test_secrets_and_certificates_are_never_committed() -> None:
    ignored = (ROOT / ".gitignore").read_text().splitlines()
    assert ".env" in ignored
    assert "deploy/tls/" in ignored
    tracked = subprocess.run(
        ["git", "ls-files", ".env", "deploy/tls"], cwd=ROOT, capture_output=True, text=True
    )
    if tracked.returncode == 0:  # a checkout without git history has nothing tracked
        assert tracked.stdout.strip() == ""


def _docker_compose() -> list[str] | None:
    docker = shutil.which("docker")
    if docker is None:
        return None
    probe = subprocess.run(
        [docker, "compose", "version"], capture_output=True, text=True, timeout=30, check=False
    )
    return [docker, "compose"] if probe.returncode == 0 else None


def test_docker_compose_config_validates(tmp_path: Path) -> None:
    compose = _docker_compose()
    if compose is None:
        pytest.skip("`docker compose` is not available here (no Docker or no compose plugin)")
    # A project folder of its own: compose.yaml and an .env with the required values filled.
    shutil.copy(COMPOSE, tmp_path / "compose.yaml")
    values = {name: "x" for _, commented, name, _ in _env_lines() if not commented}
    (tmp_path / ".env").write_text("".join(f"{k}={v}\n" for k, v in values.items()))
    run = subprocess.run(
        [*compose, "--project-directory", str(tmp_path), "config", "--format", "json"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    config = json.loads(run.stdout)
    assert set(config["services"]) >= {"api", "worker", "nginx", "migrate"}
    assert config["services"]["api"]["deploy"]["replicas"] >= 2
    # Without the required values compose refuses to run.
    (tmp_path / ".env").write_text("")
    empty = subprocess.run(
        [*compose, "--project-directory", str(tmp_path), "config", "--quiet"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert empty.returncode != 0 and "in .env" in empty.stderr, empty.stderr
