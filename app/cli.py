"""The ``autofacts`` command: migrate, load and export facts, serve."""

from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from alembic import command
from alembic.config import Config
from sqlmodel import Session, select

from app.core.config import ROOT, get_settings
from app.core.db import analyze, get_engine
from app.core.errors import DomainError
from app.core.http_protocol import NAME as NODELAY_HTTP
from app.exporter import STDOUT, ExportRefused, export_file, snapshot_session
from app.importer import ImportRefused, ImportReport, import_facts, load_file
from app.models import Source
from app.services import api_keys

app = typer.Typer(help="Autofacts: automotive-industry facts, each traced to its quote.")
api_keys_app = typer.Typer(help="List and revoke the API keys writes need.")
app.add_typer(api_keys_app, name="api-keys")


@app.command("import")
def import_file(
    file: Annotated[
        Path, typer.Argument(help="A facts file (YAML or JSON), e.g. seed/facts.yaml.")
    ],
) -> None:
    """Load a facts file: all of it, or (on any problem) none of it."""
    _import(file)


@app.command("export")
def export_database(
    file: Annotated[
        Path, typer.Argument(help="Where to write the facts file (YAML); - for standard output.")
    ],
) -> None:
    """Write the whole database as a facts file that `autofacts import` loads back unchanged."""
    # With the file on standard output, the counts go to standard error.
    to_stderr = str(file) == STDOUT
    try:
        with snapshot_session(get_engine()) as session:
            report = export_file(session, file)
    except (ExportRefused, OSError) as exc:
        typer.echo(f"{file}: not exported: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"{file}: {report.total} rows exported.", err=to_stderr)
    width = max(len(table) for table in report.written)
    for table, count in report.written.items():
        typer.echo(f"  {table:<{width}}  {count}", err=to_stderr)
    for note in report.left_out:
        typer.echo(f"  not in the file (the format cannot say it): {note}", err=True)


@app.command()
def seed() -> None:
    """Load the seed facts file, unless the database already holds a source."""
    with Session(get_engine()) as session:
        has_sources = session.exec(select(Source.id).limit(1)).first() is not None
    if has_sources:
        typer.echo("The database already holds sources: seed skipped.")
        return
    _import(get_settings().seed_file)


@app.command()
def migrate() -> None:
    """Bring the database schema up to date (Alembic upgrade to head)."""
    command.upgrade(Config(str(ROOT / "alembic.ini")), "head")


@app.command("gen-dataset")
def gen_dataset(
    companies: Annotated[int, typer.Option(help="How many synthetic companies.")] = 100_000,
    facts: Annotated[
        int,
        typer.Option(
            help="How many fact rows in all tables together: the rows of /v1/facts "
            "(at least 5 per company)."
        ),
    ] = 1_000_000,
    seed: Annotated[int, typer.Option(help="The same seed and sizes give the same data.")] = 1,
) -> None:
    """Migrate, then load a deterministic synthetic data set (for benchmarks) into the
    database, which must be empty: one transaction, bulk writes, indexes built after."""
    # Imported here: the generator is a tool beside the service (app/tools/), and the
    # other commands have no use for it.
    from app.tools.dataset import DatasetRefused, generate

    migrate()
    try:
        report = generate(
            get_engine(),
            companies=companies,
            facts=facts,
            seed=seed,
            progress=lambda line: typer.echo(line, err=True),
        )
    except DatasetRefused as refused:
        typer.echo(f"not generated: {refused}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"synthetic data set loaded in {report.seconds:.1f} s:")
    width = max(len(table) for table in report.rows)
    for table, count in report.rows.items():
        typer.echo(f"  {table:<{width}}  {count}")


@app.command()
def serve() -> None:
    """Serve the API with uvicorn on the configured host, port and workers."""
    settings = get_settings()
    uvicorn.run(
        "app.main:app",
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        loop=settings.event_loop,
        http=NODELAY_HTTP,  # TCP_NODELAY on every connection, one worker or several
        log_level=settings.log_level,
        timeout_graceful_shutdown=settings.graceful_shutdown_seconds,
        # Our own middleware logs each request (JSON, with its id) when access_log is on.
        access_log=not settings.access_log,
    )


def _import(path: Path) -> None:
    try:
        facts_file = load_file(path)
        with Session(get_engine()) as session:
            # The change log names the file an import came from (as far as its column holds).
            report = import_facts(session, facts_file, actor=f"import:{path.name}"[:100])
    except ImportRefused as refused:
        typer.echo(f"{path}: {refused.detail}", err=True)
        for problem in refused.problems:
            typer.echo(f"  {problem}", err=True)
        raise typer.Exit(1) from None
    analyze(get_engine())
    _print_report(path, report)


def _print_report(path: Path, report: ImportReport) -> None:
    typer.echo(f"{path}: {report.total} rows created.")
    width = max(len(table) for table in report.created)
    for table, count in report.created.items():
        typer.echo(f"  {table:<{width}}  {count}")


@app.command("create-api-key")
def create_api_key(
    name: Annotated[str, typer.Option(help="Who or what the key is for; unique.")],
) -> None:
    """Create a key for writes. It is printed once, alone on the last line: store it."""
    try:
        with Session(get_engine()) as session:
            key = api_keys.create_api_key(session=session, name=name)
    except DomainError as exc:
        typer.echo(exc.detail, err=True)
        raise typer.Exit(1) from None
    typer.echo(f"API key {name!r} created; it cannot be shown again:")
    typer.echo(key)


@api_keys_app.command("list")
def list_api_keys() -> None:
    """The keys by name, with when they were created and revoked (never the keys)."""
    with Session(get_engine()) as session:
        for key in api_keys.list_api_keys(session=session):
            revoked = f"revoked {key.revoked_at:%Y-%m-%d %H:%M}" if key.revoked_at else "live"
            typer.echo(f"{key.name}\tcreated {key.created_at:%Y-%m-%d %H:%M}\t{revoked}")


@api_keys_app.command("revoke")
def revoke_api_key(name: Annotated[str, typer.Argument(help="The key's name.")]) -> None:
    """Revoke a key: writes with it are refused from now on."""
    try:
        with Session(get_engine()) as session:
            api_keys.revoke_api_key(session=session, name=name)
    except DomainError as exc:
        typer.echo(exc.detail, err=True)
        raise typer.Exit(1) from None
    typer.echo(f"API key {name!r} revoked.")
