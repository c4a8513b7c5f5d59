"""Statistics for success rates: standard errors."""

from __future__ import annotations

import math


def standard_error(successes: int, n: int) -> float:
    """Standard error of a success rate, sqrt(p(1-p)/n); NaN when n is 0."""
    if n == 0:
        return math.nan
    p = successes / n
    return math.sqrt(p * (1 - p) / n)
