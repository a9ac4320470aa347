"""The notice outbox (``referral.outbox``, ``notices send``): a notice and its e-mail commit or
roll back together and no request talks to the relay; failures are tried again after doubling
delays and end dead after MAIL_MAX_ATTEMPTS, or at once when refused for good; a send that was
cut off, or whose sender died, is unknown and never sent again by itself; administrators alone
see those and send them again or dismiss them (audited); nothing about the person reaches the
outbox or the logs. The real relay's side is in ``test_outbox_smtp.py``."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import Result
from flask import Flask

from access import services
from access.models import AuditEvent, User
from core import db, mail, settings
from core.clock import FrozenClock
from referral import notices, outbox
from referral.models import Notice, OutboxMessage
from tests.conftest import ROLES
from tests.helpers import Account, Client, replace_settings

CANARIES = ("Canaryapi", "Testperson", "canary-api-contact", "Canaryregionapi")
RELAY = "relay.test.passage.example"


class ScriptedRelay:
    """Stands in for ``mail.deliver``: answers each message with the next scripted outcome
    (then ``default``) and keeps what it was given."""

    def __init__(self) -> None:
        self.script: list[mail.Outcome] = []
        self.default = mail.Outcome.SENT
        self.offered: list[mail.Message] = []

    def __call__(self, _config: Any, message: mail.Message) -> mail.Delivery:
        self.offered.append(message)
        outcome = self.script.pop(0) if self.script else self.default
        reason = None if outcome is mail.Outcome.SENT else f"scripted {outcome.value}"
        return mail.Delivery(outcome, reason)


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    """The app with a mail relay configured, so notices get e-mails."""
    return make_app(MAIL_SERVER=RELAY)


@pytest.fixture
def relay(monkeypatch: pytest.MonkeyPatch) -> ScriptedRelay:
    """The relay every send goes to in these tests."""
    scripted = ScriptedRelay()
    monkeypatch.setattr(mail, "deliver", scripted)
    return scripted


def send(app: Flask, *args: str) -> Result:
    """Run ``flask notices send`` once."""
    return app.test_cli_runner().invoke(args=["notices", "send", *args])


def rows(app: Flask) -> list[OutboxMessage]:
    with app.app_context():
        return list(
            db.session().scalars(
                sa.select(OutboxMessage).order_by(OutboxMessage.created_at, OutboxMessage.id)
            )
        )


def only_row(app: Flask) -> OutboxMessage:
    [row] = rows(app)
    return row


def test_a_referral_writes_its_e_mail_to_the_outbox_and_the_request_sends_nothing(
    app: Flask, referral: Callable[..., str], relay: ScriptedRelay, accounts: dict[str, Account]
) -> None:
    referral_id = referral()
    assert relay.offered == []
    row = only_row(app)
    assert (row.state, row.recipient, row.kind, row.attempts) == (
        "pending",
        accounts["partner"].email,
        "referral.received",
        0,
    )
    assert row.link == f"http://127.0.0.1:5000/referrals/{referral_id}"
    with app.app_context():
        notice = db.session().get(Notice, row.notice_id)
        assert (notice.user_id, str(notice.referral_id)) == (row.user_id, referral_id)
    assert send(app).output == "1 sent, 0 retry, 0 dead, 0 unknown\n"
    [message] = relay.offered
    # What the e-mail says is what it said before the outbox: that something waits, a link.
    assert (message.to, message.subject) == (
        accounts["partner"].email,
        "Passage: something is waiting for you",
    )
    assert message.body == (
        "Something new is waiting for you in Passage.\n"
        f"Sign in to see it: http://127.0.0.1:5000/referrals/{referral_id}\n"
    )
    assert message.message_id == f"<{row.id}@127.0.0.1>"
    assert only_row(app).state == "sent"
    assert send(app).output == "0 sent, 0 retry, 0 dead, 0 unknown\n"
    assert len(relay.offered) == 1


def test_a_notice_and_its_e_mail_are_kept_or_dropped_together(
    app: Flask,
    queue_notices: Callable[..., None],
    notice_referral: str,
    accounts: dict[str, Account],
    clock: FrozenClock,
    relay: ScriptedRelay,
) -> None:
    def counts() -> tuple[int, int]:
        with app.app_context():
            store = db.session()
            return (
                store.scalar(sa.select(sa.func.count()).select_from(Notice)) or 0,
                store.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) or 0,
            )

    before = counts()
    with app.app_context():
        store = db.session()
        user = services.get_user(store, accounts["partner"].id)
        notices.notify(
            store, [user], "referral.accepted", clock.now(), referral_id=uuid.UUID(notice_referral)
        )
        store.flush()
        assert len(store.scalars(sa.select(OutboxMessage)).all()) == before[1] + 1
        store.rollback()
    assert counts() == before
    queue_notices(2)
    assert counts() == (before[0] + 2, before[1] + 2)


def test_without_a_mail_server_notices_stay_in_the_app_and_send_says_so(
    app: Flask, queue_notices: Callable[..., None], relay: ScriptedRelay
) -> None:
    replace_settings(app, mail_server="")
    queue_notices()
    assert rows(app) == []
    result = send(app)
    assert result.exit_code == 1
    assert "MAIL_SERVER is not set" in result.output


@pytest.mark.parametrize(
    ("attempts", "seconds"),
    [(0, 60), (1, 60), (2, 120), (3, 240), (6, 1920), (7, 3600), (8, 3600), (60, 3600)],
)
def test_backoff_doubles_from_the_first_delay_up_to_the_cap(attempts: int, seconds: int) -> None:
    assert outbox.backoff(attempts, 60, 3600) == timedelta(seconds=seconds)


def test_failures_are_tried_again_after_doubling_delays_then_are_dead(
    app: Flask, queue_notices: Callable[..., None], relay: ScriptedRelay, clock: FrozenClock
) -> None:
    replace_settings(app, mail_max_attempts=6, mail_retry_delay=60, mail_retry_delay_max=400)
    relay.default = mail.Outcome.RETRY
    queue_notices()
    for attempt, delay in enumerate([60, 120, 240, 400, 400], start=1):
        assert send(app).output == "0 sent, 1 retry, 0 dead, 0 unknown\n"
        row = only_row(app)
        assert (row.state, row.attempts, row.last_error) == ("pending", attempt, "scripted retry")
        assert row.next_attempt_at == clock.now() + timedelta(seconds=delay)
        clock.advance(seconds=delay - 1)
        assert send(app).output == "0 sent, 0 retry, 0 dead, 0 unknown\n"  # not yet due
        assert len(relay.offered) == attempt
        clock.advance(seconds=1)
    assert send(app).output == "0 sent, 0 retry, 1 dead, 0 unknown\n"
    assert (only_row(app).state, only_row(app).attempts) == ("dead", 6)
    clock.advance(days=30)
    send(app)
    assert len(relay.offered) == 6  # a dead letter waits for an administrator


def test_an_e_mail_that_fails_then_goes_through_is_sent_once(
    app: Flask, queue_notices: Callable[..., None], relay: ScriptedRelay, clock: FrozenClock
) -> None:
    relay.script = [mail.Outcome.RETRY]
    queue_notices()
    send(app)
    clock.advance(seconds=60)
    assert send(app).output == "1 sent, 0 retry, 0 dead, 0 unknown\n"
    row = only_row(app)
    assert (row.state, row.attempts, row.sent_at, row.last_error) == ("sent", 2, clock.now(), None)
    clock.advance(days=1)
    send(app)
    assert len(relay.offered) == 2


def test_a_refusal_for_good_is_dead_at_once(
    app: Flask, queue_notices: Callable[..., None], relay: ScriptedRelay
) -> None:
    relay.default = mail.Outcome.REFUSED
    queue_notices()
    assert send(app).output == "0 sent, 0 retry, 1 dead, 0 unknown\n"
    assert (only_row(app).state, only_row(app).attempts) == ("dead", 1)


def test_a_send_cut_off_is_unknown_and_never_sent_again_by_itself(
    app: Flask, queue_notices: Callable[..., None], relay: ScriptedRelay, clock: FrozenClock
) -> None:
    relay.script = [mail.Outcome.UNKNOWN]
    queue_notices()
    assert send(app).output == "0 sent, 0 retry, 0 dead, 1 unknown\n"
    clock.advance(days=30)
    send(app)
    assert len(relay.offered) == 1
    assert only_row(app).state == "unknown"


def test_a_sender_that_dies_mid_send_leaves_an_unknown_row_and_no_second_copy(
    app: Flask, queue_notices: Callable[..., None], relay: ScriptedRelay, clock: FrozenClock
) -> None:
    queue_notices()
    with app.app_context():
        # A sender claims the row and dies before it can say how the send ended.
        claim = outbox.claim_next(db.session(), clock.now(), clock.now())
    assert claim is not None
    assert send(app).output == "0 sent, 0 retry, 0 dead, 0 unknown\n"  # held by its claim
    assert only_row(app).state == "sending"
    clock.advance(minutes=5)
    send(app)
    row = only_row(app)
    assert (row.state, row.last_error) == ("unknown", "lease expired")
    clock.advance(days=1)
    send(app)
    assert relay.offered == []
    with app.app_context():
        # Had it only been slow, what it learnt still counts: better than the assumption.
        assert (
            outbox.record(
                db.session(), claim, mail.Delivery(mail.Outcome.SENT), clock.now(), settings.of(app)
            )
            == "sent"
        )


def test_an_unreachable_relay_ends_the_run_and_the_rest_wait(
    app: Flask, queue_notices: Callable[..., None], relay: ScriptedRelay
) -> None:
    relay.default = mail.Outcome.UNREACHABLE
    queue_notices(3)
    result = send(app)
    assert result.exit_code == 1
    assert "0 sent, 1 retry, 0 dead, 0 unknown" in result.output
    assert "could not be reached" in result.output
    assert len(relay.offered) == 1
    assert sorted(row.attempts for row in rows(app)) == [0, 0, 1]


def test_a_claim_recorded_after_an_administrator_acted_changes_nothing(
    app: Flask, queue_notices: Callable[..., None], relay: ScriptedRelay, clock: FrozenClock
) -> None:
    queue_notices()
    with app.app_context():
        store = db.session()
        claim = outbox.claim_next(store, clock.now(), clock.now())
        clock.advance(minutes=6)
        outbox.expire_claims(store, clock.now())
        outbox.retry(store, claim.id, clock.now())  # type: ignore[union-attr]
        store.commit()
        assert (
            outbox.record(
                store,
                claim,
                mail.Delivery(mail.Outcome.SENT),
                clock.now(),
                settings.of(app),
            )
            is None
        )
    assert (only_row(app).state, only_row(app).attempts) == ("pending", 0)


# Administrators' page -------------------------------------------------------------------


@pytest.fixture
def waiting(app: Flask, queue_notices: Callable[..., None], relay: ScriptedRelay) -> list[Any]:
    """One dead and one unknown e-mail (in that order) for the partner account."""
    relay.script = [mail.Outcome.REFUSED, mail.Outcome.UNKNOWN]
    queue_notices(2)
    send(app)
    return [row.id for row in sorted(rows(app), key=lambda r: r.state)]


@pytest.fixture
def admin(signed_in: Callable[[str], Client], accounts: dict[str, Account]) -> Client:
    client = signed_in("admin")
    client.reauth(accounts["admin"])
    return client


PAGE = "/admin/e-mail/"


def test_administrators_see_dead_and_unknown_e_mails_but_not_the_person(
    app: Flask, waiting: list[Any], admin: Client, accounts: dict[str, Account]
) -> None:
    page = admin.get(PAGE).get_data(as_text=True)
    # Each state's label heads its column of the table of counts, labels its count there (for
    # phones), and is once more on its row.
    assert page.count("Not delivered") == 3
    assert page.count("May not have arrived") == 3
    assert page.count("/retry") == 2
    assert page.count(accounts["partner"].email) == 2
    assert page.count("A new referral is waiting for your answer.") == 2
    assert page.count("/referrals/") == 2
    for canary in CANARIES:
        assert canary not in page


def test_an_administrator_sends_a_dead_e_mail_again_to_the_present_address(
    app: Flask,
    waiting: list[Any],
    admin: Client,
    relay: ScriptedRelay,
    accounts: dict[str, Account],
) -> None:
    dead = waiting[0]
    with app.app_context():
        store = db.session()
        store.execute(
            sa.update(User)
            .where(User.id == accounts["partner"].id)
            .values(email="moved@test.passage.example")
        )
        store.commit()
    response = admin.post(f"{PAGE}{dead}/retry", form_page=PAGE)
    assert response.status_code == 302
    with app.app_context():
        store = db.session()
        row = store.get(OutboxMessage, dead)
        assert (row.state, row.attempts, row.recipient) == (
            "pending",
            0,
            "moved@test.passage.example",
        )
        event = store.scalar(sa.select(AuditEvent).where(AuditEvent.action == "outbox.retried"))
        assert event.object_id == str(dead)
        assert event.actor_id == str(accounts["admin"].id)
    assert send(app).output == "1 sent, 0 retry, 0 dead, 0 unknown\n"
    assert relay.offered[-1].to == "moved@test.passage.example"


def test_an_administrator_dismisses_an_unknown_e_mail_and_it_is_never_sent(
    app: Flask, waiting: list[Any], admin: Client, relay: ScriptedRelay
) -> None:
    unknown = waiting[1]
    assert admin.post(f"{PAGE}{unknown}/dismiss", form_page=PAGE).status_code == 302
    with app.app_context():
        store = db.session()
        assert store.get(OutboxMessage, unknown).state == "dismissed"
        assert store.scalar(
            sa.select(AuditEvent.object_id).where(AuditEvent.action == "outbox.dismissed")
        ) == str(unknown)
    offered = len(relay.offered)
    send(app)
    assert len(relay.offered) == offered
    assert "No e-mail needs you." not in admin.get(PAGE).get_data(as_text=True)  # dead left


def test_the_e_mails_waiting_come_fifty_a_page_and_share_one_form(
    app: Flask,
    queue_notices: Callable[..., None],
    admin: Client,
    relay: ScriptedRelay,
) -> None:
    relay.default = mail.Outcome.REFUSED
    queue_notices(53)
    send(app)
    first = admin.get(PAGE).get_data(as_text=True)
    # One form and its one CSRF token carry every row's buttons, each to its own address.
    assert first.count("/retry") == 50
    assert first.count('formaction="/admin/e-mail/') == 100
    assert first.count('name="csrf_token"') == 3  # the buttons' form, sign-out, language
    assert f"{PAGE}?page=2" in first
    second = admin.get(f"{PAGE}?page=2").get_data(as_text=True)
    assert second.count("/retry") == 3
    assert f"{PAGE}?page=1" in second
    assert f"{PAGE}?page=3" not in second
    # The page's token is good for any row's button.
    response = admin.post(f"{PAGE}{rows(app)[0].id}/dismiss", form_page=f"{PAGE}?page=2")
    assert response.status_code == 302
    assert sum(row.state == "dismissed" for row in rows(app)) == 1


def test_an_e_mail_that_needs_no_decision_cannot_be_sent_again(
    app: Flask, queue_notices: Callable[..., None], admin: Client, relay: ScriptedRelay
) -> None:
    queue_notices()
    send(app)
    row = only_row(app)
    response = admin.post(f"{PAGE}{row.id}/retry", form_page=PAGE)
    assert response.status_code == 302
    assert "no longer needs a decision" in admin.get(PAGE).get_data(as_text=True)
    assert only_row(app).state == "sent"
    with app.app_context():
        assert (
            db.session().scalar(sa.select(AuditEvent).where(AuditEvent.action == "outbox.retried"))
            is None
        )


def test_an_e_mail_for_a_disabled_account_can_only_be_dismissed(
    app: Flask, waiting: list[Any], admin: Client, accounts: dict[str, Account], clock: FrozenClock
) -> None:
    with app.app_context():
        store = db.session()
        store.execute(
            sa.update(User).where(User.id == accounts["partner"].id).values(disabled_at=clock.now())
        )
        store.commit()
    # The page asks the rule the service keeps: no Send again for either row, and why.
    page = admin.get(PAGE).get_data(as_text=True)
    assert "/retry" not in page
    assert page.count("dismiss this e-mail instead") == 2
    assert page.count("/dismiss") == 2
    admin.post(f"{PAGE}{waiting[0]}/retry", form_page=PAGE)
    assert "dismiss this e-mail instead" in admin.get(PAGE).get_data(as_text=True)
    assert {row.state for row in rows(app)} == {"dead", "unknown"}
    assert admin.post(f"{PAGE}{waiting[0]}/dismiss", form_page=PAGE).status_code == 302
    assert {row.state for row in rows(app)} == {"dismissed", "unknown"}


def test_an_unknown_message_id_is_not_found(admin: Client) -> None:
    missing = "00000000-0000-0000-0000-00000000beef"
    assert admin.post(f"{PAGE}{missing}/retry", form_page=PAGE).status_code == 404


@pytest.mark.parametrize("role", [role for role in ROLES if role != "admin"])
def test_other_roles_can_neither_see_nor_send_again(
    app: Flask, waiting: list[Any], client: Client, accounts: dict[str, Account], role: str
) -> None:
    client.sign_in(accounts[role])
    client.reauth(accounts[role])
    assert client.get(PAGE).status_code == 403
    for action in ("retry", "dismiss"):
        response = client.post(f"{PAGE}{waiting[0]}/{action}", form_page="/account")
        assert response.status_code == 403
    assert [row.state for row in sorted(rows(app), key=lambda r: r.state)] == ["dead", "unknown"]


def test_nothing_about_the_person_reaches_the_outbox_or_the_logs(
    app: Flask,
    queue_notices: Callable[..., None],
    relay: ScriptedRelay,
    clock: FrozenClock,
    caplog: pytest.LogCaptureFixture,
    accounts: dict[str, Account],
) -> None:
    caplog.set_level(logging.DEBUG)
    relay.script = [mail.Outcome.RETRY, mail.Outcome.REFUSED, mail.Outcome.UNKNOWN]
    queue_notices(4)
    send(app)
    clock.advance(minutes=10)
    send(app)
    with app.app_context():
        table = repr(list(db.session().execute(sa.select(OutboxMessage.__table__))))
    assert {row.state for row in rows(app)} == {"sent", "dead", "unknown"}
    for canary in CANARIES:
        assert canary not in table
        assert canary not in caplog.text
    assert "scripted" in caplog.text  # the failures were logged, by kind only
    assert accounts["partner"].email not in caplog.text


def test_an_account_disabled_after_its_notice_gets_no_e_mail(
    app: Flask,
    queue_notices: Callable[..., None],
    relay: ScriptedRelay,
    clock: FrozenClock,
    accounts: dict[str, Account],
    make_account: Any,
) -> None:
    # Whether the recipient may still use the service is asked at the send: the e-mail waits
    # in front of an administrator instead (its "Send again" is refused while it lasts). A
    # colleague stays at the partner, so its referrals stand (endings.end_without_staff).
    make_account("partner", email="colleague.staff@test.passage.example", partner="org-a")
    queue_notices(2)
    with app.app_context():
        store = db.session()
        user = services.get_user(store, accounts["partner"].id)
        services.disable_user(store, user, clock.now())
        store.commit()
    assert send(app).output == "0 sent, 0 retry, 2 dead, 0 unknown\n"
    assert relay.offered == []
    assert [(row.state, row.attempts, row.last_error) for row in rows(app)] == [
        ("dead", 0, "recipient's account disabled"),
        ("dead", 0, "recipient's account disabled"),
    ]
    assert send(app).output == "0 sent, 0 retry, 0 dead, 0 unknown\n"


def test_a_locked_account_still_gets_its_e_mail(
    app: Flask,
    queue_notices: Callable[..., None],
    relay: ScriptedRelay,
    clock: FrozenClock,
    accounts: dict[str, Account],
) -> None:
    # A lock stops signing in after failed attempts; the person still works here.
    queue_notices()
    with app.app_context():
        store = db.session()
        user = services.get_user(store, accounts["partner"].id)
        user.locked_at = clock.now()
        store.commit()
    assert send(app).output == "1 sent, 0 retry, 0 dead, 0 unknown\n"
    assert [message.to for message in relay.offered] == [accounts["partner"].email]


def test_the_page_says_e_mail_is_set_up_when_a_mail_server_is(admin: Client) -> None:
    page = admin.get(PAGE).get_data(as_text=True)
    assert "E-mail sending is set up: each notice is also sent by e-mail." in page
    assert "E-mail sending is not set up" not in page


def test_without_a_mail_server_the_page_says_notices_show_only_inside_passage(
    app: Flask, admin: Client
) -> None:
    replace_settings(app, mail_server="")
    page = admin.get(PAGE).get_data(as_text=True)
    assert (
        "E-mail sending is not set up (PASSAGE_MAIL_SERVER is empty), so no e-mail is written "
        "or sent: notices show only inside Passage, on each person's Notices page."
    ) in page
    assert "E-mail sending is set up: each notice" not in page
