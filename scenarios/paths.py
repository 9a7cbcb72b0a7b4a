"""Graph walks over a scenario: reachability, ways out, and every path with a loop guard.

Like H5P's `findBranchingPaths`, path enumeration never revisits a node within one path,
so a loop in a case cannot make it run for ever; a limit bounds wide cases too.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from scenarios.model import Choice, Scenario

DEFAULT_PATH_LIMIT = 20_000


@dataclass(frozen=True, slots=True)
class PathSet:
    """Every complete path (start to an ending) found, and whether the limit cut the search."""

    paths: tuple[tuple[Choice, ...], ...]
    truncated: bool


def reachable(scenario: Scenario) -> set[str]:
    """Return the ids of nodes reachable from the start."""
    seen = {scenario.start}
    queue = deque([scenario.start])
    while queue:
        for choice in scenario.nodes[queue.popleft()].choices:
            if choice.target not in seen and choice.target in scenario.nodes:
                seen.add(choice.target)
                queue.append(choice.target)
    return seen


def reachable_choices(scenario: Scenario) -> list[Choice]:
    """Every choice offered at a node reachable from the start."""
    return [c for n in reachable(scenario) for c in scenario.nodes[n].choices]


def reaching_an_ending(scenario: Scenario) -> set[str]:
    """Return the ids of nodes from which some ending can be reached."""
    incoming: dict[str, set[str]] = {node_id: set() for node_id in scenario.nodes}
    for node in scenario.nodes.values():
        for choice in node.choices:
            if choice.target in incoming:
                incoming[choice.target].add(node.id)
    good = {n.id for n in scenario.nodes.values() if n.is_ending}
    queue = deque(good)
    while queue:
        for source in incoming[queue.popleft()]:
            if source not in good:
                good.add(source)
                queue.append(source)
    return good


def enumerate_paths(
    scenario: Scenario,
    limit: int = DEFAULT_PATH_LIMIT,
    allow: Callable[[Choice], bool] | None = None,
) -> PathSet:
    """List every path from the start to an ending that visits no node twice, using only
    the choices ``allow`` accepts (all of them by default)."""
    found: list[tuple[Choice, ...]] = []
    # Iterative depth-first search: (node id, path so far, nodes on the path).
    stack: list[tuple[str, tuple[Choice, ...], frozenset[str]]] = [
        (scenario.start, (), frozenset({scenario.start}))
    ]
    while stack:
        node_id, path, visited = stack.pop()
        node = scenario.nodes[node_id]
        if node.is_ending:
            found.append(path)
            if len(found) >= limit:
                return PathSet(tuple(found), truncated=bool(stack))
            continue
        for choice in reversed(node.choices):
            if choice.target in visited or choice.target not in scenario.nodes:
                continue  # loop guard
            if allow is not None and not allow(choice):
                continue
            stack.append((choice.target, (*path, choice), visited | {choice.target}))
    return PathSet(tuple(found), truncated=False)
