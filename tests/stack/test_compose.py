"""docker-compose.yml, the Dockerfile and .dockerignore, checked without Docker.

No Docker engine runs on the development machines or in CI, so what `docker compose
config` and `docker build` would refuse is checked here: the Compose Specification's
JSON Schema (../shared/schemas/compose-spec.json), then what the schema cannot see:
files the services name exist, images are pinned, healthchecks and dependencies hold,
variables are documented in .env.example, no secret is written in the file, and the
Dockerfile copies only what its build context holds.

Each check is a function returning its problems; `test_every_check_catches_its_breakage`
breaks a copy of the file once per check and expects that check to complain.
"""

from __future__ import annotations

import copy
import fnmatch
import json
import os
import re
import shlex
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
import yaml
from jsonschema import Draft7Validator

REPO_ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO_ROOT / "docker-compose.yml"
DOCKERFILE = REPO_ROOT / "Dockerfile"
DOCKERIGNORE = REPO_ROOT / ".dockerignore"
ENV_EXAMPLE = REPO_ROOT / ".env.example"
SHARED_SCHEMA = REPO_ROOT.parent / "shared" / "schemas" / "compose-spec.json"
# A copy of it, so that a clone alone validates: the Compose Specification's JSON Schema
# (compose-spec/compose-spec, schema/compose-spec.json, commit 170098ba07d9f53c383a41bfd4c5166b0a4529a6,
# Apache License 2.0).
VENDORED_SCHEMA = Path(__file__).with_name("compose-spec.json")
SCHEMA_FILE = SHARED_SCHEMA if SHARED_SCHEMA.exists() else VENDORED_SCHEMA

# Host directories the stack itself fills (git-ignored): a bind mount may create them.
RUNTIME_DIRS = {"data", "logs"}
DATA_TARGET = "/opt/socialpulse/data"
VALID_CONDITIONS = {"service_started", "service_healthy", "service_completed_successfully"}
# Names of settings that hold secrets; a *_FILE or *_PATH names where one is, not the secret.
SECRET_NAME = re.compile(r"PASSWORD|PASSWD|SECRET|TOKEN|FERNET|CREDENTIAL|(^|_)KEY$", re.IGNORECASE)
NOT_A_SECRET_NAME = re.compile(r"_(FILE|PATH|DIR|URL|USERS?)$", re.IGNORECASE)
# The only literal default a secret-named variable may have: what the sandbox accepts.
SANDBOX_PLACEHOLDERS = {"", "sandbox-token"}
VARIABLE = re.compile(
    r"\$(?:(?P<escaped>\$)|\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?+])(?P<arg>[^}]*))?\}"
    r"|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))"
)


# --- loading ------------------------------------------------------------------------------


def load_compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text())


