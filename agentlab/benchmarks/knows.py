"""KNOWS (browsergym-knows): documents, spreadsheets and slides to make in Google Docs, Sheets and
Slides, scored by the package's evaluators through Google's APIs."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

from ..browser.actions import ActionSetArgs
from .base import Backend, Benchmark
from .metadata import package_table, task_fields
from .preflight import unreachable

WORKSPACE_URL = "https://docs.google.com"  # where the tasks are done
# How KNOWS' evaluators reach Google's APIs, in the order they try (google_services_utils.py):
# a service account key file, a key in Secret Manager, or an OAuth token from a first login.
CREDENTIALS = (("SERVICE_ACCOUNT_PATH",), ("GCP_PROJECT_ID", "DRIVE_SA_SECRET_ID"), ("TOKEN_PATH",))


def credentials_problem() -> str | None:
    """None when one of KNOWS' ways to Google's APIs is set up, else a phrase naming them all."""
    for variables in CREDENTIALS:
        if all(os.environ.get(name) for name in variables):
            files = [os.environ[name] for name in variables if name.endswith("_PATH")]
            missing = [path for path in files if not os.path.isfile(os.path.expanduser(path))]
            if not missing:
                return None
            return f"{variables[0]} names {missing[0]}, which is not a file (KNOWS' Google credentials)"
    return (
        "Google credentials for KNOWS' evaluators not set: SERVICE_ACCOUNT_PATH (a service account key "
        "file), or GCP_PROJECT_ID and DRIVE_SA_SECRET_ID (Secret Manager), or TOKEN_PATH (an OAuth token)"
    )


@dataclass(frozen=True)
class GoogleWorkspace(Backend):
    """Google Docs, Sheets and Slides in the browser, and Google's APIs for the evaluators."""

    def problems(self, tasks: Sequence[str]) -> list[str]:
        problem = credentials_problem()
        return ([problem] if problem else []) + unreachable({"Google Workspace": WORKSPACE_URL})


def load(name: str) -> Benchmark:
    return Benchmark(
        name=name,
        env_prefix="browsergym/knows.",
        default_max_steps=50,  # long document edits; the package sets none
        action_set=ActionSetArgs(("chat", "tab", "nav", "bid", "infeas")),  # BrowserGym's default action set
        is_multi_tab=True,
        package="browsergym.knows",
        extra="knows",
        default_seeds=(0,),  # one instance per task: its seed changes nothing
        reward_kind="continuous",  # the points of the evaluator's checkpoints scored, over the maximum
        backend=GoogleWorkspace(),
        **task_fields(package_table("knows"), "knows."),
    )
