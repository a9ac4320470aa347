"""Languages: English, French and Spanish from the user's setting, the visitor's choice or the
browser; and catalogues that translate every string the code shows."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from babel import dates
from babel.messages.pofile import read_po

from core import i18n
from tests.helpers import Account, Client

ROOT = Path(__file__).resolve().parents[2]


def html_lang(response: Any) -> str:
    body = response.get_data(as_text=True)
    return body.split('<html lang="', 1)[1].split('"', 1)[0]


@pytest.mark.parametrize(
    ("header", "lang", "phrase"),
    [
        ("fr-FR,fr;q=0.9", "fr", "Se connecter"),
        ("es-ES,es;q=0.8,en;q=0.5", "es", "Iniciar sesión"),
        ("de-DE,de;q=0.9", "en", "Sign in"),
    ],
)
def test_browser_language_is_followed(client: Client, header: str, lang: str, phrase: str) -> None:
    response = client.get("/login", headers={"Accept-Language": header})
    assert html_lang(response) == lang
    assert phrase in response.get_data(as_text=True)


def test_switcher_choice_beats_the_browser(client: Client) -> None:
    client.post("/language", {"locale": "es", "next": "/login"}, form_page="/login")
    response = client.get("/login", headers={"Accept-Language": "fr"})
    assert html_lang(response) == "es"


def test_switcher_refuses_unknown_language_and_foreign_redirects(client: Client) -> None:
    response = client.post(
        "/language", {"locale": "xx", "next": "https://evil.example/"}, form_page="/login"
    )
    assert response.status_code == 302
    assert response.location == "/"
    assert html_lang(client.get("/login")) == "en"


def test_users_setting_follows_them_to_any_browser(
    client: Client, new_client: Any, accounts: dict[str, Account]
) -> None:
    client.sign_in(accounts["supervisor"])
    client.post("/account", {"locale": "fr"})
    elsewhere = new_client()
    elsewhere.sign_in(accounts["supervisor"])
    page = elsewhere.get("/", headers={"Accept-Language": "es"})
    assert html_lang(page) == "fr"
    assert "Bienvenue" in page.get_data(as_text=True)


def test_error_pages_are_translated(client: Client) -> None:
    response = client.get("/nowhere", headers={"Accept-Language": "es"})
    assert response.status_code == 404
    assert html_lang(response) == "es"
    assert "Page not found" not in response.get_data(as_text=True)


def _messages(path: Path) -> dict[str, bool]:
    """Each message id (the singular of a plural) and whether every form is translated. A
    fuzzy entry is not: ``pybabel compile`` leaves it out, and its text is a guess made
    from another message (the update once offered "No partner in the area" for "cannot be
    in the future")."""
    with path.open("rb") as handle:
        return {
            (m.id if isinstance(m.id, str) else m.id[0]): not m.fuzzy
            and (all(m.string) if isinstance(m.string, tuple) else bool(m.string))
            for m in read_po(handle)
            if m.id
        }


@pytest.mark.parametrize("language", ["fr", "es"])
def test_catalogue_translates_every_string_in_the_code(tmp_path: Path, language: str) -> None:
    pot = tmp_path / "messages.pot"
    subprocess.run(  # noqa: S603 - fixed arguments
        [
            str(Path(sys.executable).parent / "pybabel"),
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_ngettext:1,2",
            "-o",
            str(pot),
            "--ignore-dirs=.* tests",
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    wanted = set(_messages(pot))
    catalogue = _messages(ROOT / "translations" / language / "LC_MESSAGES" / "messages.po")
    missing = sorted(m for m in wanted if not catalogue.get(m))
    assert missing == [], "run `make catalogues` and translate these"


def test_the_page_direction_follows_the_language(app: Any) -> None:
    from flask_babel import force_locale

    from core.i18n import text_direction

    with app.test_request_context("/"):
        with force_locale("fr"):
            assert text_direction() == "ltr"
        with force_locale("ar"):  # no catalogue yet; CLDR still knows Arabic runs right to left
            assert text_direction() == "rtl"


def test_pages_say_their_direction(client: Client) -> None:
    body = client.get("/login", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert '<html lang="fr" dir="ltr">' in body


@pytest.mark.parametrize(
    ("language", "written"),
    [
        ("en", "Mar 2, 2026, 09:05 UTC"),
        ("fr", "2 mars 2026, 09:05 UTC"),
        ("es", "2 mar 2026, 09:05 UTC"),
    ],
)
def test_a_date_names_its_month_and_its_zone(app: Any, language: str, written: str) -> None:
    # "3/2/26" is 3 February to some readers and 2 March to others (docs/architecture.md,
    # Dates on pages).
    moment = datetime(2026, 3, 2, 9, 5, tzinfo=UTC)
    with app.test_request_context("/", headers={"Accept-Language": language}):
        assert i18n.datetime_format()(moment) == written
        assert app.jinja_env.from_string("{{ d|moment }}").render(d=moment) == written


def test_a_list_writes_dates_as_babel_does(app: Any) -> None:
    # The list's fast path writes the common fields itself: it must agree with babel's own
    # formatting of the same pattern, over years, months, days and hours.
    moments = [
        datetime(year, month, day, hour, minute, 7, tzinfo=UTC)
        for year, month, day in ((999, 1, 1), (2009, 12, 31), (2026, 7, 4), (2026, 5, 9))
        for hour in range(24)
        for minute in (0, 9, 59)
    ]
    for language in ("en", "fr", "es"):
        with app.test_request_context("/", headers={"Accept-Language": language}):
            write = i18n.datetime_format()
            assert [write(m) for m in moments] == [
                dates.get_datetime_format("medium", locale=language)
                .replace("{0}", f"{m:%H:%M} UTC")
                .replace("{1}", dates.format_skeleton("yMMMd", m, locale=language))
                for m in moments
            ]


def test_a_page_shows_no_date_of_numbers_only(client: Client, accounts: Any) -> None:
    client.sign_in(accounts["screener"])
    body = client.get("/account").get_data(as_text=True)
    assert re.search(r"\b\d{1,2}/\d{1,2}/\d{2,4}\b", body) is None
    assert re.search(r"\w{3} \d{1,2}, 20\d\d, \d\d:\d\d UTC", body) is not None


@pytest.mark.parametrize(
    ("language", "names"),
    [
        ("en", ("Arabic", "Tigrinya", "Greece", "Kosovo")),
        ("fr", ("arabe", "tigrigna", "Grèce", "Kosovo")),
        ("es", ("árabe", "tigriña", "Grecia", "Kosovo")),
    ],
)
def test_codes_are_named_in_the_reader_s_language(
    app: Any, language: str, names: tuple[str, ...]
) -> None:
    # Records keep ISO codes; a caseworker reads names, in their own language.
    from flask_babel import force_locale

    with app.test_request_context("/"), force_locale(language):
        shown = (
            i18n.language_name("ar"),
            i18n.language_name("TI"),
            i18n.country_name("gr"),
            i18n.country_name("XK"),
        )
        assert shown == names
        assert (i18n.language_name("qq"), i18n.country_name("QQ")) == ("qq", "QQ")
        assert (i18n.language_name(None), i18n.country_name("")) == ("", "")
