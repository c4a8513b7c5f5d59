"""The preflight of a web cube: the CUBE environment and the cube in it, its variables, its instance, the web."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

from ...browser.navigation import NavigationPolicy, origin_prefix
from ...core.errors import ConfigError
from ..base import Backend
from ..preflight import missing_env, unreachable
from .catalog import KnownCube, module_file, search_path, task_metadata
from .environment import CubeEnvironment

OPEN_WEB_TIMEOUT_S = 5.0  # the open web answers fast when it is reachable at all


@dataclass(frozen=True)
class CubeBackend(Backend):
    """What `cube`'s tasks need beyond this machine; `environment` None: the configured CUBE environment."""

    cube: KnownCube
    environment: CubeEnvironment | None = None

    def problems(self, tasks: Sequence[str]) -> list[str]:
        problems = self.environment_problems()
        variables = self.variables(tasks)
        missing = missing_env(variables)
        if missing:
            problems.append(f"{', '.join(missing)} not set ({self.cube.name} needs all of {', '.join(variables)})")
        urls = [name for name in (*self.cube.instance_urls, *self.site_variables(tasks)) if name not in missing]
        problems += unreachable({name: os.environ[name] for name in urls})
        if self.cube.open_web_url and unreachable({"": self.cube.open_web_url}, OPEN_WEB_TIMEOUT_S):
            problems.append(f"{self.cube.name} needs the open web (not reachable from here: {self.cube.open_web_url})")
        return problems

    def environment_problems(self) -> list[str]:
        """The one line of the CUBE environment's check, or the cube's package missing from it."""
        environment = self.environment or CubeEnvironment.configured()
        try:
            environment.check()
        except ConfigError as error:
            return [str(error)]
        if module_file(self.cube.package, search_path(environment.site_packages())) is None:
            return [
                f"{self.cube.name} not installed in the CUBE environment {environment.venv} "
                f"(install it there: {environment.python} -m pip install {self.cube.name})"
            ]
        return []

    def site_variables(self, tasks: Sequence[str]) -> list[str]:
        """The URL variables of the sites `tasks` visit (metadata column 'sites'), in the cube's order."""
        if not self.cube.site_variables:
            return []
        metadata = task_metadata(self.cube)
        sites = {site for task in tasks for site in metadata[task].get("sites", ())}
        return [variable for site, variable in self.cube.site_variables.items() if site in sites]

    def variables(self, tasks: Sequence[str]) -> list[str]:
        return [*self.cube.variables, *self.site_variables(tasks)]

    def navigation_policy(self) -> NavigationPolicy:
        """The open web for cubes that browse it, else the cube's own pages and its instance's sites."""
        urls = [os.environ.get(name, "") for name in (*self.cube.instance_urls, *self.cube.site_variables.values())]
        return NavigationPolicy(
            allowed_prefixes=tuple(sorted({*self.cube.pages, *(origin_prefix(url) for url in urls if url)})),
            open_web=bool(self.cube.open_web_url),
        )
