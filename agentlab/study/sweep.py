"""Agent sweeps: an agent entry's `sweep:` (override key -> list of values) expanded into one named
agent per point of the grid, so that each variant is an agent folder of its own."""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass, field
from typing import Any

from ..core.errors import ConfigError
from ..core.layout import MAX_FOLDER_NAME_BYTES

UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")  # what a value may not bring into an agent folder name


@dataclass(frozen=True)
class AgentEntry:
    """One agent of a study after expansion: its config, all its overrides, and the swept ones among them."""

    name: str
    config: str
    overrides: dict[str, Any]
    swept: dict[str, Any] = field(default_factory=dict)  # key -> this variant's value ({} if not swept)
    sweep_of: str | None = None  # the config entry it was expanded from


def value_label(value: Any) -> str:
    """A value as it appears in a variant's name: JSON spelling (true, 0.5, null), unsafe characters as '_'."""
    text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
    return UNSAFE.sub("_", text).strip("_") or "_"


def key_labels(keys: list[str]) -> dict[str, str]:
    """Each swept key's label in names: its last part, or the whole key where two last parts agree."""
    last = [key.rpartition(".")[2] for key in keys]
    return {key: short if last.count(short) == 1 else key for key, short in zip(keys, last, strict=True)}


def overlapping(a: str, b: str) -> bool:
    """Whether two dotted keys set the same field or one sets a field inside the other's."""
    parts_a, parts_b = a.split("."), b.split(".")
    n = min(len(parts_a), len(parts_b))
    return parts_a[:n] == parts_b[:n]


def expand_entry(name: str, settings: dict[str, Any]) -> list[AgentEntry]:
    """The agents of one config entry: itself, or one per point of its sweep grid, named by the swept
    keys' labels in alphabetical order, each key's values in the config's order."""
    overrides = settings.get("overrides") or {}
    sweep = settings.get("sweep")
    if not sweep:
        return [AgentEntry(name, settings["config"], dict(overrides))]
    for key in sweep:
        clash = [fixed for fixed in overrides if overlapping(key, fixed)]
        if clash:
            raise ConfigError(
                f"config error at agents.{name}.sweep: {key!r} is also set by overrides "
                f"({', '.join(map(repr, clash))}); allowed: a key in one of sweep and overrides"
            )
    for a, b in itertools.combinations(sweep, 2):
        if overlapping(a, b):
            raise ConfigError(
                f"config error at agents.{name}.sweep: {a!r} and {b!r} set the same field; "
                f"allowed: keys that do not contain one another"
            )
    labels = key_labels(list(sweep))
    keys = sorted(sweep, key=lambda key: (labels[key], key))  # names do not change when the config's order does
    entries = []
    for values in itertools.product(*(sweep[key] for key in keys)):
        swept = dict(zip(keys, values, strict=True))
        variant = "-".join([name] + [f"{labels[key]}={value_label(value)}" for key, value in swept.items()])
        if len(variant.encode()) > MAX_FOLDER_NAME_BYTES:
            raise ConfigError(
                f"config error at agents.{name}.sweep: the variant name {variant[:60]!r}... has "
                f"{len(variant.encode())} characters, too long for a folder; allowed: at most {MAX_FOLDER_NAME_BYTES}"
            )
        entries.append(AgentEntry(variant, settings["config"], {**overrides, **swept}, swept, name))
    return entries


def expand_agents(agents: dict[str, dict[str, Any]]) -> dict[str, AgentEntry]:
    """Every agent of a study's `agents:`, sweeps expanded; ConfigError (one line) if two get one name."""
    expanded: dict[str, AgentEntry] = {}
    for name, settings in agents.items():
        for entry in expand_entry(name, settings):
            if entry.name in expanded:
                other = expanded[entry.name]
                raise ConfigError(
                    f"config error at agents.{name}.sweep: the agent name {entry.name!r} is given twice "
                    f"({describe(other)} and {describe(entry)}); allowed: values whose names differ "
                    f"(unsafe characters become '_')"
                )
            expanded[entry.name] = entry
    return expanded


def describe(entry: AgentEntry) -> str:
    """How an agent came to be, for error messages."""
    if entry.sweep_of is None:
        return f"agents.{entry.name}"
    return f"agents.{entry.sweep_of} with {json.dumps(entry.swept)}"
