"""Tables from synthetic summaries: counts by status, success rate ± standard error, missing."""

import json
import math
import subprocess
import sys

import pandas as pd
import pytest
from synthetic import summary_fields, write_episode, write_manifest, write_study

from agentlab.analyze import episode_error_groups, load_results, summarize
from agentlab.analyze.aggregate import aggregate_study
from agentlab.analyze.error_groups import error_signature
from agentlab.analyze.stats import standard_error
from agentlab.analyze.summarize import per_task


def test_standard_error_matches_hand_computation():
    assert standard_error(3, 4) == math.sqrt(0.75 * 0.25 / 4)  # 0.2165...
    assert abs(standard_error(1, 3) - 0.27216552697590868) < 1e-12
    assert standard_error(0, 5) == 0.0 and math.isnan(standard_error(0, 0))


def test_summary_counts_statuses_and_excludes_infra_errors_from_the_rate(tmp_path):
    episodes = {
        ("a", "t1", 0): summary_fields("success", input_tokens=100, output_tokens=10, cost=0.5),
        ("a", "t1", 1): summary_fields("success", input_tokens=100, output_tokens=10, cost=0.25),
        ("a", "t1", 2): summary_fields("failure", input_tokens=100, output_tokens=10, cost=0.25),
        ("a", "t2", 0): summary_fields("agent_error", input_tokens=50, output_tokens=5, cost=0.0),
        ("a", "t2", 1): summary_fields("infra_error", error={"type": "EpisodeTimeout", "message": "step exceeded"}),
        # ("a", "t2", 2) is missing
        ("b", "t1", 0): summary_fields("success", input_tokens=1, output_tokens=1, cost=None),
    }
    results = load_results(write_study(tmp_path, episodes))
    assert len(results.episodes) == 6 and len(results.missing) == 6  # a: 1, b: 5
    table = summarize(results.episodes, results.missing).set_index("agent")

    a = table.loc["a"]
    assert (a["n_scored"], a["n_success"], a["n_failure"], a["n_agent_error"], a["n_infra_error"]) == (4, 2, 1, 1, 1)
    assert a["n_missing"] == 1 and a["reward_kind"] == "binary"
    assert a["score"] == 0.5 and a["score_std_err"] == math.sqrt(0.25 / 4)
    assert a["input_tokens"] == 350 and a["output_tokens"] == 35 and a["cost"] == 1.0
    # AgentLab's columns: every finished episode (the infra error too, reward 0), the missing one unfinished
    assert (a["avg_reward"], a["n_completed"], a["n_err"], a["avg_steps"]) == (0.4, "5/6", 2, 2.0)
    assert a["std_err"] == round(math.sqrt(0.4 * 0.6 / 5), 3)

    b = table.loc["b"]
    assert b["n_scored"] == 1 and b["n_missing"] == 5 and b["score"] == 1.0
    assert b["cost"] is None or math.isnan(b["cost"])  # one unknown cost makes the total unknown


def test_per_task_table(tmp_path):
    episodes = {("a", "t1", s): summary_fields("success" if s else "failure") for s in (0, 1, 2)}
    table = per_task(load_results(write_study(tmp_path, episodes, agents=("a",))).episodes)
    assert table.to_dict("records") == [
        {"benchmark": "miniwob", "task": "t1", "agent": "a", "n": 3, "n_success": 2, "score": 2 / 3, "mean_steps": 2.0}
    ]


def test_aggregate_writes_every_table_and_says_what_is_missing(tmp_path):
    study = write_study(tmp_path, {("a", "t1", 0): summary_fields("success")}, agents=("a",))
    report = aggregate_study(study)
    assert report.startswith("1 episodes aggregated, 5 missing")
    assert "1 of 6 episodes done; **5 missing**." in (study / "summary.md").read_text()
    assert len(pd.read_csv(study / "episodes.csv")) == 1
    assert (study / "plots" / "score.png").stat().st_size > 1000


