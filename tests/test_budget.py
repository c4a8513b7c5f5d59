"""Spending limits: an episode stops at its token or cost budget; a study stops starting episodes at
its budget and resumes when it is raised. Real episodes (Chromium, MiniWoB pages) ask a real local
HTTP server speaking the OpenAI chat API; the study runs are real Snakemake runs."""

import json

import pytest
from conftest import run_snakemake
from llm_server import ScriptedLLMServer

from agentlab.core.budget import Budget, read_spend, record_spend
from agentlab.core.errors import ConfigError
from agentlab.episode.spec import EpisodeSpec, RunLimits
from agentlab.episode.supervisor import EXIT_BUDGET, EXIT_FINAL, run_supervised
from agentlab.study.config import load_study

NOOP = "<think>Wait.</think>\n<action>noop()</action>"
PRICED = "gpt-4o-2024-05-13"  # $5 / $15 per million tokens (agentlab/llm/pricing.py)


def web_agent(server, model: str = "scripted-model") -> dict:
    return {
        "chat_model_args.base_url": server.base_url,
        "chat_model_args.api_key_env": None,
        "chat_model_args.model_name": model,
        "chat_model_args.backoff_s": 0.01,
    }


def test_episode_limits_are_reached_by_tokens_or_cost():
    budget = Budget(episode_max_tokens=1000, episode_max_cost_usd=0.01)
    assert budget.episode_exceeded({"input_tokens": 900, "output_tokens": 99, "cost": 0.001}) is None
    assert "1000 tokens reached" in budget.episode_exceeded({"input_tokens": 900, "output_tokens": 100})
    assert "episode_max_cost_usd=0.01" in budget.episode_exceeded({"input_tokens": 1, "cost": 0.01})
    assert Budget().episode_exceeded({"input_tokens": 10**9, "cost": 10.0}) is None
    assert budget.episode_exceeded({}) is None  # an agent without an LLM spends nothing


def test_a_cost_limit_refuses_unknown_costs_and_a_token_limit_does_not():
    assert "has no price" in Budget(max_cost_usd=1).unpriced({"cost": None})
    assert Budget(episode_max_cost_usd=1).unpriced({"cost": 0.0}) is None
    assert Budget(episode_max_tokens=10).unpriced({"cost": None}) is None
    assert Budget(max_cost_usd=1).unpriced({}) is None  # no LLM: nothing to price


def test_the_ledger_adds_attempts_and_skips_unknown_costs_and_damaged_lines(tmp_path):
    assert read_spend(tmp_path).cost_usd == 0 and read_spend(tmp_path).attempts == 0
    record_spend(tmp_path, "a/seed0", 1, {"cost": 0.25, "input_tokens": 10, "output_tokens": 2})
    record_spend(tmp_path, "a/seed0", 2, {"cost": 0.5})
    record_spend(tmp_path, "b/seed0", 1, {"cost": None})
    with open(tmp_path / "spend.jsonl", "a") as ledger:
        ledger.write('{"cost_usd": tru\n')
    spend = read_spend(tmp_path)
    assert spend.cost_usd == pytest.approx(0.75) and spend.attempts == 3
    assert json.loads((tmp_path / "spend.jsonl").read_text().splitlines()[0])["tokens"] == 12


def test_the_running_total_answers_until_the_ledger_is_edited_or_it_is_damaged(tmp_path):
    for attempt in (1, 2, 3):
        record_spend(tmp_path, "a/seed0", attempt, {"cost": 0.5})
    total = json.loads((tmp_path / "spend_total.json").read_text())
    assert (total["cost_usd"], total["attempts"]) == (1.5, 3)
    ledger = tmp_path / "spend.jsonl"
    # the total, not the ledger, answers: a ledger line changed in place (same size) goes unseen
    ledger.write_text(ledger.read_text().replace('"cost_usd": 0.5', '"cost_usd": 0.7', 1))
    assert read_spend(tmp_path).cost_usd == pytest.approx(1.5)
    ledger.write_text("".join(ledger.read_text().splitlines(keepends=True)[1:]))  # a line removed by hand
    assert (read_spend(tmp_path).cost_usd, read_spend(tmp_path).attempts) == (pytest.approx(1.0), 2)
    record_spend(tmp_path, "b/seed0", 1, {"cost": 0.25})  # the total is rebuilt from the ledger
    assert json.loads((tmp_path / "spend_total.json").read_text())["cost_usd"] == pytest.approx(1.25)
    (tmp_path / "spend_total.json").write_text("{damaged")
    assert read_spend(tmp_path).cost_usd == pytest.approx(1.25) and read_spend(tmp_path).attempts == 3


