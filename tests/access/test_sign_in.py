"""Signing in: two factors (R5), one-time codes of ASCII digits (R6), growing delays per
canonical account and lock-out lifted by a password link (R7), no enumeration (R8),
re-hashing (R4) and a new session id at sign-in (R13)."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit

import argon2
import pytest
import sqlalchemy as sa

from access import passwords, services
from access.models import AuditEvent, SignInThrottle, User
from core import db
from tests.helpers import PASSWORD, Account, Client, error_of


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


def test_password_alone_reaches_no_protected_page(
    client: Client, accounts: dict[str, Account]
) -> None:
    response = client.password_step(accounts["admin"])
    assert response.location.endswith("/login/code")
    for path in ("/", "/account", "/admin/users", "/reauth"):
        assert client.get(path).location.endswith("/login/code")


def test_unenrolled_user_must_enrol_before_anything(
    client: Client, make_account: Any, app: Any
) -> None:
    account = make_account("screener", enrolled=False)
    response = client.password_step(account)
    assert response.location.endswith("/login/enrol")
    assert client.get("/account").location.endswith("/login/enrol")
    page = client.get("/login/enrol").get_data(as_text=True)
    assert "<svg viewBox" in page
    assert 'class="qr"' in page
    grouped = " ".join(account.secret[i : i + 4] for i in range(0, len(account.secret), 4))
    assert grouped in page
    wrong = client.post("/login/enrol", {"code": "000000"})
    assert wrong.status_code == 422
    assert stored_user(app, account).totp_confirmed_at is None
    client.clock.advance(seconds=30)
    done = client.post("/login/enrol", {"code": client.code_for(account)})
    assert done.location.endswith("/")
    assert stored_user(app, account).totp_confirmed_at is not None


def test_code_two_steps_ahead_is_refused(client: Client, accounts: dict[str, Account]) -> None:
    client.password_step(accounts["screener"])
    response = client.post("/login/code", {"code": client.code_for(accounts["screener"], 2)})
    assert response.status_code == 422
    assert "Sign-in failed" in response.get_data(as_text=True)


def test_code_one_step_either_side_is_accepted(
    client: Client, new_client: Any, accounts: dict[str, Account]
) -> None:
    client.password_step(accounts["screener"])
    assert client.post(
        "/login/code", {"code": client.code_for(accounts["screener"], -1)}
    ).location.endswith("/")
    other = new_client()
    other.password_step(accounts["screener"])
    assert other.post(
        "/login/code", {"code": other.code_for(accounts["screener"], 1)}
    ).location.endswith("/")


def test_code_cannot_be_used_twice(
    client: Client, new_client: Any, accounts: dict[str, Account]
) -> None:
    code = client.code_for(accounts["screener"])
    client.password_step(accounts["screener"])
    assert client.post("/login/code", {"code": code}).status_code == 302
    other = new_client()
    other.password_step(accounts["screener"])
    assert other.post("/login/code", {"code": code}).status_code == 422


def test_older_code_refused_after_newer_one(
    client: Client, new_client: Any, accounts: dict[str, Account]
) -> None:
    newer = client.code_for(accounts["screener"], 1)
    older = client.code_for(accounts["screener"])
    client.password_step(accounts["screener"])
    assert client.post("/login/code", {"code": newer}).status_code == 302
    other = new_client()
    other.password_step(accounts["screener"])
    assert other.post("/login/code", {"code": older}).status_code == 422


def _fail_password(client: Client, email: str, times: int) -> None:
    for _ in range(times):
        response = client.post("/login", {"email": email, "password": "wrong password here"})
        assert response.status_code == 422


def test_the_throttle_keeps_no_name_typed(
    app: Any, client: Client, accounts: dict[str, Account]
) -> None:
    _fail_password(client, accounts["screener"].email, 1)
    _fail_password(client, "canary.nobody@test.passage.example", 1)
    with app.app_context():
        rows = db.session().execute(sa.select(SignInThrottle.__table__)).all()
    assert len(rows) == 2
    stored = repr(rows).lower()
    assert "canary" not in stored
    assert "test.passage.example" not in stored


def test_sixth_attempt_within_a_minute_is_refused_even_when_right(
    client: Client, accounts: dict[str, Account]
) -> None:
    account = accounts["screener"]
    _fail_password(client, account.email, 5)
    assert client.password_step(account).status_code == 422
    client.clock.advance(seconds=61)
    assert client.password_step(account).status_code == 302


def _flash(page: str) -> str:
    return page.split('role="alert"', 1)[1].split("</", 1)[0]


def test_unknown_account_names_are_throttled_alike(
    client: Client, new_client: Any, app: Any, accounts: dict[str, Account]
) -> None:
    # Were unknown names not throttled, the delays would tell which names have accounts.
    known = new_client()
    _fail_password(known, accounts["screener"].email, 5)
    _fail_password(client, "nobody@test.passage.example", 5)
    assert [details for _, details in audited(app, "sign_in.delayed")] == [
        {"failures": 5, "seconds": 60},
        {"failures": 5, "seconds": 60},
    ]
    unknown_page = client.post(
        "/login", {"email": "nobody@test.passage.example", "password": "wrong password here"}
    )
    known_page = known.post(
        "/login", {"email": accounts["screener"].email, "password": "wrong password here"}
    )
    assert unknown_page.status_code == known_page.status_code == 422
    assert _flash(unknown_page.get_data(as_text=True)) == _flash(known_page.get_data(as_text=True))
    client.clock.advance(seconds=61)
    _fail_password(client, "nobody@test.passage.example", 1)  # the next delay doubles
    assert audited(app, "sign_in.delayed")[-1][1] == {"failures": 6, "seconds": 120}


def audited(app: Any, action: str) -> list[tuple[str, dict[str, Any]]]:
    """(outcome, details) of every ``action`` event, oldest first."""
    with app.app_context():
        rows = (
            db.session()
            .execute(
                sa.select(AuditEvent.outcome, AuditEvent.details)
                .where(AuditEvent.action == action)
                .order_by(AuditEvent.id)
            )
            .all()
        )
    return [(outcome, json.loads(details)) for outcome, details in rows]


def test_delays_double_after_five_failures_up_to_fifteen_minutes(
    client: Client, app: Any, accounts: dict[str, Account]
) -> None:
    account = accounts["screener"]
    _fail_password(client, account.email, 5)
    for delay in (60, 120, 240, 480, 900, 900):
        client.clock.advance(seconds=delay - 1)
        assert client.password_step(account).status_code == 422  # still refused
        client.clock.advance(seconds=2)
        _fail_password(client, account.email, 1)  # counted: the delay has passed
    client.clock.advance(seconds=899)
    assert client.password_step(account).status_code == 422
    client.clock.advance(seconds=2)
    assert client.password_step(account).status_code == 302
    delays = [details["seconds"] for _, details in audited(app, "sign_in.delayed")]
    assert delays == [60, 120, 240, 480, 900, 900, 900]


def test_attempts_refused_during_a_delay_do_not_lengthen_it(
    client: Client, accounts: dict[str, Account]
) -> None:
    account = accounts["screener"]
    _fail_password(client, account.email, 5)
    client.clock.advance(seconds=30)
    _fail_password(client, account.email, 3)
    client.clock.advance(seconds=31)
    assert client.password_step(account).status_code == 302


def test_failures_are_forgotten_a_day_after_the_last_one(
    client: Client, app: Any, accounts: dict[str, Account]
) -> None:
    account = accounts["screener"]
    _fail_password(client, account.email, 5)
    client.clock.advance(hours=24, seconds=1)
    _fail_password(client, account.email, 4)
    assert client.password_step(account).status_code == 302
    assert [d["seconds"] for _, d in audited(app, "sign_in.delayed")] == [60]


def test_a_successful_sign_in_forgets_earlier_failures(
    client: Client, new_client: Any, app: Any, accounts: dict[str, Account]
) -> None:
    account = accounts["screener"]
    _fail_password(client, account.email, 4)
    client.sign_in(account)
    other = new_client()
    _fail_password(other, account.email, 4)
    assert other.password_step(account).status_code == 302
    assert audited(app, "sign_in.delayed") == []


def test_variants_of_an_address_share_one_count(client: Client, make_account: Any) -> None:
    account = make_account("screener", email="variant.person@test.passage.example")
    for typed in (
        "Variant.Person@TEST.passage.example",
        "  variant.person@test.passage.example  ",
        "variant.person@test\u3002passage\u3002example",
        "variant.person@\uff54\uff45\uff53\uff54.passage.example",
        "VARIANT.PERSON@test.passage.example",
    ):
        _fail_password(client, typed, 1)
    assert client.password_step(account).status_code == 422
    client.clock.advance(seconds=61)
    assert client.password_step(account).status_code == 302


@pytest.mark.parametrize(
    "variants",
    [
        (
            "nobody.here@test.passage.example",
            "NOBODY.HERE@test.passage.example",
            "nobody.here@test\u3002passage\u3002example",
            " Nobody.Here@test.passage.example",
        ),
        ("not an address", "NOT AN ADDRESS", "notanaddress", "\uff4e\uff4f\uff54 an address"),
    ],
)
def test_variants_of_unknown_names_share_one_count(
    app: Any, client: Client, variants: tuple[str, ...]
) -> None:
    for typed in (*variants, variants[0]):
        _fail_password(client, typed, 1)
    _fail_password(client, variants[1], 1)
    assert [(o, d["reason"]) for o, d in audited(app, "sign_in.password")][-1] == (
        "denied",
        "throttled",
    )
    assert [d["seconds"] for _, d in audited(app, "sign_in.delayed")] == [60]


def _fail_slowly(client: Client, email: str, times: int) -> None:
    # Past the longest delay each time, so every failure is counted.
    for _ in range(times):
        _fail_password(client, email, 1)
        client.clock.advance(seconds=901)


def _password_link(app: Any, account: Account, clock: Any) -> str:
    with app.app_context():
        store = db.session()
        user = services.get_user(store, account.id)
        token = passwords.issue_password_link(store, user, clock.now(), 24)
        store.commit()
    return f"/password/{token}"


def test_hundred_consecutive_failures_lock_until_a_password_link_unlocks(
    client: Client, new_client: Any, app: Any, clock: Any, accounts: dict[str, Account]
) -> None:
    account = accounts["screener"]
    _fail_slowly(client, account.email, 99)
    assert stored_user(app, account).locked_at is None
    _fail_slowly(client, account.email, 1)
    assert stored_user(app, account).locked_at is not None
    assert client.password_step(account).status_code == 422
    assert audited(app, "account.locked") == [("denied", {})]
    link = _password_link(app, account, clock)
    person = new_client()
    new_password = "another synthetic passphrase"
    assert (
        person.post(
            link,
            {"password": new_password, "confirm": new_password, "code": person.code_for(account)},
        ).status_code
        == 302
    )
    user = stored_user(app, account)
    assert (user.locked_at, user.failed_logins) == (None, 0)
    assert audited(app, "user.unlocked") == [("allowed", {"via": "link"})]
    person.clock.advance(seconds=30)
    person.sign_in(Account(account.id, account.email, "screener", account.secret, new_password))


def test_a_wrong_code_on_a_password_link_neither_unlocks_nor_spends_it(
    client: Client, new_client: Any, app: Any, clock: Any, accounts: dict[str, Account]
) -> None:
    account = accounts["screener"]
    _fail_slowly(client, account.email, 100)
    link = _password_link(app, account, clock)
    person = new_client()
    new_password = "another synthetic passphrase"
    assert (
        person.post(
            link, {"password": new_password, "confirm": new_password, "code": "000000"}
        ).status_code
        == 422
    )
    assert stored_user(app, account).locked_at is not None
    assert stored_user(app, account).failed_logins == 101
    assert person.get(link).status_code == 200


def test_wrong_codes_on_a_password_link_count_and_are_audited(
    client: Client, new_client: Any, app: Any, clock: Any, accounts: dict[str, Account]
) -> None:
    account = accounts["screener"]
    link = _password_link(app, account, clock)
    person = new_client()
    new_password = "another synthetic passphrase"
    for _ in range(5):
        assert (
            person.post(
                link, {"password": new_password, "confirm": new_password, "code": "000000"}
            ).status_code
            == 422
        )
    assert [(o, d["reason"]) for o, d in audited(app, "password_link.code")] == [
        ("failed", "wrong_code")
    ] * 5
    assert [d["seconds"] for _, d in audited(app, "sign_in.delayed")] == [60]
    assert stored_user(app, account).failed_logins == 5
    # The delay holds at sign-in, and on the link itself even with the right code.
    assert client.password_step(account).status_code == 422
    right = person.post(
        link, {"password": new_password, "confirm": new_password, "code": person.code_for(account)}
    )
    assert right.status_code == 422
    assert audited(app, "password_link.code")[-1] == ("denied", {"reason": "throttled"})
    person.clock.advance(seconds=61)
    assert (
        person.post(
            link,
            {"password": new_password, "confirm": new_password, "code": person.code_for(account)},
        ).status_code
        == 302
    )


def test_sign_in_failures_delay_the_password_link_code(
    client: Client, new_client: Any, app: Any, clock: Any, accounts: dict[str, Account]
) -> None:
    account = accounts["screener"]
    _fail_password(client, account.email, 5)
    link = _password_link(app, account, clock)
    person = new_client()
    new_password = "another synthetic passphrase"
    assert (
        person.post(
            link,
            {"password": new_password, "confirm": new_password, "code": person.code_for(account)},
        ).status_code
        == 422
    )
    assert audited(app, "password_link.code") == [("denied", {"reason": "throttled"})]


NON_ASCII_CODES = [
    "\u0661\u0662\u0663\u0664\u0665\u0666",
    "\uff11\uff12\uff13\uff14\uff15\uff16",
    "\u0967\u0968\u0969\u096a\u096b\u096c",
]


@pytest.mark.parametrize("code", NON_ASCII_CODES)
@pytest.mark.parametrize("step", ["code", "enrol"])
def test_non_ascii_digits_are_a_counted_wrong_code_at_sign_in(
    client: Client, app: Any, make_account: Any, step: str, code: str
) -> None:
    account = make_account("screener", enrolled=step == "code")
    client.password_step(account)
    response = client.post(f"/login/{step}", {"code": code})
    assert response.status_code == 422
    assert "Sign-in failed" in response.get_data(as_text=True)
    assert audited(app, "sign_in.code") == [("failed", {"reason": "wrong_code"})]
    assert stored_user(app, account).failed_logins == 1


def test_wrong_passwords_at_reauth_are_counted_and_delayed(
    client: Client, app: Any, accounts: dict[str, Account]
) -> None:
    account = accounts["screener"]
    client.sign_in(account)
    for _ in range(5):
        wrong = client.post("/reauth", {"password": "not the right passphrase", "code": "000000"})
        assert wrong.status_code == 422
    assert client.reauth(account).status_code == 422  # delayed, right as it is
    assert audited(app, "sign_in.delayed") == [("denied", {"failures": 5, "seconds": 60})]


@pytest.mark.parametrize("code", NON_ASCII_CODES)
def test_non_ascii_digits_are_a_counted_wrong_code_at_reauth(
    client: Client, app: Any, accounts: dict[str, Account], code: str
) -> None:
    account = accounts["screener"]
    client.sign_in(account)
    response = client.post("/reauth", {"password": account.password, "code": code})
    assert response.status_code == 422
    assert audited(app, "sign_in.code") == [("failed", {"reason": "wrong_code"})]
    assert stored_user(app, account).failed_logins == 1


@pytest.mark.parametrize("code", NON_ASCII_CODES)
def test_non_ascii_digits_are_a_counted_wrong_code_on_a_password_link(
    client: Client, app: Any, clock: Any, accounts: dict[str, Account], code: str
) -> None:
    account = accounts["screener"]
    link = _password_link(app, account, clock)
    new_password = "another synthetic passphrase"
    response = client.post(link, {"password": new_password, "confirm": new_password, "code": code})
    assert response.status_code == 422
    assert audited(app, "password_link.code") == [("failed", {"reason": "wrong_code"})]
    assert stored_user(app, account).failed_logins == 1


def test_the_right_code_in_non_ascii_digits_is_refused(
    client: Client, app: Any, accounts: dict[str, Account]
) -> None:
    account = accounts["screener"]
    client.password_step(account)
    right = client.code_for(account)
    fullwidth = "".join(chr(0xFF10 + int(ch)) for ch in right)
    assert client.post("/login/code", {"code": fullwidth}).status_code == 422
    assert client.get("/").status_code == 302


def test_wrong_codes_count_towards_throttling(client: Client, accounts: dict[str, Account]) -> None:
    account = accounts["screener"]
    client.password_step(account)
    for _ in range(5):
        client.post("/login/code", {"code": "000000"})
    response = client.post("/login/code", {"code": client.code_for(account)})
    assert response.status_code in (422, 302)
    assert client.get("/").status_code == 302


def _normalised(response: Any) -> tuple[int, str, list[tuple[str, str]]]:
    body = re.sub(r'value="[^"]*"', 'value=""', response.get_data(as_text=True))
    # Rate-limit headers (X-RateLimit-*, Retry-After) count requests per address and tick
    # with the clock, and the request id is random: none depends on the account.
    headers = sorted(
        (k, v)
        for k, v in response.headers.items()
        if k not in ("Set-Cookie", "Content-Length", "X-Request-Id", "Retry-After")
        and not k.startswith("X-RateLimit")
    )
    return response.status_code, body, headers


def test_failures_are_indistinguishable(
    client: Client, new_client: Any, app: Any, make_account: Any, clock: Any
) -> None:
    wrong_password = make_account("screener", email="wrong.pw@test.passage.example")
    locked = make_account("screener", email="locked.one@test.passage.example")
    disabled = make_account("screener", email="disabled.one@test.passage.example")
    with app.app_context():
        store = db.session()
        store.execute(sa.update(User).where(User.id == locked.id).values(locked_at=clock.now()))
        store.execute(sa.update(User).where(User.id == disabled.id).values(disabled_at=clock.now()))
        store.commit()
    attempts = [
        ("unknown.one@test.passage.example", "a synthetic passphrase for tests"),
        (wrong_password.email, "not the right passphrase"),
        (locked.email, locked.password),
        (disabled.email, disabled.password),
    ]
    shapes = set()
    for email, password in attempts:
        response = new_client().post("/login", {"email": email, "password": password})
        status, body, headers = _normalised(response)
        shapes.add((status, body.replace(email, "EMAIL"), tuple(headers)))
    assert len(shapes) == 1


def test_sign_in_rehashes_weak_stored_hash(make_app: Any, clock: Any) -> None:
    from access import services
    from tests.helpers import PASSWORD

    weak = make_app()
    with weak.app_context():
        store = db.session()
        user = services.create_user(
            store, "rehash.me@test.passage.example", "auditor", clock.now(), password=PASSWORD
        )
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


def test_sign_in_renews_the_session_id(
    client: Client, new_client: Any, accounts: dict[str, Account]
) -> None:
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


def test_every_step_of_signing_in_and_stepping_up_renews_the_session_id(
    client: Client, new_client: Any, accounts: dict[str, Account]
) -> None:
    account = accounts["admin"]
    client.get("/login")
    client.post("/language", {"locale": "fr", "next": "/login"}, form_page="/login")
    anonymous = client.cookie()
    client.password_step(account)
    pending = client.cookie()
    client.clock.advance(seconds=30)
    client.post("/login/code", {"code": client.code_for(account)})
    signed_in = client.cookie()
    client.reauth(account)
    stepped_up = client.cookie()
    assert len({anonymous, pending, signed_in, stepped_up}) == 4
    for old in (pending, signed_in):
        replay = new_client()
        replay.raw.set_cookie(client.app.config["SESSION_COOKIE_NAME"], old or "")
        assert urlsplit(replay.get("/account").location).path == "/login"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil"])
def test_next_parameter_never_leaves_the_site(
    client: Client, accounts: dict[str, Account], target: str
) -> None:
    account = accounts["screener"]
    client.post(
        f"/login?next={target}",
        {"email": account.email, "password": account.password},
        form_page="/login",
    )
    client.clock.advance(seconds=30)
    response = client.post("/login/code", {"code": client.code_for(account)})
    assert response.location == "/"


def test_next_parameter_returns_to_the_page_asked_for(
    client: Client, accounts: dict[str, Account]
) -> None:
    redirect = client.get("/account")
    assert "next=" in redirect.location
    account = accounts["screener"]
    client.post(
        redirect.location,
        {"email": account.email, "password": account.password},
        form_page="/login",
    )
    client.clock.advance(seconds=30)
    response = client.post("/login/code", {"code": client.code_for(account)})
    assert response.location == "/account"


@pytest.mark.slow
def test_unknown_account_costs_as_much_as_a_wrong_password(make_app: Any, clock: Any) -> None:
    import statistics
    import time

    from access import services

    # No attempt is ever delayed: a delayed attempt spends the dummy verification whether
    # the account exists or not, and would hide an unknown account that costs nothing.
    app = make_app(ARGON2_MEMORY_COST=32768, ARGON2_TIME_COST=1, LOGIN_FAILURE_LIMIT=1000)
    with app.app_context():
        store = db.session()
        services.create_user(
            store,
            "timed.one@test.passage.example",
            "auditor",
            clock.now(),
            password="a synthetic passphrase for tests",
        )
        store.commit()
    client = Client(app, clock)
    token_page = client.get("/login")

    def median_seconds(email: str) -> float:
        samples = []
        for _ in range(25):
            clock.advance(seconds=61)  # stay clear of the per-address limit
            data = {
                "csrf_token": re.search(
                    r'name="csrf_token"[^>]*value="([^"]+)"', token_page.get_data(as_text=True)
                ).group(1),
                "email": email,
                "password": "not the right passphrase",
            }
            started = time.perf_counter()
            client.raw.post("/login", data=data)
            samples.append(time.perf_counter() - started)
        return statistics.median(samples)

    known = median_seconds("timed.one@test.passage.example")
    unknown = median_seconds("nobody.here@test.passage.example")
    # Without the dummy verification the ratio falls to about 0.25; the band is wide because the
    # machine is shared and noisy.
    assert 0.4 < unknown / known < 2.5, unknown / known


def _change_password(client: Client, current: str, code: str) -> Any:
    new_password = "another synthetic passphrase"
    return client.post(
        "/account/password",
        {"current": current, "password": new_password, "confirm": new_password, "code": code},
    )


def test_changing_the_password_counts_wrong_passwords_and_codes(
    client: Client, app: Any, accounts: dict[str, Account]
) -> None:
    account = accounts["screener"]
    client.sign_in(account)
    for _ in range(3):
        assert _change_password(client, "not my password at all", "000000").status_code == 422
    for _ in range(2):
        assert _change_password(client, account.password, "000000").status_code == 422
    assert [(o, d.get("reason")) for o, d in audited(app, "sign_in.password")] == [
        ("allowed", None),
        ("failed", "wrong_password"),
        ("failed", "wrong_password"),
        ("failed", "wrong_password"),
        ("allowed", None),
        ("allowed", None),
    ]
    assert [(o, d.get("reason")) for o, d in audited(app, "sign_in.code")] == [
        ("failed", "wrong_code")
    ] * 2
    assert [d["seconds"] for _, d in audited(app, "sign_in.delayed")] == [60]
    client.clock.advance(seconds=30)
    delayed = _change_password(client, account.password, client.code_for(account))
    assert delayed.status_code == 422
    client.clock.advance(seconds=31)
    assert _change_password(client, account.password, client.code_for(account)).status_code == 302


@pytest.mark.parametrize("code", NON_ASCII_CODES)
def test_non_ascii_digits_are_a_counted_wrong_code_when_changing_the_password(
    client: Client, app: Any, accounts: dict[str, Account], code: str
) -> None:
    account = accounts["screener"]
    client.sign_in(account)
    assert _change_password(client, account.password, code).status_code == 422
    assert audited(app, "sign_in.code") == [("failed", {"reason": "wrong_code"})]
    assert stored_user(app, account).failed_logins == 1


def _throttles(app: Any) -> int:
    with app.app_context():
        return db.session().scalar(sa.select(sa.func.count()).select_from(SignInThrottle)) or 0


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"email": "", "password": PASSWORD}, "email"),
        ({"email": "{screener}", "password": ""}, "password"),
        ({"email": "a" * 255, "password": PASSWORD}, "email"),
    ],
)
def test_a_sign_in_form_with_a_field_missing_is_sent_back_with_400_and_counts_nothing(
    client: Client, app: Any, accounts: dict[str, Account], data: dict[str, str], field: str
) -> None:
    """The form's own checks refuse it before any password is tried: 400, the problem next to
    its field, and no failure counted, audited or delayed."""
    sent = {k: v.format(screener=accounts["screener"].email) for k, v in data.items()}
    response = client.post("/login", sent)
    assert response.status_code == 400
    assert error_of(response.get_data(as_text=True), field)
    assert "Sign-in failed" not in response.get_data(as_text=True)
    assert _throttles(app) == 0
    assert audited(app, "sign_in.password") == []
    assert stored_user(app, accounts["screener"]).failed_logins == 0


def test_wrong_credentials_answer_422_with_one_message_and_are_counted(
    client: Client, app: Any, accounts: dict[str, Account]
) -> None:
    """A well-formed sign-in the credentials refuse: 422 and the one message, tied to no field
    (naming one would say which factor failed); the failure is counted all the same."""
    account = accounts["screener"]
    response = client.password_step(account, "not the right passphrase")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Sign-in failed" in _flash(page)
    assert (error_of(page, "email"), error_of(page, "password")) == ("", "")
    assert stored_user(app, account).failed_logins == 1


@pytest.mark.parametrize("step", ["code", "enrol"])
def test_a_code_step_without_a_code_is_sent_back_with_400_and_counts_nothing(
    client: Client, app: Any, make_account: Any, step: str
) -> None:
    account = make_account("screener", enrolled=step == "code")
    client.password_step(account)
    response = client.post(f"/login/{step}", {"code": ""})
    assert response.status_code == 400
    assert error_of(response.get_data(as_text=True), "code") == "This field is required."
    assert audited(app, "sign_in.code") == []
    assert stored_user(app, account).failed_logins == 0


def test_reauth_without_a_code_is_sent_back_with_400_and_counts_nothing(
    client: Client, app: Any, accounts: dict[str, Account]
) -> None:
    account = accounts["screener"]
    client.sign_in(account)
    response = client.post("/reauth", {"password": account.password, "code": ""})
    assert response.status_code == 400
    assert error_of(response.get_data(as_text=True), "code") == "This field is required."
    assert audited(app, "sign_in.code") == []
    assert stored_user(app, account).failed_logins == 0


def test_an_unknown_language_on_the_account_page_is_sent_back_with_400(
    client: Client, app: Any, accounts: dict[str, Account]
) -> None:
    account = accounts["screener"]
    client.sign_in(account)
    response = client.post("/account", {"locale": "xx"})
    assert response.status_code == 400
    assert error_of(response.get_data(as_text=True), "locale") == "Not a valid choice."
    assert stored_user(app, account).locale in (None, "en")


@pytest.mark.parametrize(
    ("data", "status", "field", "message"),
    [
        ({"confirm": "something else entirely"}, 400, "confirm", "The passwords differ."),
        ({"password": "short", "confirm": "short"}, 422, "password", "Use at least 12 characters."),
        (
            {"current": "not my password at all"},
            422,
            "current",
            "The current password or the code is wrong.",
        ),
        # One message whichever credential failed, on the current password's field.
        ({"code": "000000"}, 422, "current", "The current password or the code is wrong."),
    ],
)
def test_a_refused_password_change_is_sent_back_with_its_error_and_changes_nothing(
    client: Client,
    app: Any,
    accounts: dict[str, Account],
    data: dict[str, str],
    status: int,
    field: str,
    message: str,
) -> None:
    """400 for the form's own checks, 422 for the password rules or wrong credentials; the
    password stays as it was."""
    account = accounts["screener"]
    client.sign_in(account)
    before = stored_user(app, account).password_hash
    client.clock.advance(seconds=30)
    new_password = "another synthetic passphrase"
    sent = {
        "current": account.password,
        "password": new_password,
        "confirm": new_password,
        "code": client.code_for(account),
        **data,
    }
    response = client.post("/account/password", sent)
    assert response.status_code == status
    assert error_of(response.get_data(as_text=True), field) == message
    assert stored_user(app, account).password_hash == before


@pytest.mark.parametrize(
    ("data", "status", "field", "message"),
    [
        ({"confirm": "something else entirely"}, 400, "confirm", "The passwords differ."),
        ({"password": "short", "confirm": "short"}, 422, "password", "Use at least 12 characters."),
        ({"code": "000000"}, 422, "code", "The code is wrong or has already been used."),
    ],
)
def test_a_refused_password_link_is_sent_back_with_its_error_and_is_not_spent(
    client: Client,
    app: Any,
    clock: Any,
    accounts: dict[str, Account],
    data: dict[str, str],
    status: int,
    field: str,
    message: str,
) -> None:
    account = accounts["screener"]
    link = _password_link(app, account, clock)
    before = stored_user(app, account).password_hash
    new_password = "another synthetic passphrase"
    sent = {
        "password": new_password,
        "confirm": new_password,
        "code": client.code_for(account),
        **data,
    }
    response = client.post(link, sent)
    assert response.status_code == status
    assert error_of(response.get_data(as_text=True), field) == message
    assert stored_user(app, account).password_hash == before
    assert client.get(link).status_code == 200  # still usable