def test_similar_errors_are_grouped_with_counts_and_examples(tmp_path):
    timeout = "infra_error"
    episodes = {
        ("a", "t1", 0): summary_fields(
            timeout, error={"type": "EpisodeTimeout", "message": "agent (step 2) exceeded step_timeout_s=120"}
        ),
        ("a", "t1", 1): summary_fields(
            timeout, error={"type": "EpisodeTimeout", "message": "step (step 7) exceeded step_timeout_s=120"}
        ),
        ("a", "t2", 0): summary_fields(
            timeout, error={"type": "EpisodeTimeout", "message": "agent (step 9) exceeded step_timeout_s=60"}
        ),
        ("b", "t1", 0): summary_fields(
            "agent_error",
            error={"type": "AgentError", "message": "no trace to replay for t1 seed 0: /x/y/seed0.jsonl is missing"},
        ),
        ("b", "t1", 1): summary_fields(
            "agent_error",
            error={"type": "AgentError", "message": "no trace to replay for t1 seed 1: /x/y/seed1.jsonl is missing"},
        ),
        ("b", "t2", 0): summary_fields("success"),
    }
    groups = episode_error_groups(load_results(write_study(tmp_path, episodes)).episodes)
    assert groups[["status", "error_type", "signature", "count"]].values.tolist() == [
        ["infra_error", "EpisodeTimeout", "agent (step N) exceeded step_timeout_s=N", 2],
        ["agent_error", "AgentError", "no trace to replay for tN seed N: <path> is missing", 2],
        ["infra_error", "EpisodeTimeout", "step (step N) exceeded step_timeout_s=N", 1],
    ]
    assert groups.loc[0, "examples"] == [("miniwob", "a", "t1", 0), ("miniwob", "a", "t2", 0)]
    assert (
        error_signature('Could not find element with bid "9999" at 0x7f3a')
        == "Could not find element with bid '…' at <hex>"
    )


