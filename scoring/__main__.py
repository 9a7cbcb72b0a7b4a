"""Check a content directory from the command line: `python -m scoring content`.

Prints one line per problem (file:line:col: severity: message (hint)) and exits 1 if any
is an error, so CI can run it. The web app's CLI will grow graph, paths and play commands.
"""

from __future__ import annotations

import sys
from pathlib import Path

from scenarios.diagnostics import has_errors
from scoring.crosscheck import check_library


def main(argv: list[str]) -> int:
    """Run the check and return the exit status."""
    content_dir = Path(argv[0]) if argv else Path("content")
    library, procedures, diagnostics = check_library(content_dir)
    for diagnostic in diagnostics:
        print(diagnostic)
    errors = sum(d.is_error for d in diagnostics)
    print(
        f"{len(library.scenarios)} case(r) klare, {len(procedures)} prosedyre(r); "
        f"{errors} feil, {len(diagnostics) - errors} advarsler"
    )
    return 1 if has_errors(diagnostics) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
