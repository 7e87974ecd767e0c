"""Run the store's Alembic migrations from code (app start-up, tests, the CLI)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import pool, text
from sqlalchemy.engine import Connection

from .db import create_engine

MIGRATIONS = Path(__file__).with_name("migrations")
"""The Alembic script directory."""

VERSION_TABLE = "helpdesk_alembic_version"
"""Where Alembic records the store's revision; its own name, so the store can share a
Postgres database with other services' migrations."""


def alembic_config(url: str) -> Config:
    """An Alembic config for the store's migrations against ``url``, without an ini file."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


async def upgrade_to_head(url: str) -> None:
    """Bring the database at ``url`` to the newest schema (safe to call on every start)."""
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_upgrade, alembic_config(url))
    finally:
        await engine.dispose()


def _upgrade(connection: Connection, config: Config) -> None:
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


async def downgrade_to(url: str, revision: str = "base") -> None:
    """Undo the store's migrations down to ``revision``; ``base`` leaves no store tables."""
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_downgrade, alembic_config(url), revision)
    finally:
        await engine.dispose()


def _downgrade(connection: Connection, config: Config, revision: str) -> None:
    config.attributes["connection"] = connection
    command.downgrade(config, revision)


async def drop_store(url: str) -> None:
    """Drop the store's tables and its migration record (tests and a fresh local demo)."""
    from .models import Base

    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(Base.metadata.drop_all)
            await connection.execute(text(f"DROP TABLE IF EXISTS {VERSION_TABLE}"))
    finally:
        await engine.dispose()
