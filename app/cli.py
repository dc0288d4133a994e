"""The ``autofacts`` command: migrate, load facts, serve."""

from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from alembic import command
from alembic.config import Config
from sqlmodel import Session, select

from app.core.config import ROOT, get_settings
from app.core.db import get_engine
from app.importer import ImportRefused, ImportReport, import_facts, load_file
from app.models import Source

app = typer.Typer(help="Autofacts: automotive-industry facts, each traced to its quote.")


@app.command("import")
def import_file(
    file: Annotated[
        Path, typer.Argument(help="A facts file (YAML or JSON), e.g. seed/facts.yaml.")
    ],
) -> None:
    """Load a facts file: all of it, or (on any problem) none of it."""
    _import(file)


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


@app.command()
def serve() -> None:
    """Serve the API with uvicorn on the configured host, port and workers."""
    settings = get_settings()
    uvicorn.run(
        "app.main:app",
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_level=settings.log_level,
    )


def _import(path: Path) -> None:
    try:
        facts_file = load_file(path)
        with Session(get_engine()) as session:
            report = import_facts(session, facts_file)
    except ImportRefused as refused:
        typer.echo(f"{path}: {refused.detail}", err=True)
        for problem in refused.problems:
            typer.echo(f"  {problem}", err=True)
        raise typer.Exit(1) from None
    _print_report(path, report)


def _print_report(path: Path, report: ImportReport) -> None:
    typer.echo(f"{path}: {report.total} rows created.")
    width = max(len(table) for table in report.created)
    for table, count in report.created.items():
        typer.echo(f"  {table:<{width}}  {count}")
