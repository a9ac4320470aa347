"""Every table labels its cells for phones (issue 13, point 8).

On a narrow screen static/passage.css hides a table's head and stacks its rows; each body cell
then shows its column's heading from its ``data-label``. So every ``<td>`` (and every row
heading, ``<th scope="row">``) under a table that has a ``<thead>`` carries a ``data-label``
that repeats the heading of its column: the same words from the same expression, so the
catalogues gain no string. The templates are read as HTML with the Jinja left in place:
statements and comments are dropped (both branches of an ``{% if %}`` stay, as a heading and
its cells are shown or hidden together) and each ``{{ expression }}`` stands for itself, so a
label and its heading compare as source text. A rendered page is checked the same way.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.helpers import Client

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "templates"

# (template, its n-th <table> counting from 1) -> why its cells carry no labels. Empty: every
# table has a head row and labels its cells; a layout table would be listed here.
UNLABELLED: dict[tuple[str, int], str] = {}

JINJA_COMMENT_OR_STATEMENT = re.compile(r"\{#.*?#\}|\{%.*?%\}", re.DOTALL)
JINJA_EXPRESSION = re.compile(r"\{\{-?(.*?)-?\}\}", re.DOTALL)
STAND_IN = re.compile(r"JINJAEXPR(\d+)X")


@dataclass
class Cell:
    """A <td> or <th>: its label, its row-heading scope, its text, where it starts."""

    tag: str
    line: int
    label: str | None
    scope: str | None
    span: int
    text: list[str] = field(default_factory=list)


@dataclass
class Table:
    """A <table>: its head rows and its body (and foot) rows of cells."""

    line: int
    has_head: bool = False
    head: list[list[Cell]] = field(default_factory=list)
    body: list[list[Cell]] = field(default_factory=list)


def span(colspan: str | None) -> int:
    """The columns a cell spans (one when the template computes it)."""
    return int(colspan) if colspan and colspan.isdigit() else 1


class TableReader(HTMLParser):
    """Collect the tables of a page, and the cells written outside any table (a macro's)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[Table] = []
        self.loose: list[Cell] = []
        self._open: list[tuple[Table, str]] = []  # tables being read, and the current section
        self._cell: Cell | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "table":
            table = Table(self.getpos()[0])
            self.tables.append(table)
            self._open.append((table, "body"))
        elif tag in ("thead", "tbody", "tfoot") and self._open:
            table, _section = self._open[-1]
            table.has_head |= tag == "thead"
            self._open[-1] = (table, "head" if tag == "thead" else "body")
        elif tag == "tr" and self._open:
            table, section = self._open[-1]
            (table.head if section == "head" else table.body).append([])
        elif tag in ("td", "th"):
            self._cell = Cell(
                tag,
                self.getpos()[0],
                attributes.get("data-label"),
                attributes.get("scope"),
                span(attributes.get("colspan")),
            )
            if not self._open:
                self.loose.append(self._cell)
                return
            table, section = self._open[-1]
            rows = table.head if section == "head" else table.body
            if not rows:  # a cell with no <tr> of its own: start one
                rows.append([])
            rows[-1].append(self._cell)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th"):
            self._cell = None
        elif tag == "table" and self._open:
            self._open.pop()
        elif tag == "thead" and self._open:
            self._open[-1] = (self._open[-1][0], "body")

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.text.append(data)


def read(html: str) -> TableReader:
    reader = TableReader()
    reader.feed(html)
    reader.close()
    return reader


def jinja_as_html(source: str) -> tuple[str, Callable[[str], str]]:
    """The template with statements and comments dropped and expressions stood in for, and
    the function that puts the expressions back (normalised) into a label or a heading."""
    expressions: list[str] = []

    def stand_in(match: re.Match[str]) -> str:
        expression = match.group(1).replace("'", '"')
        expressions.append(" ".join(re.sub(r"\s*([()\[\],|])\s*", r"\1", expression).split()))
        return f"JINJAEXPR{len(expressions) - 1}X"

    html = JINJA_EXPRESSION.sub(stand_in, JINJA_COMMENT_OR_STATEMENT.sub(" ", source))

    def restore(text: str) -> str:
        return " ".join(
            STAND_IN.sub(lambda m: "{{ " + expressions[int(m.group(1))] + " }}", text).split()
        )

    return html, restore


def labelled(cell: Cell) -> bool:
    """A cell that needs a label on a phone: a data cell or a row heading."""
    return cell.tag == "td" or cell.scope == "row"


def problems(
    html: str,
    restore: Callable[[str], str] = lambda text: " ".join(text.split()),
    name: str = "page",
) -> list[str]:
    """What is wrong with the labels of the cells in ``html``, one line per fault."""
    reader = read(html)
    found = []
    for number, table in enumerate(reader.tables, start=1):
        where = f"{name}, table {number} (line {table.line})"
        if (name, number) in UNLABELLED:
            continue
        if not table.has_head:
            found.append(f"{where}: no <thead>; label its cells or list it in UNLABELLED")
            continue
        heading_rows = [row for row in table.head if any(c.scope == "col" for c in row)]
        headings: list[str] = []
        for cell in heading_rows[-1] if heading_rows else []:
            headings += [restore("".join(cell.text))] * cell.span
        for row in table.body:
            column = 0
            for cell in row:
                label = restore(cell.label or "")
                heading = headings[column] if column < len(headings) else None
                if labelled(cell) and not label:
                    found.append(
                        f"{where}, line {cell.line}: <{cell.tag}> has no data-label"
                        f" (its column's heading is {heading!r})"
                    )
                elif labelled(cell) and label != heading:
                    found.append(
                        f"{where}, line {cell.line}: data-label {label!r} but the"
                        f" column's heading is {heading!r}"
                    )
                column += cell.span
    for cell in reader.loose:  # in a macro, apart from its table: at least labelled
        if labelled(cell) and not restore(cell.label or ""):
            found.append(
                f"{name}, line {cell.line}: <{cell.tag}> outside a <table> (a"
                f" macro's) has no data-label"
            )
    return found


def template_problems(path: Path) -> list[str]:
    html, restore = jinja_as_html(path.read_text(encoding="utf-8"))
    return problems(html, restore, path.relative_to(TEMPLATES).as_posix())


WITH_CELLS = sorted(
    p
    for p in TEMPLATES.rglob("*.html")
    if re.search(r"<(table|td|th)\b", p.read_text(encoding="utf-8"))
)


def test_the_templates_with_tables_are_all_found() -> None:
    names = {p.relative_to(TEMPLATES).as_posix() for p in WITH_CELLS}
    assert {
        "admin/users.html",
        "reporting/_table.html",
        "referral/person_copy.html",
        "referral/case.html",
        "referral/outbox.html",
    } <= names
    assert all(name in names for name, _number in UNLABELLED)


@pytest.mark.parametrize("path", WITH_CELLS, ids=lambda p: p.relative_to(TEMPLATES).as_posix())
def test_every_body_cell_repeats_its_column_heading_as_its_label(path: Path) -> None:
    html, _restore = jinja_as_html(path.read_text(encoding="utf-8"))
    reader = read(html)
    # Every table and cell in the source was read, so none is passed over unseen.
    assert len(reader.tables) == len(re.findall(r"<table\b", html))
    cells = [c for t in reader.tables for row in t.head + t.body for c in row] + reader.loose
    assert len(cells) == len(re.findall(r"<t[dh]\b", html))
    assert template_problems(path) == []


def test_the_check_finds_what_it_looks_for() -> None:
    """A planted table with each fault, a headless table and a macro's unlabelled cell."""
    planted = """
<table><thead><tr><th scope="col">{{ _("Name") }}</th><th scope="col">{{ _('Role') }}</th>
<th scope="col">{{ _("When") }}</th></tr></thead>
<tbody>{% for u in users %}<tr{% if u.late %} class="late"{% endif %}>
<th scope="row" data-label="{{ _('Name') }}">{{ u.name }}</th><td>{{ u.role }}</td>
<td data-label="{{ _('Time') }}">{{ u.at }}</td></tr>{% endfor %}
<tr><td data-label="{{ _( 'Name' ) }}"></td><td data-label="{{_("Role")}}"></td></tr></tbody>
</table>
<table><tr><td>1</td></tr></table>
{% macro cell(x) %}<td>{{ x }}</td>{% endmacro %}
"""
    html, restore = jinja_as_html(planted)
    assert problems(html, restore, "planted.html") == [
        "planted.html, table 1 (line 2), line 5: <td> has no data-label"
        " (its column's heading is '{{ _(\"Role\") }}')",
        "planted.html, table 1 (line 2), line 6: data-label '{{ _(\"Time\") }}' but the"
        " column's heading is '{{ _(\"When\") }}'",
        "planted.html, table 2 (line 9): no <thead>; label its cells or list it in UNLABELLED",
        "planted.html, line 10: <td> outside a <table> (a macro's) has no data-label",
    ]


@pytest.mark.parametrize(
    ("language", "heading"), [("en", "E-mail address"), ("fr", "Adresse e-mail")]
)
def test_the_users_list_labels_its_cells_in_the_reader_s_language(
    signed_in: Callable[[str], Client], language: str, heading: str
) -> None:
    response = signed_in("admin").get("/admin/users", headers={"Accept-Language": language})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert problems(html) == []
    users = read(html).tables[0].body
    assert len(users) >= 9  # one row per account of the `accounts` fixture
    assert all(row[0].label == heading for row in users)
    assert html.count(f'data-label="{heading}"') == len(users)
