"""Scripts for the scripted server: ordered rules that decide each reply.

A script is data (a Python list/dict or a JSON file)::

    {
      "model": "daca-scripted",
      "rules": [
        {"after_tool": "get_weather", "reply": "The forecast says: {tool_result}"},
        {"match": "weather", "tool_calls": [{"name": "get_weather",
                                             "arguments": {"city": "Paris"}}]},
        {"match": "flaky", "times": 1, "fault": {"status": 503}}
      ],
      "fallback": {"reply": "I only know about the weather."}
    }

The first rule whose conditions all hold answers the request; the fallback answers otherwise.
The user message still matches after a tool ran, so put ``after_tool`` rules first.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeAlias

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .protocol import ChatRequest, Outcome, encode_arguments

TOOL_RESULT_PLACEHOLDER = "{tool_result}"


class ToolCallSpec(BaseModel):
    """One tool call the scripted model makes."""

    model_config = ConfigDict(extra="forbid")

    name: str
    """Function name; must be one of the request's ``tools`` for the rule to match."""
    arguments: dict[str, Any] = Field(default_factory=dict)
    """Arguments, sent to the client as a JSON string."""


class Fault(BaseModel):
    """Failure injected instead of (or before) the rule's reply."""

    model_config = ConfigDict(extra="forbid")

    status: Literal[500, 503] | None = None
    """Answer with this HTTP error instead of a completion."""
    delay: float = Field(default=0.0, ge=0)
    """Seconds to wait before answering; longer than the client timeout forces a timeout."""


class Rule(BaseModel):
    """Conditions on the conversation, and what the model answers when they hold."""

    model_config = ConfigDict(extra="forbid")

    match: str | None = None
    """Regex searched (``re.search``, case-insensitive) in the last user message."""
    after_tool: bool | str | None = None
    """True: the last message is a tool result; a name: a result of that tool; False: not a
    tool result; None: either."""
    reply: str | None = None
    """Text answer; ``{tool_result}`` is replaced by the last tool result's content."""
    tool_calls: list[ToolCallSpec] | None = None
    """Tool calls to make instead of a text answer."""
    fault: Fault | None = None
    """Optional failure injection."""
    times: int | None = Field(default=None, ge=1)
    """Fire at most this many times, then let later rules answer (e.g. fail once, then work)."""

    def outcome(self, turn: Turn) -> Outcome:
        """The answer this rule gives in ``turn``."""
        if self.tool_calls:
            calls = tuple((c.name, encode_arguments(c.arguments)) for c in self.tool_calls)
            return Outcome(tool_calls=calls)
        text = (self.reply or "").replace(TOOL_RESULT_PLACEHOLDER, turn.tool_result or "")
        return Outcome(text=text)

    @model_validator(mode="after")
    def _check_outcome(self) -> Rule:
        outcomes = (self.reply is not None) + bool(self.tool_calls)
        failing = self.fault is not None and self.fault.status is not None
        if outcomes > 1 or (outcomes == 0 and not failing):
            raise ValueError("a rule needs exactly one of reply or tool_calls, or a fault status")
        if self.match is not None:
            try:
                re.compile(self.match)
            except re.error as exc:
                raise ValueError(f"match is not a valid regex: {exc}") from exc
        return self


class Script(BaseModel):
    """A served model name, ordered rules and a fallback."""

    model_config = ConfigDict(extra="forbid")

    model: str = "daca-scripted"
    """Model id served on ``/v1/models``; requests for any other model get 404."""
    rules: list[Rule] = Field(default_factory=list)
    """Tried in order; the first match answers."""
    fallback: Rule = Rule(reply="I have no scripted answer for that.")
    """Answers when no rule matches (its conditions are ignored)."""


ScriptSource: TypeAlias = "Script | Mapping[str, Any] | Sequence[Any] | str | Path"
"""Anything ``load_script`` accepts."""


def load_script(source: ScriptSource) -> Script:
    """Build a ``Script`` from a Script, a dict, a list of rules, or a JSON file path."""
    if isinstance(source, Script):
        return source
    if isinstance(source, (str, Path)):
        return load_script(json.loads(Path(source).read_text(encoding="utf-8")))
    if isinstance(source, Mapping):
        return Script.model_validate(source)
    return Script(rules=[Rule.model_validate(rule) for rule in source])


@dataclass(frozen=True)
class Turn:
    """What the conversation looks like to the rules."""

    user_text: str
    tool_name: str | None
    tool_result: str | None
    offered_tools: frozenset[str]

    @classmethod
    def from_request(cls, request: ChatRequest) -> Turn:
        """Extract the last user message, the trailing tool result and the offered tools."""
        messages = request.messages
        user_text = next((m.text() for m in reversed(messages) if m.role == "user"), "")
        last = messages[-1]
        tool_name = tool_result = None
        if last.role == "tool":
            tool_result = last.text()
            # "" marks a result whose call is not in the history: some tool, name unknown
            tool_name = request.tool_name_for(last.tool_call_id or "") or ""
        offered = frozenset(tool.function.name for tool in request.tools or [])
        return cls(user_text, tool_name, tool_result, offered)


class ScriptRunner:
    """Picks the rule for each request and counts how often limited rules have fired."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self._fired = [0] * len(script.rules)

    def choose(self, turn: Turn) -> Rule:
        """Return the first matching rule that still has firings left, else the fallback."""
        for index, rule in enumerate(self.script.rules):
            if _matches(rule, turn) and (rule.times is None or self._fired[index] < rule.times):
                self._fired[index] += 1
                return rule
        return self.script.fallback


def _matches(rule: Rule, turn: Turn) -> bool:
    if rule.match is not None and not re.search(rule.match, turn.user_text, re.IGNORECASE):
        return False
    if rule.after_tool is True and turn.tool_name is None:
        return False
    if rule.after_tool is False and turn.tool_name is not None:
        return False
    if isinstance(rule.after_tool, str) and rule.after_tool != turn.tool_name:
        return False
    return all(call.name in turn.offered_tools for call in rule.tool_calls or [])
