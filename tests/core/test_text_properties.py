"""The control-character rule of free text, over generated text (R30, R48, R57): it refuses
exactly the characters of Unicode category Cc, C0 (U+0000–U+001F), DEL and C1 (U+007F–U+009F),
a fixed set the Unicode stability policy keeps as it is; a multi-line text keeps tabs and line
breaks."""

from __future__ import annotations

from hypothesis import example, given
from hypothesis import strategies as st

from core.text import has_control

# Mostly ordinary text, with the edges of the control ranges and their near neighbours (a
# no-break space, a line separator, a zero-width joiner, a byte order mark) mixed in.
EDGES = st.sampled_from(
    "\x00\x08\t\n\x0b\x0c\r\x1f \x7e\x7f\x80\x85\x9f\xa0\xad\u2028\u2029\u200d\ufeff"
)
TEXT = st.text(st.one_of(EDGES, st.characters(codec="utf-8")), max_size=40)


def is_c0_del_or_c1(character: str) -> bool:
    return ord(character) <= 0x1F or 0x7F <= ord(character) <= 0x9F


@given(TEXT)
@example("Amélie\u00a0: à 9 h")  # French puts a no-break space before a colon: text, not control
def test_one_line_refuses_exactly_the_control_characters(text: str) -> None:
    assert has_control(text) is any(is_c0_del_or_c1(c) for c in text)


@given(TEXT)
@example("first line\r\n\tsecond line")
def test_a_multi_line_text_keeps_tabs_and_line_breaks_alone(text: str) -> None:
    expected = any(is_c0_del_or_c1(c) and c not in "\t\n\r" for c in text)
    assert has_control(text, multiline=True) is expected
