"""Keys are never recorded: the values of the key variables (API keys, tokens, passwords) are masked in
what an episode writes or prints, even when a server's error repeats the key it was sent."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from typing import Any

# Variables whose values are keys: every name the built-in agents and benchmarks need (OPENAI_API_KEY,
# AZURE_OPENAI_API_KEY, OPENROUTER_API_KEY, HF_TOKEN, SNOW_INSTANCE_PWD...) and the like of them.
KEY_NAME = re.compile(r"KEY|TOKEN|SECRET|PASSWORD|PASSWD|_PWD\Z|_PASS\Z|CREDENTIAL", re.IGNORECASE)
MIN_KEY_CHARS = 8  # shorter values ('1', 'true') are no keys, and masking them would garble the text


def declared_key_names(agent_args: Any) -> set[str]:
    """The variables an agent's resolved config (agent_args_to_dict) names: every `*_env` field (its
    model's api_key_env, token_env...) and every `required_env` list, at any depth."""
    names: set[str] = set()
    if isinstance(agent_args, Mapping):
        for field, value in agent_args.items():
            if isinstance(field, str) and field.endswith("_env") and isinstance(value, (str, list, tuple)):
                names.update([value] if isinstance(value, str) else (v for v in value if isinstance(v, str)))
            else:
                names |= declared_key_names(value)
    elif isinstance(agent_args, (list, tuple)):
        for value in agent_args:
            names |= declared_key_names(value)
    return names


def key_values(declared: Iterable[str] = (), environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    """{value: variable name} of the key variables set in `environ`: those named like keys and `declared`."""
    declared = set(declared)
    values = {
        value: name
        for name, value in environ.items()
        if (name in declared or KEY_NAME.search(name)) and len(value.strip()) >= MIN_KEY_CHARS
    }
    return dict(sorted(values.items(), key=lambda item: -len(item[0])))  # a key inside a longer one: longer first


def mask_keys(text: str, keys: Mapping[str, str] | None = None) -> str:
    """`text` with every key value (key_values()) replaced by '[$NAME]'."""
    for value, name in (key_values() if keys is None else keys).items():
        if value in text:
            text = text.replace(value, f"[${name}]")
    return text


def mask_keys_in(data: Any, keys: Mapping[str, str]) -> Any:
    """`data` (JSON-like: dicts, lists, strings) with mask_keys applied to every string in it."""
    if isinstance(data, str):
        return mask_keys(data, keys)
    if isinstance(data, Mapping):
        return {key: mask_keys_in(value, keys) for key, value in data.items()}
    if isinstance(data, (list, tuple)):
        return [mask_keys_in(value, keys) for value in data]
    return data
