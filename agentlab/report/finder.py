"""The index's episode finder: every finished episode as one row of a data file that the report's
own script (assets/finder.js) filters, sorts and pages in the browser, offline.

A report opened from disk (file://) may not fetch() files, so data files are scripts: one call of a
function of the report's scripts with a JSON argument (escaped to ASCII: it can hold no markup)."""

from __future__ import annotations

import json
import math
import shutil
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from ..core.files import write_text_atomic

ASSETS_DIR = "assets"  # the report's scripts, copied from the package
DATA_DIR = "data"
EPISODES_DATA = f"{DATA_DIR}/episodes.js"
FINDER_COLUMNS = ("benchmark", "agent", "task", "seed", "status", "reward", "n_steps", "cost", "error", "compare")


def data_script(function: str, payload: Any) -> str:
    """A data file's text: `AgentlabReport.<function>(<payload as JSON>);`."""
    return f"AgentlabReport.{function}({json.dumps(payload, ensure_ascii=True, separators=(',', ':'), default=str)});\n"


def copy_assets(report_dir: Path) -> None:
    """Put the report's scripts into report_dir/assets (they are package data)."""
    target = report_dir / ASSETS_DIR
    target.mkdir(parents=True, exist_ok=True)
    for asset in resources.files("agentlab.report").joinpath(ASSETS_DIR).iterdir():
        if asset.name.endswith(".js"):
            with resources.as_file(asset) as path:
                shutil.copyfile(path, target / asset.name)


def _number(value: Any) -> float | None:
    return None if value is None or isinstance(value, float) and math.isnan(value) else float(value)


def finder_rows(episodes: pd.DataFrame, compared: set[tuple[str, str, int]]) -> list[list[Any]]:
    """One row per episode, in FINDER_COLUMNS order; `compared` holds the (benchmark, task, seed)
    that have a compare page."""
    rows = []
    for row in episodes.to_dict("records"):
        error = ": ".join(str(row[part]) for part in ("error_type", "error_message") if isinstance(row.get(part), str))
        group = (row["benchmark"], row["task"], int(row["seed"]))
        rows.append(
            [
                row["benchmark"],
                row["agent"],
                row["task"],
                int(row["seed"]),
                row["status"],
                _number(row["reward"]),
                int(row["n_steps"]),
                _number(row.get("cost")),
                error,
                group in compared,
            ]
        )
    return rows


def write_finder_data(episodes: pd.DataFrame, compared: set[tuple[str, str, int]], report_dir: Path) -> None:
    write_text_atomic(
        report_dir / EPISODES_DATA,
        data_script("episodes", {"columns": list(FINDER_COLUMNS), "rows": finder_rows(episodes, compared)}),
    )
