"""Tests for AI-201 lab 2. Run them with `daca check 2`."""

import pytest

from graders import StudentCodeError, items, points, value

SDK_DEFAULT_ERROR = "An error occurred while running the tool"


def _run(student, turns, orders, question="Can you help me with my order?"):
    """ask() on a scripted model, with a StoreContext holding `orders`.
    Returns (answer, the tool outputs the model saw, the StoreContext handle)."""
    model = student.helpers.scripted_model(turns)
    context = student.helpdesk.StoreContext(customer_name="Ada", tier="standard", orders=orders)
    answer = value(student.helpdesk.ask(question, context, model))
    return answer, value(student.helpers.tool_outputs(model)), context


def _tools(student):
    return {value(tool.name): tool for tool in items(student.helpdesk.store_tools())}


@points(2)
def test_agent_has_the_function_tools(student):
    """store_tools() gives the function tools lookup_order and request_refund; the model is offered both."""
    tools = _tools(student)
    assert sorted(tools) == ["lookup_order", "request_refund"], "store_tools() should return the two tools"
    for name, tool in tools.items():
        try:
            schema = value(tool.params_json_schema)
        except StudentCodeError:
            pytest.fail(f"{name} is not a FunctionTool: decorate it with @function_tool")
        assert schema["type"] == "object"
    model = student.helpers.scripted_model([{"text": "Hello!"}])
    assert value(student.helpdesk.ask("hi", student.helpdesk.StoreContext(), model)) == "Hello!"
    offered = value(student.helpers.model_calls(model))[0]["tools"]
    assert sorted(offered) == ["lookup_order", "request_refund"], (
        "build_agent() should give the agent the tools"
    )


@points(1)
def test_lookup_order_schema(student):
    """lookup_order's JSON schema asks for one string, order_id; the context stays out of it."""
    tools = _tools(student)
    assert "lookup_order" in tools, "store_tools() should include lookup_order"
    schema = value(tools["lookup_order"].params_json_schema)
    assert schema["type"] == "object"
    assert list(schema["properties"]) == ["order_id"], "only order_id: the context is not an argument"
    assert schema["properties"]["order_id"]["type"] == "string"
    assert schema["required"] == ["order_id"]
    assert schema.get("additionalProperties") is False, "keep the SDK's strict schema"
    assert value(tools["lookup_order"].description), "give the tool a docstring: it is its description"


@points(1)
def test_refund_amount_is_constrained_in_the_schema(student):
    """request_refund's schema limits amount to more than 0 and at most MAX_REFUND."""
    tools = _tools(student)
    assert "request_refund" in tools, "store_tools() should include request_refund"
    schema = value(tools["request_refund"].params_json_schema)
    assert sorted(schema["properties"]) == ["amount", "order_id"]
    amount = schema["properties"]["amount"]
    assert amount["type"] == "number", "amount is a float"
    assert amount.get("exclusiveMinimum") == 0, "amount must be greater than 0: Field(gt=0)"
    assert amount.get("maximum") == value(student.helpdesk.MAX_REFUND), "amount must be <= MAX_REFUND"


@points(2)
def test_tool_output_reaches_the_model(student):
    """When the model calls lookup_order, the order's status from the context is its next input."""
    answer, outputs, _ = _run(
        student,
        [{"tool": "lookup_order", "args": {"order_id": "A1001"}}, {"text": "It has shipped."}],
        {"A1001": "shipped", "B2002": "delivered"},
    )
    assert answer == "It has shipped."
    assert len(outputs) == 1 and "shipped" in outputs[0], f"the model should see the status; it saw {outputs}"


@points(2)
def test_unknown_order_is_reported_to_the_model(student):
    """An unknown order id is an error the model reads (naming the id), not a crash of the run."""
    try:
        answer, outputs, _ = _run(
            student,
            [{"tool": "lookup_order", "args": {"order_id": "Z9999"}}, {"text": "I cannot find it."}],
            {"A1001": "shipped"},
        )
    except StudentCodeError as exc:
        pytest.fail(f"the run should go on and tell the model; it raised {exc.type}")
    assert answer == "I cannot find it."
    assert len(outputs) == 1
    assert "Z9999" in outputs[0], f"tell the model which id is unknown; it saw {outputs[0]!r}"
    assert SDK_DEFAULT_ERROR not in outputs[0], "the SDK's default message hides the reason: use tool_error"


