"""What LLM calls cost: LiteLLM's maintained price map, our own table for what it lacks, and the arithmetic.

A model priced by neither has an unknown cost (None), never 0: a total over episodes with an unknown
cost is unknown too. Our table (PRICES) holds only what the map lacks (the local model, at 0). The map
is the installed litellm's `model_prices_and_context_window_backup.json` (the `providers` extra), read
as a file: no import, no network.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from importlib import metadata
from typing import Any

PER_TOKENS = 1_000_000


@dataclass(frozen=True)
class Price:
    """USD per million tokens: input, input served from the provider's prompt cache, output."""

    input: float
    cached_input: float
    output: float


# Only what LiteLLM's map lacks (it prices every OpenAI, Anthropic, Gemini... model our configs name).
PRICES: dict[str, Price] = {
    "qwen2.5-coder-0.5b-instruct-q4_k_m": Price(0.0, 0.0, 0.0),  # the local model: no charge
}


TABLE_SOURCE = "agentlab table"
LITELLM_MAP = "model_prices_and_context_window_backup.json"


@dataclass(frozen=True)
class Priced:
    """A model's price and where it comes from (recorded with every cost computed from it)."""

    price: Price
    source: str


@functools.cache
def litellm_prices() -> tuple[dict[str, Any], str]:
    """LiteLLM's price map and its source label; empty when litellm is not installed."""
    try:
        distribution = metadata.distribution("litellm")
    except metadata.PackageNotFoundError:
        return {}, ""
    path = distribution.locate_file(f"litellm/{LITELLM_MAP}")
    return json.loads(path.read_text()), f"litellm {distribution.version} model_cost"


def price_of(model: str) -> Priced | None:
    """`model`'s price: the map under its name or its name without the provider prefix
    (`anthropic/claude-...` is priced as `claude-...`, as LiteLLM does), else our table; None if neither has it."""
    prices, source = litellm_prices()
    for name in (model, model.partition("/")[2]):
        entry = prices.get(name) if name else None
        if entry and entry.get("input_cost_per_token") is not None and entry.get("output_cost_per_token") is not None:
            per_input = float(entry["input_cost_per_token"]) * PER_TOKENS
            cached = entry.get("cache_read_input_token_cost")
            return Priced(
                Price(
                    per_input,
                    per_input if cached is None else float(cached) * PER_TOKENS,
                    float(entry["output_cost_per_token"]) * PER_TOKENS,
                ),
                source,
            )
    return Priced(PRICES[model], TABLE_SOURCE) if model in PRICES else None


def price_source(model: str) -> str | None:
    """Where `model`'s price comes from ("agentlab table", "litellm <version> model_cost"), or None."""
    priced = price_of(model)
    return priced.source if priced else None


def cost(model: str, input_tokens: int, output_tokens: int, cached_tokens: int = 0) -> float | None:
    """USD of one call (cached tokens are part of `input_tokens`); None if `model` has no price."""
    priced = price_of(model)
    if priced is None:
        return None
    price = priced.price
    cached = min(cached_tokens, input_tokens)
    return (
        (input_tokens - cached) * price.input + cached * price.cached_input + output_tokens * price.output
    ) / PER_TOKENS


def add_costs(total: float | None, more: float | None) -> float | None:
    """Sum of two costs where unknown (None) wins: an unknown part makes the total unknown."""
    return None if total is None or more is None else total + more
