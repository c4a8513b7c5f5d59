"""Paired bootstrap intervals against exact enumeration; agent comparisons against hand counts."""

import itertools
import math

import numpy as np
import pytest
from synthetic import summary_fields, write_study

from agentlab.analyze import compare_agents, load_results
from agentlab.analyze.compare import paired_episodes, task_outcomes
from agentlab.analyze.stats import paired_bootstrap


def exact_bootstrap_interval(differences, confidence):
    """Percentile interval of the exact bootstrap distribution: every one of the n^n resamples of
    the pairs, equally likely; a quantile is the smallest mean whose cumulative probability reaches it."""
    n = len(differences)
    means = sorted(sum(differences[i] for i in picks) / n for picks in itertools.product(range(n), repeat=n))

    def quantile(q):
        return means[math.ceil(q * len(means)) - 1]

    tail = (1 - confidence) / 2
    return quantile(tail), quantile(1 - tail)


@pytest.mark.parametrize(
    "differences, confidence, expected",
    [
        # 27 resamples; mean = k/3 with k ~ Binomial(3, 1/3): P = 8, 12, 6, 1 (/27); 95% point at 26/27 ≥ .95
        ([1, 0, 0], 0.90, (0.0, 2 / 3)),
        # 256 resamples; k ~ Binomial(4, 1/4): cumulative .316, .738, .949, .996, 1 → 97.5% point is 3/4
        ([1, 0, 0, 0], 0.95, (0.0, 0.75)),
        # 3125 resamples of (1, 0, 1, 0, -1)
        ([1, 0, 1, 0, -1], 0.95, None),
    ],
)
def test_paired_bootstrap_matches_the_exact_bootstrap_distribution(differences, confidence, expected):
    exact = exact_bootstrap_interval(differences, confidence)
    if expected is not None:
        assert exact == pytest.approx(expected)
    interval = paired_bootstrap(differences, confidence=confidence)
    assert interval.estimate == pytest.approx(np.mean(differences))
    assert (interval.low, interval.high) == pytest.approx(exact)


def test_paired_bootstrap_agrees_with_resampling_pair_indices():
    """A straightforward implementation (draw pair indices) gives the same interval up to one atom (1/n)."""
    differences = np.random.default_rng(7).choice([-1, 0, 0, 1, 1], size=40)
    picks = np.random.default_rng(1).integers(0, len(differences), size=(20_000, len(differences)))
    low, high = np.quantile(differences[picks].mean(axis=1), [0.025, 0.975])
    interval = paired_bootstrap(differences)
    assert abs(interval.low - low) <= 1 / 40 + 1e-12 and abs(interval.high - high) <= 1 / 40 + 1e-12


def test_paired_bootstrap_is_deterministic_and_degenerate_cases_are_exact():
    assert paired_bootstrap([1, 0, -1, 1]) == paired_bootstrap([1, 0, -1, 1])
    same = paired_bootstrap([1, 1, 1])
    assert (same.estimate, same.low, same.high) == (1.0, 1.0, 1.0)
    assert all(math.isnan(v) for v in (paired_bootstrap([]).estimate, paired_bootstrap([]).low))


def test_comparison_pairs_by_task_and_seed_and_leaves_out_infra_errors(tmp_path):
    s, f, i = "success", "failure", "infra_error"
    outcomes = {  # agent: task: status per seed 0, 1, 2
        "a": {"t1": [s, s, f], "t2": [s, f, i]},
        "b": {"t1": [s, f, f], "t2": [f, f, s]},
    }
    episodes = {
        (agent, task, seed): summary_fields(result)
        for agent, tasks in outcomes.items()
        for task, results in tasks.items()
        for seed, result in enumerate(results)
    }
    del episodes[("b", "t1", 2)]  # missing: no pair
    results = load_results(write_study(tmp_path, episodes))

    pairs = paired_episodes(results.episodes, "a", "b")
    assert sorted(zip(pairs["task"], pairs["seed"])) == [("t1", 0), ("t1", 1), ("t2", 0), ("t2", 1)]
    row = compare_agents(results.episodes).iloc[0]
    assert (row["agent_a"], row["agent_b"], row["n_pairs"]) == ("a", "b", 4)
    assert (row["score_a"], row["score_b"], row["difference"]) == (0.75, 0.25, 0.5)
    assert (row["both_success"], row["only_a"], row["only_b"], row["both_failure"]) == (1, 2, 0, 1)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx(exact_bootstrap_interval([0, 1, 1, 0], 0.95))
    # t1: a 2/2 vs b 1/2 over seeds 0, 1; t2: a 1/2 vs b 0/2
    assert (row["task_wins_a"], row["task_wins_b"], row["task_ties"]) == (2, 0, 0)
    table = task_outcomes(pairs)
    assert table[["task", "score_a", "score_b", "winner"]].values.tolist() == [
        ["t1", 1.0, 0.5, "a"],
        ["t2", 0.5, 0.0, "a"],
    ]


def test_one_agent_has_nothing_to_compare(tmp_path):
    results = load_results(write_study(tmp_path, {("a", "t1", 0): summary_fields("success")}, agents=("a",)))
    assert compare_agents(results.episodes).empty
