"""The packages import each other in one direction only: no package imports one that imports
it back, the event store knows nothing of the read models or the webhooks, and the migrations
(fixed SQL) import nothing of the project.

Imports are read from the source (ast), every one of them: at module level, inside functions,
under `if TYPE_CHECKING:`.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TOP_LEVEL = ("shared", "services")

Edges = Mapping[str, Mapping[str, set[tuple[str, str]]]]
"""package -> package it imports -> {(importing module, imported module)}"""


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(path: Path, name: str | None = None) -> set[str]:
    """The modules `path` (module `name`) imports, relative imports resolved to absolute names."""
    name = module_name(path) if name is None else name
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            found.add(module)
            # `from shared import readmodels` imports the subpackage itself.
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def package_of(module: str) -> str | None:
    """shared.readmodels.ddl -> shared.readmodels; shared.tracking -> shared.tracking."""
    parts = module.split(".")
    if parts[0] not in TOP_LEVEL or len(parts) < 2:
        return None
    return ".".join(parts[:2])


def project_modules() -> dict[str, set[str]]:
    modules = {}
    for top in TOP_LEVEL:
        for path in sorted((ROOT / top).rglob("*.py")):
            modules[module_name(path)] = imported_modules(path)
    return modules


def package_edges(modules: Mapping[str, Iterable[str]], known: Iterable[str]) -> Edges:
    """Imports between packages, each with the module imports that make it. An imported name
    that is not a module (`from shared.x import NAME`) counts as its module."""
    known = set(known)
    edges: defaultdict[str, defaultdict[str, set[tuple[str, str]]]] = defaultdict(
        lambda: defaultdict(set)
    )
    for importer, imported in modules.items():
        source = package_of(importer)
        for module in imported:
            while module not in known and "." in module:
                module = module.rpartition(".")[0]
            target = package_of(module)
            if source and target and source != target:
                edges[source][target].add((importer, module))
    return edges


def cycles(edges: Edges) -> list[list[str]]:
    """The strongly connected components with more than one package (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in edges.get(node, {}):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    nodes = set(edges) | {t for targets in edges.values() for t in targets}
    for node in sorted(nodes):
        if node not in index:
            visit(node)
    return found


def explain(edges: Edges, component: list[str]) -> str:
    lines = [" <-> ".join(component)]
    for source in component:
        for target in component:
            for importer, imported in sorted(edges.get(source, {}).get(target, ())):
                lines.append(f"  {importer} imports {imported}")
    return "\n".join(lines)


MODULES = project_modules()
EDGES = package_edges(MODULES, MODULES)


def edges_among(prefix: str) -> Edges:
    return {
        source: {t: why for t, why in targets.items() if t.startswith(prefix)}
        for source, targets in EDGES.items()
        if source.startswith(prefix)
    }


def test_the_sources_were_read() -> None:
    assert "shared.eventstore.schema" in MODULES
    assert "services.projector.rebuild" in MODULES
    assert "shared.eventstore" in EDGES["shared.readmodels"]
    assert "shared.domain" in EDGES["shared.eventstore"]


def test_no_shared_package_imports_one_that_imports_it_back() -> None:
    found = cycles(edges_among("shared."))
    assert not found, "import cycles among shared packages:\n" + "\n".join(
        explain(EDGES, c) for c in found
    )


def test_no_services_package_imports_one_that_imports_it_back() -> None:
    found = cycles(edges_among("services."))
    assert not found, "import cycles among services packages:\n" + "\n".join(
        explain(EDGES, c) for c in found
    )


def test_shared_never_imports_services() -> None:
    wrong = {
        (importer, imported)
        for source, targets in EDGES.items()
        if source.startswith("shared.")
        for target, why in targets.items()
        if target.startswith("services.")
        for importer, imported in why
    }
    assert not wrong


def test_the_event_store_imports_neither_read_models_nor_webhooks() -> None:
    wrong = {
        (importer, imported)
        for target in ("shared.readmodels", "shared.webhooks")
        for importer, imported in EDGES.get("shared.eventstore", {}).get(target, ())
    }
    assert not wrong


def test_the_migrations_import_nothing_of_the_project() -> None:
    assert not EDGES.get("shared.migrations")


def test_a_cycle_is_found_and_explained() -> None:
    modules = {
        "shared.a.x": {"shared.b.y"},
        "shared.b.y": {"shared.c"},
        "shared.c": {"shared.a.x.NAME", "shared.d"},
        "shared.d": set(),
    }
    edges = package_edges(modules, modules)

    found = cycles(edges)

    assert found == [["shared.a", "shared.b", "shared.c"]]
    assert "shared.c imports shared.a.x" in explain(edges, found[0])
    one_way = {"shared.a.x": {"shared.b.y"}, "shared.b.y": set()}
    assert cycles(package_edges(one_way, one_way)) == []


def test_relative_imports_are_resolved(tmp_path: Path) -> None:
    # The project has none today; one must not slip past the checks above.
    source = tmp_path / "fake.py"
    source.write_text("from ..eventstore import store\nfrom . import ddl\nfrom .tables import X\n")

    found = imported_modules(source, "shared.readmodels.fake")

    assert found == {
        "shared.eventstore",
        "shared.eventstore.store",
        "shared.readmodels",
        "shared.readmodels.ddl",
        "shared.readmodels.tables",
        "shared.readmodels.tables.X",
    }
