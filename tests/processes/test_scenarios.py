"""Every shipped pathway validates, and its scenario suite passes with full sequence-flow coverage;
the runner reports failing scenarios with their reason."""
from __future__ import annotations

from pathlib import Path

import pytest

from engine import check_paths, run_scenarios

ROOT = Path(__file__).resolve().parents[2]
PROCESSES, FORMS = ROOT / "processes", ROOT / "forms"


def test_shipped_pathways_are_valid():
    assert [str(p) for p in check_paths([str(PROCESSES), str(FORMS)])] == []


@pytest.fixture(scope="module")
def suite():
    return run_scenarios([PROCESSES], PROCESSES, FORMS)


def test_every_scenario_passes(suite):
    results, _ = suite
    assert results, "no scenarios found"
    assert [f"{r.file}: {r.message}" for r in results if not r.passed] == []


def test_every_pathway_has_full_flow_coverage(suite):
    _, cover = suite
    pathways = sorted(p.parent.name for p in PROCESSES.glob("*/pathway.yaml"))
    assert sorted(c.pathway for c in cover) == pathways  # each pathway has scenarios
    assert {c.pathway: c.missing for c in cover if c.missing} == {}


def _scenario(tmp_path: Path, text: str) -> Path:
    folder = tmp_path / "front_door" / "scenarios"
    folder.mkdir(parents=True)
    (tmp_path / "front_door" / "pathway.yaml").write_bytes((PROCESSES / "front_door" / "pathway.yaml").read_bytes())
    path = folder / "s.yaml"
    path.write_text(text)
    return path


START = """
  - start:
      as: duty-social-worker
      data: {child_name: Dee, referral_source: "6", contact_method: phone,
             contact_received_at: "2026-11-23T09:00:00+00:00", concern: Police report}
  - complete: {task: record_consent, as: duty-social-worker, data: {consent_status: not_sought,
               share_without_consent: true, significant_harm_reason: "Police report of an assault at home"}}
  - complete: {task: record_threshold_indicators, as: duty-social-worker,
               data: {developmental_needs: [], family_environmental_factors: [], parents_and_carers: [],
                      significant_harm_suspected: true, child_in_need_concern: false, multi_agency_needed: false}}
"""


@pytest.mark.parametrize("steps, reason", [
    ("  - assert: {ready: [sign_off]}", "ready tasks are ['initial_screening'], expected ['sign_off']"),
    ("  - complete: {task: sign_off, as: team-manager, data: {}}", "'sign_off' is not ready"),
    ("  - complete: {task: initial_screening, as: duty-social-worker, data: {agrees_with_suggestion: true, "
     "safeguarding_or_cin: true}}", "FormValidationError"),
    ("  - complete: {task: initial_screening, as: duty-social-worker, data: {agrees_with_suggestion: true, "
     "safeguarding_or_cin: true, social_care_response: single_assessment, rationale: 0123456789}, "
     "expect_error: PermissionDeniedError}",
     "expected PermissionDeniedError, but the step succeeded"),
    ("  - complete: {task: initial_screening, as: duty-social-worker, data: {agrees_with_suggestion: true, "
     "safeguarding_or_cin: true, rationale: 0123456789}}", "social_care_response: this field is required"),
    ("  - assert: {path: [sign_off]}", "path: 'sign_off' was not completed"),
    ("  - assert: {status: completed}", "case status is 'active'"),
    ("  - assert: {timers: []}", "timers waiting are ['screening_overdue']"),
    ("  - clock: {advance: 2 hours}", "not a duration"),
    ("  - fly: {}", "unknown step 'fly'"),
])
def test_a_wrong_scenario_fails_with_its_reason(tmp_path, steps, reason):
    path = _scenario(tmp_path, "name: wrong\nsteps:\n" + START + steps + "\n")
    [result], _ = run_scenarios([path], PROCESSES, FORMS)
    assert not result.passed and reason in result.message and "step 4" in result.message


def test_a_scenario_that_is_not_yaml_fails(tmp_path):
    path = _scenario(tmp_path, "steps: [unclosed")
    [result], _ = run_scenarios([path], PROCESSES, FORMS)
    assert not result.passed and "cannot read the scenario" in result.message
