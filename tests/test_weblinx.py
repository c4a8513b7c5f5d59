"""Real WebLINX episodes: weblinx-browsergym's env and evaluator on a demonstration made here.

tests/weblinx_fixture.py renders pages written for the test in real Chromium into WebLINX's cache
format; a Snakemake study replays one action per task, which WebLINX scores against the
demonstration (text similarity times box overlap, box overlap), and the continuous scores reach the tables.
"""

import importlib.util
import json

import pandas as pd
import pytest
import weblinx_fixture
from conftest import chromium, replay_agent, run_snakemake

# Not imported here: on import it registers the tasks of the metadata.json in BROWSERGYM_WEBLINX_CACHE_DIR.
NOT_INSTALLED = importlib.util.find_spec("weblinx_browsergym") is None
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(NOT_INSTALLED, reason="weblinx-browsergym not installed (pip install -e '.[weblinx]')"),
]


@pytest.fixture
def weblinx_cache(tmp_path, monkeypatch):
    """The demonstration's cache in BROWSERGYM_WEBLINX_CACHE_DIR; {selector: bid} of its elements."""
    cache = tmp_path / "weblinx"
    with chromium() as browser:
        bids = weblinx_fixture.write_cache(cache, browser)
    monkeypatch.setenv("BROWSERGYM_WEBLINX_CACHE_DIR", str(cache))
    return bids


def test_weblinx_episodes_score_actions_against_the_demonstration(weblinx_cache, tmp_path):
    """Turn 1 types 'pancake' where the demonstration typed 'pancakes' (partial text score), turn 3
    clicks the button's label, half of the button's box (overlap 0.5), turn 4 clicks the right link."""
    actions = {
        "ygprzve.1": f"fill('{weblinx_cache['#q']}', 'pancake')",
        "ygprzve.3": f"click('{weblinx_cache['#go-label']}')",
        "ygprzve.4": f"click('{weblinx_cache['#first']}')",
    }
    traces = tmp_path / "traces"
    for task, action in actions.items():
        (traces / task).mkdir(parents=True)
        (traces / task / "seed0.jsonl").write_text(json.dumps({"action": action}) + "\n")
    config = {
        "study": "wl",
        "benchmarks": {"weblinx": {"tasks": list(weblinx_fixture.TASKS)}},
        "agents": {"replay": replay_agent(str(traces / "{task}" / "seed{seed}.jsonl"))},
    }
    run_snakemake(tmp_path / "run", config)

    study = tmp_path / "run" / "results" / "wl"
    episodes = pd.read_csv(study / "episodes.csv").set_index("task")
    rewards = episodes["reward"].to_dict()
    assert 0.5 < rewards["ygprzve.1"] < 1.0  # chrF('pancake', 'pancakes') x overlap 1
    assert rewards["ygprzve.3"] == pytest.approx(0.5) and rewards["ygprzve.4"] == pytest.approx(1.0)
    assert set(episodes["n_steps"]) == {1}
    summary = pd.read_csv(study / "summary.csv")
    assert summary.loc[0, "n_scored"] == 3
    assert summary.loc[0, "score"] == pytest.approx(sum(rewards.values()) / 3)
    steps = [
        json.loads(line)
        for line in (study / "weblinx" / "replay" / "ygprzve.4" / "seed0" / "steps.jsonl").read_text().splitlines()
    ]
    assert steps[0]["url"] == weblinx_fixture.URLS[1] and "link 'Fluffy pancakes'" in steps[0]["axtree"]
