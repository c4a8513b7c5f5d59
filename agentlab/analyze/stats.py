"""Statistics for success rates: standard errors (binomial and clustered by task), pass@k and pass^k,
and paired bootstrap confidence intervals."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

BOOTSTRAP_RESAMPLES = 10_000
BOOTSTRAP_CONFIDENCE = 0.95
BOOTSTRAP_SEED = 0  # fixed: the same results always give the same interval


def standard_error(successes: int, n: int) -> float:
    """Standard error of a success rate, sqrt(p(1-p)/n); NaN when n is 0."""
    if n == 0:
        return math.nan
    p = successes / n
    return math.sqrt(p * (1 - p) / n)


def clustered_standard_error(scores, clusters) -> float:
    """Standard error of a mean score whose episodes come in clusters (a task's seeds): the
    cluster-robust sqrt(sum over clusters of (sum of its s - mean)^2) / n (Miller 2024, "Adding
    Error Bars to Evals"); the binomial one when every cluster has one episode; NaN when n is 0."""
    values = np.asarray(scores, dtype=float)
    if values.size == 0:
        return math.nan
    deviations = pd.Series(values - values.mean()).groupby(np.asarray(clusters), sort=False).sum()
    return float(np.sqrt((deviations**2).sum()) / values.size)


def pass_at_k(n: int, c: int, k: int) -> float:
    """Chance that at least one of k episodes drawn without replacement from n, c of them
    successes, succeeds: 1 - C(n-c, k) / C(n, k), the unbiased estimator (Chen et al. 2021)."""
    if not 0 < k <= n:
        raise ValueError(f"k={k} is not in 1..n={n}")
    return 1 - math.comb(n - c, k) / math.comb(n, k)


def pass_hat_k(n: int, c: int, k: int) -> float:
    """Chance that all of k episodes drawn without replacement from n, c of them successes,
    succeed: C(c, k) / C(n, k) (pass^k, Yao et al. 2024, tau-bench)."""
    if not 0 < k <= n:
        raise ValueError(f"k={k} is not in 1..n={n}")
    return math.comb(c, k) / math.comb(n, k)


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
