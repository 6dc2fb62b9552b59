"""The user administration pages (/admin/users...): administrators only, GOV.UK errors, CSRF, PRG, audit."""
from __future__ import annotations

import json
import re

import pytest
import sqlalchemy as sa

from tests.web.test_ui_auth import csrf_of, sign_in

pytestmark = pytest.mark.postgres

BOSS_PASSWORD = "boss password 1"
NEW_PASSWORD = "three random words"


@pytest.fixture
def boss(engine):
    engine.add_user("boss", "Bea Boss", [], password=BOSS_PASSWORD, admin=True)
    return "boss"


def as_boss(client):
    response = sign_in(client, "boss", BOSS_PASSWORD)
    assert response.status_code == 303


def post_form(client, page_url, action_url, data):
    token = csrf_of(client.get(page_url))
    return client.post(action_url, data={"csrf_token": token, **data})


def text(response) -> str:
    return response.get_data(as_text=True)


def test_signed_out_visitors_go_to_sign_in(client, boss):
    for url in ("/admin/users", "/admin/users/new", "/admin/users/dsw1"):
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=")


def test_a_non_administrator_gets_a_403_page_and_no_users_link(client, boss, engine):
    sign_in(client)
    assert 'href="/admin/users"' not in text(client.get("/inbox"))
    for url in ("/admin/users", "/admin/users/new", "/admin/users/dsw2"):
        response = client.get(url)
        assert response.status_code == 403 and "You cannot see this page" in text(response)
        assert "govuk-template" in text(response)
    inbox_token = csrf_of(client.get("/inbox"))
    for url, data in (("/admin/users/new", {"username": "sneaky", "display_name": "S", "password": NEW_PASSWORD,
                                            "admin": "yes"}),
                      ("/admin/users/dsw2/roles", {"roles": "Team Manager", "admin": "yes"}),
                      ("/admin/users/dsw2/active", {"active": "no"}),
                      ("/admin/users/dsw2/password", {"password": NEW_PASSWORD})):
        assert client.post(url, data={"csrf_token": inbox_token, **data}).status_code == 403
    assert engine.actor("dsw2").roles == {"Duty Social Worker"} and not engine.actor("dsw2").admin
    assert "sneaky" not in {u.username for u in engine.list_users()}


def test_the_users_table(client, boss):
    as_boss(client)
    response = client.get("/admin/users")
    page = text(response)
    assert response.status_code == 200 and '<table class="govuk-table" id="users">' in page
    assert 'aria-current="page"' in page and ">Users</strong>" in page  # the navigation's active item
    assert 'href="/admin/users/tm1"' in page and "Team Manager, Duty Social Worker" not in page
    assert "Duty Social Worker, Team Manager" in page  # tm1's roles, sorted
    row = page.split('href="/admin/users/boss">boss</a>', 1)[1].split("</tr>", 1)[0]
    assert re.findall(r'govuk-table__cell">([^<]*)<', row) == ["Bea Boss", "None", "Yes", "Yes"]


def test_adding_a_user_redirects_with_a_banner_and_they_can_sign_in(client, boss, engine):
    as_boss(client)
    form = text(client.get("/admin/users/new"))
    assert 'name="csrf_token"' in form and 'type="checkbox" value="Team Manager"' in form
    assert 'autocomplete="new-password"' in form and 'name="admin" type="radio" value="yes"' in form
    response = post_form(client, "/admin/users/new", "/admin/users/new", {
        "username": "newbie", "display_name": "New Bie", "password": NEW_PASSWORD,
        "roles": ["Team Manager", "Early Help Coordinator"], "admin": "no"})
    assert response.status_code == 303 and response.headers["Location"] == "/admin/users/newbie"
    page = text(client.get("/admin/users/newbie"))
    assert "govuk-notification-banner--success" in page and "New Bie (newbie) has been added" in page
    assert engine.actor("newbie").roles == {"Team Manager", "Early Help Coordinator"}
    client.post("/logout", data={"csrf_token": csrf_of(client.get("/inbox"))})
    assert sign_in(client, "newbie", NEW_PASSWORD).status_code == 303


