"""Walk a case the way a test needs to: the best path, or the first critical path."""

from __future__ import annotations

from scenarios import Choice, Scenario, Verdict


def walk(case: Scenario, pick: str = "best") -> list[Choice]:
    """Choices from the start to an ending: always the best one, or ('critical') the first
    critical choice as soon as one is offered and the best one before that."""
    node, path, seen = case.nodes[case.start], [], 0
    while node.choices:
        seen += 1
        assert seen < 100, "loop in the case"
        critical = [c for c in node.choices if c.verdict is Verdict.CRITICAL]
        if pick == "critical" and critical and not any(
            c.verdict is Verdict.CRITICAL for c in path
        ):
            choice = critical[0]
        else:
            choice = next(c for c in node.choices if c.verdict is Verdict.BEST)
        path.append(choice)
        node = case.nodes[choice.target]
    return path
