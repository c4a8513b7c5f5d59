"""Results that travel: other frameworks' results imported as our episodes, our studies exported in the
field's submission formats. One module per format; this module picks the one a folder or name asks for."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from ..core.errors import ConfigError
from ..core.files import write_text_atomic

if TYPE_CHECKING:
    from .episode_files import ImportReport

# --format of `agentlab export`: Every Eval Ever records, AgentLab's reproducibility journal rows,
# the BrowserGym leaderboard's per-benchmark JSON
EXPORT_FORMATS = ("eee", "journal", "leaderboard")
EXPORTS_DIR = "exports"  # in the study folder, unless --out says otherwise
IMPORTABLE = "a ServiceNow AgentLab study folder or a cube-harness experiment folder"


def import_results(source: Path, study_dir: Path) -> ImportReport:
    """Import the results folder `source` into `study_dir`: an AgentLab study folder (exp_args.pkl files) or a
    cube-harness experiment folder (experiment_config.json and episodes/), told apart by their files."""
    from .agentlab_import import import_agentlab_study, is_agentlab_study
    from .cube_harness_import import import_cube_harness_experiment, is_cube_harness_experiment

    if not source.is_dir():
        raise ConfigError(f"results folder {str(source)!r} does not exist; allowed: {IMPORTABLE}")
    if is_cube_harness_experiment(source):
        return import_cube_harness_experiment(source, study_dir)
    if is_agentlab_study(source):
        return import_agentlab_study(source, study_dir)
    raise ConfigError(
        f"{source} holds neither exp_args.pkl files nor experiment_config.json and episodes/; allowed: {IMPORTABLE}"
    )


def export_study(
    study_dir: Path,
    fmt: str,
    out: Path | None = None,
    allow_dirty: bool = False,
    benchmark: str | None = None,
    agent: str | None = None,
    organization: str = "agentlab user",
) -> str:
    """Write the study (or one benchmark × agent of it) in format `fmt`; return a one-line report.
    Refuses (ConfigError) a study not finished, run on a dirty tree or on several commits, unless `allow_dirty`."""
    from ..analyze.load import load_results
    from ..analyze.summarize import summarize
    from .eee import eee_records
    from .journal import journal_csv, journal_rows
    from .leaderboard import leaderboard_files
    from .readiness import check_exportable, chosen

    if fmt not in EXPORT_FORMATS:
        raise ConfigError(f"unknown export format {fmt!r}; allowed: {', '.join(EXPORT_FORMATS)}")
    results = chosen(load_results(study_dir), benchmark, agent)
    check_exportable(results, allow_dirty)
    summary = summarize(results.episodes, results.missing, results.relaunched, results.damaged)
    if fmt == "journal":
        path = out or study_dir / EXPORTS_DIR / "reproducibility_journal.csv"
        write_text_atomic(path, journal_csv(journal_rows(results, summary)))
        return f"{len(summary)} journal rows: {path}"
    if fmt == "leaderboard":
        folder = out or study_dir / EXPORTS_DIR / "leaderboard"
        files = leaderboard_files(results, summary)
        for name, entries in files.items():
            write_text_atomic(folder / name, json.dumps(entries, indent=2) + "\n")
        return f"{len(files)} leaderboard files: {folder}"
    folder = out or study_dir / EXPORTS_DIR / "eee"
    records = eee_records(results, summary, organization)
    for record in records:
        agent = record["source_metadata"]["additional_details"]["agent"]
        write_text_atomic(
            folder / record["evaluation_results"][0]["evaluation_name"] / f"{agent}.json",
            json.dumps(record, indent=2) + "\n",
        )
    return f"{len(records)} Every Eval Ever records: {folder}"
