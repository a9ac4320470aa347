"""Lists at any length (docs/architecture.md, "Lists at scale"): paging by cursor through a
partner's referrals gives every row once, in order, forwards and back, and the pages the
page numbers give; a cursor the list did not hand out is refused; a total past 1,000 says
so; a page costs the same statements whatever it shows; a case page reads the partner
directory once, and the person and their data key with the case; the header counts unread
notices up to 99."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from html import unescape
from typing import Any

import pytest
from flask import Flask

from core.clock import FrozenClock
from tests.helpers import Account, Client, statements
from tests.referral import bulk

API = Callable[..., Any]
NEXT = re.compile(r'href="([^"]+)" rel="next"')


def _ids(body: dict[str, Any]) -> list[str]:
    return [item["id"] for item in body["items"]]


def test_a_partner_pages_through_its_referrals_by_cursor_forwards_and_back(
    api: API, referral: Callable[..., str]
) -> None:
    made = {referral(urgency="urgent" if n == 3 else "normal") for n in range(5)}
    by_number = [
        api("partner", "GET", f"/referrals?per_page=2&page={n}").get_json() for n in (1, 2, 3)
    ]
    assert [len(b["items"]) for b in by_number] == [2, 2, 1]
    assert {i for b in by_number for i in _ids(b)} == made
    first = by_number[0]
    assert (first["total"], first["total_exact"], first["prev"]) == (5, True, None)

    pages = [first]
    while pages[-1]["next"]:
        after = pages[-1]["next"]
        pages.append(api("partner", "GET", f"/referrals?per_page=2&after={after}").get_json())
    assert [_ids(p) for p in pages] == [_ids(b) for b in by_number]
    assert [p["page"] for p in pages] == [1, 2, 3]
    assert pages[-1]["last"] is None

    back = [pages[-1]]
    while back[-1]["prev"]:
        before = back[-1]["prev"]
        back.append(api("partner", "GET", f"/referrals?per_page=2&before={before}").get_json())
    assert [_ids(p) for p in back] == [_ids(b) for b in reversed(by_number)]
    assert [p["page"] for p in back] == [3, 2, 1]

    last = api("partner", "GET", f"/referrals?per_page=2&before={first['last']}").get_json()
    assert (_ids(last), last["page"], last["next"]) == (_ids(by_number[2]), 3, None)
    # The urgent one waits on top.
    urgent = api("partner", "GET", f"/referrals/{_ids(first)[0]}").get_json()
    assert urgent["urgency"] == "urgent"


def test_the_openapi_document_describes_the_cursors(api: API) -> None:
    listing = api("partner", "GET", "/openapi.json").get_json()["paths"]["/referrals"]["get"]
    assert {p["name"] for p in listing["parameters"]} == {"page", "per_page", "after", "before"}
    answer = listing["responses"]["200"]["content"]["application/json"]["schema"]
    assert {"next", "prev", "last", "total_exact"} <= set(answer["required"])


def _token(*content: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(content).encode()).rstrip(b"=").decode()


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("after=not*a*cursor", "after"),
        ("after=" + _token("referrals", "a", 2), "after"),  # no key
        (
            "after=" + _token("referrals", "a", 2, "1", "2026-03-02T09:00:00+00:00", "0" * 32),
            "after",
        ),
        ("after=" + _token("referrals", "a", 2, 1, "2026-03-02T09:00:00", "0" * 32), "after"),
        (
            "after=" + _token("referrals", "a", -1, 1, "2026-03-02T09:00:00+00:00", "0" * 32),
            "after",
        ),
        ("after=" + _token("cases", "a", 2, True, "2026-03-02T09:00:00+00:00", "0" * 32), "after"),
        (
            "before=" + _token("referrals", "a", 2, 1, "2026-03-02T09:00:00+00:00", "0" * 32),
            "before",
        ),
        ("after=" + "A" * 301, "after"),
        ("after=abc&before=abc", "before"),
    ],
)
def test_a_cursor_the_list_did_not_give_is_refused(
    api: API, referral: Callable[..., str], query: str, field: str
) -> None:
    referral()
    response = api("partner", "GET", f"/referrals?{query}")
    assert response.status_code == 400
    assert field in response.get_json()["error"]["fields"]


def test_a_cursor_of_another_list_is_refused_on_the_pages_too(
    signed_in: Callable[[str], Client], referral: Callable[..., str]
) -> None:
    referral()
    client = signed_in("partner")
    foreign = _token("cases", "a", 2, True, "2026-03-02T09:00:00+00:00", "0" * 32)
    assert client.get(f"/referrals/?after={foreign}").status_code == 400


def test_a_long_list_counts_up_to_a_thousand_and_says_so(
    app: Flask, client: Client, clock: FrozenClock, issue_token: Callable[..., str]
) -> None:
    seeded = bulk.seed(app, bulk.Shape(2400, packet_bytes=0), clock.now())
    token = issue_token(seeded.partner)
    body = client.raw.get(
        "/api/v1/referrals", headers={"Authorization": f"Bearer {token}"}
    ).get_json()
    assert (body["total"], body["total_exact"], body["last"]) == (1000, False, None)
    assert body["next"] is not None
    client.sign_in(seeded.partner)
    inbox = client.get("/referrals/").get_data(as_text=True)
    assert "Page 1 of more than 40" in inbox
    assert ">Last<" not in inbox


def _pages(client: Client, url: str) -> list[str]:
    urls = [url]
    while found := NEXT.search(client.get(urls[-1]).get_data(as_text=True)):
        urls.append(unescape(found.group(1)))
    return urls


def test_a_page_costs_the_same_statements_whatever_it_shows(
    app: Flask,
    new_client: Callable[[], Client],
    clock: FrozenClock,
    issue_token: Callable[..., str],
) -> None:
    seeded = bulk.seed(app, bulk.Shape(1200, teams=1, packet_bytes=0), clock.now())
    engine = app.extensions["passage.engine"]

    def counted(client: Client, url: str, **headers: str) -> tuple[int, str]:
        client.raw.get(url, headers=headers)  # the first request after signing in may differ
        with statements(engine) as seen:
            response = client.raw.get(url, headers=headers)
        assert response.status_code == 200, url
        return len(seen), response.get_data(as_text=True)

    api = new_client()
    bearer = {"Authorization": f"Bearer {issue_token(seeded.partner)}"}
    with statements(engine) as listed:
        api.raw.get("/api/v1/referrals", headers=bearer)
    assert not [s.sql for s in listed if "packet" in s.sql]  # a list never reads the packet
    five, body = counted(api, "/api/v1/referrals?per_page=5", **bearer)
    assert len(json.loads(body)["items"]) == 5
    fifty, body = counted(api, "/api/v1/referrals?per_page=50", **bearer)
    assert len(json.loads(body)["items"]) == 50
    assert five == fifty

    for reader, url, full in (
        ("partner", "/referrals/", 25),
        ("screener", "/cases/?status=all", 50),
        ("supervisor", "/referrals/?overdue=1", 25),
    ):
        client = new_client()
        client.sign_in(getattr(seeded, reader))
        pages = _pages(client, url)
        first, first_body = counted(client, pages[0])
        last, last_body = counted(client, pages[-1])
        assert len(pages) > 1, reader
        assert first_body.count("<tr") - 1 == full, reader
        assert 0 < last_body.count("<tr") - 1 <= full, reader
        assert first == last, reader


def test_a_case_page_reads_the_partner_directory_once(
    app: Flask, open_case: Callable[..., str], signed_in: Callable[[str], Client]
) -> None:
    case_id = open_case()
    client = signed_in("screener")
    client.get(f"/cases/{case_id}")
    with statements(app.extensions["passage.engine"]) as seen:
        assert client.get(f"/cases/{case_id}").status_code == 200
    assert sum("FROM partner_profiles" in s.sql for s in seen) == 1


def test_the_header_counts_unread_notices_up_to_99(
    queue_notices: Callable[..., None], signed_in: Callable[[str], Client]
) -> None:
    queue_notices(98)  # and the referral's own notice
    client = signed_in("partner")
    assert "99 notices" in client.get("/").get_data(as_text=True)
    queue_notices(1)
    home = client.get("/").get_data(as_text=True)
    assert "More than 99 notices" in home
    assert "100 notices" not in home


@pytest.mark.parametrize("path", ["/cases/{id}", "/api/v1/cases/{id}"])
def test_a_case_read_loads_the_person_and_their_key_with_the_case(
    app: Flask,
    open_case: Callable[..., str],
    signed_in: Callable[[str], Client],
    issue_token: Callable[..., str],
    accounts: dict[str, Account],
    path: str,
) -> None:
    case_id = open_case()
    client = signed_in("screener")
    bearer = f"Bearer {issue_token(accounts['screener'])}"
    headers = {"Authorization": bearer} if path.startswith("/api") else {}
    url = path.format(id=case_id)
    client.raw.get(url, headers=headers)
    with statements(app.extensions["passage.engine"]) as seen:
        assert client.raw.get(url, headers=headers).status_code == 200
    keyed = [s.sql for s in seen if "FROM data_keys" in s.sql or "JOIN data_keys" in s.sql]
    assert len(keyed) == 1
    assert "FROM cases" in keyed[0]
    assert "JOIN people" in keyed[0]
    assert not [s.sql for s in seen if "WHERE people.id =" in s.sql]


def test_a_case_page_costs_the_same_statements_with_more_screenings(
    app: Flask, open_case: Callable[..., str], signed_in: Callable[[str], Client]
) -> None:
    # Each screening's link is offered by asking the policy, which reads the screening's
    # case: with the screenings, not once per screening (docs/access-policy.md).
    client = signed_in("screener")

    def link(case_id: str, earlier: str) -> None:
        done = client.post(
            f"/cases/{case_id}/link",
            {"earlier": earlier, "confirm": "y"},
            form_page=f"/cases/{case_id}",
        )
        assert done.status_code == 302

    def counted(case_id: str, screenings: int) -> int:
        client.get(f"/cases/{case_id}")
        with statements(app.extensions["passage.engine"]) as seen:
            page = client.get(f"/cases/{case_id}")
        assert page.status_code == 200
        shown = re.findall(r'href="/screenings/[0-9a-f-]{36}"', page.get_data(as_text=True))
        assert len(shown) == screenings
        return len(seen)

    case_id = open_case()
    link(open_case(needs=["medical"]), case_id)
    two = counted(case_id, 2)
    link(open_case(needs=["legal"]), case_id)
    assert counted(case_id, 3) == two
