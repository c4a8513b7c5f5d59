"""The README and the docs/ pages stay true: the README fits on a screen, every link lands, CI runs the
README's test command, and every study config they show is one `agentlab check` accepts."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
import yaml
from conftest import REPO

from agentlab.study.config import load_study

PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")
# a study config in a ```yaml block, or written by a heredoc (cat > x.yaml <<'YAML' ... YAML) in a shell block
YAML_BLOCK = re.compile(r"^```yaml\n(.*?)^```", re.S | re.M)
HEREDOC = re.compile(r"<<'(\w+)'\n(.*?)^\1$", re.S | re.M)


def anchor(heading: str) -> str:
    """GitHub's anchor of a Markdown heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    return {anchor(line.lstrip("#")) for line in page.read_text().splitlines() if line.startswith("#")}


def shown_studies() -> list[tuple[str, str]]:
    """(page, YAML text) of every complete study config (one with `study:`) the pages show."""
    found = []
    for page in PAGES:
        text = page.read_text()
        blocks = [match.group(1) for match in YAML_BLOCK.finditer(text)]
        blocks += [match.group(2) for match in HEREDOC.finditer(text)]
        found += [(page.name, block) for block in blocks if re.search(r"^study:", block, re.M)]
    return found


def test_the_readme_fits_on_a_screen_and_its_links_land():
    assert len((REPO / "README.md").read_text().splitlines()) <= 250
    broken = []
    for page in PAGES:
        for target in LINK.findall(page.read_text()):
            if re.match(r"[a-z]+:", target):  # https:, mailto:
                continue
            path, _, fragment = target.partition("#")
            landing = (page.parent / path).resolve() if path else page
            if not landing.exists() or (fragment and landing.suffix == ".md" and fragment not in anchors(landing)):
                broken.append(f"{page.relative_to(REPO)}: {target}")
    assert broken == []


def test_ci_runs_exactly_the_readmes_test_command():
    readme = (REPO / "README.md").read_text()
    assert re.search(r"^make test +#", readme, re.M)
    commands = [line for line in (REPO / ".ci" / "run").read_text().splitlines() if line and not line.startswith("#")]
    assert commands[-1] == "make test"


@pytest.mark.parametrize("page, config", shown_studies(), ids=lambda value: value if value.endswith(".md") else "")
def test_every_study_the_docs_show_is_valid(page, config, monkeypatch):
    """Planned as `agentlab check` plans it, with what the pages set before: the key the GPT-4o example
    exports, tests/fixtures on the path for the example benchmark of your own tasks."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-example")
    monkeypatch.setattr(sys, "path", [str(REPO / "tests" / "fixtures"), *sys.path])
    study = load_study(yaml.safe_load(config))
    assert sum(1 for _ in study.episode_keys()) > 0
