"""Loading scripts and choosing rules, without HTTP."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from infra.llm import Rule, Script, load_script
from infra.llm.protocol import ChatRequest
from infra.llm.script import ScriptRunner, Turn

WEATHER = {"type": "function", "function": {"name": "get_weather"}}
NEWS = {"type": "function", "function": {"name": "get_news"}}


def turn(*messages: dict, tools: tuple[dict, ...] = ()) -> Turn:
    request = ChatRequest(model="m", messages=list(messages), tools=list(tools) or None)
    return Turn.from_request(request)


def tool_result(name: str, content: str) -> list[dict]:
    call = {"id": f"call_{name}", "type": "function", "function": {"name": name, "arguments": "{}"}}
    return [
        {"role": "user", "content": "weather and news"},
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": f"call_{name}", "content": content},
    ]


def test_load_script_from_json_file(tmp_path: Path) -> None:
    path = tmp_path / "script.json"
    path.write_text(json.dumps({"model": "tiny", "rules": [{"match": "hi", "reply": "hello"}]}))

    script = load_script(path)

    assert script.model == "tiny"
    assert script.rules == [Rule(match="hi", reply="hello")]


def test_load_script_from_list_of_rules() -> None:
    script = load_script([{"match": "hi", "reply": "hello"}])

    assert script.model == "daca-scripted" and len(script.rules) == 1


@pytest.mark.parametrize(
    "rule",
    [
        {"match": "x"},
        {"reply": "a", "tool_calls": [{"name": "t"}]},
        {"match": "(unclosed", "reply": "a"},
        {"reply": "a", "fault": {"status": 418}},
        {"reply": "a", "typo": True},
    ],
)
def test_invalid_rules_are_rejected(rule: dict) -> None:
    with pytest.raises(ValidationError):
        load_script([rule])


def test_first_matching_rule_wins_and_fallback_catches_the_rest() -> None:
    runner = ScriptRunner(
        Script(
            rules=[Rule(match="hello", reply="first"), Rule(match="hel", reply="second")],
            fallback=Rule(reply="fallback"),
        )
    )

    assert runner.choose(turn({"role": "user", "content": "HELLO"})).reply == "first"
    assert runner.choose(turn({"role": "user", "content": "bye"})).reply == "fallback"


def test_match_reads_the_last_user_message_in_multipart_content() -> None:
    runner = ScriptRunner(Script(rules=[Rule(match="^second$", reply="yes")]))
    conversation = turn(
        {"role": "user", "content": "first"},
        {"role": "assistant", "content": "ok"},
        {"role": "user", "content": [{"type": "text", "text": "second"}]},
    )

    assert runner.choose(conversation).reply == "yes"


def test_after_tool_matches_the_named_tool_result() -> None:
    runner = ScriptRunner(
        Script(
            rules=[
                Rule(after_tool="get_news", reply="news: {tool_result}"),
                Rule(after_tool=True, reply="some tool: {tool_result}"),
                Rule(after_tool=False, reply="no tool"),
            ]
        )
    )

    news, weather = (
        turn(*tool_result("get_news", "quiet")),
        turn(*tool_result("get_weather", "sun")),
    )
    plain = turn({"role": "user", "content": "hi"})
    assert runner.choose(news).outcome(news).text == "news: quiet"
    assert runner.choose(weather).outcome(weather).text == "some tool: sun"
    assert runner.choose(plain).reply == "no tool"


def test_tool_call_rules_need_their_tools_offered() -> None:
    rule = Rule(tool_calls=[{"name": "get_weather"}, {"name": "get_news"}])
    runner = ScriptRunner(Script(rules=[rule]))
    ask = {"role": "user", "content": "both"}

    assert runner.choose(turn(ask, tools=(WEATHER,))) is runner.script.fallback
    assert runner.choose(turn(ask, tools=(WEATHER, NEWS))) is rule


def test_times_limits_how_often_a_rule_fires() -> None:
    runner = ScriptRunner(Script(rules=[Rule(times=2, reply="limited"), Rule(reply="after")]))
    ask = turn({"role": "user", "content": "x"})

    assert [runner.choose(ask).reply for _ in range(3)] == ["limited", "limited", "after"]


def test_tool_call_outcome_encodes_arguments_and_counts_tokens() -> None:
    rule = Rule(tool_calls=[{"name": "get_weather", "arguments": {"city": "Paris"}}])

    outcome = rule.outcome(turn({"role": "user", "content": "x"}))

    assert outcome.tool_calls == (("get_weather", '{"city":"Paris"}'),)
    assert outcome.finish_reason == "tool_calls"
    assert outcome.completion_tokens() == 2
