"""Engine and state errors. The web app maps each to a page in one place (house style 7)."""

from __future__ import annotations


class EngineError(Exception):
    """Base of every error the engine raises for a choice that cannot be applied."""


class StaleStep(EngineError):  # noqa: N818 - contract name
    """Raise when a choice answers an older step (back button, double submit, second tab)."""

    def __init__(self, expected: int, actual: int) -> None:
        self.expected = expected
        self.actual = actual
        super().__init__(f"siden var utdatert: valget gjaldt steg {expected}, caset er på {actual}")


class UnknownChoice(EngineError):  # noqa: N818 - contract name
    """Raise when the choice is not offered at the current node."""

    def __init__(self, choice_id: str, node_id: str) -> None:
        self.choice_id = choice_id
        self.node_id = node_id
        super().__init__(f"valget «{choice_id}» finnes ikke i noden «{node_id}»")


class AlreadyFinished(EngineError):  # noqa: N818 - contract name
    """Raise when a choice arrives after the case has reached an ending."""

    def __init__(self, node_id: str) -> None:
        self.node_id = node_id
        super().__init__(f"caset er ferdig (slutt «{node_id}»)")


class StateError(ValueError):
    """Raise when saved play state cannot be read or does not fit the scenario."""


class UnsupportedStateVersion(StateError):  # noqa: N818 - reads as what happened
    """Raise when saved play state has a version this code does not know."""

    def __init__(self, version: object, supported: int) -> None:
        self.version = version
        self.supported = supported
        super().__init__(
            f"ukjent versjon av lagret spilltilstand: {version!r} (denne koden leser {supported})"
        )
