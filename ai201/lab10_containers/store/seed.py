"""Demo data: three customers and their orders, enough to try every agent.

Ids come from the database, so on a fresh database Ada is customer 1 with orders 1 and 2,
Grace is customer 2 with order 3, and Alan is customer 3 with a cancelled order 4.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from .models import Customer, Order, OrderItem, OrderStatus

_CUSTOMERS: list[tuple[str, str, list[tuple[OrderStatus, list[tuple[str, str, int, int]]]]]] = [
    (
        "Ada Lovelace",
        "ada@example.com",
        [
            (OrderStatus.SHIPPED, [("KB-01", "Mechanical keyboard", 1, 8900)]),
            (OrderStatus.DELIVERED, [("CB-USB", "USB-C cable", 2, 1250)]),
        ],
    ),
    (
        "Grace Hopper",
        "grace@example.com",
        [(OrderStatus.PLACED, [("MN-27", "27-inch monitor", 1, 24900)])],
    ),
    (
        "Alan Turing",
        "alan@example.com",
        [(OrderStatus.CANCELLED, [("HS-02", "Headset", 1, 5900)])],
    ),
]


async def seed_demo_data(session: AsyncSession) -> list[Customer]:
    """Add the demo customers and orders unless some customers exist; flush, do not commit."""
    if await session.scalar(select(Customer.id).limit(1)) is not None:
        return []
    customers = []
    for name, email, orders in _CUSTOMERS:
        customer = Customer(name=name, email=email)
        for status, items in orders:
            lines = [OrderItem(sku=s, name=n, quantity=q, unit_price_cents=p) for s, n, q, p in items]
            customer.orders.append(Order(status=status, items=lines))
        customers.append(customer)
    session.add_all(customers)
    await session.flush()
    return customers
