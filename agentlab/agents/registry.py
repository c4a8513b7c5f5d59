"""Agent configs named by Python path (`agentlab.agents.replay.REPLAY`), with keyword overrides."""

from __future__ import annotations

import copy
import dataclasses
import importlib
from typing import Any

from ..core.errors import ConfigError
from ..core.records import SINCE_SET
from .base import AgentArgs


def load_agent_args(path: str, overrides: dict[str, Any] | None = None) -> AgentArgs:
    """The AgentArgs object at `path`, copied, with `overrides` applied (dotted keys reach nested fields)."""
    module_name, _, attribute = path.rpartition(".")
    if not module_name:
        raise ConfigError(f"agent config {path!r} is not a Python path; allowed: 'package.module.NAME'")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        raise ConfigError(f"agent config {path!r}: module {error.name!r} not found") from None
    if not hasattr(module, attribute):
        choices = sorted(name for name, value in vars(module).items() if isinstance(value, AgentArgs))
        raise ConfigError(
            f"agent config {path!r}: {module_name} has no {attribute!r}; allowed: {', '.join(choices) or 'none'}"
        )
    args = getattr(module, attribute)
    if not isinstance(args, AgentArgs):
        raise ConfigError(f"agent config {path!r} is a {type(args).__name__}, not an AgentArgs")
    args = copy.deepcopy(args)
    for key, value in (overrides or {}).items():
        args = args.override(key.split("."), value, path)
    return args


def agent_args_to_dict(args: AgentArgs) -> dict[str, Any]:
    """JSON-able description of resolved agent args: their class and every field, but a field added after
    results existed (metadata SINCE_SET) only when it differs from its default, so the config hashes of
    agents planned before it, and the episodes that carry them, stay what they were."""
    cls = type(args)
    return {"class": f"{cls.__module__}.{cls.__qualname__}", "fields": _fields(args)}


def _fields(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            field.name: _fields(getattr(value, field.name))
            for field in dataclasses.fields(value)
            if not (field.metadata.get(SINCE_SET) and getattr(value, field.name) == field.default)
        }
    if isinstance(value, (list, tuple)):
        return type(value)(_fields(item) for item in value)
    if isinstance(value, dict):
        return {key: _fields(item) for key, item in value.items()}
    return copy.deepcopy(value)
