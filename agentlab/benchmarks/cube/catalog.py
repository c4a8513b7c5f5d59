"""The web cubes we know: where each one's canonical config is, its defaults, what it needs, its tasks.

Planning reads the tasks from snapshots/<name>.json (copies of each package's task_metadata.json),
so a study is planned without the CUBE environment and without importing cube. A user's own cube,
named by Python path 'pkg.mod:Config', has its task_metadata.json read from the CUBE environment's
site-packages, beside that module, without importing it.
"""

from __future__ import annotations

import importlib.machinery
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...core.errors import ConfigError
from .environment import CubeEnvironment

SNAPSHOT_DIR = Path(__file__).with_name("snapshots")
METADATA_FILE = "task_metadata.json"  # what a cube ships beside its benchmark module (cube-standard's convention)
CONFIG_PATH = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*:[^.:\s]+(\.[^.:\s]+)*$")  # module:attr.attr


@dataclass(frozen=True)
class KnownCube:
    """A web cube on PyPI, as the episode runs it and the preflight checks it.

    `config` is where its BenchmarkConfig is, 'module:attr.attr', each part after the module an
    attribute or a key of a Mapping (a cube's ConfigRegistry); a class there is instantiated with
    its defaults. Tasks take `recommended_max_steps` from their metadata when it has one, else their
    level's entry of `max_steps_by_level` (metadata column 'level'), else `default_max_steps`."""

    name: str  # as on PyPI
    package: str  # its Python package
    config: str
    default_max_steps: int
    variables: tuple[str, ...] = ()  # environment variables every task needs (keys, credentials, URLs)
    instance_urls: tuple[str, ...] = ()  # which of `variables` hold the URL of an instance to probe
    site_variables: Mapping[str, str] = field(default_factory=dict)  # a task's site (column 'sites') -> URL variable
    open_web_url: str = ""  # a page of the open web its tasks need, probed by the preflight ('' when none)
    pages: tuple[str, ...] = ()  # URL prefixes of the pages the cube serves itself (its config's defaults)
    max_steps_by_level: Mapping[str, int] = field(default_factory=dict)


KNOWN_CUBES: dict[str, KnownCube] = {
    cube.name: cube
    for cube in (
        # Local pages served by the cube itself (MiniWobBenchmarkConfig's port 8000); 10 steps as
        # BrowserGym's miniwob and cube-harness' MiniWoB recipe.
        KnownCube(
            "miniwob-cube",
            "miniwob_cube",
            "miniwob_cube.configs:MINIWOB_CONFIGS.default",
            10,
            pages=("http://localhost:8000/miniwob/",),
        ),
        # A ServiceNow instance (workarena_cube.benchmark's docstring names its variables); every level,
        # with BrowserGym's step limits per level (its task metadata recommends none).
        KnownCube(
            "workarena-cube",
            "workarena_cube",
            "workarena_cube.configs:WORKARENA_CONFIGS.default",
            15,
            variables=("SNOW_INSTANCE_URL", "SNOW_INSTANCE_UNAME", "SNOW_INSTANCE_PWD"),
            instance_urls=("SNOW_INSTANCE_URL",),
            max_steps_by_level={"l1": 15, "l2": 50, "l3": 50},
        ),
        # Self-hosted WebArena sites. The cube reads no variables (its sites come in
        # wav_config.environments, or from Docker it launches): ours are BrowserGym's WA_* names.
        KnownCube(
            "webarena-verified-cube",
            "webarena_verified_cube",
            "webarena_verified_cube.configs:WEBARENA_CONFIGS.default",
            30,
            site_variables={
                site: f"WA_{site.upper()}"
                for site in ("shopping", "shopping_admin", "reddit", "gitlab", "wikipedia", "map")
            },
        ),
        # Ships no config object (its judge, scorer_model, is the user's choice; the class defaults
        # to openai/gpt-4o, through litellm); searches with Brave (cube_web_tool reads BRAVE_API_KEY).
        KnownCube(
            "browsercomp-cube",
            "browsercomp_cube",
            "browsercomp_cube.benchmark:BrowseCompBenchmarkConfig",
            50,
            variables=("BRAVE_API_KEY", "OPENAI_API_KEY"),
            open_web_url="https://api.search.brave.com/",
        ),
    )
}


