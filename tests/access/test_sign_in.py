"""Signing in: two factors (R5), one-time codes (R6), throttling and lock-out (R7), no
enumeration (R8), re-hashing (R4) and a new session id at sign-in (R13)."""

from __future__ import annotations

import re
from typing import Any

import argon2
import pytest
import sqlalchemy as sa

from access.models import User
from core import db
from tests.helpers import Account, Client


def stored_user(app: Any, account: Account) -> User:
    with app.app_context():
        user = db.session().get(User, account.id)
        assert user is not None
        return user


def test_password_and_code_sign_in(client: Client, accounts: dict[str, Account]) -> None:
    client.sign_in(accounts["screener"])
    home = client.get("/")
    assert home.status_code == 200
    assert accounts["screener"].email in home.get_data(as_text=True)


def test_password_alone_reaches_no_protected_page(client: Client,
                                                  accounts: dict[str, Account]) -> None:
    response = client.password_step(accounts["admin"])
    assert response.location.endswith("/login/code")
    for path in ("/", "/account", "/admin/users", "/reauth"):
        assert client.get(path).location.endswith("/login/code")


def test_unenrolled_user_must_enrol_before_anything(client: Client, make_account: Any,
                                                    app: Any) -> None:
    account = make_account("screener", enrolled=False)
    response = client.password_step(account)
    assert response.location.endswith("/login/enrol")
    assert client.get("/account").location.endswith("/login/enrol")
    page = client.get("/login/enrol").get_data(as_text=True)
    assert '<svg viewBox' in page
    assert 'class="qr"' in page
    grouped = " ".join(account.secret[i:i + 4] for i in range(0, len(account.secret), 4))
    assert grouped in page
    wrong = client.post("/login/enrol", {"code": "000000"})
    assert wrong.status_code == 200
    assert stored_user(app, account).totp_confirmed_at is None
    client.clock.advance(seconds=30)
    done = client.post("/login/enrol", {"code": client.code_for(account)})
    assert done.location.endswith("/")
    assert stored_user(app, account).totp_confirmed_at is not None


def test_code_two_steps_ahead_is_refused(client: Client, accounts: dict[str, Account]) -> None:
    client.password_step(accounts["screener"])
    response = client.post("/login/code", {"code": client.code_for(accounts["screener"], 2)})
    assert response.status_code == 200
    assert "Sign-in failed" in response.get_data(as_text=True)


def test_code_one_step_either_side_is_accepted(client: Client, new_client: Any,
                                               accounts: dict[str, Account]) -> None:
    client.password_step(accounts["screener"])
    assert client.post("/login/code", {"code": client.code_for(accounts["screener"], -1)}
                       ).location.endswith("/")
    other = new_client()
    other.password_step(accounts["screener"])
    assert other.post("/login/code", {"code": other.code_for(accounts["screener"], 1)}
                      ).location.endswith("/")


def test_code_cannot_be_used_twice(client: Client, new_client: Any,
                                   accounts: dict[str, Account]) -> None:
    code = client.code_for(accounts["screener"])
    client.password_step(accounts["screener"])
    assert client.post("/login/code", {"code": code}).status_code == 302
    other = new_client()
    other.password_step(accounts["screener"])
    assert other.post("/login/code", {"code": code}).status_code == 200


def test_older_code_refused_after_newer_one(client: Client, new_client: Any,
                                            accounts: dict[str, Account]) -> None:
    newer = client.code_for(accounts["screener"], 1)
    older = client.code_for(accounts["screener"])
    client.password_step(accounts["screener"])
    assert client.post("/login/code", {"code": newer}).status_code == 302
    other = new_client()
    other.password_step(accounts["screener"])
    assert other.post("/login/code", {"code": older}).status_code == 200


def _fail_password(client: Client, email: str, times: int) -> None:
    for _ in range(times):
        response = client.post("/login", {"email": email, "password": "wrong password here"})
        assert response.status_code == 200


def test_sixth_attempt_within_a_minute_is_refused_even_when_right(
        client: Client, accounts: dict[str, Account]) -> None:
    account = accounts["screener"]
    _fail_password(client, account.email, 5)
    assert client.password_step(account).status_code == 200
    client.clock.advance(seconds=61)
    assert client.password_step(account).status_code == 302


def test_unknown_account_names_are_throttled_alike(client: Client) -> None:
    _fail_password(client, "nobody@test.passage.example", 5)
    before = client.post("/login", {"email": "nobody@test.passage.example",
                                    "password": "wrong password here"})
    assert before.status_code == 200


def test_hundred_failures_lock_the_account_until_unlocked(
        client: Client, app: Any, accounts: dict[str, Account]) -> None:
    account = accounts["screener"]
    for _ in range(20):
        _fail_password(client, account.email, 5)
        client.clock.advance(seconds=61)
    assert stored_user(app, account).locked_at is not None
    assert client.password_step(account).status_code == 200
    with app.app_context():
        store = db.session()
        store.execute(sa.update(User).where(User.id == account.id)
                      .values(locked_at=None, failed_logins=0))
        store.commit()
    assert client.password_step(account).status_code == 302


def test_wrong_codes_count_towards_throttling(client: Client,
                                             accounts: dict[str, Account]) -> None:
    account = accounts["screener"]
    client.password_step(account)
    for _ in range(5):
        client.post("/login/code", {"code": "000000"})
    response = client.post("/login/code", {"code": client.code_for(account)})
    assert response.status_code in (200, 302)
    assert client.get("/").status_code == 302


