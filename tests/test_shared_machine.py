"""A shared machine: another local user may prepare our runtime folder, listen where we connect,
connect where we listen, or run a second copy of our study. Two real uids (the tests run as root:
`setpriv` turns processes into the victim and the attacker), real sockets, real servers."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import REPO, run_snakemake, snakemake_command, tool_env

from agentlab.agents.bridge import host
from agentlab.machine.private_runtime import UnsafeRuntimeFolder, open_log
from agentlab.machine.slots import held_slot

VICTIM, ATTACKER = 54321, 54322
SYSTEM_PYTHON = Path("/usr/bin/python3")  # the venv's interpreter lives under /root, which other uids cannot read

pytestmark = pytest.mark.skipif(
    os.getuid() != 0 or not shutil.which("setpriv") or not SYSTEM_PYTHON.exists(),
    reason="two real uids need root, setpriv and a Python other users can run",
)


@pytest.fixture
def shared_tmp() -> Iterator[Path]:
    """A folder like /tmp (mode 1777: everybody creates, nobody removes another's), which other uids reach."""
    folder = Path(tempfile.mkdtemp(prefix="agentlab-shared-", dir="/tmp"))
    folder.chmod(0o1777)
    yield folder
    shutil.rmtree(folder)


@pytest.fixture
def short_runtime() -> Iterator[Path]:
    """A private XDG_RUNTIME_DIR with a short path: warm servers' socket paths (108 bytes at most) live in it."""
    folder = Path(tempfile.mkdtemp(prefix="agentlab-runtime-"))
    yield folder
    shutil.rmtree(folder)


def as_user(uid: int, command: list[str], base: Path, **options) -> subprocess.Popen:
    """`command` run as `uid` (no groups), with this checkout's package and `base` as its runtime base."""
    environment = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(REPO),
        "PYTHONDONTWRITEBYTECODE": "1",
        "XDG_RUNTIME_DIR": str(base),
        "HOME": str(base),  # imports look for one; nothing is written there
    }
    setpriv = ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups"]
    options = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "cwd": base, **options}
    return subprocess.Popen([*setpriv, *command], env=environment, text=True, **options)


def run_as(uid: int, code: str, base: Path) -> subprocess.CompletedProcess:
    """Python `code` run as `uid`; it prints what it got, or the one line of the error that stopped it."""
    script = f"try:\n{textwrap.indent(textwrap.dedent(code), '    ')}\nexcept Exception as error:\n    print(error)\n"
    process = as_user(uid, [str(SYSTEM_PYTHON), "-c", script], base)
    stdout, stderr = process.communicate(timeout=60)
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def victim_root(base: Path) -> Path:
    return base / f"agentlab-{VICTIM}"


def attacker(code: str, base: Path) -> None:
    """The attacker's preparations (Python `code` run as ATTACKER), which must succeed."""
    done = run_as(ATTACKER, code + "\nprint('done')", base)
    assert done.stdout == "done\n", done.stdout + done.stderr


def refusal(folder: Path, problem: str) -> str:
    return (
        f"runtime folder {folder} {problem}: another local user may have prepared it, so it is not used; "
        "remove it, or set XDG_RUNTIME_DIR to a folder only you can write (e.g. mkdir -m 700 ~/.agentlab-run)\n"
    )


HOLD_A_SLOT = "from agentlab.machine.slots import held_slot\nwith held_slot('resets', 'machine', 1):\n    print('held')"


@pytest.mark.slow
@pytest.mark.parametrize("prepared", ["a folder of mode 777", "a symlink to the attacker's folder"])
def test_a_runtime_folder_another_user_made_first_is_refused(shared_tmp, prepared):
    root = victim_root(shared_tmp)
    if prepared.startswith("a symlink"):
        trap = shared_tmp / "trap"
        attacker(f"import os; os.mkdir({str(trap)!r}); os.chmod({str(trap)!r}, 0o777)", shared_tmp)
        attacker(f"import os; os.symlink({str(trap)!r}, {str(root)!r})", shared_tmp)
        problem = "is a symlink"
    else:
        attacker(f"import os; os.mkdir({str(root)!r}); os.chmod({str(root)!r}, 0o777)", shared_tmp)
        problem = f"belongs to uid {ATTACKER}, not to you (uid {VICTIM})"

    held = run_as(VICTIM, HOLD_A_SLOT, shared_tmp)

    assert held.stdout == refusal(root, problem), held.stderr
    assert not [path for path in root.rglob("*") if path.is_file()]  # no slot lock was made in it


