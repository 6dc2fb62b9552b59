"""Architecture: web/ talks to the engine only through ``engine/__init__.py``; engine/ knows nothing of the web.

Parsed with ``ast`` (nothing is imported), so a forbidden import is caught even in code no test runs.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

import engine

ROOT = Path(__file__).resolve().parents[2]
WEB_FILES = sorted((ROOT / "web").rglob("*.py"))
ENGINE_FILES = sorted((ROOT / "engine").rglob("*.py"))


def _imports(path: Path) -> list[tuple[int, str, list[str]]]:
    """``(line, module, names)`` for every import in ``path``; relative imports keep their dots."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            found.append((node.lineno, "." * node.level + (node.module or ""), [a.name for a in node.names]))
    return found


def _where(path: Path, line: int) -> str:
    return f"{path.relative_to(ROOT)}:{line}"


def test_there_are_files_to_check():
    assert len(WEB_FILES) >= 5 and len(ENGINE_FILES) >= 10


@pytest.mark.parametrize("path", WEB_FILES, ids=lambda p: p.name)
def test_web_uses_only_the_engines_public_surface(path):
    public = set(engine.__all__)
    for line, module, names in _imports(path):
        root = module.split(".")[0]
        assert root != "SpiffWorkflow", f"{_where(path, line)}: web/ must not import SpiffWorkflow"
        assert not module.startswith("engine."), f"{_where(path, line)}: import {module}: use 'from engine import'"
        assert not module.startswith("."), f"{_where(path, line)}: use absolute imports in web/"
        if module == "engine":
            assert names, f"{_where(path, line)}: 'import engine' (use 'from engine import ...')"
            outside = sorted(set(names) - public)
            assert not outside, f"{_where(path, line)}: {outside} not in engine.__all__"


@pytest.mark.parametrize("path", ENGINE_FILES, ids=lambda p: str(p.relative_to(ROOT / "engine")))
def test_engine_knows_nothing_of_flask_or_web(path):
    for line, module, _ in _imports(path):
        root = module.split(".")[0]
        web_side = root in ("flask", "werkzeug", "gunicorn", "web") or root.startswith("flask_")
        assert not web_side, f"{_where(path, line)}: engine/ imports {module}"


def test_engine_all_is_consistent():
    names = sorted(engine.__all__)
    assert len(names) == len(set(names)), "duplicates in engine.__all__"
    missing = [n for n in names if not hasattr(engine, n)]
    assert not missing, f"engine.__all__ names that do not exist: {missing}"
