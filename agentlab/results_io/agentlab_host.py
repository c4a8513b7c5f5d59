"""Reads a ServiceNow AgentLab study folder, in AgentLab's own interpreter, and prints it as one JSON document.

AgentLab's results are pickles (`exp_args.pkl`, `step_N.pkl.gz`): code, which only AgentLab's own
environment unpickles (the bridge's venv, `python -P agentlab_host.py FOLDER`); our side keeps nothing
of them but this JSON and the screenshots' PNG files, which it copies itself. Standard library only at
the top, like the bridge's host: our `agentlab/foreign/wire.py` is loaded by path for `jsonable`.

Output: {"agentlab": version, "episodes": [...], "problems": [{"folder", "reason"}]}: one episode per
experiment folder AgentLab's `yield_all_exp_results` would find (hidden ones skipped, as it does);
a folder without AgentLab's result (no summary_info.json: not run or not finished) or whose files
cannot be read is a problem, never fatal.
"""

from __future__ import annotations

import importlib
import runpy
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

WIRE_FILE = (
    Path(__file__).resolve().parents[1] / "foreign" / "wire.py"
)  # our JSON codec, by path: `agentlab` is ServiceNow's here
wire = SimpleNamespace(**runpy.run_path(str(WIRE_FILE)))


def package_versions(folder: Path) -> dict[str, str]:
    """The `package_versions.txt` AgentLab writes in each experiment folder, as {name: version}."""
    try:
        lines = (folder / "package_versions.txt").read_text(encoding="utf-8").splitlines()
    except OSError:
        return {}
    return dict(line.split("==", 1) for line in lines if "==" in line)


def chat_messages(messages: Any) -> list[Any]:
    """An AgentInfo's chat messages (a Discussion or a list) as plain JSON."""
    if messages is None:
        return []
    messages = getattr(messages, "messages", messages)
    return wire.jsonable([dict(message) if isinstance(message, dict) else str(message) for message in messages])


def step_record(step: Any, folder: Path) -> dict[str, Any]:
    """One StepInfo as a record in our steps.jsonl's terms (its screenshot named by AgentLab's file)."""
    from browsergym.utils.obs import flatten_axtree_to_str

    obs = step.obs if isinstance(step.obs, dict) else {}
    info = step.agent_info if isinstance(step.agent_info, dict) else {}
    stats = step.stats if isinstance(step.stats, dict) else {}
    screenshot = folder / f"screenshot_step_{step.step}.png"
    axtree = obs.get("axtree_object")
    return wire.jsonable(
        {
            "step": step.step,
            "url": obs.get("url", ""),
            "screenshot_file": screenshot.name if screenshot.is_file() else None,
            "axtree": flatten_axtree_to_str(
                axtree, extra_properties=obs.get("extra_element_properties"), with_clickable=True, skip_generic=False
            )
            if axtree
            else "",
            "focused_element_bid": obs.get("focused_element_bid", ""),
            "last_action_error": obs.get("last_action_error", ""),
            "action": step.action,
            "think": info.get("think") or "",
            "messages": chat_messages(info.get("chat_messages")),
            "reward": step.reward,
            "terminated": step.terminated,
            "truncated": step.truncated,
            "agent_stats": {key: value for key, value in stats.items() if not key.endswith("_elapsed")},
            "timings": {"agent_s": stats.get("agent_elapsed"), "env_step_s": stats.get("step_elapsed")},
        }
    )


def read_episode(result: Any, study: Path) -> dict[str, Any]:
    """One experiment folder: its arguments, AgentLab's summary_info and its steps."""
    folder = result.exp_dir
    args = result.exp_args
    summary = result.summary_info
    steps = [step_record(step, folder) for step in result.steps_info]
    goal = next((step.obs.get("goal") for step in result.steps_info if isinstance(step.obs, dict)), None)
    return wire.jsonable(
        {
            "folder": folder.relative_to(study).as_posix(),
            "exp_name": args.exp_name,
            "exp_date": getattr(args, "exp_date", None),
            "task_name": args.env_args.task_name,
            "task_seed": args.env_args.task_seed,
            "max_steps": args.env_args.max_steps,
            "agent_name": args.agent_args.agent_name,
            "agent_class": f"{type(args.agent_args).__module__}.{type(args.agent_args).__qualname__}",
            "flat_exp_args": {
                k: v for k, v in result.flat_exp_args.items() if k.startswith(("agent_args", "env_args"))
            },
            "summary_info": summary,
            "goal": goal,
            "steps": steps,
            "package_versions": package_versions(folder),
        }
    )


def read_study(study: Path) -> dict[str, Any]:
    # ServiceNow's modules by name: in this interpreter `agentlab` is theirs
    agentlab = importlib.import_module("agentlab")
    exp_result = importlib.import_module("agentlab.experiments.loop").ExpResult

    episodes, problems = [], []
    for path in sorted(study.glob("**/exp_args.pkl")):
        folder = path.parent
        if folder.name.startswith(("_", ".")):  # moved aside by AgentLab's relaunch
            continue
        if not (folder / "summary_info.json").is_file():
            reason = "no summary_info.json: AgentLab has no result for it (not run, or not finished)"
            problems.append({"folder": folder.relative_to(study).as_posix(), "reason": reason})
            continue
        try:
            episodes.append(read_episode(exp_result(folder), study))
        except Exception as error:  # noqa: BLE001 (one unreadable episode is listed, not fatal)
            first = str(error).splitlines()[0] if str(error) else ""
            problems.append(
                {"folder": folder.relative_to(study).as_posix(), "reason": f"{type(error).__name__}: {first}"}
            )
    return {"agentlab": agentlab.__version__, "episodes": episodes, "problems": problems}


def main() -> int:
    study = Path(sys.argv[1]).resolve()
    wire.print_document(lambda: read_study(study))
    return 0


if __name__ == "__main__":
    sys.exit(main())