@pytest.mark.slow
def test_the_users_own_runtime_folder_is_made_private_and_a_writable_one_refused(shared_tmp):
    root = victim_root(shared_tmp)
    assert run_as(VICTIM, HOLD_A_SLOT, shared_tmp).stdout == "held\n"
    folders = [root, *(path for path in root.rglob("*") if path.is_dir())]
    assert len(folders) == 3  # agentlab-<uid>/resets/<key>
    assert {(os.lstat(path).st_uid, os.lstat(path).st_mode & 0o777) for path in folders} == {(VICTIM, 0o700)}

    run_as(VICTIM, f"import os; os.chmod({str(root)!r}, 0o777)", shared_tmp)  # as an older version left it at umask 000
    held = run_as(VICTIM, HOLD_A_SLOT, shared_tmp)
    assert held.stdout == refusal(root, "is writable by other users (mode 0777)")

    run_as(VICTIM, f"import os; os.chmod({str(root)!r}, 0o755)", shared_tmp)  # umask 022: nobody else wrote in it
    assert run_as(VICTIM, HOLD_A_SLOT, shared_tmp).stdout == "held\n"
    assert os.lstat(root).st_mode & 0o777 == 0o700


ZYGOTE_ENVIRONMENT = {"PATH": "/usr/bin:/bin", "AGENTLAB_WARM_IDLE_S": "2"}  # a fork server needs only the stdlib
CONNECT_TO_A_ZYGOTE = (
    "from pathlib import Path\nfrom agentlab.agents.bridge.zygote import connect\n"
    f"connect(Path({str(SYSTEM_PYTHON)!r}), {ZYGOTE_ENVIRONMENT!r}, ())\nprint('connected')"
)


@pytest.mark.slow
def test_a_log_symlink_planted_in_a_prepared_folder_overwrites_nothing(shared_tmp, monkeypatch):
    """The attack on today's code: the fork server's log, opened "wb", truncated the victim's file."""
    from agentlab.agents.bridge.zygote import zygote_dir
    from agentlab.machine.private_runtime import runtime_root

    precious = shared_tmp / "victims-files" / "precious"
    run_as(
        VICTIM,
        f"import os; os.mkdir({str(precious.parent)!r}, 0o700); open({str(precious)!r}, 'w').write('mine')",
        shared_tmp,
    )
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(shared_tmp))  # where the victim's folder is, named as ours
    folder = victim_root(shared_tmp) / zygote_dir(SYSTEM_PYTHON, ZYGOTE_ENVIRONMENT, ()).relative_to(runtime_root())
    levels = [*reversed(folder.relative_to(shared_tmp).parents), folder.relative_to(shared_tmp)][1:]
    attacker(
        f"import os\nfor level in {[str(shared_tmp / level) for level in levels]!r}:\n"
        "    os.mkdir(level)\n    os.chmod(level, 0o777)\n"
        f"os.symlink({str(precious)!r}, {str(folder / 'zygote.log')!r})",
        shared_tmp,
    )

    connected = run_as(VICTIM, CONNECT_TO_A_ZYGOTE, shared_tmp)

    assert connected.stdout == refusal(victim_root(shared_tmp), f"belongs to uid {ATTACKER}, not to you (uid {VICTIM})")
    assert precious.read_text() == "mine"


def test_a_log_is_never_opened_through_a_symlink(tmp_path):
    target = tmp_path / "target"
    target.write_text("mine")
    (tmp_path / "server.log").symlink_to(target)
    with pytest.raises(UnsafeRuntimeFolder, match=f"^log {tmp_path}/server.log is a symlink: not followed"):
        open_log(tmp_path / "server.log", truncate=True)
    assert target.read_text() == "mine"
    with open_log(tmp_path / "real.log") as log:
        log.write(b"line\n")
    assert os.stat(tmp_path / "real.log").st_mode & 0o777 == 0o600


