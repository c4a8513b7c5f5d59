"""Results that travel: a real ServiceNow AgentLab 0.4.2 study (its own Study and loop, in its environment,
a scripted agent that solves some MiniWoB tasks, fails others and raises on one) imported as our
episodes, checked against AgentLab's own inspect_results; exports of it validated by their consumers
(every-eval-ever's schema, AgentLab's own journal writer); and the one-line refusals of exports."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import REPO
from helpers import needs_agentlab
from synthetic import write_episode

from agentlab.agents.bridge import AgentLabEnvironment
from agentlab.agents.bridge.agent import host_environment
from agentlab.analyze.aggregate import aggregate_study
from agentlab.analyze.load import load_results
from agentlab.analyze.summarize import summarize
from agentlab.cli.main import main as cli_main
from agentlab.core.errors import ConfigError
from agentlab.core.records import read_steps, read_summary
from agentlab.report.build import build_report
from agentlab.results_io import export_study, import_results
from agentlab.results_io.journal import JOURNAL_COLUMNS

PEER = REPO / "bench" / "peer"  # agentlab_run.py and scripted_agent.py (which AgentLab must unpickle)
TASKS, SEEDS = ["click-test", "click-button", "enter-text"], [0, 1]
EEE_VENV = Path.home() / ".cache" / "agentlab" / "every-eval-ever-0.3.0"  # every-eval-ever needs Python >= 3.12
PYTHON_312 = Path("/root/.pyenv/versions/3.12.1/bin/python3.12")
AGENTLAB_COLUMNS = ("avg_reward", "std_err", "avg_steps", "n_completed", "n_err")


def agentlab_environment() -> dict[str, str]:
    """AgentLab's interpreter's environment, with the scripted agent importable (its args are pickled)."""
    variables = host_environment(AgentLabEnvironment.configured())
    variables["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PEER), variables.get("PYTHONPATH")]))
    return variables


def run_in_agentlab(code: str, *args: str) -> str:
    process = subprocess.run(
        [str(AgentLabEnvironment.configured().python), "-P", "-c", code, *args],
        capture_output=True,
        text=True,
        env=agentlab_environment(),
        cwd="/",
    )
    assert process.returncode == 0, process.stderr[-3000:]
    return process.stdout


@pytest.fixture(scope="module")
def agentlab_study(tmp_path_factory) -> tuple[Path, dict]:
    """AgentLab's own Study of the scripted agent on TASKS × SEEDS: click('13') solves click-test and one
    click-button of the two, not the other; on enter-text the agent raises. Returns the study folder and
    agentlab_run.py's figures."""
    results = tmp_path_factory.mktemp("agentlab-results")
    process = subprocess.run(
        [
            str(AgentLabEnvironment.configured().python),
            str(PEER / "agentlab_run.py"),
            f"--tasks={','.join(TASKS)}",
            f"--seeds={','.join(map(str, SEEDS))}",
            "--action=click('13')",
            "--action=noop()",
            f"--results-dir={results}",
            "--fail-on=enter-text",
        ],
        capture_output=True,
        text=True,
        env=agentlab_environment(),
        cwd=results,
    )
    assert process.returncode == 0, process.stderr[-3000:]
    figures = json.loads(process.stdout.splitlines()[-1])
    return Path(figures["study_dir"]), figures


THEIR_SUMMARY = """
import json, sys
from agentlab.analyze import inspect_results
frame = inspect_results.load_result_df(sys.argv[1], progress_fn=None)
row = inspect_results.summarize_study(frame).reset_index().iloc[0].to_dict()
print(json.dumps({key: (value.item() if hasattr(value, "item") else value) for key, value in row.items()}))
"""


@pytest.fixture(scope="module")
def imported(agentlab_study, tmp_path_factory) -> Path:
    source, _ = agentlab_study
    study = tmp_path_factory.mktemp("ours") / "baselines"
    with pytest.MonkeyPatch.context() as patch:  # the agent's module, for AgentLab to unpickle its args
        patch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(PEER), os.environ.get("PYTHONPATH")])))
        report = import_results(source, study)
    assert report.problems == [] and len(report.written) == len(TASKS) * len(SEEDS)
    return study


