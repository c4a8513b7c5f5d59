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


def format_percent(value: float) -> str:
    return MISSING if is_missing(value) else f"{value:.1%}"


def format_rate(rate: float, std_err: float) -> str:
    """A success rate with its standard error, in percent."""
    return MISSING if is_missing(rate) else f"{rate:.1%} ± {std_err:.1%}"


def format_difference(difference: float) -> str:
    """A difference of success rates, in percentage points with its sign."""
    return MISSING if is_missing(difference) else f"{difference * 100:+.1f} pp"


def format_interval(low: float, high: float) -> str:
    return MISSING if is_missing(low) else f"[{low * 100:+.1f}, {high * 100:+.1f}] pp"
