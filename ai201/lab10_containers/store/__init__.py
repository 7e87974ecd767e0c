"""The Helpdesk's store: models, async sessions, migrations, repository and demo data."""

from .db import create_engine, session_factory
from .migrate import alembic_config, upgrade_to_head
from .models import (
    Base,
    Customer,
    Order,
    OrderItem,
    OrderStatus,
    Refund,
    RefundStatus,
    Ticket,
    TicketCategory,
    TicketStatus,
)
from .repository import HelpdeskRepository, NotFoundError, RefundNotAllowedError, StoreError
from .seed import seed_demo_data

__all__ = [
    "Base",
    "Customer",
    "HelpdeskRepository",
    "NotFoundError",
    "Order",
    "OrderItem",
    "OrderStatus",
    "Refund",
    "RefundNotAllowedError",
    "RefundStatus",
    "StoreError",
    "Ticket",
    "TicketCategory",
    "TicketStatus",
    "alembic_config",
    "create_engine",
    "seed_demo_data",
    "session_factory",
    "upgrade_to_head",
]
