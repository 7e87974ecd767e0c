"""The store's repository: the only code that queries or changes the database.

Every read is scoped to one customer, so an agent acting for customer A can never see
customer B's orders. Methods flush but never commit: the caller owns the transaction
(one per conversation turn), so a failed turn leaves no half-written rows behind.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from .models import Customer, Order, OrderStatus, Refund, RefundStatus, Ticket, TicketCategory


class StoreError(Exception):
    """A request the store refuses; the message is safe to show the customer."""


class NotFoundError(StoreError):
    """The customer, order or refund does not exist (or belongs to someone else)."""


class RefundNotAllowedError(StoreError):
    """The order cannot be refunded by that amount."""


class HelpdeskRepository:
    """Customer-facing queries and changes on one ``AsyncSession``."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get_customer(self, customer_id: int) -> Customer:
        """The customer, or ``NotFoundError``."""
        customer = await self.session.get(Customer, customer_id)
        if customer is None:
            raise NotFoundError(f"customer {customer_id} does not exist")
        return customer

    async def list_orders(self, customer_id: int) -> list[Order]:
        """The customer's orders with their items, oldest first."""
        query = (
            select(Order)
            .where(Order.customer_id == customer_id)
            .options(selectinload(Order.items))
            .order_by(Order.id)
        )
        return list(await self.session.scalars(query))

    async def get_order(self, customer_id: int, order_id: int) -> Order:
        """One of the customer's orders with its items, or ``NotFoundError``."""
        query = (
            select(Order)
            .where(Order.id == order_id, Order.customer_id == customer_id)
            .options(selectinload(Order.items))
        )
        order = await self.session.scalar(query)
        if order is None:
            raise NotFoundError(f"you have no order {order_id}")
        return order

    async def open_ticket(
        self,
        customer_id: int,
        category: TicketCategory,
        subject: str,
        description: str,
        *,
        order_id: int | None = None,
        conversation_id: str | None = None,
    ) -> Ticket:
        """Open a support ticket, optionally about one of the customer's orders."""
        if order_id is not None:
            await self.get_order(customer_id, order_id)
        ticket = Ticket(
            customer_id=customer_id,
            order_id=order_id,
            conversation_id=conversation_id,
            category=category,
            subject=subject,
            description=description,
        )
        self.session.add(ticket)
        await self.session.flush()
        return ticket

    async def refundable_cents(self, order: Order) -> int:
        """What is left to refund on ``order``: its amount minus pending and approved refunds."""
        claimed = await self.session.scalar(
            select(func.coalesce(func.sum(Refund.amount_cents), 0)).where(
                Refund.order_id == order.id, Refund.status != RefundStatus.REJECTED
            )
        )
        return order.amount_cents - int(claimed or 0)

    async def request_refund(
        self,
        customer_id: int,
        order_id: int,
        reason: str,
        *,
        amount_cents: int | None = None,
        conversation_id: str | None = None,
    ) -> Refund:
        """Record a pending refund request (the whole remaining amount by default).

        Raises ``RefundNotAllowedError`` for cancelled orders, amounts that are not positive
        and amounts above what is left to refund.
        """
        order = await self.get_order(customer_id, order_id)
        if order.status is OrderStatus.CANCELLED:
            raise RefundNotAllowedError(f"order {order_id} was cancelled and never charged")
        left = await self.refundable_cents(order)
        amount = left if amount_cents is None else amount_cents
        if amount <= 0 or amount > left:
            raise RefundNotAllowedError(
                f"order {order_id} has {left / 100:.2f} left to refund, "
                f"so {amount / 100:.2f} cannot be refunded"
            )
        refund = Refund(
            order_id=order_id,
            customer_id=customer_id,
            amount_cents=amount,
            reason=reason,
            conversation_id=conversation_id,
        )
        self.session.add(refund)
        await self.session.flush()
        return refund

    async def get_refund(self, refund_id: int) -> Refund:
        """A refund request by id (for the refund workflow), or ``NotFoundError``."""
        refund = await self.session.get(Refund, refund_id)
        if refund is None:
            raise NotFoundError(f"refund {refund_id} does not exist")
        return refund

    async def set_refund_status(self, refund_id: int, status: RefundStatus) -> Refund:
        """Move a pending refund to ``approved`` or ``rejected`` (the workflow's decision)."""
        refund = await self.get_refund(refund_id)
        if refund.status is not RefundStatus.PENDING:
            raise RefundNotAllowedError(f"refund {refund_id} is already {refund.status.value}")
        refund.status = status
        await self.session.flush()
        return refund
