"""Tests for AI-201 lab 7. Run them with `daca check 7` (PostgreSQL must be up: bash infra/services/up.sh)."""

import asyncio

import asyncpg
import pytest

from graders import StudentCodeError, items, points, value

SCHEMA = {
    "customers": {"id", "email", "name", "created_at"},
    "orders": {"id", "customer_id", "status", "created_at"},
    "order_items": {"id", "order_id", "sku", "name", "quantity", "unit_price_cents"},
    "tickets": {
        "id",
        "customer_id",
        "order_id",
        "conversation_id",
        "category",
        "subject",
        "description",
        "status",
        "created_at",
    },
    "refunds": {
        "id",
        "order_id",
        "customer_id",
        "conversation_id",
        "amount_cents",
        "reason",
        "status",
        "created_at",
    },
}
VERSION_TABLE = "helpdesk_alembic_version"
CONSTRAINTS = {
    "ck_refunds_amount_positive",
    "ck_order_items_quantity_positive",
    "fk_tickets_order_id_orders",
    "fk_refunds_customer_id_customers",
    "uq_customers_email",
}
ADA_ORDERS = [
    "Order 1: shipped, $89.00 (1 x Mechanical keyboard)",
    "Order 2: delivered, $25.00 (2 x USB-C cable)",
]


def _sqlite(name):
    return f"sqlite+aiosqlite:///{name}.db"  # a file in the sandbox's working folder


def _asyncpg(url):
    return url.replace("postgresql://", "postgresql+asyncpg://", 1)


def _sqlite_schema(student, name):
    """Tables and columns of a SQLite file, read with SQLAlchemy's inspector in the sandbox."""
    sa = student.module("sqlalchemy")
    inspector = sa.inspect(sa.create_engine(f"sqlite:///{name}.db"))
    return {
        table: {value(column["name"]) for column in items(inspector.get_columns(table))}
        for table in value(inspector.get_table_names())
    }


async def _pg_schema(url):
    connection = await asyncpg.connect(url, timeout=5)
    try:
        rows = await connection.fetch(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public'"
        )
        names = await connection.fetch(
            "SELECT conname FROM pg_constraint WHERE connamespace = 'public'::regnamespace"
        )
        versions = []
        if any(r["table_name"] == VERSION_TABLE for r in rows):
            versions = [
                r["version_num"] for r in await connection.fetch(f"SELECT version_num FROM {VERSION_TABLE}")
            ]
    finally:
        await connection.close()
    schema = {}
    for row in rows:
        schema.setdefault(row["table_name"], set()).add(row["column_name"])
    return schema, {r["conname"] for r in names}, versions


def _store(student, name):
    """A migrated SQLite store with the demo data, and a context for Ada (customer 1)."""
    url = _sqlite(name)
    student.helpdesk.prepare_store(url)
    return url, student.helpdesk.open_store(1, url, f"conv-{name}")


def _fails_with(error_type, call, *args, **kwargs):
    with pytest.raises(StudentCodeError) as raised:
        call(*args, **kwargs)
    assert raised.value.type == error_type, f"expected {error_type}, got {raised.value.type}: {raised.value}"
    return str(raised.value)


def _turn(student, context, message, turns):
    model = student.helpers.scripted_model(turns)
    result = value(student.helpdesk.answer(message, context, model))
    return result, value(student.helpers.tool_outputs(model))


@points(2)
def test_migrations_create_the_schema_on_sqlite(student):
    """upgrade_to_head creates every table and column on SQLite, and is safe to run twice."""
    student.store.upgrade_to_head(_sqlite("schema"))
    student.store.upgrade_to_head(_sqlite("schema"))
    assert _sqlite_schema(student, "schema") == {**SCHEMA, VERSION_TABLE: {"version_num"}}


@points(2)
def test_migrations_on_postgres_up_and_down(student, postgres_url):
    """On PostgreSQL the migration creates the tables, named constraints and version; downgrade removes them."""
    student.store.upgrade_to_head(_asyncpg(postgres_url))
    schema, constraints, versions = asyncio.run(_pg_schema(postgres_url))
    assert schema == {**SCHEMA, VERSION_TABLE: {"version_num"}}
    assert constraints >= CONSTRAINTS, f"missing constraints: {sorted(CONSTRAINTS - constraints)}"
    assert versions == ["0001"]
    student.store.migrate.downgrade_to(_asyncpg(postgres_url))
    schema, _, versions = asyncio.run(_pg_schema(postgres_url))
    assert set(schema) == {VERSION_TABLE} and versions == []


