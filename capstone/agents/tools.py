"""Function tools of the Helpdesk agents, backed by the store.

Tools act for ``context.customer_id`` only. A refused request (unknown order, refund too
large, ...) comes back to the model as text it can explain; other errors also reach the
model as a short apology cue, and are logged.
"""

from __future__ import annotations

import logging

from agents import RunContextWrapper, function_tool

from capstone.store import Order, StoreError, TicketCategory

from .context import HelpdeskContext

logger = logging.getLogger(__name__)

_GUIDES: dict[str, list[str]] = {
    "keyboard": [
        "Unplug the keyboard and plug it into another USB port.",
        "For sticking keys, switch it off and blow out dust between the keys.",
        "Update the firmware from the maker's site.",
    ],
    "monitor": [
        "Check that the power and video cables are firmly seated at both ends.",
        "Pick the right input (HDMI / DisplayPort) with the monitor's menu button.",
        "Try another cable or port to rule out a faulty cable.",
    ],
    "headset": [
        "Charge the headset fully, then switch it off and on again.",
        "Remove it from the device's Bluetooth list and pair it again.",
        "Select it as the input and output device in the sound settings.",
    ],
    "cable": [
        "Try the cable with another device to see whether the cable or the device is at fault.",
        "Check the connectors for dirt or bent pins.",
    ],
}
_GENERIC_GUIDE = [
    "Restart the device.",
    "Check cables, power and batteries.",
    "Install the latest updates for the device and the computer it is used with.",
]


def _tool_error(_ctx: RunContextWrapper[HelpdeskContext], error: Exception) -> str:
    if isinstance(error, StoreError):
        return f"Refused: {error}."
    logger.error("Helpdesk tool failed", exc_info=error)
    return "The store is not reachable right now. Apologise and suggest trying again later."


def _money(cents: int) -> str:
    return f"${cents / 100:.2f}"


def _describe(order: Order) -> str:
    items = ", ".join(f"{item.quantity} x {item.name}" for item in order.items)
    return f"Order {order.id}: {order.status.value}, {_money(order.amount_cents)} ({items})"


@function_tool(failure_error_function=_tool_error)
async def list_orders(ctx: RunContextWrapper[HelpdeskContext]) -> str:
    """List the customer's orders with their status, amount and items."""
    async with ctx.context.store() as store:
        orders = await store.list_orders(ctx.context.customer_id)
    return "\n".join(map(_describe, orders)) or "The customer has no orders."


@function_tool(failure_error_function=_tool_error)
async def get_order_status(ctx: RunContextWrapper[HelpdeskContext], order_id: int) -> str:
    """Look up the status, amount and items of one of the customer's orders.

    Args:
        order_id: The order number the customer gave.
    """
    async with ctx.context.store() as store:
        return _describe(await store.get_order(ctx.context.customer_id, order_id))


@function_tool(failure_error_function=_tool_error)
async def open_ticket(
    ctx: RunContextWrapper[HelpdeskContext],
    category: TicketCategory,
    subject: str,
    description: str,
    order_id: int | None = None,
) -> str:
    """Open a support ticket so that a member of staff follows the problem up.

    Args:
        category: The team that should handle it.
        subject: A one-line summary.
        description: What happened and what the customer already tried.
        order_id: The order it concerns, if any.
    """
    helpdesk = ctx.context
    async with helpdesk.store() as store:
        ticket = await store.open_ticket(
            helpdesk.customer_id,
            category,
            subject,
            description,
            order_id=order_id,
            conversation_id=helpdesk.conversation_id,
        )
    helpdesk.record(
        "ticket_opened",
        ticket_id=ticket.id,
        category=ticket.category.value,
        subject=subject,
        order_id=order_id,
    )
    return f"Ticket {ticket.id} opened for the {ticket.category.value} team."


@function_tool(failure_error_function=_tool_error)
async def request_refund(
    ctx: RunContextWrapper[HelpdeskContext],
    order_id: int,
    reason: str,
    amount: float | None = None,
) -> str:
    """Record a refund request for one of the customer's orders; it starts as pending.

    Args:
        order_id: The order to refund.
        reason: Why the customer wants the money back, in their words.
        amount: Dollars to refund; leave it out to refund everything not yet refunded.
    """
    helpdesk = ctx.context
    async with helpdesk.store() as store:
        refund = await store.request_refund(
            helpdesk.customer_id,
            order_id,
            reason,
            amount_cents=None if amount is None else round(amount * 100),
            conversation_id=helpdesk.conversation_id,
        )
    helpdesk.record(
        "refund_requested",
        refund_id=refund.id,
        order_id=order_id,
        amount_cents=refund.amount_cents,
        reason=reason,
    )
    if refund.amount_cents <= helpdesk.settings.refund_auto_approve_cents:
        review = "Refunds of this size are usually approved automatically within minutes."
    else:
        review = "A member of staff reviews refunds of this size within one business day."
    return (
        f"Refund request {refund.id} recorded: {_money(refund.amount_cents)} "
        f"for order {order_id}, status pending. {review}"
    )


@function_tool
def troubleshooting_steps(product: str, problem: str) -> str:
    """Step-by-step checks for a product problem, from the store's support guides.

    Args:
        product: The product, e.g. "mechanical keyboard".
        problem: What goes wrong, in the customer's words.
    """
    words = f"{product} {problem}".lower()
    steps = next((guide for key, guide in _GUIDES.items() if key in words), _GENERIC_GUIDE)
    return "\n".join(f"{number}. {step}" for number, step in enumerate(steps, start=1))
