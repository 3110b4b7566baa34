"""No import cycles inside an app.

The floors themselves (no upward import between apps) are import-linter's `layers` contract in
pyproject.toml, run by `make lint`. import-linter's `acyclic_siblings` contract only sees cycles
between sibling packages, not a package's `__init__` and one of its own modules, so this test
builds the import graph with grimp (import-linter's graph library) and looks for strongly
connected components itself. An import under `if TYPE_CHECKING:` does not count; an import
inside a function does (the modules still depend on each other).
"""

import importlib.util
from pathlib import Path

import grimp

APPS = ("accounts", "seats", "billing", "invitations")
ROOT = Path(__file__).resolve().parent.parent

# The cycles main has today, each the set of modules of one strongly connected component.
# THIS LIST MUST SHRINK TO EMPTY: remove a cycle from the code, then its entry here (the test
# fails while an entry names a cycle that no longer exists). Never add an entry for a new cycle.
KNOWN_CYCLES: frozenset[frozenset[str]] = frozenset()


def strongly_connected_components(graph: grimp.ImportGraph) -> list[frozenset[str]]:
    """Tarjan's algorithm, iterative (no recursion limit), over direct imports."""
    index: dict[str, int] = {}
    lowlink: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[frozenset[str]] = []

    for root in sorted(graph.modules):
        if root in index:
            continue
        index[root] = lowlink[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        while work:
            module, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = lowlink[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append(
                        (child, iter(sorted(graph.find_modules_directly_imported_by(child))))
                    )
                elif child in on_stack:
                    lowlink[module] = min(lowlink[module], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                lowlink[parent] = min(lowlink[parent], lowlink[module])
            if lowlink[module] == index[module]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == module:
                        break
                components.append(frozenset(component))
    return components


def import_cycles(graph: grimp.ImportGraph) -> set[frozenset[str]]:
    return {
        component
        for component in strongly_connected_components(graph)
        if len(component) > 1
        or graph.direct_import_exists(
            importer=next(iter(component)), imported=next(iter(component))
        )
    }


def describe(cycle: frozenset[str], graph: grimp.ImportGraph) -> str:
    edges = sorted(
        f"{importer} -> {imported}"
        for importer in cycle
        for imported in graph.find_modules_directly_imported_by(importer)
        if imported in cycle
    )
    return f"{sorted(cycle)}\n      " + "\n      ".join(edges)


def test_graph_is_built_from_this_checkout():
    for app in APPS:
        spec = importlib.util.find_spec(app)
        assert spec is not None and spec.origin is not None, app
        assert Path(spec.origin).resolve().is_relative_to(ROOT), (app, spec.origin)


def test_cycle_finder_finds_a_cycle_through_a_package_init():
    graph = grimp.ImportGraph()
    for importer, imported in [
        ("app.pkg", "app.pkg.a"),  # pkg/__init__.py re-exports from .a
        ("app.pkg.a", "app.tasks"),
        ("app.tasks", "app.pkg"),
        ("app.pkg.a", "app.util"),
        ("app.util", "app.util"),
    ]:
        graph.add_import(importer=importer, imported=imported)
    assert import_cycles(graph) == {
        frozenset({"app.pkg", "app.pkg.a", "app.tasks"}),
        frozenset({"app.util"}),
    }


def test_no_import_cycles_inside_an_app():
    graph = grimp.build_graph(*APPS, exclude_type_checking_imports=True, cache_dir=None)
    cycles = import_cycles(graph)
    gone = KNOWN_CYCLES - cycles
    shrunk = {cycle for cycle in cycles - KNOWN_CYCLES if any(cycle < known for known in gone)}
    new = cycles - KNOWN_CYCLES - shrunk
    problems = []
    if new:
        problems.append(
            "New import cycles (break them; do not add them to KNOWN_CYCLES):\n"
            + "\n".join(f"  - {describe(cycle, graph)}" for cycle in sorted(new, key=sorted))
        )
    if shrunk:
        problems.append(
            "Known cycles that got smaller (replace their KNOWN_CYCLES entry with):\n"
            + "\n".join(f"  - {sorted(cycle)}" for cycle in sorted(shrunk, key=sorted))
        )
    if gone:
        problems.append(
            "KNOWN_CYCLES entries that no longer exist as written (remove or replace them):\n"
            + "\n".join(f"  - {sorted(cycle)}" for cycle in sorted(gone, key=sorted))
        )
    assert not problems, "\n\n".join(problems)
