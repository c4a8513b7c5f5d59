"""The package's layers import downward only: a module may import its own layer and those below.

Each folder of the package is one layer. Bottom to top: the records and files everything uses (core);
process and machine control, foreign environments, the browser side; LLM backends; benchmarks; agents;
the episode runner; the study and its bookkeeping; analysis; the report; other frameworks' results in
and submissions out; the command line. Lazy imports inside functions count too.
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "agentlab"
LAYERS = [
    ["core"],
    ["machine", "foreign", "browser"],
    ["llm"],
    ["benchmarks"],
    ["agents"],
    ["episode"],
    ["study"],
    ["analyze"],
    ["report"],
    ["results_io"],
    ["cli", "__main__", "__init__"],
]
RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}


def imported_modules(module: tuple[str, ...], source: str) -> list[tuple[str, ...]]:
    """The modules of this package that `source` (the module at path `module` in it) imports, as parts."""
    package = list(module[:-1])
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package[: len(package) - node.level + 1]
            found.append(tuple(base + (node.module.split(".") if node.module else [node.names[0].name])))
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("agentlab."):
            found.append(tuple(node.module.split(".")[1:]))
        elif isinstance(node, ast.Import):
            found += [tuple(alias.name.split(".")[1:]) for alias in node.names if alias.name.startswith("agentlab.")]
    return found


def upward_imports(module: tuple[str, ...], source: str) -> list[str]:
    own = RANK[module[0]]
    return [".".join(target) for target in imported_modules(module, source) if target and RANK.get(target[0], -1) > own]


def package_modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name.endswith("host.py"):  # runs in another interpreter (AgentLab's, CUBE's): imports nothing of ours
            continue
        yield path.relative_to(PACKAGE).with_suffix("").parts, path


def test_every_top_level_module_has_a_layer():
    names = {parts[0] for parts, _ in package_modules()}
    assert names <= set(RANK), f"add {sorted(names - set(RANK))} to a layer"


@pytest.mark.parametrize(
    "module, path", list(package_modules()), ids=lambda value: "/".join(value) if isinstance(value, tuple) else ""
)
def test_no_module_imports_a_higher_layer(module, path):
    assert upward_imports(module, path.read_text(encoding="utf-8")) == []


def test_the_check_sees_upward_imports_eager_and_lazy():
    source = "from ..analyze import load_results\ndef f():\n    from agentlab.report import build_report\n"
    assert upward_imports(("agents", "replay"), source) == ["analyze", "report"]
    assert upward_imports(("report", "build"), source) == []