def wait_for(path: Path, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while not path.exists():
        assert process.poll() is None and time.monotonic() < deadline, "the server did not listen"
        time.sleep(0.05)


def ask_for_a_host(scratch: Path) -> str:
    """Python code connecting to the fork server at SOCKET (set by the caller) and printing its first line."""
    return (
        "import json, socket\nconnection = socket.socket(socket.AF_UNIX)\nconnection.settimeout(10)\n"
        "connection.connect(SOCKET)\n"
        f"setup = {{'scratch': {str(scratch)!r}, 'log': {str(scratch / 'host.log')!r}}}\n"
        "connection.sendall(json.dumps(setup).encode() + b'\\n')\n"
        "print(connection.makefile().readline().strip() or 'closed')"
    )


@pytest.mark.slow
def test_the_fork_server_forks_no_host_for_another_user(shared_tmp):
    """Today's code, started at umask 000: another uid connected and had a host forked under the victim's identity."""
    open_folder = shared_tmp / "open"
    open_folder.mkdir(mode=0o777)
    open_folder.chmod(0o777)
    shutil.chown(open_folder, VICTIM, VICTIM)
    path = open_folder / "socket"
    log = open(shared_tmp / "zygote.log", "w")
    zygote = as_user(
        VICTIM,
        [str(SYSTEM_PYTHON), "-P", host.__file__, "--zygote", str(path), "--idle-s", "30"],
        shared_tmp,
        stdout=log,
        stderr=subprocess.STDOUT,
        preexec_fn=lambda: os.umask(0),
    )
    try:
        wait_for(path, zygote)
        scratch = shared_tmp / "victims-scratch"
        run_as(VICTIM, f"import os; os.mkdir({str(scratch)!r}, 0o700)", shared_tmp)
        ask = f"SOCKET = {str(path)!r}\n" + ask_for_a_host(scratch)

        assert json.loads(run_as(VICTIM, ask, shared_tmp).stdout)["kind"] == "hello"  # its own user is served
        assert run_as(ATTACKER, ask, shared_tmp).stdout == "[Errno 13] Permission denied\n"  # socket 0600
        path.chmod(0o777)  # were its mode to let the attacker in, the uid check still refuses
        refused = run_as(ATTACKER, ask, shared_tmp).stdout  # closed unanswered: reset, broken pipe or end of file
        assert refused in ("closed\n", "[Errno 104] Connection reset by peer\n", "[Errno 32] Broken pipe\n")
    finally:
        zygote.kill()
        zygote.wait()
        log.close()
    assert f"refused a client of uid {ATTACKER}" in (shared_tmp / "zygote.log").read_text()


@pytest.mark.slow
def test_an_episode_server_runs_no_episode_for_another_user(shared_tmp):
    """Today's server took any client's episode (its spec, its staging folder) and reported to it."""
    slot = shared_tmp / "slot"
    slot.mkdir()
    slot.chmod(0o777)  # as an older version left it at umask 000
    with open(shared_tmp / "server.log", "w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "agentlab.episode.warm_server", "--slot", str(slot)],
            env={**tool_env(), "AGENTLAB_WARM_IDLE_S": "120"},
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=lambda: os.umask(0),
        )
    try:
        wait_for(slot / "socket", server)
        ask = "import socket\nconnection = socket.socket(socket.AF_UNIX)\nconnection.settimeout(30)\n"
        ask += f"connection.connect({str(slot / 'socket')!r})\nconnection.sendall(b'{{}}')\n"
        ask += "print(connection.recv(4096).decode() or 'closed')"
        assert run_as(ATTACKER, ask, shared_tmp).stdout == "[Errno 13] Permission denied\n"  # socket 0600
        (slot / "socket").chmod(0o777)  # were its mode to let the attacker in, the uid check still refuses
        refused = run_as(ATTACKER, ask, shared_tmp).stdout
        assert refused in ("closed\n", "[Errno 104] Connection reset by peer\n", "[Errno 32] Broken pipe\n")
        assert server.poll() is None  # and goes on listening
    finally:
        server.kill()
        server.wait()
    assert f"refused a client of uid {ATTACKER}" in (shared_tmp / "server.log").read_text()


@pytest.mark.slow
def test_a_client_talks_to_no_server_of_another_user(shared_tmp):
    """Today's code connected to whatever listened there and sent its setup (and then every observation)."""
    open_folder = shared_tmp / "open"
    path = open_folder / "socket"
    listen = (
        f"import os, socket\nos.umask(0)\nos.mkdir({str(open_folder)!r})\n"
        "listener = socket.socket(socket.AF_UNIX)\n"
        f"listener.bind({str(path)!r})\nlistener.listen(1)\nlistener.settimeout(20)\n"
        "connection, _ = listener.accept()\nconnection.settimeout(5)\n"
        "print(connection.recv(4096).decode() or 'nothing')"
    )
    fake_server = as_user(ATTACKER, [str(SYSTEM_PYTHON), "-c", listen], shared_tmp)
    try:
        wait_for(path, fake_server)
        client = run_as(
            VICTIM,
            "from pathlib import Path\nfrom agentlab.agents.bridge.zygote import _connect\n"
            f"_connect(Path({str(path)!r})).sendall(b'setup and observations')\nprint('sent')",
            shared_tmp,
        )
        assert client.stdout == (
            f"the AgentLab bridge's fork server at {path} runs as uid {ATTACKER}, not as you (uid {VICTIM}): "
            "not used, another local user may be listening there\n"
        ), client.stderr
        stolen, _ = fake_server.communicate(timeout=30)
        assert "setup" not in stolen
    finally:
        fake_server.kill()
        fake_server.wait()


@pytest.mark.slow
def test_a_second_run_of_a_live_study_is_refused_after_another_study_in_its_folder_ended(
    tmp_path, tiny_study, short_runtime, monkeypatch
):
    """Snakemake deletes all of .snakemake/locks when any run in the folder ends: the live run's lock too."""
    folder = tmp_path / "studies"
    runtime = short_runtime  # the live run's only episode waits there for the reset slot the test holds
    study_a = {
        **tiny_study,
        "study": "a",
        "benchmarks": {"miniwob": {"tasks": ["click-test"], "seeds": [0], "max_steps": 1}},
        "episode": {**tiny_study["episode"], "max_concurrent_resets": 1},
    }
    environment = {**tool_env(), "XDG_RUNTIME_DIR": str(runtime)}
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    with held_slot("resets", "machine", 1):
        live = subprocess.Popen(
            snakemake_command(folder, study_a, "--cores", "2"),
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            wait_for(folder / "results" / "a" / "study.json", live)  # past onstart: its jobs run
            other = run_snakemake(folder, {**study_a, "study": "b"}, "results/b/study.json")
            assert other.returncode == 0
            assert not (folder / ".snakemake" / "locks").exists()  # the live run's lock went with the other's

            second = subprocess.Popen(
                snakemake_command(folder, study_a, "--cores", "2"),
                env=environment,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                start_new_session=True,
            )
            try:
                _, stderr = second.communicate(timeout=120)
            except subprocess.TimeoutExpired:
                os.killpg(second.pid, signal.SIGKILL)
                second.wait()
                raise AssertionError("a second run of the live study was not refused: it ran its episode") from None
            assert second.returncode != 0, stderr
            assert [line for line in stderr.splitlines() if line.startswith("agentlab:")] == [
                f"agentlab: study 'a' is already running in {folder.resolve()} (snakemake pid {live.pid}); "
                "wait for it to finish or stop it (Ctrl-C, or kill -INT that pid), then run again"
            ]
            assert live.poll() is None
        finally:
            os.killpg(live.pid, signal.SIGKILL)  # a crash: the kernel releases the study's lock with it
            live.wait()
    taken = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import pathlib, agentlab.machine.runlock as r; r.hold_study_lock('a', pathlib.Path({str(folder)!r}))",
        ],
        capture_output=True,
        text=True,
        env=tool_env(),
    )
    assert taken.returncode == 0, taken.stderr


