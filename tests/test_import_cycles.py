"""No import cycle inside jobtui: every module can be read knowing only what it imports.

A cycle hides as an import inside a function until the day it does not; grimp
(which import-linter brings) sees those too, so a cycle fails here however it is
closed. Type-checking-only imports are left out: they never run.
"""

from __future__ import annotations

import grimp


def import_cycles(package: str) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), each sorted."""
    graph = grimp.build_graph(package, exclude_type_checking_imports=True)
    edges = {m: sorted(graph.find_modules_directly_imported_by(m) & graph.modules) for m in graph.modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for target in edges[module]:
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in on_stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return sorted(groups)


def test_no_import_cycles() -> None:
    assert import_cycles("jobtui") == []
