"""Every address Passage serves takes opaque ids, never personal data (R41): a path is written
to request logs, proxy logs and browser histories, where a name or a contact must never go.

The check walks the composed app's ``url_map``: each variable of each rule is a ``uuid``, a
fixed choice of words (``any``), or one of the few listed variables below, each with why it
carries nothing about a person; and no variable's name suggests personal data.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from flask import Flask
from werkzeug.routing import Map, Rule

# A variable in a rule, as werkzeug writes it: ``<name>``, ``<uuid:name>``, ``<any(a, b):name>``.
VARIABLE = re.compile(r"<(?:(?P<converter>\w+)(?:\([^)]*\))?:)?(?P<name>\w+)>")
# Converters that take no free text: a uuid, or one word of a fixed list written in the rule.
OPAQUE = ("uuid", "any")

# The only variables that are neither a uuid nor a fixed choice, by rule, each with why it
# is not personal data.
ALLOWED = {
    # A static file's fingerprinted name: the app's own stylesheets and scripts.
    ("/static/<path:filename>", "filename"),
    # A random single-use password-link token, e-mailed to a staff member; it names no one.
    ("/password/<token>", "token"),
    # The digest of one of the signed-in user's own session cookies (access/sessions.py): a
    # random value, not the cookie itself, and about staff, not a screened person.
    ("/account/sessions/<session_id>/end", "session_id"),
    # The name of a report of aggregate counts (reporting/): a word from a fixed list.
    ("/reports/<name>", "name"),
    ("/reports/<name>.csv", "name"),
    ("/api/v1/stats/<name>", "name"),
}

# Words of a variable's name (split at underscores) that suggest personal data; an allowed
# variable is exempt only where it is listed above.
PERSONAL_WORDS = {
    "name",
    "names",
    "email",
    "mail",
    "birth",
    "dob",
    "phone",
    "address",
    "contact",
    "nationality",
    "region",
    "location",
    "note",
    "text",
    "age",
    "search",
    "query",
}


def refused_variables(rules: Iterable[Rule]) -> list[str]:
    """``rule variable: why`` for every variable of ``rules`` that could carry personal
    data: a converter that takes free text, or a name that suggests personal data."""
    refused = []
    for rule in rules:
        found = [(m["converter"] or "default", m["name"]) for m in VARIABLE.finditer(rule.rule)]
        # Every variable werkzeug parsed is one the pattern read: none slips past unchecked.
        assert {name for _c, name in found} == set(rule.arguments), rule.rule
        for converter, variable in found:
            if (rule.rule, variable) in ALLOWED:
                continue
            where = f"{rule.rule} {variable}"
            if converter not in OPAQUE:
                refused.append(f"{where}: takes free text ({converter})")
            elif PERSONAL_WORDS & set(variable.lower().split("_")):
                refused.append(f"{where}: its name suggests personal data")
    return refused


def test_every_route_takes_only_opaque_ids(app: Flask) -> None:
    rules = list(app.url_map.iter_rules())
    assert refused_variables(rules) == []
    # The walk saw the routes it is about: uuid converters and the allowed variables.
    seen = {(r.rule, v) for r in rules for v in r.arguments}
    assert seen >= ALLOWED
    assert ("/cases/<uuid:case_id>", "case_id") in seen


def test_a_route_taking_personal_data_is_refused() -> None:
    # Registered on an app, as a view would be; its own static route is the allowed one.
    probe = Flask("probe")
    probe.add_url_rule("/people/<name>", "by_name", lambda name: name)
    assert refused_variables(probe.url_map.iter_rules()) == [
        "/people/<name> name: takes free text (default)"
    ]
    url_map = Map(
        [
            Rule("/people/<name>", endpoint="by_name"),
            Rule("/people/<int:birth_year>", endpoint="by_year"),
            Rule("/people/<uuid:contact_id>/edit", endpoint="by_contact"),
            Rule("/people/<path:email>", endpoint="by_email"),
            Rule("/people/<uuid:person_id>", endpoint="by_id"),
            Rule("/people/<uuid:person_id>/<any(open, shut):move>", endpoint="move"),
            Rule("/cases/<uuid:case_id>", endpoint="case"),
            Rule("/reports/<name>", endpoint="report"),
        ]
    )
    assert refused_variables(url_map.iter_rules()) == [
        "/people/<name> name: takes free text (default)",
        "/people/<int:birth_year> birth_year: takes free text (int)",
        "/people/<uuid:contact_id>/edit contact_id: its name suggests personal data",
        "/people/<path:email> email: takes free text (path)",
    ]