@pytest.mark.slow
def test_steps_are_loaded_on_first_use_without_any_agent_code(tmp_path):
    steps = [
        {
            "step": 0,
            "screenshot": "screenshots/step_000.png",
            "action": "click('12')",
            "axtree": "tree 0",
            "last_action_error": "",
            "agent_stats": {"input_tokens": 120},
            "timings": {"agent_s": 0.5},
        },
        {"step": 1, "screenshot": "screenshots/step_001.png", "action": None, "axtree": "tree 1"},
    ]
    study = write_manifest(tmp_path / "s", ["t1"], [0], ["a"])
    folder = write_episode(study, "a", "t1", 0, summary_fields("failure"), steps)
    script = (
        "import sys, json; from agentlab.analyze import load_results, summarize\n"
        f"results = load_results({str(study)!r}); summarize(results.episodes, results.missing)\n"
        "steps = results.steps; text = results.load_steps(text=True)\n"
        "heavy = ('agentlab.agents', 'browsergym', 'playwright', 'gymnasium')\n"
        "loaded = sorted(m for m in sys.modules if m.startswith(heavy))\n"
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
    episodes = {("a", "t1", s): summary_fields("success") for s in (0, 1, 2)}
    episodes |= {("b", "t1", s): summary_fields("failure") for s in (0, 1)}
    episodes[("b", "t1", 2)] = summary_fields("agent_error", error={"type": "AgentError", "message": "bad answer 3"})
    study = write_study(tmp_path, episodes, tasks=("t1",))
    aggregate_study(study)
    text = (study / "summary.md").read_text()
    assert "## Paired comparisons" in text
    assert "| miniwob | a | b | 3 | 100.0% | 0.0% | +100.0 pp | [+100.0, +100.0] pp | 3 | 0 | 1/0/0 |" in text
    assert "| agent_error | AgentError | 1 | bad answer N | miniwob/b/t1/seed2 |" in text
    assert pd.read_csv(study / "comparisons.csv").loc[0, "difference"] == 1.0
    assert (study / "plots" / "cost_vs_score.png").read_bytes()[:4] == b"\x89PNG"


def damaged_study(tmp_path):
    """A finished study of 6 episodes whose files were damaged in every way a copy or an edit can."""
    episodes = {("a", "t1", s): summary_fields("success") for s in (0, 1, 2)} | {
        ("a", "t2", s): summary_fields("failure") for s in (0, 1, 2)
    }
    study = write_study(tmp_path, episodes, agents=("a",))
    folder = study / "miniwob" / "a"
    (folder / "t1" / "seed0" / "summary.json").write_bytes(
        (folder / "t1" / "seed0" / "summary.json").read_bytes()[:100]
    )
    (folder / "t1" / "seed1" / "summary.json").write_text("")
    (folder / "t2" / "seed0" / "summary.json").write_text(
        json.dumps(
            {
                **json.loads((folder / "t2" / "seed1" / "summary.json").read_text()),
                "seed": 0,
                "status": "weird",
                "reward": "x",
            }
        )
    )
    (folder / "t2" / "seed2" / "steps.jsonl").write_text(
        '{"step": 0, "action": "noop()", "screenshot": null}\ngarbage\n'
    )
    return study


def test_damaged_files_are_listed_and_the_tables_built_from_the_rest(tmp_path):
    from agentlab.study.status import count_statuses, format_counts

    study = damaged_study(tmp_path)
    report = aggregate_study(study)
    assert report == f"3 episodes aggregated, 0 missing, 3 damaged and left out (see damaged.csv), into {study}"
    damaged = pd.read_csv(study / "damaged.csv")
    assert sorted(damaged["task"] + "/" + damaged["seed"].astype(str)) == ["t1/0", "t1/1", "t2/0"]
    assert set(damaged["reason"].str.split(" ").str[0]) == {"not", "empty", "unknown"}
    summary = pd.read_csv(study / "summary.csv").iloc[0]
    assert (summary["n_damaged"], summary["n_success"], summary["n_failure"], summary["n_completed"]) == (
        3,
        1,
        2,
        "3/6",
    )
    assert "## Damaged results (3 left out)" in (study / "summary.md").read_text()

    counts = count_statuses(study)[("miniwob", "a")]
    assert (counts["damaged"], counts["success"], counts["failure"], sum(counts.values())) == (3, 1, 2, 6)
    assert "damaged" in format_counts(count_statuses(study)).splitlines()[0]


def test_damaged_summaries_are_relaunched_by_their_own_mode(tmp_path):
    from agentlab.study.relaunch import archive_episodes, select_episodes

    study = damaged_study(tmp_path)
    keys = select_episodes(study, "damaged")
    assert sorted((k.task, k.seed) for k in keys) == [("t1", 0), ("t1", 1), ("t2", 0)]
    archive = archive_episodes(study, keys)
    assert not (study / "miniwob" / "a" / "t1" / "seed0").exists()
    assert (archive / "miniwob" / "a" / "t1" / "seed0" / "summary.json").exists()  # kept, not deleted
    assert len(load_results(study).missing) == 3


def test_the_report_of_a_damaged_study_is_built(tmp_path):
    from agentlab.report import build_report

    study = damaged_study(tmp_path)
    aggregate_study(study)
    build_report(study)
    index = (study / "report" / "index.html").read_text()
    assert "Damaged results: 3 left out" in index and "unknown status" in index
    trace = (study / "report" / "episodes" / "miniwob" / "a" / "t2" / "seed2.html").read_text()
    assert "1 damaged line(s) or refused file(s), left out: line 2: not a JSON record" in trace


def test_continuous_rewards_are_averaged_and_agentlab_columns_weigh_repeated_draws(tmp_path):
    """AssistantBench-like accuracies: the score is the mean reward; a repeated (task, seed) draw
    weighs twice in AgentLab's columns, as AgentLab runs it twice."""
    study = write_manifest(tmp_path / "s", ["t1", "t2"], [0, 1], ["a"])
    manifest = json.loads((study / "study.json").read_text())
    manifest["benchmarks"]["miniwob"] |= {"reward_kind": "continuous", "repeats": [["t1", 0, 2]]}
    (study / "study.json").write_text(json.dumps(manifest))
    for (task, seed), (state, reward) in {
        ("t1", 0): ("success", 0.5),
        ("t1", 1): ("success", 0.25),
        ("t2", 0): ("failure", 0.0),
        ("t2", 1): ("agent_error", 0.0),
    }.items():
        write_episode(study, "a", task, seed, {**summary_fields(state), "reward": reward, "success": reward > 0})
    results = load_results(study)
    row = summarize(results.episodes, results.missing).iloc[0]
    assert row["reward_kind"] == "continuous" and row["score"] == pytest.approx(0.1875)
    assert row["score_std_err"] == pytest.approx(pd.Series([0.5, 0.25, 0, 0]).std(ddof=1) / 2)
    rewards = pd.Series([0.5, 0.5, 0.25, 0.0, 0.0])  # t1/0 twice
    assert (row["avg_reward"], row["n_completed"], row["n_err"]) == (round(rewards.mean(), 3), "5/5", 1)
    assert row["std_err"] == round(rewards.std(ddof=1) / math.sqrt(5), 3)