def env_example() -> dict[str, str]:
    """The settings .env.example defines (uncommented `NAME=value` lines): a copied .env."""
    values = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        m = re.match(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", line.strip())
        if m:
            values[m[1]] = m[2].strip()
    return values


def schema() -> dict[str, Any]:
    if not SCHEMA_FILE.exists():
        pytest.fail(
            f"Compose Specification schema missing: {SCHEMA_FILE} (the shared folder "
            "../shared/schemas/ next to the repository, or its copy in tests/stack/)"
        )
    return json.loads(SCHEMA_FILE.read_text())


def test_the_vendored_schema_is_the_shared_one():
    if not SHARED_SCHEMA.exists():
        pytest.skip("no ../shared/schemas/ beside this clone: the vendored copy is the schema")
    assert json.loads(VENDORED_SCHEMA.read_text()) == json.loads(SHARED_SCHEMA.read_text())


class MissingVariable(ValueError):
    pass


def interpolate(value: Any, env: dict[str, str]) -> Any:
    """Compose's interpolation (${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?err},
    ${VAR?err}, ${VAR:+alt}, $VAR, $$) over every string of a document."""
    if isinstance(value, dict):
        return {interpolate(k, env): interpolate(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, env) for v in value]
    if not isinstance(value, str):
        return value

    def one(m: re.Match) -> str:
        if m["escaped"]:
            return "$"
        name = m["name"] or m["bare"]
        op, arg = m["op"], m["arg"] or ""
        is_set = name in env
        is_full = bool(env.get(name))
        if op == ":-":
            return env[name] if is_full else arg
        if op == "-":
            return env[name] if is_set else arg
        if op in (":?", "?"):
            if (op == ":?" and not is_full) or (op == "?" and not is_set):
                raise MissingVariable(f"{name}: {arg}")
            return env[name]
        if op == ":+":
            return arg if is_full else ""
        if op == "+":
            return arg if is_set else ""
        return env.get(name, "")

    return VARIABLE.sub(one, value)


def strings(obj: Any) -> list[str]:
    """Every string of a document (keys and values)."""
    if isinstance(obj, dict):
        return [s for k, v in obj.items() for s in strings(k) + strings(v)]
    if isinstance(obj, list):
        return [s for v in obj for s in strings(v)]
    return [obj] if isinstance(obj, str) else []


def variables(obj: Any) -> list[re.Match]:
    return [m for s in strings(obj) for m in VARIABLE.finditer(s) if not m["escaped"]]


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {k: "" if v is None else str(v) for k, v in env.items()}


def depends_on(service: dict[str, Any]) -> dict[str, dict[str, Any]]:
    deps = service.get("depends_on") or {}
    if isinstance(deps, list):
        return {name: {"condition": "service_started"} for name in deps}
    return deps


def one_shot_services(compose: dict[str, Any]) -> set[str]:
    """Services others wait to see finish (service_completed_successfully): init jobs."""
    return {
        name
        for svc in compose["services"].values()
        for name, dep in depends_on(svc).items()
        if dep.get("condition") == "service_completed_successfully"
    }


def mounts(service: dict[str, Any], env: dict[str, str]) -> list[dict[str, Any]]:
    """The service's volumes as {type, source, target, read_only}, interpolated."""
    out = []
    for item in interpolate(service.get("volumes") or [], env):
        if isinstance(item, dict):
            out.append(
                {
                    "type": item.get("type", "volume"),
                    "source": item.get("source", ""),
                    "target": item["target"],
                    "read_only": bool(item.get("read_only")),
                }
            )
            continue
        parts = item.split(":")
        source, target = (parts[0], parts[1]) if len(parts) > 1 else ("", parts[0])
        mode = parts[2].split(",") if len(parts) > 2 else []
        bind = source.startswith((".", "/", "~"))
        out.append(
            {"type": "bind" if bind else "volume", "source": source, "target": target, "read_only": "ro" in mode}
        )
    return out


def published_container_ports(service: dict[str, Any], env: dict[str, str]) -> set[int]:
    ports = set()
    for item in interpolate(service.get("ports") or [], env):
        if isinstance(item, dict):
            ports.add(int(item["target"]))
        else:
            ports.add(int(str(item).split(":")[-1].split("/")[0]))
    return ports


# --- Dockerfiles --------------------------------------------------------------------------


def dockerfile_instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuations joined and comments dropped."""
    out, pending = [], ""
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if pending and line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line, pending = pending + line, ""
        if line:
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def copy_args(args: str) -> tuple[dict[str, str], list[str], str]:
    """COPY/ADD arguments: (flags, sources, destination)."""
    words = shlex.split(args)
    flags = {}
    while words and words[0].startswith("--"):
        key, _, value = words.pop(0)[2:].partition("=")
        flags[key] = value
    if words and words[0].startswith("["):
        words = json.loads(" ".join(words))
    return flags, words[:-1], words[-1]


def final_base_image(text: str) -> str:
    froms = [args.split()[0] for word, args in dockerfile_instructions(text) if word == "FROM"]
    return froms[-1] if froms else ""


def dockerignore_patterns(context: Path) -> list[str]:
    path = context / ".dockerignore"
    if not path.exists():
        return []
    lines = [line.strip() for line in path.read_text().splitlines()]
    return [line for line in lines if line and not line.startswith("#")]


def is_ignored(rel: str, patterns: list[str]) -> bool:
    """Docker's .dockerignore rules, enough for this repository: the last match wins,
    `!` re-includes, a matched directory excludes what is under it, `**` any depth."""
    rel = rel.strip("/")
    ignored = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        pat = pattern.lstrip("!").strip("/")
        parts = PurePosixPath(rel).parts
        candidates = [rel] + [str(PurePosixPath(*parts[:i])) for i in range(1, len(parts))]
        regex = fnmatch.translate(pat).replace(".*.*/", "(.*/)?") if "**/" in pat else fnmatch.translate(pat)
        if any(re.match(regex, c) for c in candidates):
            ignored = not negate
    return ignored


def image_layout(context: Path, dockerfile: Path) -> list[tuple[str, Path]]:
    """(container path, repo path) of what a Dockerfile copies from its context."""
    layout, workdir = [], "/"
    for word, args in dockerfile_instructions(dockerfile.read_text()):
        if word == "WORKDIR":
            workdir = str(PurePosixPath(workdir) / args.strip())
        elif word in ("COPY", "ADD"):
            flags, sources, dest = copy_args(args)
            if "from" in flags:
                continue
            dest_path = PurePosixPath(workdir) / dest
            for src in sources:
                repo = context / src
                if repo.is_dir():
                    layout.append((str(dest_path), repo))
                elif dest.endswith("/") or len(sources) > 1:
                    layout.append((str(dest_path / PurePosixPath(src).name), repo))
                else:
                    layout.append((str(dest_path), repo))
    return layout


def build_of(service: dict[str, Any]) -> tuple[Path, Path] | None:
    build = service.get("build")
    if build is None:
        return None
    if isinstance(build, str):
        build = {"context": build}
    context = (REPO_ROOT / build.get("context", ".")).resolve()
    return context, context / build.get("dockerfile", "Dockerfile")


def to_repo_path(container_path: str, service: dict[str, Any], env: dict[str, str]) -> Path | None:
    """The repository file a container path comes from (bind mount or COPY), if any."""
    candidates: list[tuple[str, Path]] = []
    build = build_of(service)
    if build and build[1].exists():
        candidates += image_layout(*build)
    for m in mounts(service, env):
        if m["type"] == "bind":
            candidates.append((m["target"], (REPO_ROOT / m["source"]).resolve()))
    best = None
    for prefix, repo in candidates:  # the longest prefix wins; mounts (listed last) win ties
        prefix = prefix.rstrip("/") or "/"
        if container_path == prefix or container_path.startswith(prefix + "/"):
            if best is None or len(prefix) >= len(best[0]):
                best = (prefix, repo)
    if best is None:
        return None
    rest = container_path[len(best[0]) :].lstrip("/")
    return best[1] / rest if rest else best[1]


def command_words(value: Any) -> list[str]:
    """Words of a command/entrypoint, the scripts of `bash -c` included."""
    if value is None:
        return []
    items = [value] if isinstance(value, str) else [str(v) for v in value]
    words = []
    for item in items:
        try:
            words += shlex.split(item, comments=True)
        except ValueError:
            words += item.split()
    return words


def referenced_scripts(compose: dict[str, Any], env: dict[str, str]) -> list[tuple[str, str, Path, bool]]:
    """(service, container path, repo path, run directly) for every command word that
    names a file copied or mounted from this repository."""
    found = []
    for name, svc in compose["services"].items():
        svc = interpolate(svc, env)
        build = build_of(svc)
        workdir = "/"
        if build and build[1].exists():
            for word, args in dockerfile_instructions(build[1].read_text()):
                if word == "WORKDIR":
                    workdir = str(PurePosixPath(workdir) / args.strip())
        for key in ("entrypoint", "command"):
            words = command_words(svc.get(key))
            for i, word in enumerate(words):
                if not (word.endswith((".sh", ".py")) or (i == 0 and word.startswith("/"))):
                    continue
                container = str(PurePosixPath(workdir) / word)
                repo = to_repo_path(container, svc, env)
                if repo is not None and REPO_ROOT in repo.parents:
                    direct = i == 0 and (key == "entrypoint" or not svc.get("entrypoint"))
                    found.append((name, container, repo, direct))
    return found


# --- the checks: each returns its problems ------------------------------------------------


def schema_problems(compose: dict[str, Any]) -> list[str]:
    validator = Draft7Validator(schema())
    env = env_example()
    problems = []
    for label, doc in (("as written", compose), ("interpolated with .env.example", interpolate(compose, env))):
        for error in validator.iter_errors(doc):
            where = "/".join(str(p) for p in error.absolute_path) or "(top level)"
            problems.append(f"{label}: {where}: {error.message}")
    return problems


def build_problems(compose: dict[str, Any]) -> list[str]:
    problems = []
    for name, svc in compose["services"].items():
        build = build_of(svc)
        if build is None:
            continue
        context, dockerfile = build
        if REPO_ROOT != context and REPO_ROOT not in context.parents:
            problems.append(f"{name}: build context {context} is outside the repository")
        elif not context.is_dir():
            problems.append(f"{name}: build context {context.relative_to(REPO_ROOT)} does not exist")
        elif not dockerfile.is_file():
            problems.append(f"{name}: Dockerfile {dockerfile.relative_to(REPO_ROOT)} does not exist")
        else:
            label = dockerfile.relative_to(REPO_ROOT).as_posix()
            problems += [f"{name}: {p}" for p in dockerfile_problems(context, dockerfile.read_text(), label)]
    return problems


def dockerfile_problems(context: Path, text: str, rel_df: str) -> list[str]:
    """Every COPY/ADD source exists in the context and is not excluded by .dockerignore."""
    problems = []
    patterns = dockerignore_patterns(context)
    for word, args in dockerfile_instructions(text):
        if word not in ("COPY", "ADD"):
            continue
        flags, sources, _ = copy_args(args)
        if "from" in flags:
            continue
        for src in sources:
            if re.match(r"^[a-z]+://", src):
                problems.append(f"{rel_df}: {word} {src}: fetches from the network")
                continue
            matches = [p for p in context.glob(src.rstrip("/"))] if any(c in src for c in "*?[") else [context / src]
            if not any(p.exists() for p in matches):
                problems.append(f"{rel_df}: {word} {src}: not in the build context {context.relative_to(REPO_ROOT)}")
            elif src.strip("./") and is_ignored(src, patterns):
                problems.append(f"{rel_df}: {word} {src}: excluded by .dockerignore")
    return problems


def image_problems(compose: dict[str, Any]) -> list[str]:
    problems = []
    env = env_example()
    for name, svc in compose["services"].items():
        image = interpolate(svc.get("image"), env)
        if image is None:
            if "build" not in svc:
                problems.append(f"{name}: neither image nor build")
            continue
        if "@sha256:" in image:
            continue
        last = image.rsplit("/", 1)[-1]
        tag = last.split(":", 1)[1] if ":" in last else ""
        if not tag or tag == "latest":
            problems.append(f"{name}: image {image!r} is not pinned to a version tag")
    return problems


def script_problems(compose: dict[str, Any]) -> list[str]:
    problems = []
    for name, container, repo, direct in referenced_scripts(compose, env_example()):
        rel = repo.relative_to(REPO_ROOT)
        if not repo.exists():
            problems.append(f"{name}: {container} comes from {rel}, which does not exist")
        elif direct and repo.is_file() and not os.access(repo, os.X_OK):
            problems.append(f"{name}: {container} is run directly but {rel} is not executable")
    return problems


def healthcheck_problems(compose: dict[str, Any]) -> list[str]:
    problems = []
    one_shot = one_shot_services(compose)
    for name, svc in compose["services"].items():
        if name in one_shot:
            continue
        check = svc.get("healthcheck") or {}
        if check.get("disable") or not check.get("test") or check["test"] in (["NONE"], "NONE"):
            problems.append(f"{name}: no healthcheck (only one-shot init services may go without)")
    return problems


def dependency_problems(compose: dict[str, Any]) -> list[str]:
    problems = []
    services = compose["services"]
    for name, svc in services.items():
        for dep, spec in depends_on(svc).items():
            if dep not in services:
                problems.append(f"{name}: depends on {dep!r}, which is not a service")
                continue
            if dep == name:
                problems.append(f"{name}: depends on itself")
            condition = spec.get("condition", "service_started")
            if condition not in VALID_CONDITIONS:
                problems.append(f"{name}: depends on {dep} with unknown condition {condition!r}")
            if condition == "service_healthy" and not (services[dep].get("healthcheck") or {}).get("test"):
                problems.append(f"{name}: waits for {dep} to be healthy, but {dep} has no healthcheck")
            mine, theirs = set(svc.get("profiles") or []), set(services[dep].get("profiles") or [])
            if theirs and not (mine & theirs) and spec.get("required", True):
                problems.append(f"{name}: needs {dep}, which only runs in profile(s) {sorted(theirs)}")
    return problems


def volume_problems(compose: dict[str, Any]) -> list[str]:
    problems = []
    env = env_example()
    declared = set((compose.get("volumes") or {}).keys())
    for name, svc in compose["services"].items():
        for m in mounts(svc, env):
            source = m["source"]
            if m["type"] == "volume":
                if source and source not in declared:
                    problems.append(f"{name}: named volume {source!r} is not declared under volumes:")
                continue
            if source.startswith(("/", "~")):
                problems.append(f"{name}: bind mount of a machine-specific path {source!r}")
                continue
            path = (REPO_ROOT / source).resolve()
            rel = os.path.relpath(path, REPO_ROOT)
            if rel.startswith(".."):
                problems.append(f"{name}: bind mount {source!r} is outside the repository")
            elif not path.exists() and rel.split(os.sep)[0] not in RUNTIME_DIRS:
                problems.append(f"{name}: bind mount source {source!r} does not exist")
    return problems


def variable_problems(compose: dict[str, Any]) -> list[str]:
    defined = env_example()
    problems = []
    for m in variables(compose):
        name, op = m["name"] or m["bare"], m["op"]
        if op in (":-", "-") or name in defined:
            continue
        problems.append(f"${{{name}}} is used without a default and .env.example does not define it")
    try:
        interpolate(compose, defined)
    except MissingVariable as exc:
        problems.append(f"with .env.example as .env, compose stops: {exc}")
    return sorted(set(problems))


def secret_problems(compose: dict[str, Any]) -> list[str]:
    """Secrets only as ${VAR} references: no literal password, key or token in the file."""
    problems = []

    def literal_parts(value: str) -> str:
        return VARIABLE.sub("", value)

    for name, svc in compose["services"].items():
        for key, value in environment(svc).items():
            if SECRET_NAME.search(key) and not NOT_A_SECRET_NAME.search(key):
                refs = [m for m in VARIABLE.finditer(value) if not m["escaped"]]
                defaults = {(m["arg"] or "") for m in refs if m["op"] in (":-", "-")}
                if not refs or literal_parts(value).strip() or not defaults <= SANDBOX_PLACEHOLDERS:
                    problems.append(f"{name}: {key} holds a literal value; use a ${{VAR}} from .env")
            for url in re.findall(r"[a-z][a-z0-9+.-]*://[^\s\"']+", value):
                userinfo = url.split("://", 1)[1].split("@", 1)
                if len(userinfo) == 2 and ":" in userinfo[0]:
                    password = userinfo[0].split(":", 1)[1]
                    if literal_parts(password):
                        problems.append(f"{name}: {key} has a literal password in its URL")
        for word in command_words(svc.get("command")) + command_words(svc.get("entrypoint")):
            if re.match(r"--?(password|passwd|secret|token)(=|$)", word, re.IGNORECASE):
                problems.append(f"{name}: a secret on the command line ({word})")
    return problems


def port_problems(compose: dict[str, Any]) -> list[str]:
    env = env_example()
    services = compose["services"]
    problems = []
    for service, port in (("airflow-apiserver", 8080), ("superset", 8088)):
        if service not in services:
            problems.append(f"no {service} service")
        elif port not in published_container_ports(services[service], env):
            problems.append(f"{service} does not publish port {port}")
    superset = services.get("superset", {})
    data = [m for m in mounts(superset, env) if m["target"] == DATA_TARGET]
    if not data:
        problems.append(f"superset does not mount the data volume at {DATA_TARGET}")
    elif not all(m["read_only"] for m in data):
        problems.append("superset mounts the data volume writable: BI reads the warehouse read-only")
    return problems


def profile_problems(compose: dict[str, Any]) -> list[str]:
    services = compose["services"]
    problems = []
    default = {name for name, svc in services.items() if not svc.get("profiles")}
    celery = {name for name, svc in services.items() if "celery" in (svc.get("profiles") or [])}
    for needed in ("redis", "airflow-worker"):
        if needed not in celery:
            problems.append(f"the celery profile has no {needed}")
    if "redis" in default:
        problems.append("redis runs without the celery profile")
    for needed in ("postgres", "airflow-init", "airflow-apiserver", "airflow-scheduler",
                   "airflow-dag-processor", "airflow-triggerer", "sandbox", "superset"):  # fmt: skip
        if needed not in default:
            problems.append(f"{needed} is not in the default profile")
    return problems


CHECKS = {
    "schema": schema_problems,
    "build": build_problems,
    "image": image_problems,
    "scripts": script_problems,
    "healthcheck": healthcheck_problems,
    "depends_on": dependency_problems,
    "volumes": volume_problems,
    "variables": variable_problems,
    "secrets": secret_problems,
    "ports": port_problems,
    "profiles": profile_problems,
}


# --- the tests ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return load_compose()


@pytest.mark.parametrize("check", list(CHECKS))
def test_compose_file(compose, check):
    problems = CHECKS[check](copy.deepcopy(compose))
    assert not problems, f"docker-compose.yml ({check}):\n" + "\n".join(problems)


def _service(c, name):
    return c["services"][name]


BREAKAGES = {
    "schema": lambda c: _service(c, "postgres").update(restart_policy="always"),
    "build": lambda c: _service(c, "superset").update(build="./stack/no-such-dir"),
    "image": lambda c: _service(c, "postgres").update(image="postgres:latest"),
    "scripts": lambda c: _service(c, "airflow-init").update(
        command=["-c", "/entrypoint bash /opt/socialpulse/stack/airflow/no-such-init.sh"]
    ),
    "healthcheck": lambda c: _service(c, "airflow-scheduler").pop("healthcheck"),
    "depends_on": lambda c: _service(c, "airflow-scheduler")["depends_on"].update(
        redis={"condition": "service_healthy"}
    ),
    "volumes": lambda c: _service(c, "sandbox").update(volumes=["./no-such-dir:/x", "ghost:/y"]),
    "variables": lambda c: _service(c, "sandbox").update(environment={"X": "${NOT_IN_ENV_EXAMPLE}"}),
    "secrets": lambda c: _service(c, "postgres")["environment"].update(POSTGRES_PASSWORD="airflow"),
    "ports": lambda c: _service(c, "superset").update(volumes=["${SOCIALPULSE_HOME:-./data}:/opt/socialpulse/data"]),
    "profiles": lambda c: _service(c, "redis").pop("profiles"),
}


@pytest.mark.parametrize("check", list(CHECKS))
def test_every_check_catches_its_breakage(compose, check):
    broken = copy.deepcopy(compose)
    BREAKAGES[check](broken)
    assert CHECKS[check](broken), f"the {check} check accepted a broken compose file"


def test_more_breakages_are_caught(compose):
    """Other ways to get each kind of thing wrong, one assertion each."""

    def broken(change) -> dict[str, Any]:
        c = copy.deepcopy(compose)
        change(c)
        return c

    assert schema_problems(broken(lambda c: _service(c, "airflow-apiserver")["depends_on"].update(
        postgres={"condition": "service_ready"})))  # fmt: skip
    assert image_problems(broken(lambda c: _service(c, "redis").update(image="redis")))
    assert dependency_problems(broken(lambda c: _service(c, "airflow-triggerer")["depends_on"].update(
        nosuch={"condition": "service_started"})))  # fmt: skip
    assert volume_problems(broken(lambda c: _service(c, "sandbox").update(volumes=["/srv/elsewhere/data:/x"])))
    assert secret_problems(broken(lambda c: _service(c, "airflow-init")["environment"].update(
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN="postgresql://airflow:airflow@postgres/airflow")))  # fmt: skip
    assert secret_problems(broken(lambda c: _service(c, "superset")["environment"].update(
        SUPERSET_SECRET_KEY="${SUPERSET_SECRET_KEY:-changeme}")))  # fmt: skip
    assert port_problems(broken(lambda c: _service(c, "airflow-apiserver").update(ports=["9090:9090"])))
    assert profile_problems(broken(lambda c: _service(c, "airflow-worker").pop("profiles")))
    assert variable_problems(broken(lambda c: _service(c, "sandbox").update(
        environment={"X": "${NOT_IN_ENV_EXAMPLE:?required}"})))  # fmt: skip


def test_init_script_and_superset_init_are_the_files_the_services_run(compose):
    scripts = {
        (svc, repo.relative_to(REPO_ROOT).as_posix()) for svc, _, repo, _ in referenced_scripts(compose, env_example())
    }
    assert ("airflow-init", "stack/airflow/init.sh") in scripts
    assert any(svc == "superset" and path.startswith("stack/superset/") for svc, path in scripts), scripts


def test_airflow_is_wired_as_the_team_decided(compose):
    env = env_example()
    services = interpolate(compose, env)["services"]
    airflow = [n for n in services if n.startswith("airflow-")]
    for name in airflow:
        svc_env = environment(services[name])
        assert svc_env["AIRFLOW__CORE__EXECUTOR"] == "LocalExecutor", name
        assert svc_env["SOCIALPULSE_SANDBOX_URL"] == "http://sandbox:8765", name
        assert svc_env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS"] == "admin:admin", name
        assert "fab" not in svc_env.get("AIRFLOW__CORE__AUTH_MANAGER", "").lower(), name
    celery = interpolate(compose, {**env, "AIRFLOW_EXECUTOR": "CeleryExecutor"})["services"]
    assert environment(celery["airflow-scheduler"])["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"

    # the passwords file init.sh writes is on a volume the api-server mounts too
    api_env = environment(services["airflow-apiserver"])
    passwords = PurePosixPath(api_env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"])
    for name in ("airflow-init", "airflow-apiserver"):
        assert any(str(passwords.parent) == m["target"] for m in mounts(services[name], env)), name

    long_running = [n for n in airflow + ["sandbox"] if n != "airflow-init"]
    checks = {n: " ".join(command_words(services[n]["healthcheck"]["test"])) for n in long_running}
    assert "http://localhost:8080/api/v2/monitor/health" in checks["airflow-apiserver"]
    assert "http://localhost:8974/health" in checks["airflow-scheduler"]
    assert "--job-type DagProcessorJob" in checks["airflow-dag-processor"]
    assert "--job-type TriggererJob" in checks["airflow-triggerer"]
    assert "/__sandbox__/health" in checks["sandbox"]
    sandbox = command_words(services["sandbox"]["command"])
    assert sandbox[:3] == ["socialpulse", "sandbox", "serve"]
    assert sandbox[sandbox.index("--host") + 1] == "0.0.0.0" and sandbox[sandbox.index("--port") + 1] == "8765"


# --- Dockerfile and .dockerignore ---------------------------------------------------------


NO_TELEMETRY = (
    "DO_NOT_TRACK=1",
    "DBT_SEND_ANONYMOUS_USAGE_STATS=false",
    "GX_ANALYTICS_ENABLED=false",
    "AIRFLOW__COSMOS__ENABLE_TELEMETRY=False",
    "AIRFLOW__USAGE_DATA_COLLECTION__ENABLED=False",
)


def airflow_dockerfile_problems(text: str) -> list[str]:
    problems = []
    base = final_base_image(text)
    if not re.fullmatch(r"apache/airflow:3\.3\.\d+(-python3\.11)?", base):
        problems.append(f"FROM {base!r}: expected apache/airflow:3.3.x (python3.11)")
    instructions = dockerfile_instructions(text)
    runs = " ".join(args for word, args in instructions if word == "RUN")
    envs = " ".join(args for word, args in instructions if word == "ENV")
    if "uv export --frozen" not in runs:
        problems.append("the dependencies do not come from uv.lock (uv export --frozen)")
    if "dbt parse" not in runs:
        problems.append("no `dbt parse`: the image has no manifest for Cosmos")
    for switch in NO_TELEMETRY:
        if switch not in envs:
            problems.append(f"telemetry switch {switch} not set")
    return problems


def copy_problems(text: str) -> list[str]:
    return dockerfile_problems(REPO_ROOT, text, "Dockerfile")


def test_dockerfile():
    text = DOCKERFILE.read_text()
    assert not airflow_dockerfile_problems(text), airflow_dockerfile_problems(text)
    assert not copy_problems(text), copy_problems(text)
    copied = {repo.relative_to(REPO_ROOT).as_posix() for _, repo in image_layout(REPO_ROOT, DOCKERFILE)}
    for needed in ("dags", "plugins", "dbt_project", "expectations", "config", "sandbox", "stack/airflow", "uv.lock"):
        assert needed in copied, f"the Dockerfile does not copy {needed}"


def test_dockerfile_checks_catch_breakage():
    text = DOCKERFILE.read_text()
    assert airflow_dockerfile_problems(text.replace("apache/airflow:3.3.2", "apache/airflow:2.10.5"))
    assert airflow_dockerfile_problems(text.replace("dbt parse", "dbt --version"))
    assert airflow_dockerfile_problems(text.replace("GX_ANALYTICS_ENABLED=false", "GX_ANALYTICS_ENABLED=true"))
    assert copy_problems(text + "\nCOPY no-such-dir/ /x/\n")
    assert copy_problems(text + "\nCOPY data/ /x/\n")  # excluded by .dockerignore


def test_dockerignore_keeps_runtime_data_environments_and_secrets_out():
    patterns = dockerignore_patterns(REPO_ROOT)
    kept_out = (
        "data/warehouse.duckdb",
        ".venv/bin/python",
        "logs/scheduler/x.log",
        ".env",
        "dbt_project/target/manifest.json",
        "dbt_project/logs/dbt.log",
        "plugins/socialpulse/__pycache__/x.pyc",
        ".pytest_cache/v",
        ".ruff_cache/x",
        "expectations/uncommitted/x",
    )
    for path in kept_out:
        assert is_ignored(path, patterns), f".dockerignore lets {path} into the build context"
    for path in ("dags/socialpulse_build.py", "uv.lock", "stack/airflow/init.sh", "dbt_project/models"):
        assert not is_ignored(path, patterns), f".dockerignore excludes {path}"
    assert not is_ignored("x", ["*.pyc"]) and is_ignored("a/b/c.pyc", ["**/*.pyc"])  # the matcher itself


def test_interpolation_follows_compose():
    env = {"SET": "v", "EMPTY": ""}
    assert interpolate("${SET:-d} ${EMPTY:-d} ${EMPTY-d} ${UNSET-d} $$HOME $SET", env) == "v d  d $HOME v"
    assert interpolate("${SET:+alt}${EMPTY:+alt}", env) == "alt"
    with pytest.raises(MissingVariable):
        interpolate("${EMPTY:?needed}", env)
    assert interpolate("${EMPTY?needed}", env) == ""


def test_env_example_keys_are_long_enough():
    """Superset refuses a secret key under 32 characters; PyJWT warns on shorter HMAC keys."""
    env = env_example()
    for name in ("AIRFLOW_JWT_SECRET", "AIRFLOW_API_SECRET_KEY", "SUPERSET_SECRET_KEY"):
        assert len(env[name]) >= 32, name
