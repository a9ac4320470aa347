"""Control characters in free text (``core.text``): refused on one line, tabs and line breaks
kept in a multi-line text, every printable character (a no-break space above all) allowed."""

from __future__ import annotations

import pytest

from core.text import has_control


@pytest.mark.parametrize(
    "text", ["a\x00b", "a\x01b", "a\x1bb", "a\x7fb", "a\x85b", "a\x9fb", "a\tb", "a\nb", "a\rb"]
)
def test_any_control_character_is_refused_on_one_line(text: str) -> None:
    assert has_control(text)


@pytest.mark.parametrize("text", ["a\tb", "a\nb", "a\r\nb", "\tindented\n"])
def test_tabs_and_line_breaks_are_kept_in_a_multi_line_text(text: str) -> None:
    assert not has_control(text, multiline=True)


@pytest.mark.parametrize("text", ["a\x00b", "a\x1bb", "a\x7fb", "a\x85b", "line\n\x08"])
def test_other_control_characters_are_refused_in_a_multi_line_text(text: str) -> None:
    assert has_control(text, multiline=True)


@pytest.mark.parametrize(
    "text",
    [
        "Association\u00a0: Refuge",  # French: a no-break space before a colon
        "Zoë O'Brien-Ñúñez",
        "Nguyễn Thị Minh",
        "محمد",
        "line\u2028separator",  # not a control character (Zl), printable enough to keep
        "zero\u200bwidth",  # a format character (Cf), not control
        "",
    ],
)
def test_printable_unicode_is_allowed(text: str) -> None:
    assert not has_control(text)
    assert not has_control(text, multiline=True)
