"""bench/launch.py keeps its own section of docs/performance.md and nothing else."""

from __future__ import annotations

from bench.launch import HEADING, replace_section

DOC = "# Performance\n\n## Numbers\n\nold numbers\n\n## Analysis\n\nhand-written\n"


def test_section_goes_before_the_analysis_and_is_replaced_in_place() -> None:
    first = replace_section(DOC, f"{HEADING}\n\nrun 1\n")
    assert first == (
        "# Performance\n\n## Numbers\n\nold numbers\n\n"
        f"{HEADING}\n\nrun 1\n\n## Analysis\n\nhand-written\n"
    )
    second = replace_section(first, f"{HEADING}\n\nrun 2\n\n\n")
    assert second == first.replace("run 1", "run 2")
    assert replace_section(second, f"{HEADING}\n\nrun 2\n") == second


def test_section_is_appended_to_a_document_without_analysis() -> None:
    assert replace_section("# Performance\n", f"{HEADING}\n\nx\n") == (
        f"# Performance\n\n{HEADING}\n\nx\n"
    )
