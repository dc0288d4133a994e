"""The path a client developer takes (issue 18): fetch /openapi.json from a live server,
lint it (Redocly CLI), generate TypeScript types (openapi-typescript) and type-check a
typed usage of them (tsc, strict), generate a Python client (openapi-python-client) and
drive the live server with it. Every generator runs at the version clients/package.json
and pyproject pin, and must finish with no error and no warning: a warning is a piece of
the API some client silently goes without.

Needs Node and npm (clients/README.md); `npm ci` runs in clients/ when its node_modules
is missing or holds other versions than the pinned ones."""

import fcntl
import importlib
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from enum import Enum
from pathlib import Path
from types import ModuleType
from typing import Any, get_args, get_type_hints

import httpx
import pytest

from app.core.config import ROOT
from tests.live_server import BIN, LiveServer, live_server

pytestmark = pytest.mark.slow

CLIENTS = ROOT / "clients"
PACKAGE = "autofacts_client"
SOURCE = "2025-11-14-honda-nissan"
QUOTE = "Honda and Nissan, longtime potential dance partners"
# Node tools: no telemetry, no update notice, no colour codes in what the asserts read.
NODE_ENV = {
    **os.environ,
    "REDOCLY_TELEMETRY": "off",
    "REDOCLY_SUPPRESS_UPDATE_NOTICE": "true",
    "NO_COLOR": "1",
    "FORCE_COLOR": "0",
    "npm_config_update_notifier": "false",
    "npm_config_fund": "false",
    "npm_config_audit": "false",
}
# A warning as the tools print one: openapi-python-client's "WARNING" and "Warning(s)",
# openapi-typescript's "⚠" (its errors are "✘").
WARNING = re.compile(r"\bwarn|\u26a0|\u2718", re.IGNORECASE)


