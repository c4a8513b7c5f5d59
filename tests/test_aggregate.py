"""Tables from synthetic summaries: counts by status, success rate ± standard error, missing."""

import json
import math

import pandas as pd

from agentlab.analyze import load_study, summarize
from agentlab.analyze.aggregate import aggregate_study
from agentlab.analyze.stats import standard_error
from agentlab.analyze.summarize import per_task


def write_study(root, episodes, tasks=("t1", "t2"), seeds=(0, 1, 2), agents=("a", "b")):
    """A study folder with a manifest and the given {(agent, task, seed): summary fields}."""
    study = root / "s"
    manifest = {"study": "s", "benchmarks": {"miniwob": {"tasks": list(tasks), "seeds": list(seeds)}},
                "agents": {a: {} for a in agents}}
    study.mkdir(parents=True)
    (study / "study.json").write_text(json.dumps(manifest))
    for (agent, task, seed), fields in episodes.items():
        path = study / "miniwob" / agent / task / f"seed{seed}" / "summary.json"
        path.parent.mkdir(parents=True)
        summary = {"benchmark": "miniwob", "agent": agent, "task": task, "seed": seed, "n_steps": 2,
                   "elapsed_s": 4.0, **fields}
        path.write_text(json.dumps(summary))
    return study


def status(s, error=None, **stats):
    return {"status": s, "success": s == "success", "reward": float(s == "success"), "error": error,
            "agent_stats": stats}


def test_standard_error_matches_hand_computation():
    assert standard_error(3, 4) == math.sqrt(0.75 * 0.25 / 4)  # 0.2165...
    assert abs(standard_error(1, 3) - 0.27216552697590868) < 1e-12
    assert standard_error(0, 5) == 0.0 and math.isnan(standard_error(0, 0))


def test_summary_counts_statuses_and_excludes_infra_errors_from_the_rate(tmp_path):
    episodes = {
        ("a", "t1", 0): status("success", input_tokens=100, output_tokens=10, cost=0.5),
        ("a", "t1", 1): status("success", input_tokens=100, output_tokens=10, cost=0.25),
        ("a", "t1", 2): status("failure", input_tokens=100, output_tokens=10, cost=0.25),
        ("a", "t2", 0): status("agent_error", input_tokens=50, output_tokens=5, cost=0.0),
        ("a", "t2", 1): status("infra_error", error={"type": "EpisodeTimeout", "message": "step exceeded"}),
        # ("a", "t2", 2) is missing
        ("b", "t1", 0): status("success", input_tokens=1, output_tokens=1, cost=None),
    }
    results = load_study(write_study(tmp_path, episodes))
    assert len(results.episodes) == 6 and len(results.missing) == 6  # a: 1, b: 5
    table = summarize(results.episodes, results.missing).set_index("agent")

    a = table.loc["a"]
    assert (a["n"], a["n_success"], a["n_failure"], a["n_agent_error"], a["n_infra_error"]) == (4, 2, 1, 1, 1)
    assert a["n_errors"] == 2 and a["n_missing"] == 1
    assert a["success_rate"] == 0.5 and a["std_err"] == math.sqrt(0.25 / 4)
    assert a["input_tokens"] == 350 and a["output_tokens"] == 35 and a["cost"] == 1.0
    assert a["mean_steps"] == 2.0

    b = table.loc["b"]
    assert b["n"] == 1 and b["n_missing"] == 5 and b["success_rate"] == 1.0
    assert b["cost"] is None or math.isnan(b["cost"])  # one unknown cost makes the total unknown


def test_per_task_table(tmp_path):
    episodes = {("a", "t1", s): status("success" if s else "failure") for s in (0, 1, 2)}
    table = per_task(load_study(write_study(tmp_path, episodes, agents=("a",))).episodes)
    assert table.to_dict("records") == [
        {"benchmark": "miniwob", "task": "t1", "agent": "a", "n": 3, "n_success": 2,
         "success_rate": 2 / 3, "mean_steps": 2.0}
    ]


def test_aggregate_writes_every_table_and_says_what_is_missing(tmp_path):
    study = write_study(tmp_path, {("a", "t1", 0): status("success")}, agents=("a",))
    report = aggregate_study(study)
    assert report.startswith("1 episodes aggregated, 5 missing")
    assert "1 of 6 episodes done; **5 missing**." in (study / "summary.md").read_text()
    assert len(pd.read_csv(study / "episodes.csv")) == 1
    assert (study / "plots" / "success_rate.png").stat().st_size > 1000