@points(1)
def test_downgrade_on_sqlite(student):
    """downgrade_to("base") drops every store table on SQLite."""
    student.store.upgrade_to_head(_sqlite("down"))
    student.store.migrate.downgrade_to(_sqlite("down"))
    assert set(_sqlite_schema(student, "down")) == {VERSION_TABLE}


@points(2)
def test_reads_are_scoped_to_the_customer(student):
    """list_orders and get_order return the customer's own orders; another's order is NotFoundError."""
    _, ada = _store(student, "reads")
    repository = ada.repository
    orders = items(repository.list_orders(1))
    assert [value(student.helpdesk.describe(o)) for o in orders] == ADA_ORDERS
    assert (
        value(student.helpdesk.describe(repository.get_order(2, 3)))
        == "Order 3: placed, $249.00 (1 x 27-inch monitor)"
    )
    message = _fails_with("NotFoundError", repository.get_order, 1, 3)
    assert "3" in message
    assert value(student.helpdesk.describe(repository.list_orders(1)[1])) == ADA_ORDERS[1]


@points(2)
def test_refund_rules(student):
    """Refunds default to what is left, never exceed it, and are refused for cancelled orders."""
    _, ada = _store(student, "refunds")
    repository = ada.repository
    first = repository.request_refund(1, 2, "one cable is broken", amount_cents=1000)
    assert value(first.amount_cents) == 1000 and value(first.status) == "pending"
    assert value(repository.refundable_cents(repository.get_order(1, 2))) == 1500
    rest = repository.request_refund(1, 2, "the other one too")
    assert value(rest.amount_cents) == 1500, "without an amount, refund everything left"
    _fails_with("RefundNotAllowedError", repository.request_refund, 1, 2, "again", amount_cents=1)
    _fails_with("RefundNotAllowedError", repository.request_refund, 1, 1, "too much", amount_cents=8901)
    _fails_with("RefundNotAllowedError", repository.request_refund, 3, 4, "cancelled")
    _fails_with("NotFoundError", repository.request_refund, 1, 3, "not mine")


@points(1)
def test_open_ticket(student):
    """open_ticket stores an open ticket; an order that is not the customer's is NotFoundError."""
    _, ada = _store(student, "tickets")
    ticket = ada.repository.open_ticket(1, "orders", "Parcel lost", "Nothing arrived.", order_id=1)
    assert (
        value(ticket.status) == "open" and value(ticket.category) == "orders" and value(ticket.order_id) == 1
    )
    _fails_with("NotFoundError", ada.repository.open_ticket, 1, "orders", "Lost", "...", order_id=3)


@points(2)
def test_tools_answer_from_the_database(student):
    """The orders agent's tools show the customer's orders as the database holds them."""
    _, ada = _store(student, "tools")
    turns = [
        {"tool": "transfer_to_orders_agent", "args": {}},
        {
            "tools": [
                {"name": "list_orders", "args": {}},
                {"name": "get_order_status", "args": {"order_id": 2}},
            ]
        },
        {"text": "Your cables were delivered."},
    ]
    result, outputs = _turn(student, ada, "Where are my orders?", turns)
    assert result == {"answer": "Your cables were delivered.", "agent": "Orders agent", "guardrail": None}
    assert outputs[1:] == ["\n".join(ADA_ORDERS), ADA_ORDERS[1]]


@points(2)
def test_a_refund_through_the_agent_is_saved(student):
    """The billing agent's request_refund writes a pending refund that a new database session sees."""
    url, ada = _store(student, "agent_refund")
    turns = [
        {"tool": "transfer_to_billing_agent", "args": {}},
        {"tool": "request_refund", "args": {"order_id": 2, "reason": "broken", "amount": 12.5}},
        {"text": "Refund recorded."},
    ]
    result, outputs = _turn(student, ada, "Refund half of order 2", turns)
    assert result["agent"] == "Billing agent"
    assert outputs[1] == "Refund request 1 recorded: $12.50 for order 2, status pending."
    refund = student.helpdesk.open_store(1, url).repository.get_refund(1)
    assert value(refund.amount_cents) == 1250 and value(refund.status) == "pending"
    assert value(refund.conversation_id) == "conv-agent_refund"