@points(2)
def test_bad_refund_amount_is_rejected(student):
    """A negative refund amount fails validation: the model reads an error and nothing is refunded."""
    answer, outputs, context = _run(
        student,
        [{"tool": "request_refund", "args": {"order_id": "A1001", "amount": -20}}, {"text": "Sorry."}],
        {"A1001": "delivered"},
    )
    assert answer == "Sorry."
    assert len(outputs) == 1 and "request_refund" in outputs[0], (
        f"the model should read the validation error for request_refund; it saw {outputs}"
    )
    assert SDK_DEFAULT_ERROR not in outputs[0], "report a ModelBehaviorError with tool_error"
    assert value(context.orders) == {"A1001": "delivered"}, "no refund for an invalid amount"


@points(2)
def test_refund_updates_the_context(student):
    """request_refund marks a delivered order "refund requested" in the very context passed to ask()."""
    answer, outputs, context = _run(
        student,
        [{"tool": "request_refund", "args": {"order_id": "B2002", "amount": 25}}, {"text": "Done."}],
        {"A1001": "shipped", "B2002": "delivered"},
    )
    assert answer == "Done."
    assert value(context.orders) == {"A1001": "shipped", "B2002": "refund requested"}, (
        "the tool should change the StoreContext given to ask()"
    )
    assert len(outputs) == 1 and "B2002" in outputs[0], f"confirm the refund to the model; it saw {outputs}"


### BEGIN HIDDEN TESTS
@points(1)
def test_lookups_read_the_context_not_constants(student):
    """Two lookups in one turn each return their own order's status from the context."""
    _, outputs, _ = _run(
        student,
        [
            {
                "tools": [
                    {"name": "lookup_order", "args": {"order_id": "Q7"}},
                    {"name": "lookup_order", "args": {"order_id": "K3"}},
                ]
            },
            {"text": "ok"},
        ],
        {"K3": "processing", "Q7": "delayed"},
    )
    assert len(outputs) == 2, outputs
    assert "delayed" in outputs[0] and "processing" in outputs[1], outputs


@points(1)
def test_refund_only_for_delivered_orders(student):
    """A refund for an order that is not delivered is refused with an error the model reads."""
    answer, outputs, context = _run(
        student,
        [{"tool": "request_refund", "args": {"order_id": "C3", "amount": 10}}, {"text": "Not yet."}],
        {"C3": "processing"},
    )
    assert answer == "Not yet."
    assert len(outputs) == 1 and "C3" in outputs[0] and SDK_DEFAULT_ERROR not in outputs[0], outputs
    assert value(context.orders) == {"C3": "processing"}


@points(1)
def test_refund_limit_is_enforced(student):
    """Amounts above MAX_REFUND are rejected before the tool runs; MAX_REFUND itself is accepted."""
    limit = value(student.helpdesk.MAX_REFUND)
    _, outputs, context = _run(
        student,
        [
            {"tool": "request_refund", "args": {"order_id": "D4", "amount": limit + 1}},
            {"tool": "request_refund", "args": {"order_id": "D4", "amount": limit}},
            {"text": "ok"},
        ],
        {"D4": "delivered"},
    )
    assert len(outputs) == 2 and "request_refund" in outputs[0], outputs
    assert value(context.orders) == {"D4": "refund requested"}, "MAX_REFUND itself is allowed"


@points(1)
def test_unexpected_errors_are_not_shown_to_the_model(student):
    """A crash inside a tool reaches the model as GENERIC_TOOL_ERROR, without its internals."""
    model = student.helpers.scripted_model(
        [{"tool": "lookup_order", "args": {"order_id": "A1"}}, {"text": "Please try later."}]
    )
    broken = student.helpdesk.StoreContext(orders=None)  # the store's data is missing: a bug
    assert value(student.helpdesk.ask("where is A1?", broken, model)) == "Please try later."
    outputs = value(student.helpers.tool_outputs(model))
    assert outputs == [value(student.helpdesk.GENERIC_TOOL_ERROR)], outputs


### END HIDDEN TESTS
