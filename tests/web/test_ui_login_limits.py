"""Sign-in attempts are limited per username and per client address, in the database, on the engine clock."""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from engine import Engine
from tests.web.test_ui_auth import sign_in
from web.app import create_app

pytestmark = pytest.mark.postgres

TOO_MANY = "There have been too many attempts to sign in. Wait 15 minutes, then try again"


def attempt(client, username, password, address="127.0.0.1"):
    page = client.get("/login", environ_base={"REMOTE_ADDR": address})
    token = page.get_data(as_text=True).split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    return client.post("/login", data={"csrf_token": token, "username": username, "password": password},
                       environ_base={"REMOTE_ADDR": address})


@pytest.mark.parametrize("username", ["dsw1", "nobody"])
def test_five_failures_lock_a_username_whether_or_not_it_exists(client, username):
    for _ in range(5):
        response = attempt(client, username, "wrong")
        assert response.status_code == 200 and "Enter a correct username and password" in response.get_data(
            as_text=True)
    refused = attempt(client, username, "pw-dsw1")  # even the right password is refused now
    html = refused.get_data(as_text=True)
    assert refused.status_code == 429 and TOO_MANY in html and "govuk-error-summary" in html
    assert "<title>Error: Sign in – Pathways</title>" in html
    assert client.get("/inbox").status_code == 302
    assert attempt(client, "dsw2", "wrong").status_code == 200  # another username


def test_the_username_key_ignores_case_and_spaces(client):
    for name in ("dsw1", "DSW1", " Dsw1 ", "dsW1", "DSw1"):
        attempt(client, name, "wrong")
    assert attempt(client, "dsw1", "pw-dsw1").status_code == 429


def test_the_lock_lifts_when_the_window_passes_on_the_engine_clock(client, clock):
    for _ in range(5):
        attempt(client, "dsw1", "wrong")
    clock.advance(dt.timedelta(minutes=14))
    assert attempt(client, "dsw1", "pw-dsw1").status_code == 429
    clock.advance(dt.timedelta(minutes=1, seconds=1))
    response = attempt(client, "dsw1", "pw-dsw1")
    assert response.status_code == 303 and client.get("/inbox").status_code == 200


def test_a_successful_sign_in_is_not_counted(app, client):
    for _ in range(4):
        attempt(client, "dsw1", "wrong")
    assert attempt(app.test_client(), "dsw1", "pw-dsw1").status_code == 303  # not a failure...
    assert attempt(client, "dsw1", "wrong").status_code == 200  # ...so this is the fifth failure, not a sixth
    assert attempt(client, "dsw1", "pw-dsw1").status_code == 429


def test_failures_from_one_address_lock_that_address(engine):
    app = create_app({"TESTING": True, "ENGINE": engine, "SECRET_KEY": "t",
                      "LOGIN_RATE_LIMIT_PER_ADDRESS": (3, 600), "LOGIN_RATE_LIMIT_PER_USERNAME": (50, 600)})
    client = app.test_client()
    for name in ("a1", "a2", "a3"):
        assert attempt(client, name, "wrong", "198.51.100.4").status_code == 200
    refused = attempt(client, "dsw1", "pw-dsw1", "198.51.100.4")
    assert refused.status_code == 429 and "Wait 10 minutes" in refused.get_data(as_text=True)
    assert attempt(client, "dsw1", "pw-dsw1", "198.51.100.5").status_code == 303


def test_the_count_is_shared_by_two_apps_and_stores_no_username(engine, database_url, clock):
    second = Engine(database_url, clock=clock)
    try:
        clients = [create_app({"TESTING": True, "ENGINE": eng, "SECRET_KEY": "shared"}).test_client()
                   for eng in (engine, second)]
        for n in range(5):
            attempt(clients[n % 2], "dsw1", "wrong")
        assert attempt(clients[0], "dsw1", "pw-dsw1").status_code == 429
        assert attempt(clients[1], "dsw1", "pw-dsw1").status_code == 429
    finally:
        second.dispose()
    with engine.database.engine.connect() as c:
        rows = c.execute(sa.text("select bucket, key_hash from rate_limit_hits")).all()
    assert {r.bucket for r in rows} == {"login-username", "login-address"} and len(rows) == 10
    assert not any("dsw1" in r.key_hash or "127.0.0.1" in r.key_hash for r in rows)


def test_the_existing_sign_in_still_works(client):
    assert sign_in(client).status_code == 303
