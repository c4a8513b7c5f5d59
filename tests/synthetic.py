"""Synthetic study folders (manifest, summaries, steps, screenshots) for tests and bench/ scripts:
the files real episodes write, without running a browser."""

from __future__ import annotations

import io
import json
from pathlib import Path


def png_bytes(width: int = 64, height: int = 40, color: tuple[int, int, int] = (40, 120, 200)) -> bytes:
    """A real PNG image of one color."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, format="PNG")
    return buffer.getvalue()


def write_manifest(study: Path, tasks, seeds, agents, benchmark: str = "miniwob") -> Path:
    """A study folder with its study.json (what `agentlab manifest` writes, minus config hashes)."""
    manifest = {
        "study": study.name,
        "benchmarks": {benchmark: {"tasks": list(tasks), "seeds": list(seeds)}},
        "agents": {agent: {} for agent in agents},
    }
    study.mkdir(parents=True, exist_ok=True)
    (study / "study.json").write_text(json.dumps(manifest))
    return study


def write_episode(
    study: Path,
    agent: str,
    task: str,
    seed: int,
    fields: dict,
    steps: list[dict] | None = None,
    screenshot: bytes | None = None,
    benchmark: str = "miniwob",
) -> Path:
    """One episode folder: summary.json from `fields`, and steps.jsonl from `steps` with a screenshot
    file for each step record that names one."""
    folder = study / benchmark / agent / task / f"seed{seed}"
    folder.mkdir(parents=True)
    summary = {
        "study": study.name,
        "benchmark": benchmark,
        "agent": agent,
        "task": task,
        "seed": seed,
        "n_steps": 2,
        "elapsed_s": 4.0,
        **fields,
    }
    (folder / "summary.json").write_text(json.dumps(summary))
    if steps is not None:
        (folder / "steps.jsonl").write_text("".join(json.dumps(step) + "\n" for step in steps))
        for step in steps:
            if step.get("screenshot"):
                (folder / step["screenshot"]).parent.mkdir(exist_ok=True)
                (folder / step["screenshot"]).write_bytes(screenshot or png_bytes())
    return folder


def write_large_study(study: Path, n_tasks: int, agents: list[str], seeds, seed: int = 0) -> Path:
    """A study of summaries only (no steps), statuses and rewards drawn at random: for scale tests."""
    import random

    rng = random.Random(seed)
    tasks = [f"task-{number:04d}" for number in range(n_tasks)]
    write_manifest(study, tasks, seeds, agents)
    for agent in agents:
        for task in tasks:
            for episode_seed in seeds:
                status = rng.choice(["success", "failure", "failure", "agent_error", "infra_error"])
                error = (
                    None
                    if status in ("success", "failure")
                    else {"type": "Boom", "message": f"error {rng.randint(0, 99)}"}
                )
                write_episode(
                    study,
                    agent,
                    task,
                    episode_seed,
                    {
                        "status": status,
                        "success": status == "success",
                        "reward": float(status == "success"),
                        "error": error,
                        "agent_stats": {"cost": rng.random() / 100},
                    },
                )
    return study


def write_study(root, episodes, tasks=("t1", "t2"), seeds=(0, 1, 2), agents=("a", "b")):
    """A study folder with a manifest and the given {(agent, task, seed): summary fields}."""
    study = write_manifest(root / "s", tasks, seeds, agents)
    for (agent, task, seed), fields in episodes.items():
        write_episode(study, agent, task, seed, fields)
    return study


def summary_fields(s, error=None, **stats):
    """The summary fields of an episode with status `s`, its error and its agent's stats."""
    return {
        "status": s,
        "success": s == "success",
        "reward": float(s == "success"),
        "error": error,
        "agent_stats": stats,
    }
