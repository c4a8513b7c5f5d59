"""Runs ServiceNow AgentLab agents for our episodes, in AgentLab's own Python environment.

Both projects are Python packages named `agentlab`, so they never share an interpreter: our
episode (`agentlab.agents.bridge.agent`) starts this file with AgentLab's interpreter
(`python -P host.py`: its own folder is not put on sys.path) and exchanges JSON lines with it
on two pipes. Large arrays (the screenshot) travel as `.npy` files, never pickled.

Both ends of the wire are in this file, which imports only the standard library at the top:
our side imports `encode`/`decode` from it, AgentLab's side runs `main()`.

Messages to the host, and its answers:
  {"kind": "start", "agent": path, "overrides": {...}, "benchmark": {...}, "task_name": ..., "seed": ...}
      -> {"kind": "ready", "agent_args": ..., "action_set": ..., "versions": ..., "endpoint": base URL | None}
  {"kind": "act", "obs": <encoded observation>}
      -> {"kind": "action", "action": str | None, "think": ..., "chat_messages": [...], "stats": {...}, ...}
  {"kind": "end"} -> {"kind": "ended"}  (the episode is over; the host waits for the next start)
Any failure answers {"kind": "error", "type", "message", "traceback", "infra": bool}.
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import importlib
import itertools
import json
import os
import sys
import traceback
from pathlib import Path
from typing import Any

PROTOCOL_VERSION = 1
INLINE_ARRAY_SIZE = 64  # larger arrays (the screenshot) go through .npy files
# Exceptions of LLM clients that mean the API, not the agent, failed (an outage after retries).
INFRA_ERROR_NAMES = {
    "APIConnectionError",
    "APITimeoutError",
    "RateLimitError",
    "InternalServerError",
    "ServiceUnavailableError",
    "Timeout",
}
INFRA_ERROR_MODULES = ("openai", "litellm", "httpx", "anthropic", "huggingface_hub", "requests")

_files = itertools.count()


def encode(value: Any, array_dir: Path) -> Any:
    """`value` as JSON: tuples, numpy arrays and numpy scalars tagged, large arrays saved as .npy files."""
    kind = type(value).__module__
    if isinstance(value, tuple):
        return {"__tuple__": [encode(item, array_dir) for item in value]}
    if isinstance(value, list):
        return [encode(item, array_dir) for item in value]
    if isinstance(value, dict):
        return {str(key): encode(item, array_dir) for key, item in value.items()}
    if kind == "numpy" and hasattr(value, "shape") and value.shape != ():
        if value.size <= INLINE_ARRAY_SIZE:
            return {"__ndarray__": value.tolist(), "dtype": str(value.dtype)}
        import numpy as np

        path = array_dir / f"array-{os.getpid()}-{next(_files)}.npy"
        np.save(path, value, allow_pickle=False)
        return {"__npy__": str(path)}
    if kind == "numpy" and hasattr(value, "item"):
        return {"__numpy_scalar__": value.item(), "dtype": str(value.dtype)}
    return value


def decode(value: Any) -> Any:
    """The value `encode` wrote (its .npy files are read and deleted)."""
    if isinstance(value, list):
        return [decode(item) for item in value]
    if not isinstance(value, dict):
        return value
    if "__tuple__" in value:
        return tuple(decode(item) for item in value["__tuple__"])
    if "__ndarray__" in value or "__npy__" in value or "__numpy_scalar__" in value:
        import numpy as np

        if "__ndarray__" in value:
            return np.asarray(value["__ndarray__"], dtype=value["dtype"])
        if "__numpy_scalar__" in value:
            return np.dtype(value["dtype"]).type(value["__numpy_scalar__"])
        path = Path(value["__npy__"])
        array = np.load(path, allow_pickle=False)
        path.unlink(missing_ok=True)
        return array
    return {key: decode(item) for key, item in value.items()}


def jsonable(value: Any) -> Any:
    """`value` in plain JSON types, for the record (an agent's info may hold any object)."""
    return json.loads(json.dumps(value, default=lambda item: item.tolist() if hasattr(item, "tolist") else str(item)))


# ---------------------------------------------------------------- AgentLab's side (its interpreter)


def apply_overrides(args: Any, overrides: dict[str, Any]) -> Any:
    """A copy of the dataclass `args` with dotted-key overrides (`chat_model_args.temperature`)."""
    args = copy.deepcopy(args)
    for dotted, value in overrides.items():
        target = args
        *parents, name = dotted.split(".")
        for parent in parents:
            target = getattr(target, parent)
        if not dataclasses.is_dataclass(target) or name not in {f.name for f in dataclasses.fields(target)}:
            allowed = (
                ", ".join(f.name for f in dataclasses.fields(target)) if dataclasses.is_dataclass(target) else "none"
            )
            raise ValueError(f"override {dotted!r}: {type(target).__name__} has no field {name!r}; allowed: {allowed}")
        setattr(target, name, hashable(value))
    return args


def hashable(value: Any) -> Any:
    """JSON lists as tuples: AgentLab wants AgentArgs fields hashable (its Study indexes agents by them)."""
    return tuple(hashable(item) for item in value) if isinstance(value, list) else value


def load_agent_args(path: str) -> Any:
    module_name, _, attribute = path.rpartition(".")
    module = importlib.import_module(module_name)
    if not hasattr(module, attribute):
        raise ValueError(f"{module_name} has no {attribute!r}")
    return getattr(module, attribute)


def make_benchmark(spec: dict[str, Any]) -> Any:
    """A BrowserGym `Benchmark` with our benchmark's name, action set and tabs: what `set_benchmark` reads."""
    import pandas as pd
    from browsergym.experiments.benchmark.base import Benchmark, HighLevelActionSetArgs

    return Benchmark(
        name=spec["name"],
        high_level_action_set_args=HighLevelActionSetArgs(**spec["high_level_action_set_args"]),
        is_multi_tab=spec["is_multi_tab"],
        supports_parallel_seeds=True,
        backends=[],
        env_args_list=[],
        task_metadata=pd.DataFrame({"task_name": []}),  # its own check needs the column, the agent nothing more
    )


def describe_action_set(action_set: Any) -> dict[str, Any]:
    """The agent's BrowserGym action set, enough for our side to rebuild it: its functions and flags."""
    return {
        "functions": list(action_set.action_set),
        "multiaction": action_set.multiaction,
        "strict": action_set.strict,
        "retry_with_force": action_set.retry_with_force,
        "demo_mode": action_set.demo_mode,
    }


def versions() -> dict[str, str]:
    from importlib.metadata import version

    return {name: version(name) for name in ("agentlab", "browsergym-core", "browsergym-experiments")}


def llm_endpoint(agent: Any) -> str | None:
    """The base URL the agent's chat model calls (its OpenAI client's), or None if it has none."""
    client = getattr(getattr(agent, "chat_llm", None), "client", None)
    base_url = getattr(client, "base_url", None)
    return str(base_url) if base_url else None


def chat_messages(messages: Any) -> list[Any]:
    """An AgentInfo's chat messages (a Discussion or a list) as plain JSON."""
    if messages is None:
        return []
    messages = getattr(messages, "messages", messages)
    return jsonable([dict(message) if isinstance(message, dict) else str(message) for message in messages])


def is_infra_error(error: BaseException) -> bool:
    """Whether `error` says an LLM API failed (connection, timeout, rate limit, 5xx) rather than the agent."""
    return any(
        cls.__name__ in INFRA_ERROR_NAMES and cls.__module__.startswith(INFRA_ERROR_MODULES)
        for cls in type(error).__mro__
    )


class Host:
    """One agent at a time, made fresh for each episode from its AgentLab AgentArgs."""

    def __init__(self) -> None:
        self.agent_args: Any = None
        self.agent: Any = None

    def start(self, message: dict[str, Any]) -> dict[str, Any]:
        self.end()
        args = apply_overrides(load_agent_args(message["agent"]), message.get("overrides") or {})
        if message.get("set_benchmark", True):
            args.set_benchmark(make_benchmark(message["benchmark"]), demo_mode=False)
        args.prepare()
        self.agent_args = args
        self.agent = args.make_agent()
        if hasattr(self.agent, "set_task_name"):
            self.agent.set_task_name(message["task_name"])
        return {
            "kind": "ready",
            "agent_args": jsonable(dataclasses.asdict(args)),
            "endpoint": llm_endpoint(self.agent),
            "agent_class": f"{type(args).__module__}.{type(args).__qualname__}",
            "action_set": describe_action_set(self.agent.action_set),
            "versions": versions(),
        }

    def act(self, message: dict[str, Any]) -> dict[str, Any]:
        obs = self.agent.obs_preprocessor(decode(message["obs"]))
        action, info = self.agent.get_action(obs.copy())
        return {
            "kind": "action",
            "action": action,
            "think": info.get("think"),
            "chat_messages": chat_messages(info.get("chat_messages")),
            "stats": jsonable(info.get("stats") or {}),
            "extra_info": jsonable(info.get("extra_info") or {}),
            "markdown_page": str(info.get("markdown_page") or ""),
        }

    def end(self) -> dict[str, Any]:
        if self.agent_args is not None:
            args, self.agent_args, self.agent = self.agent_args, None, None
            args.close()
        return {"kind": "ended"}

    def handle(self, message: dict[str, Any]) -> dict[str, Any]:
        handlers = {"start": self.start, "act": self.act, "end": lambda _: self.end()}
        if message.get("kind") not in handlers:
            raise ValueError(f"unknown message kind {message.get('kind')!r}; allowed: {', '.join(handlers)}")
        return handlers[message["kind"]](message)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="host.py", description=__doc__.splitlines()[0])
    parser.add_argument("--in-fd", type=int, required=True, help="pipe of requests (JSON lines)")
    parser.add_argument("--out-fd", type=int, required=True, help="pipe of answers (JSON lines)")
    args = parser.parse_args(argv)
    host = Host()
    with (
        os.fdopen(args.in_fd, "r", encoding="utf-8") as requests,
        os.fdopen(args.out_fd, "w", encoding="utf-8", buffering=1) as answers,
    ):
        answers.write(json.dumps({"kind": "hello", "protocol": PROTOCOL_VERSION, "pid": os.getpid()}) + "\n")
        for line in requests:
            try:
                answer = host.handle(json.loads(line))
            except Exception as error:
                answer = {
                    "kind": "error",
                    "type": type(error).__name__,
                    "message": (str(error).strip().splitlines() or [type(error).__name__])[0],
                    "traceback": traceback.format_exc(),
                    "infra": is_infra_error(error),
                }
            answers.write(json.dumps(answer, default=str) + "\n")
        host.end()
    return 0


if __name__ == "__main__":
    sys.exit(main())