def test_adding_a_user_with_nothing_filled_in_names_every_field(client, boss):
    as_boss(client)
    response = post_form(client, "/admin/users/new", "/admin/users/new", {})
    page = text(response)
    assert response.status_code == 400 and "<title>Error: Add a user – Pathways</title>" in page
    links = re.findall(r'<li><a href="#([a-z_]+)">', page)
    assert links == ["username", "display_name", "password", "admin"]
    assert "Enter a username" in page and "Enter the person&#39;s name" in page and "Enter a password" in page
    assert "Select yes if this person is an administrator" in page


@pytest.mark.parametrize("fields,field,message", [
    ({"username": "dsw1"}, "username", "The username dsw1 is already taken"),
    ({"username": "two words"}, "username", "must not contain spaces"),
    ({"username": "new"}, "username", "Choose another username"),
    ({"password": "too short"}, "password", "12 characters or more"),
    ({"password": "newbie-newbie", "username": "newbie-newbie"}, "password", "must not be the username"),
    ({"roles": ["Astronaut"]}, "roles", "Unknown role(s): Astronaut"),
])
def test_adding_a_user_shows_the_engines_errors_and_keeps_what_was_typed(client, boss, engine, fields, field,
                                                                         message):
    as_boss(client)
    data = {"username": "newbie", "display_name": "Kept Name", "password": NEW_PASSWORD, "admin": "yes",
            "roles": ["Team Manager"], **fields}
    response = post_form(client, "/admin/users/new", "/admin/users/new", data)
    page = text(response)
    assert response.status_code == 400 and f'<li><a href="#{field}">' in page and message in page
    assert 'value="Kept Name"' in page
    assert ('value="Team Manager" checked' in page) == ("roles" not in fields)
    assert 'value="yes" checked' in page
    assert not re.search(r'type="password"[^>]*value=', page)  # a password is never echoed
    assert "Kept Name" not in {u.display_name for u in engine.list_users()}


def test_forms_without_the_csrf_token_are_refused(client, boss, engine):
    as_boss(client)
    response = client.post("/admin/users/dsw2/active", data={"active": "no"})
    assert response.status_code == 400 and "The form could not be sent" in text(response)
    assert engine.actor("dsw2").username == "dsw2"


def test_changing_roles(client, boss, engine):
    as_boss(client)
    page = text(client.get("/admin/users/dsw2"))
    assert 'value="Duty Social Worker" checked' in page and 'value="no" checked' in page
    response = post_form(client, "/admin/users/dsw2", "/admin/users/dsw2/roles",
                         {"roles": ["Team Manager"], "admin": "yes"})
    assert response.status_code == 303 and response.headers["Location"] == "/admin/users/dsw2"
    assert "The roles of Dan Duty (dsw2) have been saved" in text(client.get("/admin/users/dsw2"))
    actor = engine.actor("dsw2")
    assert actor.roles == {"Team Manager"} and actor.admin


def test_changing_roles_errors_keep_the_choices(client, boss, engine):
    as_boss(client)
    response = post_form(client, "/admin/users/dsw2", "/admin/users/dsw2/roles", {"roles": ["Team Manager"]})
    page = text(response)
    assert response.status_code == 400 and '<li><a href="#admin">Select yes' in page
    assert 'value="Team Manager" checked' in page and 'value="Duty Social Worker" checked' not in page
    response = post_form(client, "/admin/users/dsw2", "/admin/users/dsw2/roles",
                         {"roles": ["Astronaut"], "admin": "no"})
    assert response.status_code == 400 and '<li><a href="#roles">Unknown role(s): Astronaut' in text(response)
    assert engine.actor("dsw2").roles == {"Duty Social Worker"}


def test_an_administrator_cannot_remove_their_own_administrator_flag_or_deactivate_themself(client, boss, engine):
    as_boss(client)
    page = text(client.get("/admin/users/boss"))
    assert "You cannot deactivate your own account" in page and "Deactivate boss</button>" not in page
    response = post_form(client, "/admin/users/boss", "/admin/users/boss/roles", {"admin": "no"})
    assert response.status_code == 403 and "You cannot remove your own administrator access" in text(response)
    response = post_form(client, "/admin/users/boss", "/admin/users/boss/active", {"active": "no"})
    assert response.status_code == 403 and '<li><a href="#active">You cannot deactivate yourself' in text(response)
    assert engine.actor("boss").admin


