"""How long the report of a large study takes to build, from synthetic episodes with steps.

Writes a study of N episodes (default 1,000: 50 tasks × 4 agents × 5 seeds; 5 actions each, with
AXTree, prompt and answer text, a screenshot, the action's target box and gzipped page details (pruned
HTML, element boxes) per step), then times, in one run: load_results (summaries), StudyResults.steps
(every steps.jsonl), aggregate_study (tables and plots) and build_report (trace pages, compare pages,
data files and index). Prints wall and CPU seconds, milliseconds per episode, ratios, and the
report's size on disk (bytes of its files, and blocks allocated).

    .venv/bin/python bench/report_build.py [--tasks 50] [--agents 4] [--seeds 5] [--dir /tmp/x]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from synthetic import png_bytes, write_episode, write_manifest  # noqa: E402

from agentlab.analyze import load_results  # noqa: E402
from agentlab.analyze.aggregate import aggregate_study  # noqa: E402
from agentlab.report import build_report  # noqa: E402

AXTREE = "\n".join(f"\t[{bid}] button 'Option {bid}', clickable" for bid in range(100))  # ~3.5 kB
PROMPT = "# Goal\nClick the right button.\n# Page\n" + AXTREE
PAGE_DETAILS = gzip.compress(
    json.dumps(
        {  # ~6 kB of pruned HTML and 100 element boxes, as an episode records
            "pruned_html": "\n".join(f'<button bid="{bid}">Option {bid}</button>' for bid in range(100)) * 2,
            "elements": {
                str(bid): {"bbox": [10, 20 * bid, 120, 18], "visibility": 1.0, "clickable": True, "set_of_marks": 1}
                for bid in range(100)
            },
        }
    ).encode(),
    mtime=0,
)


def synthetic_steps(n_actions: int, rng: random.Random) -> list[dict]:
    steps = []
    for step in range(n_actions + 1):
        final, bid = step == n_actions, rng.randint(1, 99)
        steps.append(
            {
                "step": step,
                "url": "file:///miniwob/task.html",
                "screenshot": f"screenshots/step_{step:03d}.png",
                "axtree": AXTREE,
                "focused_element_bid": "",
                "action": None if final else f"click('{bid}')",
                "page_details": f"observations/step_{step:03d}.json.gz",
                **(
                    {}
                    if final
                    else {
                        "targets": [
                            {"call": "click", "bid": str(bid), "bbox": [10, 20 * bid, 120, 18], "visibility": 1.0}
                        ],
                        "think": "The goal asks for option 12; I click it.",
                        "messages": [
                            {"role": "user", "content": PROMPT},
                            {"role": "assistant", "content": "click('12')"},
                        ],
                        "agent_stats": {"input_tokens": 1200, "output_tokens": 40, "cost": 0.0004},
                        "reward": 0.0,
                        "terminated": False,
                        "truncated": False,
                        "last_action_error": 'Could not find element with bid "99"' if rng.random() < 0.1 else "",
                        "timings": {
                            "agent_s": 1.5,
                            "env_step_s": 1.1,
                            "action_s": 0.3,
                            "settle_s": 0.1,
                            "page_load_s": 0.05,
                            "validation_s": 0.05,
                            "observation_s": 0.5,
                        },
                    }
                ),
            }
        )
    return steps


def write_study(root: Path, n_tasks: int, n_agents: int, n_seeds: int) -> Path:
    rng = random.Random(0)
    tasks, agents, seeds = (
        [f"task-{t:03d}" for t in range(n_tasks)],
        [f"agent{a}" for a in range(n_agents)],
        range(n_seeds),
    )
    study = write_manifest(root / "bench", tasks, seeds, agents)
    screenshot = png_bytes(500, 300)
    for agent_number, agent in enumerate(agents):
        for task in tasks:
            for seed in seeds:
                roll = rng.random()
                status = (
                    "infra_error"
                    if roll < 0.03
                    else "agent_error"
                    if roll < 0.06
                    else "success"
                    if roll < 0.3 + 0.1 * agent_number
                    else "failure"
                )
                error = (
                    {
                        "type": "EpisodeTimeout",
                        "message": f"agent (step {rng.randint(0, 5)}) exceeded step_timeout_s=300",
                    }
                    if status == "infra_error"
                    else {"type": "AgentError", "message": f"could not parse answer {rng.randint(0, 999)}"}
                    if status == "agent_error"
                    else None
                )
                fields = {
                    "status": status,
                    "success": status == "success",
                    "reward": float(status == "success"),
                    "n_steps": 5,
                    "error": error,
                    "goal": "Click the right button.",
                    "agent_stats": {"input_tokens": 6000, "output_tokens": 200, "cost": 0.002},
                    "versions": {"agentlab": "0.1.0", "chromium": "156.0"},
                }
                folder = write_episode(study, agent, task, seed, fields, synthetic_steps(5, rng), screenshot)
                (folder / "observations").mkdir()
                for step in range(6):
                    (folder / "observations" / f"step_{step:03d}.json.gz").write_bytes(PAGE_DETAILS)
    return study


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=50)
    parser.add_argument("--agents", type=int, default=4)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--dir", type=Path, default=None, help="keep the study here (default: a temporary folder)")
    args = parser.parse_args()
    root = args.dir or Path(tempfile.mkdtemp(prefix="report-bench-"))
    n = args.tasks * args.agents * args.seeds
    try:
        tic = time.perf_counter()
        study = write_study(root, args.tasks, args.agents, args.seeds)
        print(f"wrote {n} synthetic episodes × 6 step records in {time.perf_counter() - tic:.1f} s ({study})")
        timings, cpu = {}, {}
        for name, work in [
            ("load_results (summaries)", lambda: load_results(study)),
            ("StudyResults.steps", lambda: len(load_results(study).steps)),
            ("aggregate_study", lambda: aggregate_study(study)),
            ("build_report", lambda: build_report(study, repo=REPO)),
        ]:
            tic, cpu_tic = time.perf_counter(), time.process_time()
            work()
            timings[name], cpu[name] = time.perf_counter() - tic, time.process_time() - cpu_tic
            print(
                f"{name:<24} {timings[name]:7.2f} s wall {cpu[name]:7.2f} s CPU  "
                f"{1000 * timings[name] / n:6.2f} ms/episode (wall)"
            )
        files = [path for path in (study / "report").rglob("*") if path.is_file()]
        html = [path for path in files if path.suffix == ".html"]
        print(
            f"report: {len(files)} files ({len(html)} HTML), "
            f"{sum(path.stat().st_size for path in files) / 1e6:.1f} MB of files "
            f"({sum(path.stat().st_size for path in html) / 1e6:.1f} MB HTML), "
            f"{sum(path.stat().st_blocks * 512 for path in files) / 1e6:.1f} MB allocated on disk"
        )
        for clock, seconds in (("wall", timings), ("CPU", cpu)):
            print(
                f"ratios ({clock}): build_report / aggregate_study = "
                f"{seconds['build_report'] / seconds['aggregate_study']:.2f}; "
                f"build_report / StudyResults.steps = {seconds['build_report'] / seconds['StudyResults.steps']:.1f}"
            )
        print(
            f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores "
            f"(timings are noisy above ~{os.cpu_count()})"
        )
    finally:
        if args.dir is None:
            shutil.rmtree(root)


if __name__ == "__main__":
    main()
