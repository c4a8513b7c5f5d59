"""pass@k, pass^k and the standard error clustered by task, against values computed by hand."""

import math

import pandas as pd
import pytest
from synthetic import write_episode, write_manifest

from agentlab.analyze import load_results, pass_k_table, summarize
from agentlab.analyze.aggregate import aggregate_study
from agentlab.analyze.stats import clustered_standard_error, pass_at_k, pass_hat_k

# Agent a: t1 succeeds 2 of 3 seeds, t2 0 of 3, t3 1 of 2 (its third episode is an infra error, left out).
OUTCOMES = {
    "t1": ["success", "success", "failure"],
    "t2": ["failure", "agent_error", "failure"],
    "t3": ["success", "infra_error", "failure"],
}


def write_study(root, outcomes=OUTCOMES, seeds=(0, 1, 2)):
    study = write_manifest(root / "s", list(outcomes), seeds, ["a"])
    for task, statuses in outcomes.items():
        for seed, status in zip(seeds, statuses, strict=True):
            write_episode(
                study,
                "a",
                task,
                seed,
                {"status": status, "success": status == "success", "reward": float(status == "success")},
            )
    return study


def test_estimators_match_hand_computation():
    assert pass_at_k(5, 2, 2) == pytest.approx(1 - 3 / 10)  # 1 - C(3,2)/C(5,2)
    assert pass_hat_k(5, 2, 2) == pytest.approx(1 / 10)  # C(2,2)/C(5,2)
    assert pass_at_k(5, 2, 1) == pass_hat_k(5, 2, 1) == pytest.approx(2 / 5)
    assert pass_at_k(3, 2, 2) == 1.0 and pass_hat_k(3, 2, 2) == pytest.approx(1 / 3)
    assert pass_at_k(4, 0, 3) == 0.0 and pass_hat_k(4, 4, 3) == 1.0
    with pytest.raises(ValueError, match="k=4 is not in 1..n=3"):
        pass_at_k(3, 1, 4)


def test_clustered_standard_error_matches_hand_computation():
    # two tasks, each with two seeds that agree: mean 0.5, cluster sums of deviations +1 and -1
    assert clustered_standard_error([1, 1, 0, 0], ["a", "a", "b", "b"]) == pytest.approx(math.sqrt(2) / 4)
    # one episode per task: the binomial standard error sqrt(p(1-p)/n)
    assert clustered_standard_error([1, 0, 0, 1, 1], range(5)) == pytest.approx(math.sqrt(0.6 * 0.4 / 5))
    assert math.isnan(clustered_standard_error([], []))


def test_pass_k_table_averages_over_tasks_with_k_episodes(tmp_path):
    table = pass_k_table(load_results(write_study(tmp_path)).episodes)
    rows = {row.k: row for row in table.itertuples()}
    assert list(rows) == [1, 2, 3]
    assert rows[1].pass_at_k == pytest.approx((2 / 3 + 0 + 1 / 2) / 3)  # = pass^1, the per-task mean
    assert rows[1].pass_hat_k == pytest.approx(7 / 18) and rows[1].n_tasks == 3
    assert rows[2].pass_at_k == pytest.approx((1 + 0 + 1) / 3)  # t1: 1 - C(1,2)/C(3,2); t3: 1 - C(1,2)/C(2,2)
    assert rows[2].pass_hat_k == pytest.approx((1 / 3 + 0 + 0) / 3)  # t1: C(2,2)/C(3,2)
    assert rows[3].n_tasks == 2  # t3 has 2 scored episodes
    assert (rows[3].pass_at_k, rows[3].pass_hat_k) == (pytest.approx(0.5), 0.0)


def test_summary_gives_both_standard_errors(tmp_path):
    results = load_results(write_study(tmp_path))
    row = summarize(results.episodes, results.missing).iloc[0]
    assert row["n_scored"] == 8 and row["score"] == 3 / 8
    assert row["score_std_err"] == pytest.approx(math.sqrt(3 / 8 * 5 / 8 / 8))
    # cluster sums of (score - 3/8): t1 2 - 9/8, t2 -9/8, t3 1 - 6/8
    assert row["score_std_err_clustered"] == pytest.approx(math.sqrt((7 / 8) ** 2 + (9 / 8) ** 2 + (2 / 8) ** 2) / 8)


def test_aggregate_writes_pass_k_with_its_definition(tmp_path):
    study = write_study(tmp_path)
    aggregate_study(study)
    table = pd.read_csv(study / "pass_k.csv")
    assert table["k"].tolist() == [1, 2, 3] and table["n_tasks"].tolist() == [3, 3, 2]
    summary = (study / "summary.md").read_text()
    assert "| benchmark | agent | pass@1 | pass@2 | pass@3 | pass^2 | pass^3 |" in summary
    assert "| miniwob | a | 38.9% | 66.7% | 50.0% | 11.1% | 0.0% |" in summary
    assert "pass@k = 1 − C(n−c, k)/C(n, k)" in summary and "clustered s.e." in summary
    assert "| 37.5% ± 17.1% | 18.1% | 8 |" in summary  # score ± binomial, clustered, scored


def test_one_seed_per_task_has_pass_at_1_only(tmp_path):
    study = write_study(tmp_path, {"t1": ["success"], "t2": ["failure"]}, seeds=(0,))
    aggregate_study(study)
    assert pd.read_csv(study / "pass_k.csv")["k"].tolist() == [1]
    assert "pass@k" not in (study / "summary.md").read_text()