def known_cube(name: str) -> KnownCube:
    """The known cube named `name` on PyPI ('miniwob-cube') or by its package ('miniwob_cube')."""
    by_package = {cube.package: cube for cube in KNOWN_CUBES.values()}
    cube = KNOWN_CUBES.get(name) or by_package.get(name)
    if cube is None:
        allowed = ", ".join([*KNOWN_CUBES, *by_package])
        raise ConfigError(f"unknown cube {name!r}; allowed: {allowed}, or a cube's config as 'pkg.mod:Config'")
    return cube


def read_task_metadata(path: Path) -> dict[str, dict[str, Any]]:
    """Task id -> its metadata, from a task_metadata.json (a list of tasks, or a mapping of them)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    rows = data if isinstance(data, list) else list(data.values())
    return {str(row["id"]): row for row in rows}


def snapshot_path(cube: KnownCube) -> Path:
    return SNAPSHOT_DIR / f"{cube.name}.json"


def task_max_steps(cube: KnownCube, metadata: Mapping[str, Any]) -> int:
    """A task's step limit: its metadata's recommendation, else its level's, else the cube's default."""
    recommended = metadata.get("recommended_max_steps")
    if recommended:
        return int(recommended)
    return cube.max_steps_by_level.get(metadata.get("level", ""), cube.default_max_steps)


def module_file(module: str, search_path: list[str]) -> Path | None:
    """The file of `module` ('pkg.mod') found on `search_path` without importing it (None when absent)."""
    path: list[str] | None = search_path
    spec = None
    for depth in range(1, module.count(".") + 2):
        spec = importlib.machinery.PathFinder.find_spec(".".join(module.split(".")[:depth]), path)
        if spec is None:
            return None
        path = list(spec.submodule_search_locations or [])
    return Path(spec.origin) if spec is not None and spec.origin else None


def search_path(site_packages: Path) -> list[str]:
    """`site_packages` and the folders its .pth files add (editable installs of a user's cube)."""
    folders = [str(site_packages)]
    for pth in sorted(site_packages.glob("*.pth")):
        for line in pth.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.strip() and not line.startswith(("#", "import ")) and (site_packages / line.strip()).is_dir():
                folders.append(str(site_packages / line.strip()))
    return folders


def own_cube_metadata_file(config: str, environment: CubeEnvironment) -> Path:
    """The task_metadata.json beside the module of a user's cube `config` ('pkg.mod:Config') in `environment`."""
    if not CONFIG_PATH.match(config):
        raise ConfigError(
            f"cube config {config!r} is not a Python path; allowed: 'pkg.mod:Config' or 'pkg.mod:REGISTRY.key'"
        )
    environment.check()
    module = config.partition(":")[0]
    found = module_file(module, search_path(environment.site_packages()))
    if found is None:
        raise ConfigError(
            f"module {module} of cube {config!r} not installed in the CUBE environment "
            f"({environment.venv}); install it with: {environment.python} -m pip install <your cube>"
        )
    metadata = found.parent / METADATA_FILE
    if not metadata.is_file():
        raise ConfigError(
            f"cube {config!r} ships no {METADATA_FILE} beside {found} (cube-standard reads its tasks there)"
        )
    return metadata


def task_metadata(cube: KnownCube | str, environment: CubeEnvironment | None = None) -> dict[str, dict[str, Any]]:
    """Task id -> metadata of a known cube (from its snapshot), or of a user's cube named 'pkg.mod:Config'
    (from the CUBE environment, by default the configured one)."""
    if isinstance(cube, KnownCube):
        return read_task_metadata(snapshot_path(cube))
    if ":" in cube and cube not in KNOWN_CUBES:
        return read_task_metadata(own_cube_metadata_file(cube, environment or CubeEnvironment.configured()))
    return read_task_metadata(snapshot_path(known_cube(cube)))