def _run(
    command: list[str | Path], *, cwd: Path, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def _npx(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """A tool of clients/package.json, at its pinned version (``--no-install``: never a
    download of whatever version npm finds)."""
    return _run(["npx", "--no-install", *args], cwd=CLIENTS, env=NODE_ENV)


def _installed_as_pinned() -> bool:
    """Whether clients/node_modules holds each tool at the version package.json pins."""
    pinned = json.loads((CLIENTS / "package.json").read_text())["devDependencies"]
    for name, version in pinned.items():
        installed = CLIENTS / "node_modules" / name / "package.json"
        if not installed.exists() or json.loads(installed.read_text())["version"] != version:
            return False
    return True


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(tmp_path_factory.mktemp("clients"), "clients") as running:
        yield running


@pytest.fixture(scope="module")
def document(server: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The live server's /openapi.json, as a client developer downloads it."""
    response = httpx.get(f"{server.base_url}/openapi.json", timeout=30)
    assert response.status_code == 200, response.text
    path = tmp_path_factory.mktemp("document") / "openapi.json"
    path.write_bytes(response.content)
    return path


@pytest.fixture(scope="module")
def node_tools() -> None:
    """clients/node_modules, installed from the lock file when it is missing or holds
    other versions than the pinned ones."""
    if shutil.which("npm") is None or shutil.which("npx") is None:
        pytest.fail("npm and npx are needed (Node >= 20.19, see clients/README.md)")
    # Each pytest-xdist worker running these tests gets here: one installs while the others
    # wait (npm ci empties node_modules first), then finds the pinned versions in place.
    directory = os.open(CLIENTS, os.O_RDONLY)
    try:
        fcntl.flock(directory, fcntl.LOCK_EX)
        if not _installed_as_pinned():
            done = _run(["npm", "ci"], cwd=CLIENTS, env=NODE_ENV)
            assert done.returncode == 0, f"npm ci failed in {CLIENTS}:\n{done.stdout}{done.stderr}"
        assert _installed_as_pinned(), "npm ci did not install the versions package.json pins"
    finally:
        os.close(directory)


# -- the document and the TypeScript types ------------------------------------------------------


def test_redocly_lint_finds_no_error(node_tools: None, document: Path) -> None:
    config = ROOT / "redocly.yaml"
    options: list[str | Path] = ["--config", config] if config.exists() else []
    done = _npx("redocly", "lint", document, "--format", "json", *options)
    output = done.stdout + done.stderr
    assert done.stdout.startswith("{"), output
    report = json.loads(done.stdout)
    errors = [
        f"{problem['ruleId']}: {problem['message']} at {problem['location'][0]['pointer']}"
        for problem in report["problems"]
        if problem["severity"] == "error"
    ]
    assert report["totals"]["errors"] == 0, "\n".join(errors)
    assert done.returncode == 0, output


def test_typescript_types_generate_and_type_check(
    node_tools: None, document: Path, tmp_path: Path
) -> None:
    types = tmp_path / "api.d.ts"
    done = _npx("openapi-typescript", document, "-o", types)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    # It reports on standard output; what it writes to standard error is a warning.
    assert not done.stderr and not WARNING.search(output), output
    # usage.ts imports "autofacts-api": this run's file, not clients/generated/.
    config = tmp_path / "tsconfig.json"
    config.write_text(
        json.dumps(
            {
                "extends": str(CLIENTS / "tsconfig.json"),
                "compilerOptions": {"paths": {"autofacts-api": [str(types)]}},
                "files": [str(CLIENTS / "usage.ts")],
            }
        )
    )
    done = _npx("tsc", "-p", config)
    assert done.returncode == 0, done.stdout + done.stderr


# -- the Python client -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def python_client(
    document: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[int, str, ModuleType]]:
    """openapi-python-client's exit status and output on the document, and the package it
    generated, importable for the module's tests."""
    out = tmp_path_factory.mktemp("python-client")
    command: list[str | Path] = [BIN / "openapi-python-client", "generate", "--path", document]
    command += ["--output-path", out / PACKAGE, "--meta", "none", "--fail-on-warning"]
    # Its post hooks format the package with ruff, which is beside it in the virtualenv.
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = _run(command, cwd=out, env=env)
    output = done.stdout + done.stderr
    assert (out / PACKAGE / "__init__.py").exists(), output
    sys.path.insert(0, str(out))
    try:
        yield done.returncode, output, importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(out))
        for name in [name for name in sys.modules if name.split(".")[0] == PACKAGE]:
            del sys.modules[name]


def test_python_client_generates_without_warnings(
    python_client: tuple[int, str, ModuleType],
) -> None:
    status, output, _ = python_client
    assert not WARNING.search(output), output
    assert status == 0, output


def _operation(package: ModuleType, method: str, path: str) -> Any:
    """The generated module for ``method path``, found by what it requests rather than by
    its operationId-derived name (names may change, the HTTP contract may not)."""
    wanted = re.compile(rf'"method": "{method}",\s*"url": "{re.escape(path)}"')
    root = Path(package.__file__ or "").parent
    found = [file for file in (root / "api").rglob("*.py") if wanted.search(file.read_text())]
    assert len(found) == 1, f"{method.upper()} {path}: {found or 'not generated'}"
    module = ".".join(found[0].relative_to(root).with_suffix("").parts)
    return importlib.import_module(f"{package.__name__}.{module}")


def _enum(function: Any, parameter: str) -> type[Enum]:
    """The enumeration ``parameter`` of a generated ``function`` takes (or a list of): what
    its annotation names, whatever the generator called it."""
    pending = [get_type_hints(function)[parameter]]
    while pending:
        hint = pending.pop()
        if isinstance(hint, type) and issubclass(hint, Enum):
            return hint
        pending += get_args(hint)
    raise AssertionError(f"{parameter} of {function.__module__} takes no enumeration")


def test_python_client_drives_the_live_server(
    server: LiveServer, python_client: tuple[int, str, ModuleType]
) -> None:
    package = python_client[2]
    models = importlib.import_module(f"{package.__name__}.models")
    list_companies = _operation(package, "get", "/v1/companies")
    get_company = _operation(package, "get", "/v1/companies/{slug}")
    company_partnerships = _operation(package, "get", "/v1/companies/{slug}/partnerships")
    create_company = _operation(package, "post", "/v1/companies")
    search = _operation(package, "get", "/v1/search")
    public = package.Client(base_url=server.base_url, raise_on_unexpected_status=True)
    writer = package.AuthenticatedClient(
        base_url=server.base_url, token=server.key, raise_on_unexpected_status=True
    )

    # A list with its citations embedded, whole, then walked two at a time by cursor.
    citations = _enum(list_companies.sync, "include")("citations")
    whole = list_companies.sync(client=public, limit=200, include=[citations])
    assert whole.next_cursor is None
    slugs = [company.slug for company in whole.data]
    assert "nissan" in slugs
    assert all(company.citations for company in whole.data)
    walked: list[str] = []
    page = list_companies.sync(client=public, limit=2)
    while True:
        walked += [company.slug for company in page.data]
        if page.next_cursor is None:
            break
        page = list_companies.sync(client=public, limit=2, cursor=page.next_cursor)
    assert walked == slugs

    # A detail, with the quotes that back it, and its partnerships with all they embed.
    nissan = get_company.sync_detailed(client=public, slug="nissan")
    assert nissan.status_code == 200, nissan.content
    assert nissan.parsed.name == "Nissan"
    assert nissan.parsed.citations and all(c.quote for c in nissan.parsed.citations)
    embeds = list(_enum(company_partnerships.sync, "include"))
    assert {name.value for name in embeds} == {"members", "citations"}
    partnerships = company_partnerships.sync(client=public, slug="nissan", include=embeds)
    assert partnerships.data
    for partnership in partnerships.data:
        assert "nissan" in [member.slug for member in partnership.members]
        assert partnership.citations

    # A search, ranked, with its snippet.
    hits = search.sync(client=public, q="Espinosa")
    assert hits.data, hits
    assert any("<mark>" in hit.snippet for hit in hits.data)

    # An unknown slug is a 404 problem the client parses.
    missing = get_company.sync_detailed(client=public, slug="no-such-company")
    assert missing.status_code == 404
    assert isinstance(missing.parsed, models.Problem), missing.content
    assert missing.parsed.status == 404
    assert missing.parsed.instance == "/v1/companies/no-such-company"

    # A write with the key (and refused without one), then read back.
    body = models.CompanyIn.from_dict(
        {
            "slug": "generated-client-co",
            "name": "Generated Client Co",
            "kind": "supplier",
            "certainty": "reported",
            "citations": [{"source": SOURCE, "quote": QUOTE}],
        }
    )
    keyless = create_company.sync_detailed(client=public, body=body)
    assert keyless.status_code == 401
    assert isinstance(keyless.parsed, models.Problem), keyless.content
    created = create_company.sync_detailed(
        client=writer, body=body, idempotency_key="generated-client-co"
    )
    assert created.status_code == 201, created.content
    assert created.parsed.slug == "generated-client-co"
    assert created.headers["Location"].endswith("/v1/companies/generated-client-co")
    again = get_company.sync(client=public, slug="generated-client-co")
    assert again.name == "Generated Client Co"
    assert [c.quote for c in again.citations] == [QUOTE]
