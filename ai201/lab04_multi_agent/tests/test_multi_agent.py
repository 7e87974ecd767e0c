"""Tests for AI-201 lab 4. Run them with `daca check 4`."""

import json

from graders import items, points, value


def _context(student):
    return student.helpdesk.StoreContext(
        customer_name="Ada", orders={"A1001": "shipped", "B2002": "delivered"}
    )


def _route(student, turns, message="Where is my order A1001?"):
    model = student.helpers.scripted_model(turns)
    return value(student.helpdesk.route(message, _context(student), model)), model


def _manage(student, turns, message="Where is my order A1001?"):
    model = student.helpers.scripted_model(turns)
    return value(student.helpdesk.manage(message, _context(student), model)), model


@points(1)
def test_specialists(student):
    """The orders agent has lookup_order; the billing agent has lookup_order and request_refund."""
    model = student.helpers.scripted_model([])
    orders = student.helpdesk.build_orders_agent(model)
    billing = student.helpdesk.build_billing_agent(model)
    assert value(orders.name) == "Orders agent"
    assert value(billing.name) == "Billing agent"
    assert [value(t.name) for t in items(orders.tools)] == ["lookup_order"]
    assert [value(t.name) for t in items(billing.tools)] == ["lookup_order", "request_refund"]
    assert value(orders.handoff_description), "give each specialist a handoff_description"


@points(2)
def test_triage_offers_handoffs(student):
    """The triage agent's model sees handoffs transfer_to_orders_agent and transfer_to_billing_agent."""
    _, model = _route(student, [{"text": "Hello!"}])
    call = value(student.helpers.model_calls(model))[0]
    assert call["handoffs"] == ["transfer_to_orders_agent", "transfer_to_billing_agent"], call["handoffs"]
    assert call["instructions"] == value(student.helpdesk.ROUTER_INSTRUCTIONS)


@points(2)
def test_handoff_to_orders(student):
    """After a handoff the orders agent answers, and route() names it."""
    turns = [
        {"tool": "transfer_to_orders_agent", "args": {}},
        {"tool": "lookup_order", "args": {"order_id": "A1001"}},
        {"text": "Your order A1001 has shipped."},
    ]
    result, model = _route(student, turns)
    assert result == {"agent": "Orders agent", "answer": "Your order A1001 has shipped."}
    assert "shipped" in value(student.helpers.tool_outputs(model))


@points(2)
def test_manager_uses_agents_as_tools(student):
    """The manager calls the specialists as tools and keeps the final answer."""
    turns = [
        {"tool": "ask_orders_agent", "args": {"input": "Status of A1001?"}},
        {"text": "A1001 has shipped."},
        {"text": "Good news, Ada: A1001 is on its way."},
    ]
    result, model = _manage(student, turns)
    assert result == {"agent": "Helpdesk manager", "answer": "Good news, Ada: A1001 is on its way."}
    calls = value(student.helpers.model_calls(model))
    assert calls[0]["tools"] == ["ask_orders_agent", "ask_billing_agent"], calls[0]["tools"]
    assert calls[0]["handoffs"] == [], "the manager uses tools, not handoffs"
    assert "A1001 has shipped." in json.dumps(value(student.helpers.tool_outputs(model)))


### BEGIN HIDDEN TESTS
@points(1)
def test_handoff_to_billing_is_not_hard_coded(student):
    """A handoff to billing ends with the billing agent's own answer, and the refund really happens."""
    turns = [
        {"tool": "transfer_to_billing_agent", "args": {}},
        {"tool": "request_refund", "args": {"order_id": "B2002", "amount": 12.5}},
        {"text": "Refund requested."},
    ]
    result, model = _route(student, turns, message="Refund B2002 please")
    assert result == {"agent": "Billing agent", "answer": "Refund requested."}
    assert "Refund of $12.50 requested for order B2002." in value(student.helpers.tool_outputs(model))
    assert "Refund B2002 please" in json.dumps(value(student.helpers.model_calls(model))[0]["input"])


@points(1)
def test_no_handoff_triage_answers(student):
    """Without a handoff the triage agent answers itself."""
    result, _ = _route(student, [{"text": "Hi Ada!"}], message="hello")
    assert result == {"agent": "Triage agent", "answer": "Hi Ada!"}


### END HIDDEN TESTS
