"""The slice of the OpenAI Chat Completions wire format that the scripted server speaks.

Requests are validated with pydantic (unknown fields such as ``temperature`` are accepted and
ignored, as vLLM does); responses, stream chunks and errors are built as plain dicts.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

_ARGUMENT_PIECE = 8  # characters of tool-call arguments per streamed delta


class FunctionCall(BaseModel):
    """Name and JSON-encoded arguments of a function call."""

    model_config = ConfigDict(extra="allow")

    name: str
    arguments: str


class ToolCall(BaseModel):
    """A tool call carried in an assistant message of the history."""

    model_config = ConfigDict(extra="allow")

    id: str
    type: Literal["function"] = "function"
    function: FunctionCall


class Message(BaseModel):
    """One message of the conversation."""

    model_config = ConfigDict(extra="allow")

    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[dict[str, Any]] | None = None
    tool_calls: list[ToolCall] | None = None
    tool_call_id: str | None = None

    @model_validator(mode="after")
    def _tool_messages_name_their_call(self) -> Message:
        if self.role == "tool" and not self.tool_call_id:
            raise ValueError("messages with role 'tool' must have a 'tool_call_id'")
        return self

    def text(self) -> str:
        """The message's text, joining the text parts of multi-part content."""
        if isinstance(self.content, list):
            return "".join(str(part.get("text", "")) for part in self.content)
        return self.content or ""


class FunctionDef(BaseModel):
    """The function half of a tool definition."""

    model_config = ConfigDict(extra="allow")

    name: str
    parameters: dict[str, Any] | None = None


class ToolDef(BaseModel):
    """A tool the client offers to the model."""

    model_config = ConfigDict(extra="allow")

    type: Literal["function"]
    function: FunctionDef


class StreamOptions(BaseModel):
    """Streaming switches; only ``include_usage`` changes the output."""

    model_config = ConfigDict(extra="allow")

    include_usage: bool = False


class ChatRequest(BaseModel):
    """Body of ``POST /v1/chat/completions``."""

    model_config = ConfigDict(extra="allow")

    model: str
    messages: list[Message] = Field(min_length=1)
    tools: list[ToolDef] | None = None
    stream: bool = False
    stream_options: StreamOptions | None = None

    def tool_name_for(self, call_id: str) -> str | None:
        """Name of the function an earlier assistant message called with ``call_id``."""
        for message in self.messages:
            for call in message.tool_calls or []:
                if call.id == call_id:
                    return call.function.name
        return None

    def prompt_tokens(self) -> int:
        """Whitespace token count of every message's text and tool-call arguments."""
        words = 0
        for message in self.messages:
            words += count_tokens(message.text())
            words += sum(count_tokens(c.function.arguments) for c in message.tool_calls or [])
        return words


@dataclass(frozen=True)
class Outcome:
    """What the model answers: text, or tool calls as ``(name, arguments_json)`` pairs."""

    text: str | None = None
    tool_calls: tuple[tuple[str, str], ...] = ()

    @property
    def finish_reason(self) -> str:
        """``tool_calls`` when calling tools, else ``stop``."""
        return "tool_calls" if self.tool_calls else "stop"

    def completion_tokens(self) -> int:
        """Whitespace token count of the text or of the tool names and arguments."""
        if self.tool_calls:
            return sum(1 + count_tokens(arguments) for _, arguments in self.tool_calls)
        return count_tokens(self.text or "")


def count_tokens(text: str) -> int:
    """Deterministic stand-in for a tokenizer: the number of whitespace-separated words."""
    return len(text.split())


def usage(prompt_tokens: int, completion_tokens: int) -> dict[str, int]:
    """OpenAI ``usage`` object."""
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }


def completion(outcome: Outcome, model: str, usage_body: dict[str, int]) -> dict[str, Any]:
    """A non-streaming ``chat.completion`` body."""
    message: dict[str, Any] = {"role": "assistant", "content": outcome.text}
    if outcome.tool_calls:
        message["tool_calls"] = [
            {"id": _call_id(), "type": "function", "function": {"name": n, "arguments": a}}
            for n, a in outcome.tool_calls
        ]
    choice = {"index": 0, "message": message, "finish_reason": outcome.finish_reason}
    return {**_envelope("chat.completion", model), "choices": [choice], "usage": usage_body}


def chunks(
    outcome: Outcome, model: str, usage_body: dict[str, int] | None
) -> Iterator[dict[str, Any]]:
    """``chat.completion.chunk`` bodies in the order OpenAI and vLLM stream them.

    Text arrives word by word. Each tool call opens with a delta carrying its id, name and
    empty arguments, followed by deltas with pieces of the arguments. A final chunk carries
    the finish reason; with ``usage_body`` one more chunk with no choices carries the usage.
    """
    envelope = _envelope("chat.completion.chunk", model)

    def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
        choice = {"index": 0, "delta": delta, "finish_reason": finish_reason}
        return {**envelope, "choices": [choice]}

    if outcome.tool_calls:
        yield chunk({"role": "assistant", "content": None})
        for index, (name, arguments) in enumerate(outcome.tool_calls):
            function = {"name": name, "arguments": ""}
            yield chunk(
                {
                    "tool_calls": [
                        {"index": index, "id": _call_id(), "type": "function", "function": function}
                    ]
                }
            )
            for start in range(0, len(arguments), _ARGUMENT_PIECE):
                piece = arguments[start : start + _ARGUMENT_PIECE]
                yield chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})
    else:
        yield chunk({"role": "assistant", "content": ""})
        for word in re.split(r"(?<=\s)(?=\S)", outcome.text or ""):
            if word:
                yield chunk({"content": word})
    yield chunk({}, outcome.finish_reason)
    if usage_body is not None:
        yield {**envelope, "choices": [], "usage": usage_body}


def error(status: int, message: str, kind: str) -> dict[str, Any]:
    """OpenAI-style error body, e.g. ``error(400, "...", "BadRequestError")``."""
    return {"error": {"message": message, "type": kind, "param": None, "code": status}}


def encode_arguments(arguments: dict[str, Any]) -> str:
    """Tool-call arguments as the compact JSON string the wire format carries."""
    return json.dumps(arguments, separators=(",", ":"))


def _envelope(kind: str, model: str) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex}",
        "object": kind,
        "created": int(time.time()),
        "model": model,
    }


def _call_id() -> str:
    return f"call_{uuid.uuid4().hex[:24]}"
