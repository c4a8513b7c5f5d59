"""Spending limits: per episode (tokens, USD) and per study (USD), and the study's spend ledger.

An episode stops asking its agent once its totals reach a limit (`stop_reason: budget`, a failure:
the agent's, not retried). A study stops starting episodes once the attempts it paid for reach
`max_cost_usd`: every attempt appends its cost to `spend.jsonl` in the study folder, so the spend
survives relaunches and counts retried attempts (money spent is spent); `spend_total.json` keeps
its running total, so the check before each episode costs the same at 100 episodes as at 100,000.
Costs are known only for priced models (agentlab/llm/pricing.py: the study config's `prices:`, which
travel with the budget to every episode, LiteLLM's price map and our table):
a cost limit refuses an agent whose cost is unknown before it makes a call; a token limit applies to every model.
"""

from __future__ import annotations

import fcntl
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .files import read_json, write_json_atomic
from .layout import SPEND_FILE, SPEND_TOTAL_FILE


def total_tokens(stats: dict[str, Any]) -> int:
    """Input plus output tokens of an agent's totals (what budget.episode_max_tokens limits)."""
    return int(stats.get("input_tokens") or 0) + int(stats.get("output_tokens") or 0)


@dataclass(frozen=True)
class Budget:
    """A study's limits (`budget:` in the config; None means no limit) and the prices its costs count in."""

    episode_max_tokens: int | None = None  # input + output tokens of one episode
    episode_max_cost_usd: float | None = None
    max_cost_usd: float | None = None  # the whole study: no episode starts once its spend reaches this
    # the study config's `prices:` (model -> {input_per_million, output_per_million, cached_input_per_million})
    prices: dict[str, dict[str, float]] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(self.__dict__, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Budget:
        from .files import dataclass_from_json

        return dataclass_from_json(cls, text, "the budget")

    def needs_prices(self) -> bool:
        return self.episode_max_cost_usd is not None or self.max_cost_usd is not None

    def unpriced(self, stats: dict[str, Any]) -> str | None:
        """Why an agent with these totals cannot run under a cost limit (its cost is unknown), or None."""
        if self.needs_prices() and "cost" in stats and stats["cost"] is None:
            return (
                "a cost budget is set but the agent's model has no price (neither the study config's prices:, "
                "LiteLLM's price map, from the providers extra, nor agentlab/llm/pricing.py has it): add it to "
                "prices: in the study config, or use budget.episode_max_tokens only"
            )
        return None

    def episode_exceeded(self, stats: dict[str, Any]) -> str | None:
        """Which per-episode limit the agent's totals `stats` reached, or None."""
        tokens = total_tokens(stats)
        if self.episode_max_tokens is not None and tokens >= self.episode_max_tokens:
            return f"{tokens} tokens reached budget.episode_max_tokens={self.episode_max_tokens}"
        spent = stats.get("cost") or 0.0
        if self.episode_max_cost_usd is not None and spent >= self.episode_max_cost_usd:
            return f"${spent:.4f} reached budget.episode_max_cost_usd={self.episode_max_cost_usd:g}"
        return None


NO_BUDGET = Budget()  # no limits: the default wherever a budget is optional


@dataclass(frozen=True)
class Spend:
    """What a study's attempts cost so far, from its ledger."""

    cost_usd: float
    attempts: int

    def message(self, study: str, limit: float) -> str:
        return (
            f"study {study!r} spent ${self.cost_usd:.2f} in {self.attempts} episode attempts, reaching "
            f"budget.max_cost_usd={limit:g}: no new episode starts (finished ones are kept; raise the budget "
            f"and rerun to continue)"
        )


def record_spend(study_dir: Path, episode: str, attempt: int, stats: dict[str, Any]) -> None:
    """Append one attempt's cost to the study's ledger and its running total (under a lock: many
    episodes append)."""
    line = json.dumps(
        {
            "episode": episode,
            "attempt": attempt,
            "cost_usd": stats.get("cost"),
            "tokens": total_tokens(stats),
        }
    )
    fd = os.open(study_dir / SPEND_FILE, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        before = read_spend(study_dir)
        os.write(fd, (line + "\n").encode())
        total = Spend(before.cost_usd + known_cost(stats.get("cost")), before.attempts + 1)
        write_json_atomic(study_dir / SPEND_TOTAL_FILE, {**asdict(total), "ledger_bytes": os.fstat(fd).st_size})
    finally:
        os.close(fd)


def read_spend(study_dir: Path) -> Spend:
    """The study's spend: its running total while that matches the ledger's size, else (a ledger
    edited or copied by hand, a total lost) the sum of the ledger. Unknown costs (unpriced models,
    run without a cost budget) and damaged lines count 0."""
    from .records import read_records_tolerantly

    try:
        ledger_bytes = (study_dir / SPEND_FILE).stat().st_size
    except FileNotFoundError:
        return Spend(0.0, 0)
    try:
        total = read_json(study_dir / SPEND_TOTAL_FILE)
        if total["ledger_bytes"] == ledger_bytes:
            return Spend(float(total["cost_usd"]), int(total["attempts"]))
    except (OSError, ValueError, TypeError, KeyError):
        pass  # no total, or a damaged one: the ledger says
    records, _ = read_records_tolerantly(study_dir / SPEND_FILE)
    return Spend(sum(known_cost(record.get("cost_usd")) for record in records), len(records))


def known_cost(cost: Any) -> float:
    """A recorded cost in USD, 0 where it is unknown (None) or not a number."""
    return float(cost) if isinstance(cost, (int, float)) and not isinstance(cost, bool) else 0.0
