"""Reading an LLM answer: <think>, <memory> and one <action>, checked by the safe action parser."""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass

from ...actions import ActionParseError, parse_action


class AnswerParseError(ValueError):
    """The answer has no usable action; the message tells the LLM what to fix."""


@dataclass(frozen=True)
class Answer:
    action: str  # canonical form of the parsed call
    think: str
    memory: str | None


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
