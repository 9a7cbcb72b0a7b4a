"""Play state: the small, versioned, JSON-able record of where a learner is in a case.

Kept apart from the immutable Scenario, as ink keeps `StoryState` apart from `Story`, and
versioned like ink's `kInkSaveStateVersion`: when the shape changes, bump STATE_VERSION,
teach `from_dict` to read (or refuse) the old shape, and add a line to the changelog below.

Changelog:
    1 — first version: node, step, path of choice ids, finished.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from scenarios.errors import StateError, UnsupportedStateVersion

STATE_VERSION = 1


@dataclass(frozen=True, slots=True)
class PlayState:
    """Where a learner is: current node, decisions made so far, and whether the case ended."""

    version: int
    node_id: str
    step: int  # number of decisions made; a form answers exactly one step
    path: tuple[str, ...]  # choice ids in the order they were made
    finished: bool

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-able dict (what the web app stores with the attempt)."""
        return {
            "version": self.version,
            "node_id": self.node_id,
            "step": self.step,
            "path": list(self.path),
            "finished": self.finished,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PlayState:
        """Read a dict made by `to_dict`; raise StateError on anything else."""
        if not isinstance(data, Mapping):
            raise StateError("lagret spilltilstand må være et objekt")
        version = data.get("version")
        if version != STATE_VERSION or isinstance(version, bool):
            raise UnsupportedStateVersion(version, STATE_VERSION)
        node_id, step, path, finished = (
            data.get("node_id"),
            data.get("step"),
            data.get("path"),
            data.get("finished"),
        )
        unknown = set(data) - {"version", "node_id", "step", "path", "finished"}
        if unknown:
            raise StateError(f"ukjente felt i lagret spilltilstand: {sorted(unknown)}")
        if not isinstance(node_id, str) or not node_id:
            raise StateError("lagret spilltilstand mangler node_id")
        if isinstance(step, bool) or not isinstance(step, int) or step < 0:
            raise StateError("lagret spilltilstand har ugyldig step")
        if not isinstance(path, list | tuple) or not all(isinstance(p, str) for p in path):
            raise StateError("lagret spilltilstand har ugyldig path")
        if len(path) != step:
            raise StateError("lagret spilltilstand: step stemmer ikke med lengden av path")
        if not isinstance(finished, bool):
            raise StateError("lagret spilltilstand har ugyldig finished")
        return cls(STATE_VERSION, node_id, step, tuple(path), finished)