@pytest.mark.slow
@needs_agentlab
def test_an_agentlab_study_imports_with_agentlabs_own_numbers(agentlab_study, imported, tmp_path):
    source, figures = agentlab_study
    theirs = json.loads(run_in_agentlab(THEIR_SUMMARY, str(source)).splitlines()[-1])
    results = load_results(imported)
    ours = summarize(results.episodes, results.missing, results.relaunched, results.damaged).iloc[0]
    assert {column: ours[column] for column in AGENTLAB_COLUMNS} == {
        column: theirs[column] for column in AGENTLAB_COLUMNS
    }
    assert theirs["n_completed"] == "6/6" and theirs["n_err"] == 2 and theirs["avg_reward"] == 0.5
    rewards = {f"{row.task}/seed{row.seed}": row.reward for row in results.episodes.itertuples()}
    assert rewards == {key: float(value) for key, value in figures["rewards"].items()}
    assert dict(results.episodes["status"].value_counts()) == {"success": 3, "failure": 1, "agent_error": 2}

    folder = imported / "miniwob" / "ScriptedAgent" / "click-test" / "seed0"
    summary = read_summary(folder / "summary.json")
    assert summary.provenance is not None and summary.provenance.imported is not None
    assert summary.provenance.imported["from"] == "ServiceNow AgentLab"
    assert summary.provenance.imported["version"] == "0.4.2"
    assert summary.provenance.imported["folder"].startswith(str(source))
    assert summary.versions["agentlab"] == "0.4.2" and summary.outcome.success and summary.format_version == 3
    records, problems = read_steps(folder)
    seen = records[0].observation
    assert problems == [] and records[0].action == "click('13')" and seen is not None and "button" in seen.axtree
    assert seen.screenshot is not None and (folder / seen.screenshot).read_bytes().startswith(b"\x89PNG")
    error = read_summary(imported / "miniwob" / "ScriptedAgent" / "enter-text" / "seed0" / "summary.json").outcome.error
    assert error is not None and error.type == "RuntimeError" and "scripted failure" in error.message
    assert not [
        path for path in imported.rglob("*") if path.suffix in (".pkl", ".gz") and "observations" not in path.parts
    ]

    # importing again changes nothing
    before = {path: path.stat().st_mtime_ns for path in imported.rglob("*") if path.is_file()}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(PEER), os.environ.get("PYTHONPATH")])))
        again = import_results(source, imported)
    assert len(again.unchanged) == 6 and again.written == []
    assert {path: path.stat().st_mtime_ns for path in imported.rglob("*") if path.is_file()} == before

    # the report's trace pages render the imported episodes (built from the aggregate's tables)
    aggregate_study(imported)
    build_report(imported, tmp_path / "report")
    page = (tmp_path / "report" / "episodes" / "miniwob" / "ScriptedAgent" / "click-test" / "seed0.html").read_text()
    assert "click(&#39;13&#39;)" in page or "click('13')" in page
    assert "step_000.png" in page


