"""Tables from synthetic summaries: counts by status, success rate ± standard error, missing."""

import json
import math
import subprocess
import sys

import pandas as pd

from agentlab.analyze import episode_error_groups, load_study, summarize
from agentlab.analyze.aggregate import aggregate_study
from agentlab.analyze.error_groups import error_signature
from agentlab.analyze.stats import standard_error
from agentlab.analyze.summarize import per_task
from synthetic import write_episode, write_manifest


def write_study(root, episodes, tasks=("t1", "t2"), seeds=(0, 1, 2), agents=("a", "b")):
    """A study folder with a manifest and the given {(agent, task, seed): summary fields}."""
    study = write_manifest(root / "s", tasks, seeds, agents)
    for (agent, task, seed), fields in episodes.items():
        write_episode(study, agent, task, seed, fields)
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


def test_similar_errors_are_grouped_with_counts_and_examples(tmp_path):
    timeout = "infra_error"
    episodes = {
        ("a", "t1", 0): status(timeout, error={"type": "EpisodeTimeout", "message": "agent (step 2) exceeded step_timeout_s=120"}),
        ("a", "t1", 1): status(timeout, error={"type": "EpisodeTimeout", "message": "step (step 7) exceeded step_timeout_s=120"}),
        ("a", "t2", 0): status(timeout, error={"type": "EpisodeTimeout", "message": "agent (step 9) exceeded step_timeout_s=60"}),
        ("b", "t1", 0): status("agent_error", error={"type": "AgentError", "message": "no trace to replay for t1 seed 0: /x/y/seed0.jsonl is missing"}),
        ("b", "t1", 1): status("agent_error", error={"type": "AgentError", "message": "no trace to replay for t1 seed 1: /x/y/seed1.jsonl is missing"}),
        ("b", "t2", 0): status("success"),
    }
    groups = episode_error_groups(load_study(write_study(tmp_path, episodes)).episodes)
    assert groups[["status", "error_type", "signature", "count"]].values.tolist() == [
        ["infra_error", "EpisodeTimeout", "agent (step N) exceeded step_timeout_s=N", 2],
        ["agent_error", "AgentError", "no trace to replay for tN seed N: <path> is missing", 2],
        ["infra_error", "EpisodeTimeout", "step (step N) exceeded step_timeout_s=N", 1],
    ]
    assert groups.loc[0, "examples"] == [("miniwob", "a", "t1", 0), ("miniwob", "a", "t2", 0)]
    assert error_signature('Could not find element with bid "9999" at 0x7f3a') == \
        "Could not find element with bid '…' at <hex>"


def test_steps_are_loaded_on_first_use_without_any_agent_code(tmp_path):
    steps = [
        {"step": 0, "screenshot": "screenshots/step_000.png", "action": "click('12')", "axtree": "tree 0",
         "last_action_error": "", "agent_stats": {"input_tokens": 120}, "timings": {"agent_s": 0.5}},
        {"step": 1, "screenshot": "screenshots/step_001.png", "action": None, "axtree": "tree 1"},
    ]
    study = write_manifest(tmp_path / "s", ["t1"], [0], ["a"])
    folder = write_episode(study, "a", "t1", 0, status("failure"), steps)
    script = (
        "import sys, json; from agentlab.analyze import load_study, summarize\n"
        f"results = load_study({str(study)!r}); summarize(results.episodes, results.missing)\n"
        "steps = results.steps; text = results.load_steps(text=True)\n"
        "loaded = sorted(m for m in sys.modules if m.startswith(('agentlab.agents', 'browsergym', 'playwright', 'gymnasium')))\n"
        "print(json.dumps({'loaded': loaded, 'steps': steps.drop(columns=['screenshot']).to_dict('records'),\n"
        "                  'screenshot': steps['screenshot'][0], 'axtree': list(text['axtree'])}, default=str))\n"
    )
    process = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    out = json.loads(process.stdout)
    assert out["loaded"] == []
    first, final = out["steps"]
    assert (first["step"], first["action"], first["input_tokens"], first["agent_s"]) == (0, "click('12')", 120, 0.5)
    assert final["step"] == 1 and pd.isna(final["action"]) and "axtree" not in first
    assert out["screenshot"] == str(folder / "screenshots" / "step_000.png")
    assert out["axtree"] == ["tree 0", "tree 1"]


def test_summary_markdown_has_comparisons_and_errors(tmp_path):
    episodes = {("a", "t1", s): status("success") for s in (0, 1, 2)}
    episodes |= {("b", "t1", s): status("failure") for s in (0, 1)}
    episodes[("b", "t1", 2)] = status("agent_error", error={"type": "AgentError", "message": "bad answer 3"})
    study = write_study(tmp_path, episodes, tasks=("t1",))
    aggregate_study(study)
    text = (study / "summary.md").read_text()
    assert "## Paired comparisons" in text
    assert "| miniwob | a | b | 3 | 100.0% | 0.0% | +100.0 pp | [+100.0, +100.0] pp | 3 | 0 | 1/0/0 |" in text
    assert "| agent_error | AgentError | 1 | bad answer N | miniwob/b/t1/seed2 |" in text
    assert pd.read_csv(study / "comparisons.csv").loc[0, "difference"] == 1.0
    assert (study / "plots" / "cost_vs_success.png").read_bytes()[:4] == b"\x89PNG"