def ask_the_model(base_url: str, key: str | None) -> str:
    """Python code posting one chat request to `base_url` (with `key`, if any) and printing the HTTP status."""
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {key}"} if key else {})}
    body = {"messages": [{"role": "user", "content": "Say hi"}], "max_tokens": 1}
    return (
        "import json, urllib.error, urllib.request\n"
        f"request = urllib.request.Request({base_url + '/v1/chat/completions'!r}, "
        f"data=json.dumps({body!r}).encode(), headers={headers!r})\n"
        "try:\n    print(urllib.request.urlopen(request, timeout=120).status)\n"
        "except urllib.error.HTTPError as error:\n    print(error.code)"
    )


@pytest.mark.slow
def test_the_local_llm_server_serves_only_requests_with_its_runs_key(shared_tmp, tmp_path, monkeypatch):
    """Loopback is open to every local user: today's server answered the attacker's requests."""
    from agentlab.llm.local_chat import LocalChatArgs
    from agentlab.llm.local_server import SERVER_DIR_ENV, STATE_FILE, ServerSettings, ensure_server, stop_server

    directory = tmp_path / "llm-server"
    settings = ServerSettings(idle_timeout_s=120)
    state = ensure_server(settings, directory)
    try:
        assert os.stat(directory).st_mode & 0o777 == 0o700  # the key is in its server.json
        assert os.stat(directory / STATE_FILE).st_mode & 0o777 == 0o600
        assert run_as(ATTACKER, ask_the_model(state.base_url, None), shared_tmp).stdout == "401\n"
        assert run_as(ATTACKER, ask_the_model(state.base_url, "guessed"), shared_tmp).stdout == "401\n"
        assert run_as(ATTACKER, ask_the_model(state.base_url, state.api_key), shared_tmp).stdout == "200\n"

        monkeypatch.setenv(SERVER_DIR_ENV, str(directory))  # our own client finds the key where it finds the server
        model = LocalChatArgs(server=settings, max_new_tokens=1, max_retries=0).make_model()
        assert model.chat([{"role": "user", "content": "Say hi"}]).text  # a 401 would raise
    finally:
        stop_server(directory)


def test_a_server_state_without_a_key_is_no_server(tmp_path):
    """server.json of a server an older version started (no key): not used, a keyed one is started instead."""
    from agentlab.llm.local_server import STATE_FILE, read_state

    state = {"pid": os.getpid(), "base_url": "http://127.0.0.1:1", "settings": {}, "started_at": 0.0}
    (tmp_path / STATE_FILE).write_text(json.dumps(state))
    assert read_state(tmp_path) is None
    (tmp_path / STATE_FILE).write_text(json.dumps({**state, "api_key": "k"}))
    assert read_state(tmp_path).api_key == "k"
