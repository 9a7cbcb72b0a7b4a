"""Benchmarks for the content pipeline: `make bench` (or `.venv/bin/python -m bench`).

Measures what authors and operators wait for: checking a large content folder, scoring a
path, parsing a file. Writes docs/performance.md. Benchmarks are never timed assertions in
the tests (a slow CI machine must not fail a build); this is where the numbers live.
"""
