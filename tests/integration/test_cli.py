"""The `pathways` command: init (idempotent, demo users), check, verify, export, user add, tick."""
from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml
from click.testing import CliRunner

from web.cli import main

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def run(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"

    def invoke(*args, input=None):
        return CliRunner().invoke(main, ["--database", url, *args], obj={}, input=input)
    invoke.url = url
    return invoke


def test_init_twice_keeps_data_and_makes_no_new_version(run):
    first = run("init", "--demo")
    assert first.exit_code == 0, first.output
    assert "pathway front_door: version 1 published" in first.output
    assert "demo user team-manager (Team Manager)" in first.output
    assert "demo administrator admin: password pathways-demo, API token demo-admin" in first.output
    second = run("init", "--demo")
    assert second.exit_code == 0 and "pathway front_door: version 1 unchanged" in second.output
    roles = yaml.safe_load((ROOT / "processes" / "roles.yaml").read_text())["roles"]
    engine = sa.create_engine(run.url)
    with engine.connect() as c:
        # one demo user per role, and the demo administrator (no lane role)
        assert c.execute(sa.text("select count(*) from users")).scalar() == len(roles) + 1
        assert c.execute(sa.text("select count(*) from users where admin")).scalar() == 1
        pathways = len(list((ROOT / "processes").glob("*/pathway.yaml")))
        assert c.execute(sa.text("select count(*) from pathway_versions")).scalar() == pathways  # one each
    engine.dispose()


def test_check_reports_file_line_element_and_exits_1(run, tmp_path):
    bad = tmp_path / "bad.bpmn"
    bad.write_text((ROOT / "tests/fixtures/engine/mini/mini.bpmn").read_text().replace(
        "<bpmn:timeDuration xsi:type=\"bpmn:tFormalExpression\">duration(hours=settings['screening_hours'])",
        "<bpmn:timeDuration xsi:type=\"bpmn:tFormalExpression\">PT2H"))
    result = run("check", str(bad))
    assert result.exit_code == 1
    line = next(l for l in result.output.splitlines() if "screening_late" in l)
    file, lineno, element, message = line.split(":", 3)
    assert file == str(bad) and int(lineno) > 0 and element.strip() == "screening_late" and "quote" in message


def test_check_shipped_pathways_is_clean(run):
    result = run("check", str(ROOT / "processes"), str(ROOT / "forms"))
    assert result.exit_code == 0, result.output


def test_check_missing_path_is_a_problem(run, tmp_path):
    result = run("check", str(tmp_path / "nope.bpmn"))
    assert result.exit_code == 1 and "nope.bpmn" in result.output


def test_verify_export_user_tick(run, tmp_path):
    assert run("verify").exit_code == 1  # no schema yet: a clear error, not a traceback
    assert "pathways init" in run("verify").output
    assert run("init").exit_code == 0
    ok = run("verify")
    assert ok.exit_code == 0 and "chain intact" in ok.output
    added = run("user", "add", "amy", "--name", "Amy", "--role", "Team Manager", "--token",
                input="s3cret-passphrase\ns3cret-passphrase\n")
    assert added.exit_code == 0 and "API token (shown once)" in added.output
    refused = run("user", "add", "bob", "--role", "Astronaut", input="pw-pw-pw-pw-pw\npw-pw-pw-pw-pw\n")
    assert refused.exit_code == 1 and "unknown role" in refused.output
    short = run("user", "add", "bob", "--role", "Team Manager", input="pw-pw-pw\npw-pw-pw\n")
    assert short.exit_code == 1 and "password: The password must be 12 characters or more" in short.output
    boss = run("user", "add", "boss", "--admin", input="boss-password\nboss-password\n")
    assert boss.exit_code == 0 and "added boss with roles: (none) (administrator)" in boss.output
    listed = run("user", "list").output
    assert "amy" in listed and "bob" not in listed and "boss\tboss\t\tadministrator" in listed
    exported = run("export", str(tmp_path / "out"))
    assert exported.exit_code == 0
    assert (tmp_path / "out" / "front_door" / "front_door.bpmn").read_bytes() == \
        (ROOT / "processes" / "front_door" / "front_door.bpmn").read_bytes()
    assert (tmp_path / "out" / "front_door" / "forms" / "contact.schema.json").is_file()
    ticked = run("tick")
    assert ticked.exit_code == 0 and "0 timer(s) fired" in ticked.output


def test_every_subcommand_has_help(run):
    for command in (["init"], ["check"], ["tick"], ["serve"], ["user", "add"], ["user", "list"], ["export"],
                    ["verify"]):
        result = run(*command, "--help")
        assert result.exit_code == 0 and "Usage:" in result.output, command
