"""What LLM calls cost: a price table in USD per million tokens, and the arithmetic.

A model missing from the table has an unknown cost (None), never 0: a total over episodes with
an unknown cost is unknown too. Local models are in the table at 0. Prices are the providers'
list prices for the pinned model versions; edit PRICES when they change.
"""

from __future__ import annotations

from dataclasses import dataclass

PER_TOKENS = 1_000_000


@dataclass(frozen=True)
class Price:
    """USD per million tokens: input, input served from the provider's prompt cache, output."""

    input: float
    cached_input: float
    output: float


PRICES: dict[str, Price] = {
    "gpt-3.5-turbo-1106": Price(1.00, 1.00, 2.00),
    "gpt-3.5-turbo-0125": Price(0.50, 0.50, 1.50),
    "gpt-4o-2024-05-13": Price(5.00, 5.00, 15.00),
    "gpt-4o-2024-08-06": Price(2.50, 1.25, 10.00),
    "gpt-4o-2024-11-20": Price(2.50, 1.25, 10.00),
    "gpt-4o-mini-2024-07-18": Price(0.15, 0.075, 0.60),
    "qwen2.5-coder-0.5b-instruct-q4_k_m": Price(0.0, 0.0, 0.0),  # the local model: no charge
}


def cost(model: str, input_tokens: int, output_tokens: int, cached_tokens: int = 0) -> float | None:
    """USD of one call (cached tokens are part of `input_tokens`); None if `model` has no price."""
    price = PRICES.get(model)
    if price is None:
        return None
    cached = min(cached_tokens, input_tokens)
    return (
        (input_tokens - cached) * price.input + cached * price.cached_input + output_tokens * price.output
    ) / PER_TOKENS


def add_costs(total: float | None, more: float | None) -> float | None:
    """Sum of two costs where unknown (None) wins: an unknown part makes the total unknown."""
    return None if total is None or more is None else total + more