def test_a_deactivated_user_is_signed_out_and_cannot_sign_in_until_reactivated(app, boss, engine):
    victim, admin = app.test_client(), app.test_client()
    sign_in(victim, "dsw1", "pw-dsw1")
    assert victim.get("/inbox").status_code == 200
    as_boss(admin)
    page = text(admin.get("/admin/users/dsw1"))
    assert "Deactivate dsw1</button>" in page and "govuk-warning-text" in page
    response = post_form(admin, "/admin/users/dsw1", "/admin/users/dsw1/active", {"active": "no"})
    assert response.status_code == 303
    assert "Dee Duty (dsw1) has been deactivated" in text(admin.get("/admin/users/dsw1"))
    assert victim.get("/inbox").status_code == 302  # signed out on the next request
    refused = sign_in(victim, "dsw1", "pw-dsw1")
    assert refused.status_code == 200 and "Enter a correct username and password" in text(refused)
    row = text(admin.get("/admin/users")).split('href="/admin/users/dsw1"', 1)[1].split("</tr>", 1)[0]
    assert "Deactivated" in row
    response = post_form(admin, "/admin/users/dsw1", "/admin/users/dsw1/active", {"active": "yes"})
    assert response.status_code == 303
    assert sign_in(victim, "dsw1", "pw-dsw1").status_code == 303


def test_resetting_a_password(app, boss, engine):
    admin, old_session = app.test_client(), app.test_client()
    assert sign_in(old_session, "dsw1", "pw-dsw1").status_code == 303
    assert old_session.get("/inbox").status_code == 200
    as_boss(admin)
    response = post_form(admin, "/admin/users/dsw1", "/admin/users/dsw1/password", {"password": "short"})
    page = text(response)
    assert response.status_code == 400 and '<li><a href="#password">The password must be 12' in page
    assert 'value="short"' not in page and not re.search(r'type="password"[^>]*value=', page)
    response = post_form(admin, "/admin/users/dsw1", "/admin/users/dsw1/password", {"password": NEW_PASSWORD})
    assert response.status_code == 303
    assert "The password of Dee Duty (dsw1) has been reset" in text(admin.get("/admin/users/dsw1"))
    # Whoever signed in with the old password is signed out on their next request (it may have been stolen).
    response = old_session.get("/inbox")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    other = app.test_client()
    assert sign_in(other, "dsw1", "pw-dsw1").status_code == 200
    assert sign_in(other, "dsw1", NEW_PASSWORD).status_code == 303


def test_an_unknown_user_is_404(client, boss):
    as_boss(client)
    assert client.get("/admin/users/nobody").status_code == 404


def test_every_change_is_audited_without_secrets(client, boss, engine):
    as_boss(client)
    post_form(client, "/admin/users/new", "/admin/users/new", {
        "username": "newbie", "display_name": "New Bie", "password": NEW_PASSWORD, "admin": "no"})
    post_form(client, "/admin/users/newbie", "/admin/users/newbie/roles", {"roles": ["Team Manager"], "admin": "no"})
    post_form(client, "/admin/users/newbie", "/admin/users/newbie/password", {"password": "another passphrase"})
    post_form(client, "/admin/users/newbie", "/admin/users/newbie/active", {"active": "no"})
    with engine.database.engine.connect() as c:
        events = c.execute(sa.text("select actor_name, action, before_json, after_json from audit_events "
                                   "where chain = 'users' and actor_name = 'boss' order by seq")).all()
    assert [e.action for e in events] == ["user_added", "user_roles_changed", "user_password_reset",
                                          "user_deactivated"]
    dumped = json.dumps([list(e) for e in events])
    assert NEW_PASSWORD not in dumped and "another passphrase" not in dumped and "$argon2" not in dumped
    assert json.loads(events[-1].after_json)["active"] is False
    assert all(r.ok for r in engine.verify_all())
