"""Reading an LLM answer: <think>, <memory> and one <action>, checked by the safe action parser; or, in
tool mode, the model's first tool call, checked against the tools, its text the reasoning."""

from __future__ import annotations

import inspect
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ...browser.actions import ActionParseError, parse_action
from ...browser.tool_calls import ToolCall, ToolCallError, parse_tool_call
from ...llm.chat import ChatResponse


class AnswerParseError(ValueError):
    """The answer has no usable action; the message tells the LLM what to fix."""


@dataclass(frozen=True)
class Answer:
    action: str  # canonical form of the parsed call
    think: str
    memory: str | None
    tool_call: ToolCall | None = None  # in tool mode: the checked call, which `action` renders


def extract_tag(text: str, tag: str) -> str | None:
    """The content of the last <tag>...</tag> in `text`; an unclosed last tag runs to the end."""
    closed = re.findall(rf"<{tag}>(.*?)</{tag}>", text, flags=re.DOTALL)
    if closed:
        return closed[-1].strip()
    start = text.rfind(f"<{tag}>")
    return text[start + len(tag) + 2 :].strip() if start >= 0 else None


def _strip_code(text: str) -> str:
    """`click('1')` or a fenced block around the action, as models like to write."""
    text = re.sub(r"^```[a-z]*\s*|\s*```$", "", text.strip())
    return text.strip().strip("`").strip()


def parse_answer(text: str, signatures: dict[str, inspect.Signature], with_memory: bool = False) -> Answer:
    """The action, reasoning and memory of `text`; AnswerParseError says what is wrong."""
    raw = extract_tag(text, "action")
    if not raw:
        raise AnswerParseError(
            "the answer has no action; end it with one action between tags, e.g. <action>click('12')</action>"
        )
    action = _strip_code(raw)
    try:
        call = parse_action(action, signatures)
    except ActionParseError as error:
        raise AnswerParseError(f"invalid action {action[:200]!r}: {error}") from None
    return Answer(str(call), extract_tag(text, "think") or "", extract_tag(text, "memory") if with_memory else None)


def parse_tool_answer(response: ChatResponse, tools: Sequence[Mapping[str, Any]], with_memory: bool = False) -> Answer:
    """The first tool call of `response` checked against `tools`, its text the reasoning (or its <think>)."""
    if not response.tool_calls:
        raise AnswerParseError("the answer calls no tool; call exactly one of the tools given")
    first = response.tool_calls[0]
    try:
        call = parse_tool_call(first.name, first.arguments, tools, first.id)
    except ToolCallError as error:
        raise AnswerParseError(f"invalid call of {first.name[:100]!r}: {error}") from None
    text = response.text
    memory = extract_tag(text, "memory") if with_memory else None
    return Answer(str(call), extract_tag(text, "think") or text.strip(), memory, call)
