#!/usr/bin/env python3
"""The same AgentLab agent, by AgentLab 0.4.2's own Study and through our bridge: same requests?

AgentLab's GenericAgent with AGENT_4o's flags (temperature 0, a 3,000-token prompt budget for the
small model) runs twice on MiniWoB tasks × seeds against the offline local model (Qwen2.5-Coder-0.5B
on llama.cpp's server), each time through a real HTTP proxy that records every request: once in
AgentLab's own Study (its loop, its env, joblib with one worker), once as a study of ours through
the bridge (Snakemake, one episode at a time). Prints, over the (task, seed, step) both ran:
the share with identical requests (messages as sent over HTTP; target: 100% of first steps), the
share with identical actions, both success rates with the paired bootstrap interval of their
difference, and seconds per episode.

    python bench/fidelity.py [--tasks a,b] [--seeds 0,1,2] [--max-steps 3]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import subprocess
import tempfile
import threading
import time
import urllib.request
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from common import MINIWOB_TASKS, agentlab_interpreter, machine_load, peer_command, snakemake, tool_env

from agentlab.agents.web_agent import WEB_AGENT_LOCAL
from agentlab.analyze.stats import paired_bootstrap
from agentlab.benchmarks.miniwob import miniwob_url
from agentlab.core.records import read_steps, read_summary
from agentlab.llm.local_server import SERVER_DIR_ENV, ensure_server, stop_server

TASKS = MINIWOB_TASKS
AGENT = "agentlab.agents.generic_agent.AGENT_4o"
# The small model has a 4,096-token context: AgentLab fits its prompt into max_prompt_tokens
# (its own truncation); both runs get exactly these overrides.
OVERRIDES = {"chat_model_args.temperature": 0, "chat_model_args.max_new_tokens": 512, "flags.max_prompt_tokens": 3000}


class RecordingProxy:
    """A real HTTP proxy on 127.0.0.1: /<run>/v1/... goes to `upstream`/v1/...; every chat request's
    body is recorded under its run."""

    def __init__(self, upstream: str):
        self.upstream = upstream.rstrip("/")
        self.requests: dict[str, list[dict]] = defaultdict(list)
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                run, _, rest = self.path.lstrip("/").partition("/")
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if rest.endswith("chat/completions"):
                    proxy.requests[run].append(json.loads(body))
                request = urllib.request.Request(
                    f"{proxy.upstream}/{rest.removeprefix('v1/')}",
                    data=body,
                    headers={"Content-Type": "application/json"},
                    method="POST",
                )
                try:
                    with urllib.request.urlopen(request, timeout=600) as response:
                        status, data = response.status, response.read()
                except urllib.error.HTTPError as error:
                    status, data = error.code, error.read()
                except OSError as error:  # the model server is gone: say so, as a gateway does
                    status, data = 502, json.dumps({"error": {"message": f"proxy: {error}"}}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def base_url(self, run: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/{run}/v1"


def text(messages: list[dict]) -> str:
    """Chat messages as one comparable text (a message's parts joined)."""
    parts = []
    for message in messages:
        content = message.get("content")
        if isinstance(content, list):
            content = "\n".join(part.get("text", "") for part in content if isinstance(part, dict))
        parts.append(f"{message.get('role')}: {content}")
    return "\n".join(parts)


def first_difference(key: str, step: int, ours: str, theirs: str) -> str:
    """Where two requests part, with the line of each."""
    for number, (a, b) in enumerate(zip(ours.splitlines(), theirs.splitlines()), start=1):
        if a != b:
            return (
                f"first difference ({key} step {step}, line {number}):\n"
                f"  ours:     {a[:300]!r}\n  AgentLab: {b[:300]!r}"
            )
    return f"first difference ({key} step {step}): one request is longer ({len(ours)} vs {len(theirs)} characters)"


def run_theirs(tasks, seeds, max_steps, proxy) -> tuple[dict, float]:
    python, env = agentlab_interpreter()
    # the same MiniWoB pages as ours: their file URLs are in the prompt
    env = {
        **env,
        "OPENAI_BASE_URL": proxy.base_url("agentlab"),
        "OPENAI_API_KEY": "sk-local",
        "MINIWOB_URL": miniwob_url(),
    }
    command = peer_command(
        python, tasks, seeds, "--max-steps", str(max_steps), "--agent", AGENT, "--overrides", json.dumps(OVERRIDES)
    )
    output = subprocess.run(command, capture_output=True, text=True, env=env, check=True).stdout
    result = json.loads(output.strip().splitlines()[-1])
    episodes = {
        key: {"reward": reward, "steps": result["steps"].get(key, [])} for key, reward in result["rewards"].items()
    }
    return episodes, result["wall_s"] / result["episodes"]


def run_ours(tasks, seeds, max_steps, proxy, work: Path) -> tuple[dict, float]:
    config = {
        "study": "fidelity",
        "benchmarks": {"miniwob": {"tasks": tasks, "seeds": seeds, "max_steps": max_steps}},
        "agents": {"agentlab-4o": {"config": AGENT, "overrides": OVERRIDES}},
        "episode": {"retries": 0},
    }
    env = tool_env(OPENAI_BASE_URL=proxy.base_url("ours"), OPENAI_API_KEY="sk-local")
    wall = snakemake(work, config, "--cores", "1", env=env)
    episodes = {}
    for path in sorted(work.glob("results/fidelity/miniwob/*/*/seed*/summary.json")):
        summary = read_summary(path)
        records, _ = read_steps(path.parent)
        steps = [
            {"step": r.step, "messages": r.answer.messages[:2], "action": r.answer.action}
            for r in records
            if r.answer is not None and (r.answer.action is not None or r.answer.messages)
        ]
        episodes[f"{summary.task}/seed{summary.seed}"] = {"reward": summary.outcome.reward, "steps": steps}
    return episodes, wall / max(len(episodes), 1)


def compare(ours: dict, theirs: dict, proxy: RecordingProxy) -> None:
    sent = {run: {text(body["messages"]) for body in bodies} for run, bodies in proxy.requests.items()}
    pairs = same_request = same_action = first = same_first = unseen = 0
    example = None  # the first difference between two requests, line by line
    for key in sorted(ours.keys() & theirs.keys()):
        for a, b in zip(ours[key]["steps"], theirs[key]["steps"]):
            pairs += 1
            unseen += text(a["messages"]) not in sent.get("ours", set())
            unseen += text(b["messages"]) not in sent.get("agentlab", set())
            identical = text(a["messages"]) == text(b["messages"])
            if not identical and example is None:
                example = first_difference(key, a["step"], text(a["messages"]), text(b["messages"]))
            same_request += identical
            same_action += a["action"] == b["action"]
            if a["step"] == 0:
                first += 1
                same_first += identical
    keys = sorted(ours.keys() & theirs.keys())
    ours_success = [float(ours[k]["reward"] > 0) for k in keys]
    theirs_success = [float((theirs[k]["reward"] or 0) > 0) for k in keys]
    interval = paired_bootstrap([a - b for a, b in zip(ours_success, theirs_success)])
    print(
        f"requests recorded by the proxy: ours {len(proxy.requests['ours'])}, "
        f"AgentLab {len(proxy.requests['agentlab'])}; "
        f"steps whose recorded request the proxy did not see: {unseen}"
    )
    print(
        f"identical requests: first steps {same_first}/{first} ({same_first / max(first, 1):.0%}), "
        f"all steps {same_request}/{pairs} ({same_request / max(pairs, 1):.0%})"
    )
    print(f"identical actions: {same_action}/{pairs} ({same_action / max(pairs, 1):.0%})")
    if example:
        print(example)
    print(
        f"success rate over {len(keys)} episodes: ours (bridge) {sum(ours_success) / len(keys):.1%}, "
        f"AgentLab's Study {sum(theirs_success) / len(keys):.1%}; difference {interval.estimate * 100:+.1f} pp, "
        f"95% paired bootstrap interval [{interval.low * 100:+.1f}, {interval.high * 100:+.1f}] pp"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", default=",".join(TASKS))
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--max-steps", type=int, default=3)
    args = parser.parse_args()
    tasks, seeds = args.tasks.split(","), [int(s) for s in args.seeds.split(",")]
    print(
        f"fidelity: {AGENT} {OVERRIDES} on {len(tasks)} MiniWoB tasks x {len(seeds)} seeds, max_steps "
        f"{args.max_steps}; {machine_load()}"
    )
    with tempfile.TemporaryDirectory(prefix="agentlab-fidelity-") as tmp:
        work = Path(tmp)
        os.environ[SERVER_DIR_ENV] = str(work / "llm-server")
        # no idle exit: requests through the proxy do not touch the server's lease
        state = ensure_server(dataclasses.replace(WEB_AGENT_LOCAL.chat_model_args.server, idle_timeout_s=0))
        proxy = RecordingProxy(state.base_url)
        try:
            tic = time.time()
            theirs, theirs_s = run_theirs(tasks, seeds, args.max_steps, proxy)
            print(f"AgentLab's Study: {time.time() - tic:.0f} s, {theirs_s:.1f} s per episode")
            tic = time.time()
            ours, ours_s = run_ours(tasks, seeds, args.max_steps, proxy, work / "ours")
            print(
                f"ours through the bridge: {time.time() - tic:.0f} s, {ours_s:.1f} s per episode "
                f"(whole Snakemake run: planning, episodes, tables, report)"
            )
            compare(ours, theirs, proxy)
        finally:
            proxy.server.shutdown()
            stop_server()
    print(machine_load())


if __name__ == "__main__":
    main()
