"""Pages of the interview read without guessing: the hours question takes the numbers first,
and its yes or no answers the item's own question; the review page says which topic a "when?"
was about, and what each answer answered; the change buttons are read once."""

from __future__ import annotations

import html
import re
from typing import Any

from tests.screening.test_views import (
    CALM,
    answer,
    answer_until,
    begin,
    main,
    stored_answers,
    walk,
)

HOURS_GATE = (
    "About how many hours a day, and days a week, did you work? Did you have any days to rest?"
)
HOURS_ITEM = (
    "In your work (now, or the last one), did you work so many hours or days that you "
    "could not rest properly?"
)


def at_the_hours(client: Any) -> str:
    url = begin(client)
    answer_until(client, url, "ec_excessive_hours")
    return url


def test_the_hours_page_asks_the_numbers_then_the_items_own_question(signed_in: Any) -> None:
    client = signed_in("screener")
    url = at_the_hours(client)
    page = html.unescape(main(client.get(url)))
    legends = re.findall(r'<legend lang="en">([^<]*)</legend>', page)
    assert legends == [HOURS_GATE, HOURS_ITEM]
    gate, item = page.index(HOURS_GATE), page.index(HOURS_ITEM)
    assert gate < page.index("Hours a day") < page.index("Days a week") < item
    assert item < page.index('name="answer" type="radio" value="yes"')
    assert "Without numbers, ask this. Numbers written above decide the answer instead." in page
    assert "Or write the numbers the person gives" not in page


def test_yes_on_the_hours_page_is_stored_as_before(app: Any, signed_in: Any) -> None:
    client = signed_in("screener")
    url = at_the_hours(client)
    answer(client, url, "yes")
    assert stored_answers(app, url)["ec_excessive_hours"] == "yes"


def review_rows(page: str) -> list[tuple[str, str]]:
    """The review page's rows as read: (question cell's text, answer)."""
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    cells = re.findall(r"<tr>\s*<td[^>]*>(.*?)</td>\s*<td[^>]*>([^<]*)</td>", body, re.S)
    return [
        (" ".join(html.unescape(re.sub(r"<[^>]+>", " ", q)).split()), html.unescape(a))
        for q, a in cells
    ]


def test_the_review_page_says_what_the_hours_answer_answered(signed_in: Any) -> None:
    client = signed_in("screener")
    url = at_the_hours(client)
    answer(client, url, "no")
    page = main(client.get(url.replace("/ask", "/review")))
    assert review_rows(page)[-1] == (HOURS_ITEM, "No")
    assert HOURS_GATE not in html.unescape(page)


def test_the_review_page_names_the_topic_of_each_when(signed_in: Any, clock: Any) -> None:
    client = signed_in("screener")
    url = begin(client)
    review, _asked = walk(
        client, url, clock, {**CALM, "documents": "yes", "documents_when": "before", "debt": "yes"}
    )
    page = main(client.get(review))
    rows = review_rows(page)
    assert ("Passport or ID kept When did this happen?", "while it was being arranged") in rows
    assert ("Debt to work off When did this happen?", "during the work, or now") in rows
    assert '<span class="hint">Passport or ID kept</span><br>When did this happen?</td>' in page


def test_the_change_button_is_not_labelled_again_on_a_phone(signed_in: Any) -> None:
    client = signed_in("screener")
    url = begin(client)
    answer(client, url, "no")
    page = main(client.get(url.replace("/ask", "/review")))
    assert (
        '<td data-label="Change" class="button-cell"><button type="submit" name="key"'
        ' value="rf_in_danger_now" aria-describedby="q-1">Change</button></td>'
    ) in page


def test_the_strength_letters_are_said_in_words(signed_in: Any, clock: Any) -> None:
    client = signed_in("screener")
    url = begin(client)
    review, _asked = walk(client, url, clock, {"ec_excessive_hours": "yes"})
    result = client.get(client.post(review, {}).location)
    page = main(result)
    assert "<abbr" not in page
    assert (
        '<li>Excessive working hours <span class="badge badge-strong">'
        '<span aria-hidden="true">S</span><span class="visually-hidden">(strong)</span></span></li>'
    ) in page
    assert (
        '<p class="hint" aria-hidden="true">Letters beside a sign give its strength: '
        '<span class="badge badge-strong">S</span> strong.</p>'
    ) in page
