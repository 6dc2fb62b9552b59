"""User administration in the engine: administrators only, password rules, the last administrator, audit."""
from __future__ import annotations

import json
import threading

import pytest
import sqlalchemy as sa

from engine import (Actor, AuthenticationError, ConflictError, Engine, FormValidationError, PermissionDeniedError,
                    UserNotFoundError, check_password)

pytestmark = pytest.mark.postgres

GOOD = "correct horse battery"


@pytest.fixture
def boss(engine):
    engine.add_user("boss", "Bea Boss", [], password=GOOD, admin=True)
    return engine.actor("boss")


def _user_events(engine) -> list[dict]:
    with engine.database.engine.connect() as c:
        rows = c.execute(sa.text("select actor_name, action, summary, before_json, after_json from audit_events "
                                 "where chain = 'users' order by seq")).mappings().all()
    return [dict(r) for r in rows]


def test_the_actor_carries_the_administrator_flag(engine, boss):
    assert boss.admin is True and engine.actor("dsw1").admin is False
    assert Actor(1, "x").admin is False  # positional constructors keep working
    assert [u.admin for u in engine.list_users() if u.username == "boss"] == [True]


def test_an_administrator_adds_a_user_and_it_is_audited_without_secrets(engine, boss):
    view = engine.add_user("  newbie ", "New Bie", ["Team Manager"], GOOD, actor=boss)
    assert (view.username, view.display_name, view.roles, view.admin, view.active) == \
        ("newbie", "New Bie", ("Team Manager",), False, True)
    assert engine.authenticate_password("newbie", GOOD).roles == {"Team Manager"}
    added = [e for e in _user_events(engine) if e["action"] == "user_added" and "newbie" in e["summary"]]
    assert len(added) == 1 and added[0]["actor_name"] == "boss" and added[0]["before_json"] is None
    assert json.loads(added[0]["after_json"]) == {"username": "newbie", "display_name": "New Bie",
                                                  "roles": ["Team Manager"], "admin": False, "active": True}
    everything = json.dumps(_user_events(engine))
    assert GOOD not in everything and "argon2" not in everything
    users_chain = [r for r in engine.verify_all() if r.chain == "users"]
    assert users_chain[0].ok and users_chain[0].events == len(_user_events(engine))


@pytest.mark.parametrize("who", ["dsw1", "system", "stale"])
def test_only_an_active_administrator_may_manage_users(engine, boss, who):
    actor = {"dsw1": engine.actor("dsw1"), "system": Actor.system(),
             # an Actor object claiming to be an administrator proves nothing: the database decides
             "stale": Actor(engine.actor("dsw1").user_id, "dsw1", frozenset(), "Dee", True)}[who]
    calls = [lambda: engine.add_user("x1", "X", [], GOOD, actor=actor),
             lambda: engine.change_user_roles("dsw2", ["Team Manager"], actor),
             lambda: engine.set_user_active("dsw2", False, actor),
             lambda: engine.reset_password("dsw2", GOOD, actor),
             lambda: engine.list_users(actor),
             lambda: engine.get_user("dsw2", actor)]
    for call in calls:
        with pytest.raises(PermissionDeniedError):
            call()
    assert engine.actor("dsw2").roles == {"Duty Social Worker"}
    assert "x1" not in {u.username for u in engine.list_users()}


def test_adding_reports_every_bad_field_at_once(engine, boss):
    with pytest.raises(FormValidationError) as caught:
        engine.add_user("bad name", "", ["Astronaut"], "short", actor=boss)
    errors = caught.value.field_errors
    assert set(errors) == {"username", "display_name", "password", "roles"}
    assert "spaces" in errors["username"][0] and "12 characters" in errors["password"][0]
    assert "Astronaut" in errors["roles"][0]
    with pytest.raises(FormValidationError) as caught:
        engine.add_user("dsw1", "Again", [], GOOD, actor=boss)
    assert caught.value.field_errors == {"username": ["The username dsw1 is already taken"]}
    with pytest.raises(ConflictError):  # the system path keeps its old error
        engine.add_user("dsw1", "Again", [])


@pytest.mark.parametrize("password,message", [
    ("", "Enter a password"), ("elevenchars", "12 characters or more"), ("x" * 1025, "1024 characters or fewer"),
    ("Longusername", "must not be the username")])
def test_password_rules(password, message):
    with pytest.raises(FormValidationError) as caught:
        check_password(password, "longUSERNAME")
    assert message in caught.value.field_errors["password"][0]
    check_password("twelve chars", "someone")  # spaces and no digits are fine: no composition rules
    check_password("x" * 1024)


def test_changing_roles_and_the_administrator_flag(engine, boss):
    view = engine.change_user_roles("dsw2", ["Team Manager", "Early Help Coordinator"], boss, admin=True)
    assert view.roles == ("Early Help Coordinator", "Team Manager") and view.admin
    assert engine.actor("dsw2").admin and engine.actor("dsw2").roles == {"Team Manager", "Early Help Coordinator"}
    assert engine.change_user_roles("dsw2", [], boss).admin  # admin=None leaves the flag alone
    [event] = [e for e in _user_events(engine) if e["action"] == "user_roles_changed"][:1]
    assert json.loads(event["before_json"])["roles"] == ["Duty Social Worker"]
    assert json.loads(event["after_json"])["admin"] is True
    with pytest.raises(FormValidationError) as caught:
        engine.change_user_roles("dsw2", ["Astronaut"], boss)
    assert "roles" in caught.value.field_errors
    with pytest.raises(UserNotFoundError):
        engine.change_user_roles("nobody", [], boss)