### BEGIN HIDDEN TESTS
@points(1)
def test_a_refused_turn_writes_nothing(student):
    """When the output guardrail trips after a tool wrote a refund, the refund is rolled back."""
    url, ada = _store(student, "refused")
    turns = [
        {"tool": "transfer_to_billing_agent", "args": {}},
        {"tool": "request_refund", "args": {"order_id": 2, "reason": "broken"}},
        {"text": "Done; write to eve@example.org."},
    ]
    result, _ = _turn(student, ada, "Refund order 2", turns)
    assert result == {
        "answer": value(student.helpdesk.OUTPUT_REFUSAL),
        "agent": None,
        "guardrail": "no_foreign_pii",
    }
    _fails_with("NotFoundError", student.helpdesk.open_store(1, url).repository.get_refund, 1)


@points(1)
def test_store_errors_reach_the_model(student):
    """A refused store request reaches the model as "Error: ..."; tickets go through the agent too."""
    url, _ = _store(student, "errors")
    alan = student.helpdesk.open_store(3, url, "conv-alan")
    turns = [
        {"tool": "transfer_to_billing_agent", "args": {}},
        {
            "tools": [
                {"name": "get_order_status", "args": {"order_id": 1}},
                {"name": "request_refund", "args": {"order_id": 4, "reason": "changed my mind"}},
                {
                    "name": "open_ticket",
                    "args": {
                        "category": "billing",
                        "subject": "Refund",
                        "description": "Wants money back",
                        "order_id": 4,
                    },
                },
            ]
        },
        {"text": "Sorry."},
    ]
    _, outputs = _turn(student, alan, "Refund order 4", turns)
    assert outputs[1:] == [
        "Error: you have no order 1",
        "Error: order 4 was cancelled and never charged",
        "Ticket 1 opened for the billing team.",
    ]


@points(1)
def test_a_rejected_refund_frees_its_amount(student):
    """Only pending and approved refunds count against what is left to refund."""
    _, ada = _store(student, "rejected")
    repository = ada.repository
    refund = repository.request_refund(1, 1, "late")
    assert value(refund.amount_cents) == 8900
    repository.set_refund_status(value(refund.id), "rejected")
    assert value(repository.refundable_cents(repository.get_order(1, 1))) == 8900
    assert value(repository.request_refund(1, 1, "late", amount_cents=100).amount_cents) == 100


@points(1)
def test_models_declare_every_column(student):
    """The models declare the same columns as the migration."""
    tables = student.store.Base.metadata.tables
    for table in ("orders", "tickets", "refunds"):
        columns = value(tables[table].columns.keys())
        assert set(columns) == SCHEMA[table], f"{table}: {sorted(set(columns) ^ SCHEMA[table])}"


@points(1)
def test_the_helpdesk_on_postgres(student, postgres_url):
    """The whole store works on PostgreSQL: demo data, tools through the agent, a saved ticket."""
    url = _asyncpg(postgres_url)
    assert value(student.helpdesk.prepare_store(url)) == 3
    grace = student.helpdesk.open_store(2, url, "conv-grace")
    turns = [
        {"tool": "transfer_to_orders_agent", "args": {}},
        {"tool": "list_orders", "args": {}},
        {
            "tool": "open_ticket",
            "args": {"category": "orders", "subject": "Late", "description": "Not shipped", "order_id": 3},
        },
        {"text": "Ticket opened."},
    ]
    _, outputs = _turn(student, grace, "My monitor is late", turns)
    assert outputs[1:] == [
        "Order 3: placed, $249.00 (1 x 27-inch monitor)",
        "Ticket 1 opened for the orders team.",
    ]
    assert value(student.helpdesk.prepare_store(url)) == 0, "demo data is added once"


### END HIDDEN TESTS
