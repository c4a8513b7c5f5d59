"""Statistics for success rates: standard errors and paired bootstrap confidence intervals."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

BOOTSTRAP_RESAMPLES = 10_000
BOOTSTRAP_CONFIDENCE = 0.95
BOOTSTRAP_SEED = 0  # fixed: the same results always give the same interval


def standard_error(successes: int, n: int) -> float:
    """Standard error of a success rate, sqrt(p(1-p)/n); NaN when n is 0."""
    if n == 0:
        return math.nan
    p = successes / n
    return math.sqrt(p * (1 - p) / n)


@dataclass(frozen=True)
class Interval:
    """A mean difference and its percentile bootstrap confidence interval."""

    estimate: float
    low: float
    high: float


def paired_bootstrap(
    differences,
    n_resamples: int = BOOTSTRAP_RESAMPLES,
    confidence: float = BOOTSTRAP_CONFIDENCE,
    seed: int = BOOTSTRAP_SEED,
) -> Interval:
    """Mean of per-pair differences with a percentile bootstrap interval from resampling the pairs.

    Resampling n pairs with replacement only matters through how often each distinct difference
    is drawn, so each resample is one multinomial draw over the distinct values: the same
    distribution as drawing pair indices, in O(resamples × distinct values) instead of O(resamples × n).
    """
    values = np.asarray(differences, dtype=float)
    if values.size == 0:
        return Interval(math.nan, math.nan, math.nan)
    distinct, counts = np.unique(values, return_counts=True)
    draws = np.random.default_rng(seed).multinomial(values.size, counts / values.size, size=n_resamples)
    means = draws @ distinct / values.size
    tail = (1 - confidence) / 2
    low, high = np.quantile(means, [tail, 1 - tail])
    return Interval(float(values.mean()), float(low), float(high))
