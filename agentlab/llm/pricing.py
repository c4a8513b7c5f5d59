"""What LLM calls cost: the study config's prices, LiteLLM's maintained price map, our own table for what
it lacks, and the arithmetic.

A model is priced by the first of: the study config's `prices:` (a user's own, e.g. a model the map lacks
or a negotiated rate: the user's word wins), the map, our table (PRICES: only what the map lacks, the
local model at 0). A model priced by none has an unknown cost (None), never 0: a total over episodes with
an unknown cost is unknown too. The map is the installed litellm's `model_prices_and_context_window_backup.json`
(the `providers` extra), read as a file: no import, no network. The source recorded with each cost names
the map entry that priced it, or the study config.
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
STUDY_SOURCE = "study config prices"
LITELLM_MAP = "model_prices_and_context_window_backup.json"
# OpenRouter's route suffixes that keep the model's price (':beta' is the same model, self-moderated);
# not ':free' (a free route) nor ':thinking' (another model's price)
SAME_PRICE_VARIANTS = (":beta",)

# The study config's prices (`prices:`), set by the episode before its agent is made (use_study_prices).
STUDY_PRICES: dict[str, Price] = {}


def use_study_prices(prices: dict[str, dict[str, float]]) -> None:
    """Price the models of the study config's `prices:` (USD per million tokens: input_per_million,
    output_per_million, cached_input_per_million defaulting to the input price) before the map and our table."""
    STUDY_PRICES.clear()
    for model, entry in prices.items():
        per_input = float(entry["input_per_million"])
        STUDY_PRICES[model] = Price(
            per_input, float(entry.get("cached_input_per_million", per_input)), float(entry["output_per_million"])
        )


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


def map_names(model: str) -> list[str]:
    """The names the map may price `model` under: itself, without a same-price route suffix
    (`openrouter/anthropic/claude-3.5-sonnet:beta` as `openrouter/anthropic/claude-3.5-sonnet`), and each
    of those without the provider prefix (`anthropic/claude-...` as `claude-...`, as LiteLLM does)."""
    names = [model] + [model.removesuffix(variant) for variant in SAME_PRICE_VARIANTS if model.endswith(variant)]
    return names + [name.partition("/")[2] for name in names if "/" in name]


def price_of(model: str) -> Priced | None:
    """`model`'s price: the study config's, else the map's under one of `map_names`, else our table; None if
    none has it."""
    if model in STUDY_PRICES:
        return Priced(STUDY_PRICES[model], f"{STUDY_SOURCE}[{model!r}]")
    prices, source = litellm_prices()
    for name in map_names(model):
        entry = prices.get(name)
        if entry and entry.get("input_cost_per_token") is not None and entry.get("output_cost_per_token") is not None:
            per_input = float(entry["input_cost_per_token"]) * PER_TOKENS
            cached = entry.get("cache_read_input_token_cost")
            return Priced(
                Price(
                    per_input,
                    per_input if cached is None else float(cached) * PER_TOKENS,
                    float(entry["output_cost_per_token"]) * PER_TOKENS,
                ),
                f"{source}[{name!r}]",
            )
    return Priced(PRICES[model], TABLE_SOURCE) if model in PRICES else None


def price_source(model: str) -> str | None:
    """Where `model`'s price comes from ("agentlab table", "litellm <version> model_cost['<entry>']",
    "study config prices['<model>']"), or None."""
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
