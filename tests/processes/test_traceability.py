"""processes/README.md: every pathway has its section, and every element a traceability row names
exists in that pathway's BPMN or DMN files."""
from __future__ import annotations

import re
from pathlib import Path

from lxml import etree

ROOT = Path(__file__).resolve().parents[2]
PROCESSES = ROOT / "processes"


def _sections(text: str) -> dict[str, str]:
    parts = re.split(r"^## Pathway: (\w+)\s*$", text, flags=re.M)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts), 2)}


def _ids(key: str) -> set[str]:
    ids = set()
    for pattern in ("*.bpmn", "*.dmn"):
        for path in (PROCESSES / key).glob(pattern):
            ids.update(etree.parse(str(path)).xpath("//@id"))
    assert ids, f"{key}: no BPMN or DMN file"
    return ids


def test_every_pathway_has_a_traced_section():
    sections = _sections((PROCESSES / "README.md").read_text(encoding="utf-8"))
    pathways = sorted(p.parent.name for p in PROCESSES.glob("*/pathway.yaml"))
    assert sorted(sections) == pathways
    for key, body in sections.items():
        assert "### Traceability" in body and "### Data dictionary" in body and "### Settings" in body, key


def test_every_traced_element_exists():
    missing = {}
    for key, body in _sections((PROCESSES / "README.md").read_text(encoding="utf-8")).items():
        table = body.split("### Traceability", 1)[1].split("\n### ", 1)[0]
        ids = _ids(key)
        rows = [line for line in table.splitlines() if line.startswith("|") and not line.startswith("|---")][1:]
        assert rows, f"{key}: empty traceability table"
        for row in rows:
            cells = [c.strip() for c in row.strip().strip("|").split("|")]
            elements = re.findall(r"`([^`]+)`", cells[-1])
            assert elements, f"{key}: a row names no element: {row}"
            missing.update({f"{key}:{e}": row[:80] for e in elements if e not in ids})
    assert missing == {}


def test_readme_sections_are_built_from_the_trace_files():
    from tools.trace_readme import build

    assert (PROCESSES / "README.md").read_text(encoding="utf-8") == build(), \
        "processes/README.md is out of date: run python -m tools.trace_readme"
