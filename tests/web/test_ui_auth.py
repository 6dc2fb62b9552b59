"""The practitioner app's sign-in: Flask-Login sessions, argon2 passwords, CSRF, safe redirects, cookies."""
from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.postgres


def csrf_of(response) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', response.get_data(as_text=True))
    assert match, "no CSRF token on the page"
    return match.group(1)


def sign_in(client, username="dsw1", password="pw-dsw1", next_url=None):
    page = client.get("/login" + (f"?next={next_url}" if next_url else ""))
    data = {"csrf_token": csrf_of(page), "username": username, "password": password}
    if next_url:
        data["next"] = next_url
    return client.post("/login", data=data)


def test_the_login_page_renders_the_govuk_template(client):
    response = client.get("/login")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<html lang="en"' in html and "<title>Sign in – Pathways</title>" in html
    assert 'class="govuk-skip-link"' in html and 'id="main-content"' in html
    assert 'autocomplete="current-password"' in html and "govuk-frontend.min.css" in html
    assert "Content-Security-Policy" in response.headers and "'unsafe-inline'" not in response.headers[
        "Content-Security-Policy"]


def test_the_vendored_assets_are_served(client):
    for path in ("/static/govuk/govuk-frontend.min.css", "/static/govuk/govuk-frontend.min.js",
                 "/static/govuk/assets/fonts/bold-b542beb274-v2.woff2"):
        response = client.get(path)
        assert response.status_code == 200, path
        response.close()


@pytest.mark.parametrize("username,password", [("dsw1", "wrong"), ("nobody", "pw-dsw1")])
def test_wrong_credentials_show_the_error_summary_and_make_no_session(client, username, password):
    response = sign_in(client, username, password)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "govuk-error-summary" in html and "There is a problem" in html
    assert html.count("Enter a correct username and password") == 2  # the summary and the field
    assert "<title>Error: Sign in – Pathways</title>" in html
    assert client.get("/inbox").status_code == 302


def test_empty_fields_are_named(client):
    html = sign_in(client, "", "").get_data(as_text=True)
    assert 'href="#username">Enter your username' in html and 'href="#password">Enter your password' in html


def test_right_password_signs_in_and_goes_to_the_safe_next(client):
    response = sign_in(client, next_url="/inbox?page=1")
    assert response.status_code == 303 and response.headers["Location"] == "/inbox?page=1"
    assert client.get("/inbox").status_code == 200


@pytest.mark.parametrize("evil", ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)"])
def test_an_offsite_next_is_ignored(client, evil):
    response = sign_in(client, next_url=evil)
    assert response.status_code == 303 and response.headers["Location"] == "/inbox"


def test_signed_out_pages_redirect_to_login_with_next(client):
    response = client.get("/inbox?page=2")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    assert "evil" not in response.headers["Location"]
    assert client.get("/").headers["Location"] == "/login"


def test_logout_needs_post_with_csrf_and_clears_the_session(client):
    sign_in(client)
    inbox = client.get("/inbox")
    assert 'action="/logout"' in inbox.get_data(as_text=True)
    assert client.get("/logout").status_code == 405
    refused = client.post("/logout")
    assert refused.status_code == 400 and "The form could not be sent" in refused.get_data(as_text=True)
    assert client.get("/inbox").status_code == 200  # still signed in
    response = client.post("/logout", data={"csrf_token": csrf_of(inbox)})
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    assert "You have signed out." in client.get("/login").get_data(as_text=True)
    assert client.get("/inbox").status_code == 302


def test_login_post_without_csrf_is_refused(client):
    response = client.post("/login", data={"username": "dsw1", "password": "pw-dsw1"})
    assert response.status_code == 400
    assert client.get("/inbox").status_code == 302


def test_session_cookie_flags(client, app):
    response = sign_in(client)
    [cookie] = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("pathways_session=")]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Expires=" in cookie
    assert app.config["PERMANENT_SESSION_LIFETIME"].total_seconds() == 8 * 3600


def test_secure_cookie_setting(engine, monkeypatch):
    from web.app import create_app

    monkeypatch.delenv("PATHWAYS_SECURE_COOKIES", raising=False)
    assert create_app({"ENGINE": engine, "SECRET_KEY": "k"}).config["SESSION_COOKIE_SECURE"] is True
    monkeypatch.setenv("PATHWAYS_SECURE_COOKIES", "0")
    assert create_app({"ENGINE": engine, "SECRET_KEY": "k"}).config["SESSION_COOKIE_SECURE"] is False
    secure = create_app({"ENGINE": engine, "SECRET_KEY": "k", "TESTING": True, "SESSION_COOKIE_SECURE": True})
    client = secure.test_client()
    page = client.get("/login", base_url="https://localhost")
    response = client.post("/login", base_url="https://localhost", headers={"Referer": "https://localhost/login"},
                           data={"csrf_token": csrf_of(page), "username": "dsw1", "password": "pw-dsw1"})
    assert response.status_code == 303
    [cookie] = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("pathways_session=")]
    assert "Secure" in cookie


def test_an_expired_session_must_sign_in_again(client):
    sign_in(client)
    with client.session_transaction() as session:
        session["pathways_signed_in_at"] -= 8 * 3600 + 1
    assert client.get("/inbox").status_code == 302


def test_the_api_does_not_accept_the_session_cookie(client):
    sign_in(client)
    assert client.get("/api/me").status_code == 401


def test_production_passwords_are_hashed_with_argon2id_at_rfc9106_strength():
    """The suite hashes with argon2's cheapest parameters (tests/conftest.py); production must not."""
    from argon2.profiles import RFC_9106_LOW_MEMORY

    from tests.conftest import PRODUCTION_HASHER

    assert PRODUCTION_HASHER.type.name == "ID"
    assert PRODUCTION_HASHER.time_cost >= RFC_9106_LOW_MEMORY.time_cost
    assert PRODUCTION_HASHER.memory_cost >= RFC_9106_LOW_MEMORY.memory_cost
    assert PRODUCTION_HASHER.hash("a long password").startswith("$argon2id$")
