"""Actions as function calls (CUBE's actions, the OpenAI tools API): checked against JSON-schema tools,
never executed as text, and shown in records as the equivalent BrowserGym action string.

A tool is OpenAI's shape, {"type": "function", "function": {"name", "description", "parameters"}}, which is
also what CUBE's `ActionSchema.as_dict()` gives. A string action of a BrowserGym-named action set maps to a
call by binding its arguments to the tool's parameters in their declared order (`call_from_action`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .actions import ActionCall

MAX_CALL_CHARS = 10_000  # as actions.MAX_ACTION_CHARS: a call's JSON arguments longer than this are refused


@dataclass(frozen=True)
class ToolCall:
    """One function call: what a tool-calling agent answers and what a CUBE task's `step` takes."""

    name: str
    arguments: dict[str, Any] = field(default_factory=dict)
    id: str | None = None  # the model's tool-call id, echoed back with the result

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "arguments": self.arguments, "id": self.id}

    def __str__(self) -> str:
        """The call as a BrowserGym action string with keyword arguments, e.g. click(bid='12')."""
        return f"{self.name}({', '.join(f'{key}={value!r}' for key, value in self.arguments.items())})"


class ToolCallError(ValueError):
    """A call names no tool of the set, or its arguments fail the tool's schema; the message is fit for an LLM."""


def tool_schemas(action_set: Any) -> list[dict[str, Any]]:
    """The tools of a BrowserGym HighLevelActionSet, in OpenAI's shape."""
    return [
        {"type": "function", "function": {key: tool[key] for key in ("name", "description", "parameters")}}
        for tool in action_set.to_tool_description(api="openai")
    ]


def tools_by_name(tools: Sequence[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    return {tool["function"]["name"]: tool["function"] for tool in tools}


def parse_tool_call(
    name: Any, arguments: Any, tools: Sequence[Mapping[str, Any]], call_id: str | None = None
) -> ToolCall:
    """A model's call (arguments as a JSON text or a mapping) checked against `tools`; ToolCallError otherwise."""
    if isinstance(arguments, str):
        if len(arguments) > MAX_CALL_CHARS:
            raise ToolCallError(f"the call's arguments are {len(arguments)} characters; at most {MAX_CALL_CHARS}")
        try:
            arguments = json.loads(arguments or "{}")
        except json.JSONDecodeError as error:
            raise ToolCallError(f"the arguments of {name}() are not JSON: {error.msg}") from None
    if not isinstance(arguments, Mapping):
        raise ToolCallError(f"the arguments of {name}() must be a JSON object, not {type(arguments).__name__}")
    call = ToolCall(str(name), dict(arguments), call_id)
    check_call(call, tools)
    return call


def check_call(call: ToolCall, tools: Sequence[Mapping[str, Any]]) -> None:
    """Raise ToolCallError unless `call` names a tool of `tools` and its arguments satisfy that tool's schema."""
    from jsonschema import Draft202012Validator

    known = tools_by_name(tools)
    if call.name not in known:
        raise ToolCallError(f"unknown action {call.name!r}; allowed: {', '.join(sorted(known))}")
    schema = known[call.name].get("parameters") or {"type": "object"}
    errors = sorted(Draft202012Validator(schema).iter_errors(call.arguments), key=lambda error: list(error.path))
    if errors:
        where = ".".join(map(str, errors[0].path)) or "arguments"
        raise ToolCallError(f"{call.name}(): {where}: {errors[0].message}")


def call_from_action(call: ActionCall, tools: Sequence[Mapping[str, Any]]) -> ToolCall:
    """The tool call a parsed string action stands for: positional arguments bound to the tool's parameters
    in their declared order (a BrowserGym-named tool declares them as its function does), then checked."""
    known = tools_by_name(tools)
    if call.name not in known:
        raise ToolCallError(f"unknown action {call.name!r}; allowed: {', '.join(sorted(known))}")
    parameters = list((known[call.name].get("parameters") or {}).get("properties") or {})
    if len(call.args) > len(parameters):
        raise ToolCallError(
            f"{call.name}() takes {len(parameters)} arguments ({', '.join(parameters)}), not {len(call.args)}"
        )
    arguments = dict(zip(parameters, call.args))
    for key, value in call.kwargs:
        if key in arguments:
            raise ToolCallError(f"{call.name}(): argument {key!r} given twice")
        arguments[key] = value
    tool_call = ToolCall(call.name, arguments)
    check_call(tool_call, tools)
    return tool_call
