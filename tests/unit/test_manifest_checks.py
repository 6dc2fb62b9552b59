"""``pathways check`` reads a pathway's manifest as publication does: summary fields and letter roles."""
from __future__ import annotations

import shutil
from pathlib import Path

from engine import check_paths

ROOT = Path(__file__).resolve().parents[2]


def _copy(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "processes" / "front_door", tmp_path / "processes" / "front_door")
    shutil.copy(ROOT / "processes" / "roles.yaml", tmp_path / "processes" / "roles.yaml")
    shutil.copytree(ROOT / "forms", tmp_path / "forms")
    return tmp_path / "processes" / "front_door" / "pathway.yaml"


def test_the_shipped_front_door_passes(tmp_path):
    _copy(tmp_path)
    assert check_paths([str(tmp_path / "processes"), str(tmp_path / "forms")]) == []


def test_a_summary_field_no_form_has_is_reported_with_its_line(tmp_path):
    manifest = _copy(tmp_path)
    text = manifest.read_text()
    assert "fields: [child_name" in text
    manifest.write_text(text.replace("fields: [child_name", "fields: [no_such_field, child_name", 1))
    found = check_paths([str(tmp_path / "processes"), str(tmp_path / "forms")])
    [problem] = [p for p in found if "no_such_field" in p.message]
    assert problem.file.endswith("front_door/pathway.yaml") and problem.line
    assert "no form of this pathway has a field" in problem.message


def test_a_letter_role_outside_the_pathways_lanes_is_reported(tmp_path):
    manifest = _copy(tmp_path)
    text = manifest.read_text()
    assert "roles: [Duty Social Worker, Team Manager]" in text
    manifest.write_text(text.replace("roles: [Duty Social Worker, Team Manager]",
                                     "roles: [Duty Social Worker, Team Manager, Youth Worker]"))
    found = check_paths([str(tmp_path / "processes"), str(tmp_path / "forms")])
    assert [p.message for p in found if "Youth Worker" in p.message] == [
        "roles 'Youth Worker' are not lanes of this pathway: they cannot read its cases, so could never produce "
        "the letter"]
