"""The house: imports run one way, no module imports itself round a loop, the README lists every module."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "bonegrid"

BIOLOGY = ("bonegrid.model", "bonegrid.drivers", "bonegrid.treatments", "bonegrid.physiology", "bonegrid.effects",
           "bonegrid.secretion", "bonegrid.fields", "bonegrid.recruitment", "bonegrid.agents", "bonegrid.tissue",
           "bonegrid.remodeling_units", "bonegrid.microarchitecture", "bonegrid.parameters", "bonegrid.constants",
           "bonegrid.patient", "bonegrid.timeseries")
"""Modules of the day's biology and what they stand on."""
ABOVE = ("bonegrid.readouts", "bonegrid.runs", "bonegrid.sweep", "bonegrid.dashboard", "bonegrid.cli",
         "bonegrid.scenarios", "bonegrid.overrides")
"""Readouts, inputs and applications: the biology never imports these."""


def modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        out[name.removesuffix(".__init__")] = path
    return out


def imports(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """Modules of the package that ``name`` imports (at module level or inside functions)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
                base = ".".join(package[:len(package) - node.level + 1] + ([base] if base else []))
            targets = [f"{base}.{a.name}" for a in node.names]
            targets = [t if t in known else base for t in targets]   # `from pkg import module` names the module
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


@pytest.fixture(scope="module")
def graph():
    known = modules()
    return {name: imports(name, path, known) for name, path in known.items()}


def test_no_import_cycles(graph):
    index, low, stack, on, cycles, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    assert not cycles


def test_the_biology_never_imports_readouts_inputs_or_applications(graph):
    upward = [(m, t) for m, targets in graph.items() if m.startswith(BIOLOGY)
              for t in targets if t.startswith(ABOVE)]
    assert not upward


def test_the_readme_lists_every_module():
    table = (ROOT / "README.md").read_text().split("| module | concept |", 1)[1].split("\n\n", 1)[0]
    for name, path in modules().items():
        if name == "bonegrid" or name.endswith("__main__"):
            continue
        short = path.name if path.parent != PACKAGE else None
        top = f"`bonegrid/{path.relative_to(PACKAGE).parts[0]}" + ("/`" if path.parent != PACKAGE else "`")
        listed = top in table if short is None else (top in table or f"`{short}`" in table)
        assert listed, f"{name} is not in the README's module table"
