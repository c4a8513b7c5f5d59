"""The CUBE environment (a Python 3.12 venv from cube.lock.txt), the catalog of web cubes, their preflight.

Python 3.12 is found among real interpreters: a failing pyenv-like shim on PATH, a pyenv-like
folder of symlinks to a real 3.12. Venvs are installed by real pip, from a lock naming a real wheel
built here (no network), or are the one `make cube` installed (slow tests, skipped without it).
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from conftest import CLOSED
from helpers import Server

from agentlab.benchmarks.cube.backend import CubeBackend
from agentlab.benchmarks.cube.catalog import (
    KNOWN_CUBES,
    METADATA_FILE,
    known_cube,
    module_file,
    own_cube_metadata_file,
    search_path,
    snapshot_path,
    task_max_steps,
    task_metadata,
)
from agentlab.benchmarks.cube.environment import CubeEnvironment, candidates, default_venv, find_python
from agentlab.core.errors import ConfigError
from agentlab.foreign.pinned_venv import MARKER

PYENV_PYTHON312 = Path("/root/.pyenv/versions/3.12.1/bin/python3.12")
# Each known cube's task count, as its BenchmarkConfig's benchmark_metadata.num_tasks says.
TASK_COUNTS = {"miniwob-cube": 125, "workarena-cube": 715, "webarena-verified-cube": 812, "browsercomp-cube": 1266}
TINY_TASKS = [{"id": "tiny-0", "recommended_max_steps": 3}, {"id": "tiny-1", "recommended_max_steps": None}]


@pytest.fixture
def python312() -> Path:
    """A real Python 3.12 interpreter of this machine."""
    if PYENV_PYTHON312.is_file():
        return PYENV_PYTHON312
    try:
        return Path(find_python())
    except ConfigError as error:
        pytest.skip(str(error))


@pytest.fixture
def bare_machine(tmp_path, monkeypatch) -> Path:
    """A PATH of one folder (plus the system's), no pyenv and no uv, no AGENTLAB_CUBE_PYTHON; returns the folder."""
    folder = tmp_path / "bin"
    folder.mkdir()
    monkeypatch.setenv("PATH", f"{folder}:/usr/bin:/bin")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path / "no-pyenv"))
    monkeypatch.delenv("AGENTLAB_CUBE_PYTHON", raising=False)
    return folder


def script(path: Path, text: str) -> Path:
    path.write_text(f"#!/bin/sh\n{text}\n")
    path.chmod(0o755)
    return path


def failing_shim(folder: Path) -> Path:
    """What pyenv's shim does for a version that is not selected."""
    return script(folder / "python3.12", 'echo "pyenv: python3.12: command not found" >&2\nexit 127')


def pyenv_folder(root: Path, python312: Path) -> Path:
    """A pyenv root whose versions are symlinks to real interpreters (3.12 and, to be passed over, ours)."""
    for version, target, name in (("3.12.1", python312, "python3.12"), ("3.11.7", Path(sys.executable), "python3.11")):
        (root / "versions" / version / "bin").mkdir(parents=True)
        (root / "versions" / version / "bin" / name).symlink_to(target)
    return root / "versions" / "3.12.1" / "bin" / "python3.12"


@pytest.mark.slow
def test_a_failing_shim_is_passed_over_for_pyenvs_python(bare_machine, tmp_path, python312):
    shim = failing_shim(bare_machine)
    found = pyenv_folder(tmp_path / "pyenv", python312)
    script(bare_machine / "pyenv", f"echo {tmp_path / 'pyenv'}")  # `pyenv root`
    assert list(candidates()) == [str(shim), str(found)]
    assert find_python() == str(found)


@pytest.mark.slow
def test_pyenv_root_falls_back_to_PYENV_ROOT(bare_machine, tmp_path, monkeypatch, python312):
    found = pyenv_folder(tmp_path / "pyenv", python312)
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path / "pyenv"))
    assert find_python() == str(found)


@pytest.mark.slow
def test_a_python312_on_path_that_runs_is_taken_first(bare_machine, tmp_path, monkeypatch, python312):
    (bare_machine / "python3.12").symlink_to(python312)
    pyenv_folder(tmp_path / "pyenv", python312)
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path / "pyenv"))
    assert find_python() == str(bare_machine / "python3.12")


