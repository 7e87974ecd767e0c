"""Tests for AI-201 lab 1. Run them with `daca check 1`."""

from graders import points, text, value


@points(2)
def test_build_model_uses_settings(student):
    """build_model() talks to the base URL and model named in the settings."""
    settings = student.helpdesk.LLMSettings(base_url="http://vllm.example:8000/v1", model="my-model")
    model = student.helpdesk.build_model(settings)
    assert value(model.model) == "my-model", "the model should be settings.model"
    assert text(model._client.base_url).rstrip("/") == "http://vllm.example:8000/v1", (
        "the client should use settings.base_url"
    )


@points(1)
def test_agent_is_the_helpdesk(student):
    """build_agent() returns an agent named "Helpdesk" with the lab's INSTRUCTIONS."""
    model = student.helpers.scripted_model([])
    agent = student.helpdesk.build_agent(model)
    assert value(agent.name) == "Helpdesk"
    assert value(agent.instructions) == value(student.helpdesk.INSTRUCTIONS)


@points(2)
def test_ask_returns_the_answer(student):
    """ask() runs the agent and returns the model's final answer."""
    model = student.helpers.scripted_model([{"text": "Hello! How can I help?"}])
    assert value(student.helpdesk.ask("hi", model)) == "Hello! How can I help?"


@points(1)
def test_ask_async(student):
    """ask_async() does the same as ask(), awaited."""
    model = student.helpers.scripted_model([{"text": "Async hello."}])
    assert value(student.helpdesk.ask_async("hi", model)) == "Async hello."


@points(2)
def test_stream_answer_yields_text(student):
    """stream_answer() yields text pieces that add up to the whole answer."""
    model = student.helpers.scripted_model([{"text": "Streaming works fine."}])
    pieces = value(student.helpdesk.stream_answer("hi", model))
    assert pieces, "stream_answer() yielded nothing"
    assert "".join(pieces) == "Streaming works fine."


### BEGIN HIDDEN TESTS
@points(1)
def test_question_and_instructions_reach_the_model(student):
    """The model receives the agent's instructions and the customer's question."""
    model = student.helpers.scripted_model([{"text": "ok"}])
    student.helpdesk.ask("Where is my parcel?", model)
    calls = value(student.helpers.model_calls(model))
    assert len(calls) == 1
    assert calls[0]["instructions"] == value(student.helpdesk.INSTRUCTIONS)
    assert "Where is my parcel?" in str(calls[0]["input"])


@points(1)
def test_answers_are_not_hard_coded(student):
    """Different model output gives a different answer, sync and streamed."""
    model = student.helpers.scripted_model([{"text": "Refunds take 5 days."}, {"text": "Bye."}])
    assert value(student.helpdesk.ask("refund?", model)) == "Refunds take 5 days."
    assert "".join(value(student.helpdesk.stream_answer("bye", model))) == "Bye."
### END HIDDEN TESTS