def test_an_administrator_cannot_deactivate_or_demote_themself(engine, boss):
    with pytest.raises(PermissionDeniedError, match="yourself"):
        engine.set_user_active("boss", False, boss)
    with pytest.raises(PermissionDeniedError, match="your own"):
        engine.change_user_roles("boss", ["Team Manager"], boss, admin=False)
    assert engine.actor("boss").admin and engine.actor("boss").roles == frozenset()
    assert [e["action"] for e in _user_events(engine)].count("user_deactivated") == 0


def test_two_administrators_removing_each_other_at_once_leave_one(engine, boss, database_url, clock):
    """The last active administrator cannot be removed, even by two requests racing on two engines."""
    engine.add_user("chief", "Chi Chief", [], password=GOOD, admin=True)
    engines = [Engine(database_url, clock=clock) for _ in range(2)]
    pairs = [(engines[0], "boss", "chief"), (engines[1], "chief", "boss")]
    barrier, outcomes = threading.Barrier(2), []

    def remove(eng, me, other):
        actor = eng.actor(me)
        barrier.wait()
        try:
            outcomes.append(eng.set_user_active(other, False, actor))
        except (PermissionDeniedError, ConflictError) as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=remove, args=pair) for pair in pairs]
    [t.start() for t in threads]
    [t.join() for t in threads]
    [e.dispose() for e in engines]
    assert len(outcomes) == 2 and sum(isinstance(o, Exception) for o in outcomes) == 1, outcomes
    admins = [u for u in engine.list_users() if u.admin and u.active]
    assert len(admins) == 1


def test_deactivation_signs_out_and_reactivation_lets_back_in(engine, boss):
    token = engine.create_token("dsw1", "t")
    engine.set_user_active("dsw1", False, boss)
    with pytest.raises(UserNotFoundError):
        engine.actor("dsw1")
    with pytest.raises(AuthenticationError):
        engine.authenticate_password("dsw1", "pw-dsw1")
    with pytest.raises(AuthenticationError):
        engine.authenticate_token(token)
    assert engine.get_user("dsw1", boss).active is False
    engine.set_user_active("dsw1", True, boss)
    assert engine.authenticate_password("dsw1", "pw-dsw1").username == "dsw1"
    assert [e["action"] for e in _user_events(engine) if e["action"].endswith("activated")] == \
        ["user_deactivated", "user_reactivated"]


def test_resetting_a_password(engine, boss):
    with pytest.raises(FormValidationError) as caught:
        engine.reset_password("dsw1", "short", boss)
    assert list(caught.value.field_errors) == ["password"]
    engine.reset_password("dsw1", "a brand new passphrase", boss)
    assert engine.authenticate_password("dsw1", "a brand new passphrase").username == "dsw1"
    with pytest.raises(AuthenticationError):
        engine.authenticate_password("dsw1", "pw-dsw1")
    [event] = [e for e in _user_events(engine) if e["action"] == "user_password_reset"]
    assert event["actor_name"] == "boss" and "brand new" not in json.dumps(event)
    assert "password" not in json.loads(event["after_json"])


def test_migration_0005_upgrades_a_database_with_users_in_place(engine, boss):
    """Down to 0004 and up again with users (and rows pointing at them) in the tables: nobody is lost."""
    from alembic import command
    from engine.schema import _config

    engine.set_user_active("dsw2", False, boss)
    config = _config()
    with engine.database.engine.connect() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0004")
        connection.commit()
    assert engine.upgrade_database() == engine.schema_revision()
    users = {u.username: u for u in engine.list_users()}
    assert {"boss", "dsw1", "dsw2", "tm1"} <= set(users) and not any(u.admin for u in users.values())
    assert users["dsw2"].active is False and engine.actor("dsw1").roles == {"Duty Social Worker"}


def test_an_unknown_username_costs_a_hash_as_a_wrong_password_does(engine, monkeypatch):
    """Sign-in must not say which usernames exist by answering unknown ones at once (no hash)."""
    import engine.users as users

    verified = []

    class Counting:  # the hasher in use, counting its verifications
        def __init__(self, hasher):
            self.hasher = hasher

        def __getattr__(self, name):
            return getattr(self.hasher, name)

        def verify(self, stored, given):
            verified.append(stored)
            return self.hasher.verify(stored, given)

    monkeypatch.setattr(users, "_hasher", Counting(users._hasher))
    for username, password in (("dsw1", "wrong password"), ("nobody-at-all", "wrong password"),
                               ("dsw2", "no password set")):
        with pytest.raises(AuthenticationError, match="unknown user or wrong password"):
            engine.authenticate_password(username, password)
    assert len(verified) == 3  # one argon2 verification each, known user or not
    with pytest.raises(AuthenticationError):
        engine.authenticate_password("dsw1", "x" * 2000)  # over the limit: refused without hashing
    assert len(verified) == 3
    assert engine.authenticate_password("dsw1", "pw-dsw1").username == "dsw1"