@pytest.mark.slow
def test_an_interpreter_of_another_version_is_not_taken(bare_machine):
    (bare_machine / "python3.12").symlink_to(sys.executable)  # named 3.12, answers 3.11
    with pytest.raises(ConfigError) as raised:
        find_python()
    message = str(raised.value)
    assert message.startswith("no Python 3.12 found") and "\n" not in message
    assert "`uv python install 3.12`" in message and "pyenv install 3.12" in message
    assert "AGENTLAB_CUBE_PYTHON" in message


@pytest.mark.slow
def test_AGENTLAB_CUBE_PYTHON_comes_first_and_must_be_312(bare_machine, monkeypatch, python312):
    failing_shim(bare_machine)
    monkeypatch.setenv("AGENTLAB_CUBE_PYTHON", str(python312))
    assert find_python() == str(python312)
    monkeypatch.setenv("AGENTLAB_CUBE_PYTHON", sys.executable)
    with pytest.raises(
        ConfigError, match=rf"^AGENTLAB_CUBE_PYTHON={sys.executable} is Python 3\.11; .* needs Python 3\.12$"
    ):
        find_python()
    monkeypatch.setenv("AGENTLAB_CUBE_PYTHON", str(bare_machine / "python3.12"))
    with pytest.raises(ConfigError, match="does not run"):
        find_python()


@pytest.mark.slow
def test_check_says_how_to_get_python_then_how_to_install(bare_machine, tmp_path, monkeypatch, python312):
    monkeypatch.setenv("AGENTLAB_CUBE_VENV", str(tmp_path / "cube-venv"))
    environment = CubeEnvironment.configured()
    assert environment.venv == tmp_path / "cube-venv" and not environment.installed()
    with pytest.raises(ConfigError, match=r"^no Python 3\.12 found") as raised:
        environment.check()
    assert "\n" not in str(raised.value)
    monkeypatch.setenv("AGENTLAB_CUBE_PYTHON", str(python312))
    with pytest.raises(ConfigError) as raised:
        environment.check()
    assert str(raised.value) == (
        f"CUBE's environment is not installed in {tmp_path / 'cube-venv'} (set AGENTLAB_CUBE_VENV to use "
        "another); install it with: agentlab cube install (or make cube; ~3 min, ~1.1 GB)"
    )


@pytest.mark.slow
def test_cube_status_without_the_environment_is_one_line(tmp_path, python312):
    environment = {**os.environ, "AGENTLAB_CUBE_VENV": str(tmp_path / "none"), "AGENTLAB_CUBE_PYTHON": str(python312)}
    done = subprocess.run(
        [sys.executable, "-m", "agentlab", "cube", "status"], capture_output=True, text=True, env=environment
    )
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == (
        f"agentlab: CUBE's environment is not installed in {tmp_path / 'none'} (set AGENTLAB_CUBE_VENV to use "
        "another); install it with: agentlab cube install (or make cube; ~3 min, ~1.1 GB)\n"
    )


def test_the_default_venv_is_named_by_the_lock(tmp_path, monkeypatch):
    monkeypatch.delenv("AGENTLAB_CUBE_VENV", raising=False)
    venv = CubeEnvironment.configured().venv
    assert venv.parent == Path.home() / ".cache" / "agentlab" and venv.name.startswith("cube-0.1.0rc10-")
    lock = tmp_path / "other.lock.txt"
    lock.write_text("# another lock\ncube-standard==0.1.0rc10\n")
    assert default_venv(lock).name.startswith("cube-0.1.0rc10-") and default_venv(lock) != venv


def wheel_file(name: str, data: bytes) -> tuple[str, bytes, str]:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return name, data, f"{name},sha256={digest},{len(data)}"


