"""Runs ServiceNow AgentLab agents for our episodes, in AgentLab's own Python environment.

Both projects are Python packages named `agentlab`, so they never share an interpreter: this file
runs with AgentLab's interpreter (`python -P host.py`: its own folder is not put on sys.path) as a
fork server (`--zygote SOCKET`, see `zygote.py`): it imports AgentLab's agent modules once, then
forks a host for each episode server that connects, which exchanges JSON lines with it on that
connection (with `--in-fd/--out-fd`, one host on two pipes instead). The client's first line is
{"scratch": folder, "log": file}: the host's working folder and where its output goes.
Large arrays (the screenshot) travel as `.npy` files, never pickled (`agentlab/foreign/wire.py`, loaded by path).

Both ends of the protocol are in this file, which imports only the standard library at the top:
our side imports its constants and `encode`/`decode`, AgentLab's side runs `main()`.

The host first says {"kind": "hello", "protocol": PROTOCOL_VERSION, "pid": its pid}. Messages to it, and its answers:
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
import gc
import importlib
import json
import os
import runpy
import select
import socket
import struct
import sys
import threading
import time
import traceback
from pathlib import Path
from types import SimpleNamespace
from typing import Any, TextIO

PROTOCOL_VERSION = 1
EXIT_CODE_FILE = "host-exit-code"  # a zygote writes a forked host's exit code there, in its client's scratch folder
REAP_INTERVAL_S = 0.2  # how often a zygote looks for ended hosts
SETUP_TIMEOUT_S = 10.0  # a client sends its setup line at once after connecting
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


WIRE_FILE = (
    Path(__file__).resolve().parents[2] / "foreign" / "wire.py"
)  # our JSON codec, by path: `agentlab` is ServiceNow's here
wire = SimpleNamespace(**runpy.run_path(str(WIRE_FILE)))
encode, decode, jsonable = wire.encode, wire.decode, wire.jsonable


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


def serve(requests: TextIO, answers: TextIO) -> None:
    """Answer requests (JSON lines) until they end: hello first, then one answer per request."""
    host = Host()
    answers.write(json.dumps({"kind": "hello", "protocol": PROTOCOL_VERSION, "pid": os.getpid()}) + "\n")
    for line in requests:
        try:
            answer = host.handle(json.loads(line))
        except Exception as error:
            answer = wire.error_answer(error, infra=is_infra_error(error))
        answers.write(json.dumps(answer, default=str) + "\n")
    host.end()


# ---------------------------------------------------------------- the fork server (zygote)


def preload(path: str) -> str | None:
    """Import the longest importable prefix of the dotted `path` (a module, or an attribute of one)."""
    parts = path.split(".")
    for end in range(len(parts), 0, -1):
        name = ".".join(parts[:end])
        try:
            importlib.import_module(name)
            return name
        except Exception:  # not a module, or it fails: the episode's `start` reports why
            continue
    return None


def serve_forked(connection: socket.socket, setup: dict[str, str]) -> None:
    """A forked host: output to the client's log, cwd its scratch folder, the protocol on `connection`.
    It dies at once when the client (its episode server) does, even mid-request."""
    log = os.open(setup["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW, 0o600)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(log)
    os.chdir(setup["scratch"])
    if "numpy" in sys.modules:  # its global generator would otherwise repeat the zygote's draws in every host
        sys.modules["numpy"].random.seed()
    client, _ = peer(connection)
    threading.Thread(target=exit_with, args=(client,), daemon=True).start()
    fd = connection.detach()
    with (
        os.fdopen(fd, "r", encoding="utf-8") as requests,
        os.fdopen(os.dup(fd), "w", encoding="utf-8", buffering=1) as answers,
    ):
        serve(requests, answers)


def peer(connection: socket.socket) -> tuple[int, int]:
    """The pid and uid of the process at the other end of the Unix socket `connection`.
    (agentlab.machine.private_runtime has its own: this file imports only the standard library.)"""
    pid, uid, _ = struct.unpack("3i", connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12))
    return pid, uid


def exit_with(pid: int) -> None:
    """Exit this process as soon as `pid` has exited."""
    try:
        watch = os.pidfd_open(pid)
        select.select([watch], [], [])
    except ProcessLookupError:
        pass
    os._exit(0)


class Zygote:
    """Forks a host per connection from a process that imported AgentLab once (~10 s, ~150 MB spared
    per host); exits after `idle_s` with no connection and no live host. (Not a dataclass: test and
    bench agents load this file by path, outside sys.modules, where @dataclass fails.)"""

    def __init__(self, path: Path, idle_s: float):
        self.path = path
        self.idle_s = idle_s
        self.scratch_of: dict[int, str] = {}  # live hosts: pid -> their client's scratch folder

    def run(self) -> int:
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        bound = self.path.with_name(f"{self.path.name}.{os.getpid()}")
        bound.unlink(missing_ok=True)
        listener.bind(str(bound))
        os.chmod(bound, 0o600)  # whatever the umask: only this user may connect
        listener.listen(64)
        os.rename(bound, self.path)  # clients connect only once it listens
        inode = self.path.stat().st_ino
        print(f"bridge zygote {os.getpid()} listening on {self.path}", flush=True)
        idle_since = time.monotonic()
        while True:
            if select.select([listener], [], [], REAP_INTERVAL_S)[0]:
                self.fork_host(listener, listener.accept()[0])
            if self.reap():
                idle_since = time.monotonic()
            if self.scratch_of or time.monotonic() - idle_since < self.idle_s:
                continue
            if self.path.exists() and self.path.stat().st_ino == inode:
                self.path.unlink()  # no new clients from here; one that connected meanwhile is still served
            listener.setblocking(False)
            try:
                self.fork_host(listener, listener.accept()[0])
            except BlockingIOError:
                print(f"bridge zygote {os.getpid()} idle for {self.idle_s:g} s: exiting", flush=True)
                return 0
            finally:
                listener.setblocking(True)

    def fork_host(self, listener: socket.socket, connection: socket.socket) -> None:
        """Fork a host serving `connection`; its client first sends {"scratch": folder, "log": file}.
        A client of another user is refused: the host would run as us (the socket's folder is private too)."""
        client_pid, client_uid = peer(connection)
        if client_uid != os.getuid():
            print(f"refused a client of uid {client_uid} (pid {client_pid}): not this user's", flush=True)
            connection.close()
            return
        connection.settimeout(SETUP_TIMEOUT_S)
        try:
            with connection.makefile("r", encoding="utf-8") as lines:  # the client then waits for hello
                setup = json.loads(lines.readline())
        except (OSError, ValueError):
            connection.close()  # a client that died or spoke nonsense
            return
        connection.settimeout(None)
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            listener.close()  # a zygote killed with live hosts must refuse connections, not leave them unanswered
            code = 0
            try:
                serve_forked(connection, setup)
            except BaseException:
                traceback.print_exc()
                code = 1
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        connection.close()
        self.scratch_of[pid] = setup["scratch"]

    def reap(self) -> bool:
        """Collect ended hosts, writing each one's exit code for its client; whether any ended."""
        ended = False
        while self.scratch_of:
            pid, status = os.waitpid(-1, os.WNOHANG)
            if pid == 0:
                break
            ended = True
            scratch = self.scratch_of.pop(pid, None)
            if scratch is not None:
                try:
                    Path(scratch, EXIT_CODE_FILE).write_text(str(os.waitstatus_to_exitcode(status)))
                except OSError:  # the client removed its folder already
                    pass
        return ended


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="host.py", description=__doc__.splitlines()[0])
    parser.add_argument("--in-fd", type=int, help="pipe of requests (JSON lines)")
    parser.add_argument("--out-fd", type=int, help="pipe of answers (JSON lines)")
    parser.add_argument("--zygote", type=Path, help="serve as a fork server on this Unix socket instead")
    parser.add_argument("--preload", action="append", default=[], help="(zygote) import this dotted path first")
    parser.add_argument("--idle-s", type=float, default=15.0, help="(zygote) exit after this long unused")
    args = parser.parse_args(argv)
    if args.zygote:
        for path in args.preload:
            print(f"preloaded {preload(path)} for {path}", flush=True)
        gc.collect()
        gc.freeze()  # the imported objects stay out of collections: their pages stay shared with the hosts
        return Zygote(args.zygote, args.idle_s).run()
    if args.in_fd is None or args.out_fd is None:
        parser.error("give --in-fd and --out-fd, or --zygote")
    with (
        os.fdopen(args.in_fd, "r", encoding="utf-8") as requests,
        os.fdopen(args.out_fd, "w", encoding="utf-8", buffering=1) as answers,
    ):
        serve(requests, answers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
