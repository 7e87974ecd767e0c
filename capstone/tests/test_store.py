"""The store on SQLite and Postgres: migrations, repository behaviour, constraints."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from capstone.store import (
    Base,
    Customer,
    HelpdeskRepository,
    NotFoundError,
    Order,
    OrderItem,
    RefundNotAllowedError,
    RefundStatus,
    TicketCategory,
    TicketStatus,
    create_engine,
    seed_demo_data,
    upgrade_to_head,
)
from capstone.store.migrate import VERSION_TABLE, downgrade_to

pytestmark = pytest.mark.anyio

TABLES = {"customers", "orders", "order_items", "tickets", "refunds"}


def _ours(name: str | None, type_: str, _parent: object) -> bool:
    """The store shares the local database with others (e.g. Dapr's Postgres state store)."""
    return type_ != "table" or name in Base.metadata.tables


async def test_migrations_create_the_schema_the_models_describe(database_url: str) -> None:
    await upgrade_to_head(database_url)
    await upgrade_to_head(database_url)  # idempotent: safe on every start
    engine = create_engine(database_url)
    async with engine.connect() as connection:
        tables = set(await connection.run_sync(lambda c: inspect(c).get_table_names()))
        version = await connection.scalar(text(f"SELECT version_num FROM {VERSION_TABLE}"))
        drift = await connection.run_sync(
            lambda c: compare_metadata(
                MigrationContext.configure(c, opts={"version_table": VERSION_TABLE, "include_name": _ours}),
                Base.metadata,
            )
        )
    await engine.dispose()
    assert TABLES | {VERSION_TABLE} <= tables
    assert version == "0001"
    assert drift == [], "models.py changed without a migration"


async def test_downgrade_removes_the_store_tables(database_url: str) -> None:
    await upgrade_to_head(database_url)
    await downgrade_to(database_url)
    engine = create_engine(database_url)
    async with engine.connect() as connection:
        tables = set(await connection.run_sync(lambda c: inspect(c).get_table_names()))
        version = await connection.scalar(text(f"SELECT count(*) FROM {VERSION_TABLE}"))
    await engine.dispose()
    assert not TABLES & tables
    assert version == 0


async def _seeded(session: AsyncSession) -> HelpdeskRepository:
    await seed_demo_data(session)
    await session.commit()
    return HelpdeskRepository(session)


async def test_seed_runs_once_and_orders_sum_their_items(store_session: AsyncSession) -> None:
    repo = await _seeded(store_session)
    assert await seed_demo_data(store_session) == []
    orders = await repo.list_orders(1)
    assert [(o.id, o.status.value, o.amount_cents) for o in orders] == [
        (1, "shipped", 8900),
        (2, "delivered", 2500),
    ]
    assert (await repo.get_customer(2)).email == "grace@example.com"


async def test_reads_are_scoped_to_the_customer(store_session: AsyncSession) -> None:
    repo = await _seeded(store_session)
    assert (await repo.get_order(2, 3)).items[0].sku == "MN-27"
    with pytest.raises(NotFoundError, match="no order 3"):
        await repo.get_order(1, 3)
    with pytest.raises(NotFoundError):
        await repo.get_customer(99)


async def test_open_ticket_is_stored_for_the_conversation(store_session: AsyncSession) -> None:
    repo = await _seeded(store_session)
    ticket = await repo.open_ticket(
        1, TicketCategory.TECH, "Keyboard", "Keys stick", order_id=1, conversation_id="c-1"
    )
    await store_session.commit()
    assert ticket.id is not None and ticket.status is TicketStatus.OPEN
    with pytest.raises(NotFoundError):
        await repo.open_ticket(1, TicketCategory.ORDERS, "Monitor", "Late", order_id=3)


async def test_refund_requests_are_pending_and_limited_to_what_is_left(
    store_session: AsyncSession,
) -> None:
    repo = await _seeded(store_session)
    partial = await repo.request_refund(1, 2, "one cable broken", amount_cents=1250, conversation_id="c")
    assert partial.status is RefundStatus.PENDING and partial.amount_cents == 1250
    with pytest.raises(RefundNotAllowedError, match="12.50 left"):
        await repo.request_refund(1, 2, "both broken", amount_cents=2500)
    await repo.set_refund_status(partial.id, RefundStatus.REJECTED)
    full = await repo.request_refund(1, 2, "both broken")
    assert full.amount_cents == 2500, "a rejected refund frees its amount again"
    with pytest.raises(RefundNotAllowedError, match="already rejected"):
        await repo.set_refund_status(partial.id, RefundStatus.APPROVED)
    await store_session.commit()
    assert (await repo.get_refund(full.id)).reason == "both broken"


async def test_refunds_refused_for_cancelled_or_foreign_orders(store_session: AsyncSession) -> None:
    repo = await _seeded(store_session)
    with pytest.raises(RefundNotAllowedError, match="cancelled"):
        await repo.request_refund(3, 4, "changed my mind")
    with pytest.raises(NotFoundError):
        await repo.request_refund(1, 4, "not mine")
    with pytest.raises(RefundNotAllowedError):
        await repo.request_refund(1, 1, "nothing", amount_cents=0)


async def test_duplicate_email_is_rejected(store_session: AsyncSession) -> None:
    await _seeded(store_session)
    store_session.add(Customer(name="Ada again", email="ada@example.com"))
    with pytest.raises(IntegrityError):
        await store_session.flush()


@pytest.mark.parametrize(
    "item",
    [
        {"quantity": 0, "unit_price_cents": 100},
        {"quantity": 1, "unit_price_cents": -1},
    ],
)
async def test_check_constraints_hold(store_session: AsyncSession, item: dict[str, int]) -> None:
    await _seeded(store_session)
    store_session.add(OrderItem(order_id=1, sku="X", name="x", **item))
    with pytest.raises(IntegrityError):
        await store_session.flush()


async def test_foreign_keys_and_status_values_are_enforced(store_session: AsyncSession) -> None:
    await _seeded(store_session)
    store_session.add(Order(customer_id=999))
    with pytest.raises(IntegrityError):
        await store_session.flush()
    await store_session.rollback()
    with pytest.raises(IntegrityError):
        await store_session.execute(
            text("INSERT INTO orders (customer_id, status, created_at) VALUES (1, 'lost', '2026-01-01')")
        )
