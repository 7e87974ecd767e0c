"""Request and response bodies of the gateway's API."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from capstone.settings import HelpdeskSettings

MAX_CHARS = HelpdeskSettings().max_message_chars


class ChatRequest(BaseModel):
    customer_id: int = Field(gt=0, description="The signed-in customer.")
    conversation_id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$", description="Client-chosen id.")
    message: str = Field(min_length=1, max_length=MAX_CHARS)


class ChatResponse(BaseModel):
    conversation_id: str
    answer: str
    agent: str
    blocked: bool = False
    events: list[dict[str, Any]] = []
    tool_calls: list[dict[str, Any]] = []


class Turn(BaseModel):
    message: str
    answer: str
    agent: str


class History(BaseModel):
    conversation_id: str
    customer_id: int | None
    turns: list[Turn]


class Decision(BaseModel):
    approved: bool
    by: str = Field(default="agent", max_length=100)
