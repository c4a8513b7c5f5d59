"""How numbers are written in summary.md and the HTML report, so both show the same text."""

from __future__ import annotations

import math

MISSING = "–"


def is_missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def format_cell(value) -> str:
    """A table cell: 3 significant digits for floats, thousands separators for large ones."""
    if is_missing(value):
        return MISSING
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    return str(value)


def format_score(score: float, kind: str = "binary") -> str:
    """A success rate in percent, or a mean reward with three decimals."""
    if is_missing(score):
        return MISSING
    return f"{score:.1%}" if kind == "binary" else f"{score:.3f}"


def format_rate(score: float, std_err: float, kind: str = "binary") -> str:
    """A score with its standard error: a success rate in percent, a mean reward with three decimals."""
    if is_missing(score):
        return MISSING
    return f"{format_score(score, kind)} ± {format_score(std_err, kind)}"


def format_difference(difference: float, kind: str = "binary") -> str:
    """A difference of scores with its sign: success rates in percentage points, mean rewards as they are."""
    if is_missing(difference):
        return MISSING
    return f"{difference * 100:+.1f} pp" if kind == "binary" else f"{difference:+.3f}"


def format_interval(low: float, high: float, kind: str = "binary") -> str:
    if is_missing(low):
        return MISSING
    if kind == "binary":
        return f"[{low * 100:+.1f}, {high * 100:+.1f}] pp"
    return f"[{low:+.3f}, {high:+.3f}]"
