"""Token counts estimated without a tokenizer, for prompt budgets (tokenizers are per model and
some need downloads). Three characters per token over-counts English and matches accessibility
trees (measured with Qwen2.5's tokenizer), so prompts stay within budget."""

from __future__ import annotations

import math

CHARS_PER_TOKEN = 3.0
IMAGE_TOKENS = 1_000  # a screenshot of a page at OpenAI's high detail is ~765 tokens


def estimate_tokens(text: str) -> int:
    return math.ceil(len(text) / CHARS_PER_TOKEN)
