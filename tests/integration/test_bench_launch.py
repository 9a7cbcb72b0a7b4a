"""Smoke test of bench/launch.py: all three servers launch without errors.

Counts only, never times (benchmarks are not timed assertions)."""

from __future__ import annotations

from bench import launch


def test_every_server_completes_its_launches() -> None:
    section = launch.run(launches=6, concurrency=2, warmup=2, seconds=60)
    rows = {line.split("|")[1].strip(): line.split("|") for line in section.splitlines()
            if line.startswith("| ") and line.split("|")[1].strip() in launch.SERVERS}
    assert set(rows) == set(launch.SERVERS)
    for name, cells in rows.items():
        assert cells[3].strip() == "6", (name, cells)  # launches
        assert cells[-2].strip() == "0", (name, cells)  # errors
