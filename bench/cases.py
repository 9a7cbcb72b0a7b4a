"""Generate many case files from the real ones, with varied ids and sizes.

Each copy gets its own case id and node ids, so nothing is shared between files; some get
longer node texts, some a chain of extra nodes before the start. The copies stay valid
cases (the benchmark reports how many pass the checker), so every stage of the check
runs, including the procedure cross-check that scores every path.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

_ID_LINE = re.compile(r"^id:\s*(\S+)\s*$", re.M)
_START_LINE = re.compile(r"^start:\s*(\S+)\s*$", re.M)
_HEADING_ID = re.compile(r"\{#([a-z0-9-]+)\}")
_LINK_TARGET = re.compile(r"\]\(#([a-z0-9-]+)\)")
_FIRST_NODE = re.compile(r"^## ", re.M)

_FILLER = (
    "Dette avsnittet er fyll for å måle hvor lang tid lengre noder tar. Det beskriver "
    "situasjonen litt grundigere, med **fet skrift**, *kursiv* og en [lenke]"
    "(https://lovdata.no/lov/2021-06-18-97/§13-2)."
)


def _split_front_matter(text: str) -> tuple[str, str]:
    end = text.index("\n---", 3) + len("\n---\n")
    return text[:end], text[end:]


def vary(text: str, index: int) -> tuple[str, str]:
    """Return (new case id, new text): a renamed, resized copy of one case file."""
    front, body = _split_front_matter(text)
    match = _ID_LINE.search(front)
    if match is None:
        raise ValueError("case file without an id line")
    case_id = f"{match[1]}-{index:04d}"
    suffix = f"-v{index:04d}"
    front = _ID_LINE.sub(f"id: {case_id}", front, count=1)
    front = _START_LINE.sub(lambda m: f"start: {m[1]}{suffix}", front)
    body = _HEADING_ID.sub(lambda m: f"{{#{m[1]}{suffix}}}", body)
    body = _LINK_TARGET.sub(lambda m: f"](#{m[1]}{suffix})", body)

    padding = index % 4  # 0-3 extra paragraphs under every node heading
    if padding:
        extra = "\n\n".join([_FILLER] * padding)
        body = re.sub(r"(^## .*\{#[^}]+\}\n)", lambda m: f"{m[1]}\n{extra}\n", body, flags=re.M)

    chain = index % 3  # 0-2 extra nodes before the start
    first = _FIRST_NODE.search(body)
    if chain and first is not None and _START_LINE.search(front) is None:
        start_id = _HEADING_ID.search(body, first.start())
        if start_id is not None:
            intro: list[str] = []
            for step in range(chain):
                target = f"intro-{step + 2}{suffix}" if step + 1 < chain else start_id[1]
                intro.append(
                    f"## Før det skjer {step + 1} {{#intro-{step + 1}{suffix}}}\n\n"
                    f"En vanlig dag.\n\n"
                    f"- [Gå videre](#{target})\n"
                    f"  - vurdering: best\n"
                    f"  - tilbakemelding: Ingenting å vurdere ennå.\n"
                    f"  - kilde: Ingen\n\n"
                )
            body = body[: first.start()] + "".join(intro) + body[first.start() :]
    return case_id, front + body


def generate(content_dir: Path, sources: list[Path], target: Path, count: int) -> list[Path]:
    """Write `count` varied copies of the `sources` case files (and content_dir's procedures
    and profiles) into a fresh content folder at `target`; return the case files."""
    if not sources:
        raise SystemExit(f"no usable case files in {content_dir / 'scenarios'}")
    for folder in ("procedures", "profiles"):
        shutil.copytree(content_dir / folder, target / folder)
    (target / "scenarios").mkdir(parents=True)
    texts = [p.read_text(encoding="utf-8") for p in sources]
    written: list[Path] = []
    for index in range(count):
        case_id, text = vary(texts[index % len(texts)], index)
        path = target / "scenarios" / f"{case_id}.md"
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
