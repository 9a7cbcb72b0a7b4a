"""What makes checking a large library fast must not change what it finds."""

from __future__ import annotations

import gc
import shutil
from pathlib import Path

from bench.cases import generate
from scenarios.library import collector_paused
from scoring import check_library

CONTENT = Path(__file__).resolve().parents[3] / "content"
REAL = sorted((CONTENT / "scenarios").glob("*.md"))

# Broken copies: every kind of problem the parser and the checks report.
BREAKAGES = [
    ("---\n", ""),  # no front matter
    ("  - vurdering: best", "  - vurdering: bestest"),
    ("  - steg: ", "  - steg: X"),
    ("](#", "](#finnes-ikke-"),
    ("\n- slutt: ", "\n- utfall: "),
    ("bestått: 80", "bestått: 101"),
    ("{#", "{#Ugyldig "),
]


def _library(folder: Path) -> Path:
    content = folder / "content"
    generate(CONTENT, REAL, content, 24)
    for number, (old, new) in enumerate(BREAKAGES):
        text = REAL[number % len(REAL)].read_text(encoding="utf-8").replace(old, new, 1)
        (content / "scenarios" / f"broken-{number}.md").write_text(text, encoding="utf-8")
    return content


def test_checking_makes_no_reference_cycles_for_the_collector_to_find(tmp_path: Path) -> None:
    # check_library pauses the collector (scenarios.library.collector_paused): that is
    # only free if nothing it does leaves cyclic garbage behind.
    content = _library(tmp_path)
    gc.collect()
    gc.disable()
    try:
        checked = check_library(content)
        assert gc.collect() == 0
    finally:
        gc.enable()
    assert checked.library.scenarios and any(d.is_error for d in checked.diagnostics)


def test_the_collector_is_paused_only_while_checking(tmp_path: Path) -> None:
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()  # it was off: it stays off
    finally:
        gc.enable()
    shutil.copytree(CONTENT, tmp_path / "content")
    check_library(tmp_path / "content")
    assert gc.isenabled()
