"""Group similar error messages (same text once ids, numbers, quoted values and URLs are masked)."""

from __future__ import annotations

import re

import pandas as pd

from .load import EPISODE_KEYS

# Applied in order: the parts of a message that vary between occurrences of the same error.
MASKS = [
    (re.compile(r"\b[a-z][a-z0-9+.-]*://\S+", re.IGNORECASE), "<url>"),
    (re.compile(r"(?<![\w.])(?:/[\w.@:+-]+){2,}/?"), "<path>"),
    (re.compile(r"\"[^\"]*\"|'[^']*'"), "'…'"),
    (re.compile(r"\b0x[0-9a-f]+\b", re.IGNORECASE), "<hex>"),
    (re.compile(r"\d+(?:\.\d+)?"), "N"),
]
GROUP_COLUMNS = ["signature", "count", "n_episodes", "message", "examples"]


def error_signature(message: str) -> str:
    """`message` with its varying parts masked, so that occurrences of one error compare equal."""
    for pattern, replacement in MASKS:
        message = pattern.sub(replacement, message)
    return " ".join(message.split())


def group_messages(frame: pd.DataFrame, column: str, by: tuple[str, ...] = (), n_examples: int = 3) -> pd.DataFrame:
    """Rows of `frame` with a message in `column`, grouped by `by` and the message's signature.

    One row per group, most frequent first: count (rows), n_episodes (distinct episodes), one
    message as it was written, and up to `n_examples` example episodes as EPISODE_KEYS tuples.
    """
    columns = [*by, *GROUP_COLUMNS]
    if column not in frame:
        return pd.DataFrame(columns=columns)
    rows = frame[frame[column].notna() & (frame[column].astype(str).str.strip() != "")]
    if rows.empty:
        return pd.DataFrame(columns=columns)
    rows = rows.assign(signature=rows[column].astype(str).map(error_signature))
    groups = []
    for group_keys, group in rows.groupby([*by, "signature"], sort=False, dropna=False):
        episodes = list(dict.fromkeys(group[EPISODE_KEYS].itertuples(index=False, name=None)))
        groups.append(
            {
                **dict(zip([*by, "signature"], group_keys)),
                "count": len(group),
                "n_episodes": len(episodes),
                "message": str(group[column].iloc[0]),
                "examples": episodes[:n_examples],
            }
        )
    table = pd.DataFrame(groups, columns=columns)
    return table.sort_values(["count", "signature"], ascending=[False, True], kind="stable").reset_index(drop=True)


def episode_error_groups(episodes: pd.DataFrame) -> pd.DataFrame:
    """The errors that ended episodes (agent and infra errors), grouped by status, type and signature."""
    return group_messages(episodes, "error_message", by=("status", "error_type"))


def action_error_groups(steps: pd.DataFrame) -> pd.DataFrame:
    """The browser's complaints about actions (last_action_error), grouped by signature."""
    return group_messages(steps, "last_action_error")
