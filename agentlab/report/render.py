"""The report's Jinja2 templates (package data), always autoescaped: text from web pages and models
can never become markup, and the pages run only the report's own script files (Content-Security-Policy
script-src 'self': no inline script, no remote source)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from urllib.parse import quote

from jinja2 import Environment, PackageLoader, StrictUndefined

from ..analyze.formatting import format_cell, format_difference, format_interval, format_rate, format_score


def relative_url(target: Path, start: Path) -> str:
    """URL of `target` for a page in folder `start`: a relative path with each segment percent-encoded."""
    return "/".join(quote(part, safe="") for part in Path(os.path.relpath(target, start)).parts)


def _json(value) -> str:
    return json.dumps(value, indent=1, sort_keys=True, ensure_ascii=False, default=str)


def _seconds(value) -> str:
    return format_cell(value) if value is None else f"{value:.2f} s"


ENVIRONMENT = Environment(
    loader=PackageLoader("agentlab.report", "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    auto_reload=False,  # templates are package data: no need to stat them for every page
)
ENVIRONMENT.filters.update(
    cell=format_cell,
    rate=format_rate,
    score=format_score,
    difference=format_difference,
    interval=format_interval,
    json=_json,
    seconds=_seconds,
)


def render(template: str, **context) -> str:
    return ENVIRONMENT.get_template(template).render(**context)