def test_budget_config_is_validated(tiny_study):
    study = load_study({**tiny_study, "budget": {"max_cost_usd": 2.5, "episode_max_tokens": 5000}})
    assert study.budget == Budget(episode_max_tokens=5000, max_cost_usd=2.5)
    with pytest.raises(ConfigError, match=r"^config error at budget.max_cost_usd: -1 is less than or equal"):
        load_study({**tiny_study, "budget": {"max_cost_usd": -1}})
    with pytest.raises(ConfigError, match=r"budget: .*allowed: max_cost_usd, episode_max_cost_usd, episode_max_tokens"):
        load_study({**tiny_study, "budget": {"max_usd": 1}})


def run(tmp_path, server, budget: Budget, model: str = "scripted-model"):
    spec = EpisodeSpec(
        study="t",
        benchmark="miniwob",
        task="click-test",
        seed=0,
        agent_name="scripted",
        agent_config="agentlab.agents.web_agent.WEB_AGENT_4o",
        max_steps=4,
        agent_overrides=web_agent(server, model),
    )
    out = tmp_path / "episode"
    limits = RunLimits(step_timeout_s=60, episode_timeout_s=300, budget=budget)
    assert run_supervised(spec, limits, out) == EXIT_FINAL
    summary = json.loads((out / "summary.json").read_text())
    steps = [json.loads(line) for line in (out / "steps.jsonl").read_text().splitlines()]
    return summary, steps


@pytest.mark.slow
def test_an_episode_over_its_token_budget_ends_with_stop_reason_budget(tmp_path):
    with ScriptedLLMServer(then=NOOP) as server:
        summary, steps = run(tmp_path, server, Budget(episode_max_tokens=1))
    assert (summary["status"], summary["stop_reason"], summary["n_steps"]) == ("failure", "budget", 1)
    assert len(server.requests) == 1  # the call that crossed the budget was the last
    assert steps[-1]["action"] is None and "reached budget.episode_max_tokens=1" in steps[-1]["budget_exceeded"]


@pytest.mark.slow
def test_a_cost_budget_with_an_unpriced_model_ends_before_any_call(tmp_path):
    with ScriptedLLMServer(then=NOOP) as server:
        summary, _ = run(tmp_path, server, Budget(episode_max_cost_usd=1.0))
    assert summary["status"] == "agent_error" and "has no price" in summary["error"]["message"]
    assert server.requests == []


@pytest.mark.slow
def test_a_study_over_budget_starts_no_episode_and_resumes_when_raised(tmp_path):
    """Each episode of GPT-4o's price costs ~$0.005 (two calls of ~450 tokens); a $0.001 budget is
    spent by the first episode, so the run (one episode at a time) stops there."""
    with ScriptedLLMServer(then=NOOP) as server:
        config = {
            "study": "budget",
            "benchmarks": {"miniwob": {"tasks": ["click-test", "click-button"], "seeds": [0, 1], "max_steps": 2}},
            "agents": {
                "gpt": {"config": "agentlab.agents.web_agent.WEB_AGENT_4o", "overrides": web_agent(server, PRICED)}
            },
            "episode": {"retries": 0},
            "budget": {"max_cost_usd": 0.001},
        }
        stopped = run_snakemake(tmp_path, config, "--resources", "browser=1", check=False)
        study = tmp_path / "results" / "budget"
        finished = sorted(study.glob("miniwob/gpt/*/seed*/summary.json"))
        spend = read_spend(study)
        assert stopped.returncode != 0 and len(finished) == 1 and spend.attempts == 1
        assert (
            f"study 'budget' spent ${spend.cost_usd:.2f} in 1 episode attempts, reaching "
            "budget.max_cost_usd=0.001" in stopped.stderr
        )
        first = finished[0].read_text()

        config["budget"]["max_cost_usd"] = 1.0
        run_snakemake(tmp_path, config, "--resources", "browser=1")
    assert len(list(study.glob("miniwob/gpt/*/seed*/summary.json"))) == 4
    assert finished[0].read_text() == first  # kept, not rerun
    assert read_spend(study).attempts == 4


def test_the_supervisor_refuses_to_start_once_the_study_budget_is_spent(tmp_path, tiny_study):
    record_spend(tmp_path, "x/seed0", 1, {"cost": 2.0})
    spec = load_study(tiny_study).spec("miniwob", "replay", "click-test", 0)
    limits = RunLimits(budget=Budget(max_cost_usd=2.0), study_dir=str(tmp_path))
    assert run_supervised(spec, limits, tmp_path / "episode") == EXIT_BUDGET
    assert not (tmp_path / "episode").exists()