@pytest.mark.slow
@needs_agentlab
def test_unreadable_or_unfinished_agentlab_episodes_are_listed_not_fatal(agentlab_study, tmp_path, capsys, monkeypatch):
    source, _ = agentlab_study
    copy = tmp_path / "copy"
    shutil.copytree(source, copy)
    broken = sorted(copy.glob("*click-button_1*"))[0]
    (broken / "exp_args.pkl").write_bytes(b"\x80\x05truncated")
    unfinished = sorted(copy.glob("*enter-text_0*"))[0]
    (unfinished / "summary_info.json").unlink()  # AgentLab has no result for it yet
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(PEER), os.environ.get("PYTHONPATH")])))
    assert cli_main(["import", str(copy), "--study", "partial", "--results", str(tmp_path / "results")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[-1].startswith("4 episodes imported, 0 unchanged, 2 not imported")
    assert (
        f"not imported: {unfinished}: no summary_info.json: AgentLab has no result for it (not run, or not finished)"
        in lines
    )
    assert any(line.startswith(f"not imported: {broken}: UnpicklingError") for line in lines[:2])
    summaries = [read_summary(path) for path in (tmp_path / "results" / "partial").rglob("summary.json")]
    assert sorted(summary.task for summary in summaries) == ["click-button", "click-test", "click-test", "enter-text"]


THEIR_JOURNAL = """
import csv, sys
from pathlib import Path
import pandas as pd
from agentlab.experiments.reproducibility_util import append_to_journal
path = Path(sys.argv[1])
row = next(csv.DictReader(path.open()))
results = {"avg_reward": float(row["avg_reward"]), "std_err": float(row["std_err"]),
           "n_err": int(row["n_err"]), "n_completed": row["n_completed"]}
info = {key: value for key, value in row.items() if key not in results and key != "agent_name"}
info["agent_names"] = [row["agent_name"]]
report = pd.DataFrame([{"agent.agent_name": row["agent_name"], **results}])
append_to_journal(info, report, journal_path=path, strict_reproducibility=False)
"""


@pytest.mark.slow
@needs_agentlab
def test_the_journal_export_is_what_agentlabs_own_writer_appends(imported, tmp_path):
    journal = tmp_path / "reproducibility_journal.csv"
    line = export_study(imported, "journal", journal)
    assert line == f"1 journal rows: {journal}"
    run_in_agentlab(THEIR_JOURNAL, str(journal))  # AgentLab appends a row under our header
    header, ours, theirs = list(csv.reader(journal.open()))
    assert tuple(header) == JOURNAL_COLUMNS
    assert theirs == ours
    row = dict(zip(header, ours))
    assert (row["agent_name"], row["benchmark"], row["study_id"]) == ("ScriptedAgent", "miniwob", "baselines")
    assert (row["avg_reward"], row["std_err"], row["n_err"], row["n_completed"]) == ("0.5", "0.204", "2", "6/6")
    assert row["agentlab_version"] == "0.4.2"


def every_eval_ever_python() -> Path:
    """A Python 3.12 venv with every-eval-ever 0.3.0 (its schema and loader; it requires Python >= 3.12)."""
    python = EEE_VENV / "bin" / "python"
    if not python.is_file():
        if not PYTHON_312.is_file():
            pytest.skip("every-eval-ever needs Python 3.12, not found")
        subprocess.run([str(PYTHON_312), "-m", "venv", str(EEE_VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", "every-eval-ever==0.3.0"], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "jsonschema>=4.26,<5"], check=True)
    return python


VALIDATE_EEE = """
import json, sys
import jsonschema
from every_eval_ever.schema import get_schema_version, schema_json
validator = jsonschema.Draft7Validator(schema_json())
for path in sys.argv[1:]:
    record = json.load(open(path))
    errors = [error.message for error in validator.iter_errors(record)]
    print(json.dumps({"path": path, "errors": errors, "schema": get_schema_version()}))
"""


@pytest.mark.slow
@needs_agentlab
def test_the_eee_export_is_valid_against_every_eval_evers_schema(imported, tmp_path):
    line = export_study(imported, "eee", tmp_path / "eee")
    assert line == f"1 Every Eval Ever records: {tmp_path / 'eee'}"
    record_file = tmp_path / "eee" / "miniwob" / "ScriptedAgent.json"
    process = subprocess.run(
        [str(every_eval_ever_python()), "-c", VALIDATE_EEE, str(record_file)], capture_output=True, text=True
    )
    assert process.returncode == 0, process.stderr[-2000:]
    verdict = json.loads(process.stdout.splitlines()[-1])
    assert verdict == {"path": str(record_file), "errors": [], "schema": "0.3.0"}
    record = json.loads(record_file.read_text())
    score = record["evaluation_results"][0]["score_details"]
    assert score["score"] == 0.5 and score["uncertainty"]["num_samples"] == 6  # 3 successes of 6 episodes


def test_exports_refuse_a_dirty_unfinished_or_mixed_study_in_one_line(tmp_path, capsys):
    study = tmp_path / "mixed"
    fields = {"status": "success", "reward": 1.0, "success": True}
    write_episode(
        study, "a", "click-test", 0, {**fields, "provenance": {"commit": "1" * 40, "dirty": True, "agentlab": "0.1.0"}}
    )
    write_episode(
        study, "a", "click-test", 1, {**fields, "provenance": {"commit": "2" * 40, "dirty": False, "agentlab": "0.1.0"}}
    )
    write_episode(study, "a", "click-test", 2, {})  # damaged: no status
    with pytest.raises(ConfigError) as refused:
        export_study(study, "journal")
    assert str(refused.value) == (
        "not exporting study mixed: 1 of its episodes are not finished (1 damaged); 1 episodes ran on a workflow "
        f"tree with uncommitted changes; its episodes ran on 2 commits ({'1' * 12}, {'2' * 12}) "
        "(--allow-dirty exports it anyway)"
    )
    assert cli_main(["export", str(study), "--format", "eee"]) == 2
    assert capsys.readouterr().err.count("\n") == 1
    assert export_study(study, "journal", allow_dirty=True).startswith("1 journal rows")
    write_episode(
        study, "b", "click-test", 0, {**fields, "provenance": {"commit": "3" * 40, "dirty": False, "agentlab": "0.1.0"}}
    )
    assert export_study(study, "journal", tmp_path / "b.csv", agent="b") == f"1 journal rows: {tmp_path / 'b.csv'}"
    with pytest.raises(
        ConfigError, match=r"^study mixed has no episodes of benchmark miniwob × agent c; allowed: miniwob × a, b$"
    ):
        export_study(study, "eee", benchmark="miniwob", agent="c")
    with pytest.raises(ConfigError, match=r"^unknown export format 'csv'; allowed: eee, journal, leaderboard$"):
        export_study(study, "csv")
    with pytest.raises(ConfigError, match=r"holds neither exp_args.pkl files nor experiment_config.json"):
        import_results(study, tmp_path / "into")


# The entry of the BrowserGym leaderboard's README (ServiceNow/browsergym-leaderboard space), its keys and types
LEADERBOARD_TEMPLATE = {
    "agent_name": str,
    "study_id": str,
    "date_time": str,
    "benchmark": str,
    "score": float,
    "std_err": float,
    "benchmark_specific": str,
    "benchmark_tuned": str,
    "followed_evaluation_protocol": str,
    "reproducible": str,
    "comments": str,
    "original_or_reproduced": str,
}


@pytest.mark.slow
@needs_agentlab
def test_the_leaderboard_export_has_the_shape_of_its_submissions(imported, tmp_path):
    assert export_study(imported, "leaderboard", tmp_path) == f"1 leaderboard files: {tmp_path}"
    entries = json.loads((tmp_path / "ScriptedAgent" / "miniwob.json").read_text())
    assert len(entries) == 1 and list(entries[0]) == list(LEADERBOARD_TEMPLATE)
    assert {key: type(value) for key, value in entries[0].items()} == LEADERBOARD_TEMPLATE
    assert entries[0]["date_time"][:4].isdigit() and len(entries[0]["date_time"]) == len("YYYY-MM-DD HH:MM:SS")
    assert (entries[0]["benchmark"], entries[0]["score"], entries[0]["std_err"]) == ("MiniWoB", 0.5, 0.204)
    assert entries[0]["reproducible"] == "No"  # imported: no commit of ours to reproduce it from
    for claim in ("benchmark_specific", "benchmark_tuned", "followed_evaluation_protocol", "reproducible"):
        assert entries[0][claim] in ("Yes", "No")
