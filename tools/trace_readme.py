"""Rebuild the pathway sections of processes/README.md from each pathway's TRACE.md.

Each pathway keeps its traceability table, data dictionary and settings next to its diagram
(processes/<key>/TRACE.md, starting with ``## Pathway: <key>``); the README gathers them so that one
page shows every pathway. ``--check`` exits 1 when the README is out of date (the test suite runs it).

    python -m tools.trace_readme [--check]
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROCESSES = ROOT / "processes"
MARK = "\n## Pathway: "


def build(processes: Path = PROCESSES) -> str:
    readme = (processes / "README.md").read_text(encoding="utf-8")
    preamble = readme.split(MARK, 1)[0].rstrip() + "\n"
    parts = [preamble]
    for trace in sorted(processes.glob("*/TRACE.md"), key=lambda p: (p.parent.name != "front_door", p.parent.name)):
        body = trace.read_text(encoding="utf-8")
        start = body.find("## Pathway: ")
        if start < 0:
            raise SystemExit(f"{trace}: no '## Pathway: <key>' heading")
        parts.append("\n" + body[start:].rstrip() + "\n")
    return "".join(parts)


def main(argv: list[str]) -> int:
    text = build()
    target = PROCESSES / "README.md"
    if "--check" in argv:
        if target.read_text(encoding="utf-8") != text:
            print(f"{target} is out of date: run python -m tools.trace_readme", file=sys.stderr)
            return 1
        return 0
    target.write_text(text, encoding="utf-8")
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
