"""The layout docs/architecture.md draws, held by the code: every import points down the
layers, and no module takes part in a circle of imports.

Imports are read from the source (including those inside functions and under
TYPE_CHECKING), so a violation fails here before it becomes a start-up surprise.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TOP_PACKAGES = ("app", "connectors", "knowledge", "guardrails")

# Bottom to top. A module may import its own package and anything in a lower layer; packages
# that share a layer do not import each other.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("app.core",),
    ("connectors", "knowledge"),
    ("guardrails",),
    ("app.llm",),
    ("app.config",),
    ("app.store",),
    ("app.analytics",),
    ("app.understanding",),
    ("app.actions",),
    ("app.conversation",),
    ("app.handoff",),
    ("app.channels",),
    ("app.services",),
    ("app.evaluation",),
    ("app.surfaces",),
    ("app.cli",),
)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for top in TOP_PACKAGES for p in (ROOT / top).rglob("*.py")}


def _imports(path: Path, modules: dict[str, Path]) -> set[str]:
    """Our modules that `path` names in an import statement."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [f"{node.module}.{alias.name}" if f"{node.module}.{alias.name}" in modules else node.module
                     for alias in node.names]
        else:
            continue
        for name in names:
            while name and name not in modules:  # `from a.b import f`: f's module is a.b
                name = name.rpartition(".")[0]
            if name:
                found.add(name)
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(path, modules) - {name} for name, path in modules.items()}


def _layer(module: str) -> tuple[int, str] | None:
    for index, packages in enumerate(LAYERS):
        for package in packages:
            if module == package or module.startswith(package + "."):
                return index, package
    return None


def _upward(graph: dict[str, set[str]]) -> list[str]:
    found = []
    for module, imported in graph.items():
        here = _layer(module)
        for target in imported:
            there = _layer(target)
            if here is None or there is None:
                continue
            if there[0] > here[0] or (there[0] == here[0] and there[1] != here[1]):
                found.append(f"{module} -> {target}")
    return sorted(found)


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return circles


def test_every_module_has_a_layer() -> None:
    unplaced = sorted(m for m in _graph() if m not in TOP_PACKAGES and _layer(m) is None)
    assert not unplaced, f"modules outside every layer (put them in a package listed in LAYERS): {unplaced}"


def test_imports_point_down_the_layers() -> None:
    upward = _upward(_graph())
    assert not upward, "imports that point up or sideways:\n" + "\n".join(upward)


def test_no_circular_imports() -> None:
    assert _circles(_graph()) == []


@pytest.mark.parametrize("lower", ["connectors", "knowledge", "guardrails"])
def test_lower_packages_use_only_the_kernel_from_app(lower: str) -> None:
    outside = sorted(f"{module} -> {target}" for module, imported in _graph().items()
                     if module.split(".")[0] == lower for target in imported
                     if target.split(".")[0] == "app" and not target.startswith("app.core"))
    assert not outside, "\n".join(outside)


def test_the_checks_see_a_circle_and_an_upward_import() -> None:
    """The checks are not vacuous: planted faults are found, and real edges are read."""
    planted = {"app.core.a": {"app.core.b"}, "app.core.b": {"app.core.a"},
               "app.core.clock": {"app.cli.main"}, "app.cli.main": set()}
    assert _circles(planted) == [["app.core.a", "app.core.b"]]
    assert _upward(planted) == ["app.core.clock -> app.cli.main"]
    real = _graph()
    assert "app.core.domain" in real["app.conversation.engine"]
    assert "app.services" in real["app.surfaces.chainlit_app"]