def tiny_cube_wheel(folder: Path) -> Path:
    """A real wheel of `tiny_cube`: configs.py and, beside it, the task_metadata.json a cube ships; plain/ without."""
    info = "tiny_cube-1.0.dist-info"
    files = [
        wheel_file("tiny_cube/__init__.py", b"raise ImportError('planning must not import a cube')\n"),
        wheel_file("tiny_cube/configs.py", b"CONFIG = None\n"),
        wheel_file("tiny_cube/plain/__init__.py", b"X = None\n"),  # a module with no task_metadata.json beside it
        wheel_file(f"tiny_cube/{METADATA_FILE}", json.dumps(TINY_TASKS).encode()),
        wheel_file(f"{info}/METADATA", b"Metadata-Version: 2.1\nName: tiny-cube\nVersion: 1.0\n"),
        wheel_file(f"{info}/WHEEL", b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"),
    ]
    wheel = folder / "tiny_cube-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for name, data, _ in files:
            archive.writestr(name, data)
        archive.writestr(f"{info}/RECORD", "\n".join([*(row for *_, row in files), f"{info}/RECORD,,"]) + "\n")
    return wheel


@pytest.fixture(scope="module")
def tiny_environment(tmp_path_factory) -> CubeEnvironment:
    """A CUBE environment installed by real pip from a lock of one wheel, tiny_cube (creating a venv
    with pip takes ~8 s, a minute on a busy machine: one for the module)."""
    folder = tmp_path_factory.mktemp("tiny")
    python = PYENV_PYTHON312 if PYENV_PYTHON312.is_file() else Path(find_python())
    lock = folder / "cube.lock.txt"
    lock.write_text(f"# a lock of one wheel\n{tiny_cube_wheel(folder)}\n")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AGENTLAB_CUBE_PYTHON", str(python))
        environment = CubeEnvironment(folder / "venv", lock=lock)
        assert environment.install() == f"installed CUBE into {folder / 'venv'}"
    return environment


@pytest.mark.slow
def test_install_is_idempotent(tiny_environment):
    environment = tiny_environment
    assert environment.installed() and (environment.venv / MARKER).read_bytes() == environment.lock.read_bytes()
    version = subprocess.run([environment.python, "--version"], capture_output=True, text=True, check=True)
    assert version.stdout.startswith("Python 3.12")
    log = environment.venv / "install.log"
    installed_at = log.stat().st_mtime_ns
    started = time.monotonic()
    assert environment.install() == f"CUBE is installed in {environment.venv}"
    assert log.stat().st_mtime_ns == installed_at and time.monotonic() - started < 2  # no pip run
    environment.check()


@pytest.mark.slow
def test_a_users_cube_metadata_is_found_beside_its_module_without_importing_it(tiny_environment):
    environment = tiny_environment
    metadata = own_cube_metadata_file("tiny_cube.configs:CONFIG", environment)
    assert metadata == environment.site_packages() / "tiny_cube" / METADATA_FILE
    assert task_metadata("tiny_cube.configs:CONFIG", environment) == {row["id"]: row for row in TINY_TASKS}
    with pytest.raises(ConfigError, match=r"^module tiny_cube\.nothing of cube 'tiny_cube\.nothing:X' not installed"):
        own_cube_metadata_file("tiny_cube.nothing:X", environment)
    with pytest.raises(
        ConfigError, match=rf"^cube 'tiny_cube\.plain:X' ships no {METADATA_FILE} beside .*plain/__init__\.py"
    ):
        own_cube_metadata_file("tiny_cube.plain:X", environment)


@pytest.mark.slow
def test_a_changed_lock_reinstalls_and_a_failed_install_is_one_line(tmp_path, monkeypatch, python312):
    monkeypatch.setenv("AGENTLAB_CUBE_PYTHON", str(python312))
    lock = tmp_path / "cube.lock.txt"
    lock.write_text(f"{tiny_cube_wheel(tmp_path)}\n")
    environment = CubeEnvironment(tmp_path / "venv", lock=lock)
    environment.install()
    lock.write_text(f"# a lock that cannot install\n{tmp_path / 'absent-1.0-py3-none-any.whl'}\n")
    assert not environment.installed()
    with pytest.raises(ConfigError) as raised:
        environment.install()
    assert (
        str(raised.value) == f"installing CUBE into {tmp_path / 'venv'} failed; see {tmp_path / 'venv' / 'install.log'}"
    )
    assert not environment.installed() and not (environment.venv / MARKER).exists()


def test_a_cube_config_that_is_not_a_python_path_is_one_line(tmp_path):
    with pytest.raises(ConfigError, match=r"^cube config 'tiny cube' is not a Python path; allowed: 'pkg.mod:Config'"):
        own_cube_metadata_file("tiny cube", CubeEnvironment(tmp_path))


@pytest.mark.parametrize("name", list(KNOWN_CUBES))
def test_known_cubes_by_pypi_or_package_name_with_their_task_counts(name):
    cube = known_cube(name)
    assert known_cube(cube.package) is cube and cube.name == name
    assert cube.config.startswith(f"{cube.package}.")
    tasks = task_metadata(cube)
    assert len(tasks) == TASK_COUNTS[name] and task_metadata(name) == tasks == task_metadata(cube.package)
    assert snapshot_path(cube).stat().st_size < 1_000_000  # whole copies: none is huge


def test_an_unknown_cube_lists_the_allowed_names():
    with pytest.raises(ConfigError) as raised:
        known_cube("minwob-cube")
    assert str(raised.value) == (
        "unknown cube 'minwob-cube'; allowed: miniwob-cube, workarena-cube, webarena-verified-cube, "
        "browsercomp-cube, miniwob_cube, workarena_cube, webarena_verified_cube, browsercomp_cube, "
        "or a cube's config as 'pkg.mod:Config'"
    )


def test_step_limits_from_metadata_then_level_then_the_cube():
    workarena = known_cube("workarena-cube")
    levels: dict[str, int] = {}
    for row in task_metadata(workarena).values():
        levels[row["level"]] = levels.get(row["level"], 0) + 1
    assert levels == {"l1": 33, "l2": 341, "l3": 341}
    steps = {row["level"]: task_max_steps(workarena, row) for row in task_metadata(workarena).values()}
    assert steps == {"l1": 15, "l2": 50, "l3": 50}
    for name, expected in (("miniwob-cube", 10), ("webarena-verified-cube", 30), ("browsercomp-cube", 50)):
        cube = known_cube(name)
        assert {task_max_steps(cube, row) for row in task_metadata(cube).values()} == {expected}


installed_cube = CubeEnvironment.configured()
needs_make_cube = pytest.mark.skipif(
    not installed_cube.installed(), reason=f"the CUBE environment is not installed in {installed_cube.venv} (make cube)"
)


@pytest.mark.slow
@needs_make_cube
@pytest.mark.parametrize("name", list(KNOWN_CUBES))
def test_each_snapshot_is_the_installed_packages_task_metadata(name):
    cube = known_cube(name)
    found = module_file(cube.package, search_path(installed_cube.site_packages()))
    if found is None:
        pytest.skip(f"{name} is not installed in {installed_cube.venv}")
    assert (found.parent / METADATA_FILE).read_bytes() == snapshot_path(cube).read_bytes()


@pytest.mark.slow
@needs_make_cube
def test_the_installed_environment_runs_the_cubes_and_install_is_a_no_op():
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "agentlab", "cube", "install"], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == f"CUBE is installed in {installed_cube.venv}"
    assert time.monotonic() - started < 30
    packages = ", ".join(cube.package for cube in KNOWN_CUBES.values())
    imports = f"import sys, cube, {packages}; print(sys.version_info[:2])"
    ran = subprocess.run(
        [installed_cube.python, "-c", imports],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, **installed_cube.offline_variables()},
    )
    assert ran.returncode == 0, ran.stderr[-2000:]
    assert ran.stdout.strip() == "(3, 12)"