def _normalised(response: Any) -> tuple[int, str, list[tuple[str, str]]]:
    body = re.sub(r'value="[^"]*"', 'value=""', response.get_data(as_text=True))
    # Rate-limit headers (X-RateLimit-*, Retry-After) count requests per address and tick
    # with the clock, and the request id is random: none depends on the account.
    headers = sorted((k, v) for k, v in response.headers.items()
                     if k not in ("Set-Cookie", "Content-Length", "X-Request-Id", "Retry-After")
                     and not k.startswith("X-RateLimit"))
    return response.status_code, body, headers


def test_failures_are_indistinguishable(client: Client, new_client: Any, app: Any,
                                        make_account: Any, clock: Any) -> None:
    wrong_password = make_account("screener", email="wrong.pw@test.passage.example")
    locked = make_account("screener", email="locked.one@test.passage.example")
    disabled = make_account("screener", email="disabled.one@test.passage.example")
    with app.app_context():
        store = db.session()
        store.execute(sa.update(User).where(User.id == locked.id).values(locked_at=clock.now()))
        store.execute(sa.update(User).where(User.id == disabled.id)
                      .values(disabled_at=clock.now()))
        store.commit()
    attempts = [
        ("unknown.one@test.passage.example", "a synthetic passphrase for tests"),
        (wrong_password.email, "not the right passphrase"),
        (locked.email, locked.password),
        (disabled.email, disabled.password),
    ]
    shapes = set()
    for email, password in attempts:
        response = new_client().post("/login", {"email": email,
                                                "password": password})
        status, body, headers = _normalised(response)
        shapes.add((status, body.replace(email, "EMAIL"), tuple(headers)))
    assert len(shapes) == 1


def test_sign_in_rehashes_weak_stored_hash(make_app: Any, clock: Any) -> None:
    from access import services
    from tests.helpers import PASSWORD

    weak = make_app()
    with weak.app_context():
        store = db.session()
        user = services.create_user(store, "rehash.me@test.passage.example", "auditor",
                                    clock.now(), password=PASSWORD)
        user.totp_confirmed_at = clock.now()
        store.commit()
        old_hash, user_id = user.password_hash, user.id
    strong = make_app(ARGON2_TIME_COST=2, ARGON2_MEMORY_COST=1024)
    browser = Client(strong, clock)
    account = Account(user_id, "rehash.me@test.passage.example", "auditor", "")
    assert browser.password_step(account).status_code == 302
    with strong.app_context():
        new_hash = db.session().get(User, user_id).password_hash
    assert new_hash != old_hash
    assert argon2.extract_parameters(new_hash).time_cost == 2


def test_sign_in_renews_the_session_id(client: Client, new_client: Any,
                                       accounts: dict[str, Account]) -> None:
    client.get("/login")
    client.post("/language", {"locale": "fr", "next": "/login"}, form_page="/login")
    before = client.cookie()
    assert before
    client.sign_in(accounts["screener"])
    after = client.cookie()
    assert after
    assert after != before
    replay = new_client()
    replay.raw.set_cookie(client.app.config["SESSION_COOKIE_NAME"], before)
    assert replay.get("/").status_code == 302


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil"])
def test_next_parameter_never_leaves_the_site(client: Client, accounts: dict[str, Account],
                                              target: str) -> None:
    account = accounts["screener"]
    client.post(f"/login?next={target}", {"email": account.email, "password": account.password},
                form_page="/login")
    client.clock.advance(seconds=30)
    response = client.post("/login/code", {"code": client.code_for(account)})
    assert response.location == "/"


def test_next_parameter_returns_to_the_page_asked_for(client: Client,
                                                      accounts: dict[str, Account]) -> None:
    redirect = client.get("/account")
    assert "next=" in redirect.location
    account = accounts["screener"]
    client.post(redirect.location, {"email": account.email, "password": account.password},
                form_page="/login")
    client.clock.advance(seconds=30)
    response = client.post("/login/code", {"code": client.code_for(account)})
    assert response.location == "/account"


@pytest.mark.slow
def test_unknown_account_costs_as_much_as_a_wrong_password(make_app: Any, clock: Any) -> None:
    import statistics
    import time

    from access import services

    app = make_app(ARGON2_MEMORY_COST=32768, ARGON2_TIME_COST=1)
    with app.app_context():
        store = db.session()
        services.create_user(store, "timed.one@test.passage.example", "auditor", clock.now(),
                             password="a synthetic passphrase for tests")
        store.commit()
    client = Client(app, clock)
    token_page = client.get("/login")

    def median_seconds(email: str) -> float:
        samples = []
        for _ in range(25):
            clock.advance(seconds=61)  # stay clear of the per-account throttle
            data = {"csrf_token": re.search(r'name="csrf_token"[^>]*value="([^"]+)"',
                                            token_page.get_data(as_text=True)).group(1),
                    "email": email, "password": "not the right passphrase"}
            started = time.perf_counter()
            client.raw.post("/login", data=data)
            samples.append(time.perf_counter() - started)
        return statistics.median(samples)

    known = median_seconds("timed.one@test.passage.example")
    unknown = median_seconds("nobody.here@test.passage.example")
    # Without the dummy verification the ratio falls below 0.2; the band is wide because the
    # machine is shared and noisy.
    assert 0.4 < unknown / known < 2.5, unknown / known
