"""Tests for AI-201 lab 3. Run them with `daca check 3`."""

import json

import pytest

from graders import StudentCodeError, is_callable, points, type_name, value

BILLING = {"category": "billing", "urgency": "high", "summary": "Charged twice for order A1001."}


def _triage(student, answer, name="Ada", tier="standard", message="I was charged twice!"):
    """triage() on a scripted model whose answer is `answer` (JSON-encoded unless a str).
    Returns (the TicketTriage handle, what the model was sent)."""
    text = answer if isinstance(answer, str) else json.dumps(answer)
    model = student.helpers.scripted_model([{"text": text}])
    context = student.helpdesk.StoreContext(customer_name=name, tier=tier, orders={"A1001": "delivered"})
    result = student.helpdesk.triage(message, context, model)
    return result, model


def _instructions(student, name, tier):
    _, model = _triage(student, BILLING, name=name, tier=tier)
    return value(student.helpers.model_calls(model))[0]["instructions"]


@points(1)
def test_ticket_triage_validates_its_fields(student):
    """TicketTriage holds category, urgency and summary, and refuses a category outside the three teams."""
    ticket = student.helpdesk.TicketTriage(**BILLING)
    assert value(ticket) == BILLING
    with pytest.raises(StudentCodeError) as raised:
        student.helpdesk.TicketTriage(category="shipping", urgency="high", summary="x")
    assert raised.value.type == "ValidationError", "category must be a Literal of the three teams"


@points(1)
def test_triage_agent(student):
    """build_triage_agent() returns an agent named "Triage" whose instructions are a function."""
    agent = student.helpdesk.build_triage_agent(student.helpers.scripted_model([]))
    assert value(agent.name) == "Triage"
    assert is_callable(agent.instructions), "instructions should be triage_instructions, not a string"


@points(2)
def test_output_schema_reaches_the_model(student):
    """The model is asked for TicketTriage's JSON schema: three required fields, closed choices."""
    _, model = _triage(student, BILLING)
    schema = value(student.helpers.model_calls(model))[0]["output_schema"]
    assert schema is not None, "give the triage agent output_type=TicketTriage"
    properties = schema["properties"]
    assert sorted(properties) == ["category", "summary", "urgency"]
    assert sorted(schema["required"]) == ["category", "summary", "urgency"]
    assert sorted(properties["category"].get("enum", [])) == ["billing", "orders", "tech"]
    assert sorted(properties["urgency"].get("enum", [])) == ["high", "low", "normal"]
    assert properties["summary"]["type"] == "string"


@points(2)
def test_triage_returns_the_parsed_answer(student):
    """triage() returns the model's JSON answer parsed into a TicketTriage."""
    result, _ = _triage(student, BILLING)
    assert type_name(result).endswith(".TicketTriage"), f"triage() returned a {type_name(result)}"
    assert value(result) == BILLING


@points(1)
def test_invalid_answer_is_an_error(student):
    """An answer that does not fit TicketTriage makes the run raise the SDK's ModelBehaviorError."""
    with pytest.raises(StudentCodeError) as raised:
        _triage(student, {"category": "shipping", "urgency": "high", "summary": "Where is it?"})
    assert raised.value.type == "ModelBehaviorError", f"expected ModelBehaviorError, got {raised.value.type}"


@points(2)
def test_instructions_name_the_customer(student):
    """The triage instructions start with TRIAGE_INSTRUCTIONS and name the customer and their tier."""
    instructions = _instructions(student, "Ada", "gold")
    assert instructions.startswith(value(student.helpdesk.TRIAGE_INSTRUCTIONS))
    assert "Ada" in instructions and "gold" in instructions, instructions


### BEGIN HIDDEN TESTS
@points(1)
def test_instructions_change_with_the_context(student):
    """Each run's instructions follow its own customer; only gold customers get the urgency rule."""
    standard = _instructions(student, "Beatrix", "standard")
    gold = _instructions(student, "Cosimo", "gold")
    assert "Beatrix" in standard and "standard" in standard and "Cosimo" not in standard, standard
    assert "Cosimo" in gold and "gold" in gold and "Beatrix" not in gold, gold
    assert "low" in gold and "low" not in standard, "gold customers' messages are never low urgency"


@points(1)
def test_triage_is_not_hard_coded(student):
    """A different answer gives a different TicketTriage, and the customer's message reaches the model."""
    answer = {"category": "tech", "urgency": "low", "summary": "The app logs me out."}
    result, model = _triage(student, answer, message="Your app keeps logging me out")
    assert value(result) == answer
    assert "Your app keeps logging me out" in json.dumps(
        value(student.helpers.model_calls(model))[0]["input"]
    )


@points(1)
def test_urgency_outside_the_choices_is_rejected(student):
    """An urgency outside low/normal/high, or an answer that is not JSON, is a ModelBehaviorError."""
    for bad in ({"category": "orders", "urgency": "urgent", "summary": "x"}, "Sure, it is about billing."):
        with pytest.raises(StudentCodeError) as raised:
            _triage(student, bad)
        assert raised.value.type == "ModelBehaviorError", raised.value.type


### END HIDDEN TESTS