@pytest.fixture
def servers():
    running: list[Server] = []
    yield lambda: running.append(Server()) or running[-1]
    for server in running:
        server.close()


def backend_problems(name: str, tasks=None, **changes) -> list[str]:
    cube = dataclasses.replace(known_cube(name), **changes)
    return CubeBackend(cube, CubeEnvironment(Path("/nonexistent/cube-venv"))).problems(tasks or [])


@pytest.fixture
def no_cube_backend(no_backend, monkeypatch, python312):
    """No backend variables (BRAVE_API_KEY and OPENAI_API_KEY neither), no open web, a Python 3.12."""
    for name in ("BRAVE_API_KEY", "OPENAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AGENTLAB_CUBE_PYTHON", str(python312))


NOT_INSTALLED = (
    "CUBE's environment is not installed in /nonexistent/cube-venv (set AGENTLAB_CUBE_VENV to use another); "
    "install it with: agentlab cube install (or make cube; ~3 min, ~1.1 GB)"
)


@pytest.mark.slow
def test_preflight_names_the_missing_environment_variables_and_open_web(no_cube_backend):
    assert backend_problems("miniwob-cube") == [NOT_INSTALLED]
    assert backend_problems("workarena-cube") == [
        NOT_INSTALLED,
        "SNOW_INSTANCE_URL, SNOW_INSTANCE_UNAME, SNOW_INSTANCE_PWD not set (workarena-cube needs all of "
        "SNOW_INSTANCE_URL, SNOW_INSTANCE_UNAME, SNOW_INSTANCE_PWD)",
    ]
    assert backend_problems("browsercomp-cube", ["browsecomp-0000"]) == [
        NOT_INSTALLED,
        "BRAVE_API_KEY, OPENAI_API_KEY not set (browsercomp-cube needs all of BRAVE_API_KEY, OPENAI_API_KEY)",
        "browsercomp-cube needs the open web (not reachable from here: https://api.search.brave.com/)",
    ]


@pytest.mark.slow
def test_preflight_probes_the_instance_and_the_sites_of_the_selected_tasks(no_cube_backend, monkeypatch, servers):
    monkeypatch.setenv("SNOW_INSTANCE_UNAME", "admin")
    monkeypatch.setenv("SNOW_INSTANCE_PWD", "secret")
    monkeypatch.setenv("SNOW_INSTANCE_URL", CLOSED)
    (problem,) = backend_problems("workarena-cube")[1:]
    assert problem.startswith(f"SNOW_INSTANCE_URL ({CLOSED}) unreachable: ")
    monkeypatch.setenv("SNOW_INSTANCE_URL", servers().url)
    assert backend_problems("workarena-cube") == [NOT_INSTALLED]

    shopping_admin_only = ["0"]  # task 0's sites: shopping_admin
    assert backend_problems("webarena-verified-cube", shopping_admin_only)[1:] == [
        "WA_SHOPPING_ADMIN not set (webarena-verified-cube needs all of WA_SHOPPING_ADMIN)"
    ]
    monkeypatch.setenv("WA_SHOPPING_ADMIN", servers().url)
    assert backend_problems("webarena-verified-cube", shopping_admin_only) == [NOT_INSTALLED]


@pytest.mark.slow
def test_preflight_of_the_open_web_against_real_servers(no_cube_backend, monkeypatch, servers):
    monkeypatch.setenv("BRAVE_API_KEY", "key")
    monkeypatch.setenv("OPENAI_API_KEY", "key")
    web = servers()
    assert backend_problems("browsercomp-cube", open_web_url=f"{web.url}/") == [NOT_INSTALLED]
    assert backend_problems("browsercomp-cube", open_web_url=f"{CLOSED}/")[1:] == [
        f"browsercomp-cube needs the open web (not reachable from here: {CLOSED}/)"
    ]


@pytest.mark.slow
def test_preflight_names_a_cube_missing_from_an_installed_environment(tiny_environment):
    environment = tiny_environment
    assert CubeBackend(known_cube("miniwob-cube"), environment).problems(["click-test"]) == [
        f"miniwob-cube not installed in the CUBE environment {environment.venv} "
        f"(install it there: {environment.python} -m pip install miniwob-cube)"
    ]
    tiny = dataclasses.replace(known_cube("miniwob-cube"), name="tiny-cube", package="tiny_cube")
    assert CubeBackend(tiny, environment).problems(["tiny-0"]) == []


def test_navigation_open_web_only_for_cubes_that_browse_it(monkeypatch, no_backend):
    assert CubeBackend(known_cube("browsercomp-cube")).navigation_policy().allows("https://example.org/a")
    miniwob = CubeBackend(known_cube("miniwob-cube")).navigation_policy()
    assert miniwob.allows("http://localhost:8000/miniwob/click-test.html")
    assert not miniwob.allows("https://example.org/") and not miniwob.open_web
    monkeypatch.setenv("SNOW_INSTANCE_URL", "https://dev1.service-now.com/now/nav")
    workarena = CubeBackend(known_cube("workarena-cube")).navigation_policy()
    assert workarena.allowed_prefixes == ("https://dev1.service-now.com/",) and not workarena.open_web
