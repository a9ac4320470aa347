"""Report charts and their tables (docs/reporting.md §4): inline SVG that passes the CSP
(no style, no script), named and described for screen readers, a title per bar or point,
suppressed cells hatched and labelled "<10" without a length of their own, bars in
proportion to published values, labels escaped, well-formed XML, and a table beside them
showing the same numbers."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, render_template_string

from reporting import chart_bars, chart_crosstab, chart_lines, chart_scale, charts
from reporting.tables import TOTAL, Cell, PublishedTable, Rule

ROOT = Path(__file__).resolve().parents[2]
SVG = "{http://www.w3.org/2000/svg}"
RULE = Rule("round")
HOSTILE = "<b>&</b> \"Ünïcødé\" 'x'"
CLASSES = ("likely", "possible", "present", "smuggling", "none")

LABELS = {
    "shelter": "Shelter",
    "medical": "Medical care",
    "legal": HOSTILE,
    "livelihood": "Livelihood",
    "female": "Female",
    "male": "Male",
    "likely": "Likely trafficking",
    "possible": "Possible trafficking",
    "present": "Indicators present",
    "smuggling": "Smuggling indicators",
    "none": "No indicators",
}

NEEDS = PublishedTable(
    ("need",),
    {
        ("shelter",): Cell(20),
        ("medical",): Cell(10),
        ("legal",): Cell(None),
        ("livelihood",): Cell(0),
        (TOTAL,): Cell(35),
    },
    RULE,
)

BY_SEX = PublishedTable(
    ("sex", "classification"),
    {
        **{("female", c): Cell(v) for c, v in zip(CLASSES, (40, 25, None, 10, 1234), strict=True)},
        **{("male", c): Cell(v) for c, v in zip(CLASSES, (15, None, 20, 0, 35), strict=True)},
        ("female", TOTAL): Cell(1315),
        ("male", TOTAL): Cell(75),
        **{(TOTAL, c): Cell(v) for c, v in zip(CLASSES, (55, 30, 25, 10, 1270), strict=True)},
        (TOTAL, TOTAL): Cell(1390),
    },
    RULE,
)

MONTHS = ("2026-01", "2026-02", "2026-03", "2026-04")
BY_MONTH = PublishedTable(
    ("month", "sex"),
    {
        **{(m, "female"): Cell(v) for m, v in zip(MONTHS, (10, 20, None, 40), strict=True)},
        **{(m, "male"): Cell(v) for m, v in zip(MONTHS, (0, None, 15, None), strict=True)},
    },
    RULE,
)

ZEROS = {
    "bar": PublishedTable(("need",), {("shelter",): Cell(0), ("legal",): Cell(None)}, RULE),
    "stacked_bar": PublishedTable(
        ("sex", "classification"),
        {("female", "likely"): Cell(0), ("female", "none"): Cell(None)},
        RULE,
    ),
    "line": PublishedTable(("month",), {(m,): Cell(0) for m in MONTHS}, RULE),
    "small_multiples": PublishedTable(
        ("sex", "classification"),
        {("female", "likely"): Cell(0), ("male", "likely"): Cell(0)},
        RULE,
    ),
}

# Each macro with a table it draws and the number of cells it draws (each with a <title>).
CHARTS = {
    "bar": (NEEDS, 4),
    "stacked_bar": (BY_SEX, 10),
    "line": (BY_MONTH, 8),
    "small_multiples": (BY_SEX, 10),
}


@pytest.fixture
def chart_app(app: Flask) -> Flask:
    """The app with the chart layouts registered, as the app factory will do."""
    charts.register(app)
    return app


@pytest.fixture
def render(chart_app: Flask) -> Callable[..., str]:
    """Render a macro of reporting/_charts.html or _table.html in a request (for Babel)."""

    def render_it(call: str, **context: Any) -> str:
        source = (
            '{% from "reporting/_charts.html" import bar, stacked_bar, line, '
            'small_multiples %}{% from "reporting/_table.html" import table %}' + call
        )
        context.setdefault("labels", LABELS)
        with chart_app.test_request_context():
            return render_template_string(source, **context)

    return render_it


@pytest.fixture
def chart(render: Callable[..., str]) -> Callable[[str, PublishedTable], str]:
    """Draw a table with one of the chart macros, id "c", a title and a finding."""

    def draw(macro: str, table: PublishedTable) -> str:
        return render(
            f'{{{{ {macro}(t, "c", "What it shows", "The finding.", labels) }}}}', t=table
        ).strip()

    return draw


def svg(html: str) -> ET.Element:
    return ET.fromstring(html)  # noqa: S314 -- our own output, parsed to prove it well-formed


def titled(root: ET.Element) -> dict[str, ET.Element]:
    """Every drawn cell (a shape with a <title>) by its title text."""
    return {
        shape.find(f"{SVG}title").text or "": shape  # type: ignore[union-attr]
        for shape in root.iter()
        if shape.tag in (f"{SVG}rect", f"{SVG}path") and shape.find(f"{SVG}title") is not None
    }


def bar_widths(root: ET.Element) -> dict[str, float]:
    return {title: float(shape.get("width", "nan")) for title, shape in titled(root).items()}


# --- the SVG itself ----------------------------------------------------------------------


@pytest.mark.parametrize("macro", sorted(CHARTS))
def test_every_chart_is_a_named_described_image(
    chart: Callable[[str, PublishedTable], str], macro: str
) -> None:
    html = chart(macro, CHARTS[macro][0])
    root = svg(html)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "c-title c-desc"
    assert root.find(f"{SVG}title[@id='c-title']").text == "What it shows"  # type: ignore[union-attr]
    assert root.find(f"{SVG}desc[@id='c-desc']").text == "The finding."  # type: ignore[union-attr]
    assert re.fullmatch(r"0 0 400 [\d.]+", root.get("viewBox", ""))


@pytest.mark.parametrize("macro", sorted(CHARTS))
def test_charts_need_no_style_and_no_script(
    chart: Callable[[str, PublishedTable], str], macro: str
) -> None:
    """Nothing the CSP (style-src 'self'; script-src 'self') would refuse."""
    html = chart(macro, CHARTS[macro][0]).lower()
    for refused in ("style=", "<style", "<script", "javascript:"):
        assert refused not in html, refused
    assert not re.search(r"\son\w+=", html)  # no event handler attributes


@pytest.mark.parametrize("macro", sorted(CHARTS))
def test_every_class_a_chart_uses_is_in_the_stylesheet(
    chart: Callable[[str, PublishedTable], str], render: Callable[..., str], macro: str
) -> None:
    css = (ROOT / "static" / "passage.css").read_text(encoding="utf-8")
    html = chart(macro, CHARTS[macro][0]) + render(
        '{{ table(t, "t", "Caption", labels, rule_text="Rule") }}', t=CHARTS[macro][0]
    )
    used = {c for value in re.findall(r'class="([^"]*)"', html) for c in value.split()}
    assert used
    assert [c for c in sorted(used) if not re.search(rf"\.{re.escape(c)}(?![\w-])", css)] == []


@pytest.mark.parametrize("macro", sorted(CHARTS))
def test_each_drawn_cell_has_a_title_with_its_category_and_value(
    chart: Callable[[str, PublishedTable], str], macro: str
) -> None:
    table, count = CHARTS[macro]
    titles = titled(svg(chart(macro, table)))
    assert len(titles) == count
    expected = {
        "bar": {"Shelter: 20", "Medical care: 10", f"{HOSTILE}: <10", "Livelihood: 0"},
        "stacked_bar": {
            "Female, Likely trafficking: 40",
            "Female, No indicators: 1,234",
            "Female, Indicators present: <10",
            "Male, Smuggling indicators: 0",
        },
        "small_multiples": {"Female, Likely trafficking: 40", "Male, Possible trafficking: <10"},
        "line": {
            "2026-01, Female: 10",
            "2026-03, Female: <10",
            "2026-01, Male: 0",
            "2026-04, Male: <10",
        },
    }[macro]
    assert expected <= set(titles)


@pytest.mark.parametrize("macro", sorted(CHARTS))
def test_suppressed_cells_are_hatched_stubs_labelled_less_than_ten(
    chart: Callable[[str, PublishedTable], str], macro: str
) -> None:
    html = chart(macro, CHARTS[macro][0])
    root = svg(html)
    hidden = [shape for title, shape in titled(root).items() if title.endswith(": <10")]
    assert hidden
    for shape in hidden:
        assert shape.get("class") == "chart-suppressed"
        assert shape.get("fill") == "url(#c-suppressed)"
        assert float(shape.get("width", "nan")) <= chart_scale.STUB
    assert root.find(f".//{SVG}pattern[@id='c-suppressed']") is not None
    # Stubs are labelled "<10" beside them; a stacked bar's, too small to label one by one,
    # by the legend's hatched swatch.
    labels = [t.text or "" for t in root.iter(f"{SVG}text")]
    if macro == "stacked_bar":
        legend = root.find(f"{SVG}rect[@fill='url(#c-suppressed)']")
        assert legend is not None
        assert legend.get("class") == "chart-suppressed"
        assert any(text.startswith("<10: ") for text in labels)
    else:
        assert labels.count("<10") == len(hidden)
    assert "&lt;10" in html


def test_of_many_small_multiples_the_six_largest_are_drawn_and_the_rest_counted(
    render: Callable[..., str],
) -> None:
    # Nine partners: p1 has the most, p0 the least; the suppressed cells weigh nothing.
    sums = {"p0": 0, "p1": 90, "p2": 15, "p3": 60, "p4": 10, "p5": 45, "p6": 30, "p7": 20}
    cells = {(p, "sent"): Cell(v) for p, v in sums.items()}
    cells |= {(p, "accepted"): Cell(None) for p in sums} | {("p8", "sent"): Cell(None)}
    html = render(
        '{{ small_multiples(t, "c", "Steps", "The finding.", labels) }}',
        t=PublishedTable(("partner", "step"), cells, RULE),
        labels={},
    )
    drawn, _, after = html.strip().partition("</svg>")
    headings = [
        t.text
        for t in svg(drawn + "</svg>").iter(f"{SVG}text")
        if t.get("class") == "chart-heading"
    ]
    assert headings == ["p1", "p2", "p3", "p5", "p6", "p7"]  # the table's order
    assert after.strip() == (
        '<p class="hint">The chart shows the 6 largest; the table below also has 3 more.</p>'
    )


def test_series_suppressed_in_the_same_month_share_one_label_and_sit_side_by_side(
    chart: Callable[[str, PublishedTable], str],
) -> None:
    table = PublishedTable(
        ("month", "sex"),
        {
            ("2026-01", "female"): Cell(30),
            ("2026-01", "male"): Cell(20),
            ("2026-02", "female"): Cell(None),
            ("2026-02", "male"): Cell(None),
        },
        RULE,
    )
    root = svg(chart("line", table))
    stubs = [shape for title, shape in titled(root).items() if title.startswith("2026-02")]
    assert len(stubs) == 2
    [left, right] = sorted(float(s.get("x", "nan")) for s in stubs)
    assert right == left + float(stubs[0].get("width", "nan"))
    assert [t.text for t in root.iter(f"{SVG}text")].count("<10") == 1
    line_paths = [
        p.get("d", "")
        for p in root.iter(f"{SVG}path")
        if p.get("class", "").startswith("chart-line")
    ]
    assert [d.count("M") for d in line_paths] == [1, 1]  # a lone January point each
    assert all("L" not in d for d in line_paths)


@pytest.mark.parametrize("macro", sorted(CHARTS))
def test_every_fill_refers_to_a_pattern_of_the_same_chart(
    chart: Callable[[str, PublishedTable], str], macro: str
) -> None:
    root = svg(chart(macro, CHARTS[macro][0]))
    patterns = {p.get("id") for p in root.iter(f"{SVG}pattern")}
    fills = {m for e in root.iter() for m in re.findall(r"url\(#([\w-]+)\)", e.get("fill", ""))}
    assert fills <= patterns
    assert all(p.startswith("c-") for p in patterns if p)


@pytest.mark.parametrize("macro", sorted(CHARTS))
def test_names_titles_and_findings_are_escaped(render: Callable[..., str], macro: str) -> None:
    """Markup in a category name, the title or the finding is printed as text."""
    labels = {**LABELS, "female": HOSTILE, "2026-01": HOSTILE}
    html = render(
        f'{{{{ {macro}(t, "c", "<i>T</i>", "<i>D</i> &", labels) }}}}',
        t=CHARTS[macro][0],
        labels=labels,
    )
    assert "<b>" not in html
    assert "<i>" not in html
    assert "&lt;b&gt;&amp;&lt;/b&gt;" in html
    assert "&lt;i&gt;D&lt;/i&gt; &amp;" in html
    root = svg(html.strip())
    assert root.find(f"{SVG}title").text == "<i>T</i>"  # type: ignore[union-attr]
    assert any(HOSTILE in (t.text or "") for t in root.iter(f"{SVG}text"))
    assert any(title.startswith(HOSTILE) for title in titled(root))


def test_bar_lengths_are_in_proportion_to_published_values(
    chart: Callable[[str, PublishedTable], str],
) -> None:
    """20 is drawn exactly twice as long as 10, on the documented scale: the axis ends at
    nice_maximum(20) = 20 over the plot width (400 - 2 * PAD - VALUE_ROOM = 328)."""
    widths = bar_widths(svg(chart("bar", NEEDS)))
    assert widths["Shelter: 20"] == 2 * widths["Medical care: 10"]
    assert widths["Shelter: 20"] == chart_scale.WIDTH - 2 * chart_scale.PAD - chart_bars.VALUE_ROOM
    assert widths["Livelihood: 0"] == 0
    assert widths[f"{HOSTILE}: <10"] == chart_scale.STUB


def test_stacked_segments_are_in_proportion_and_start_where_the_last_ended(
    chart: Callable[[str, PublishedTable], str],
) -> None:
    shapes = titled(svg(chart("stacked_bar", BY_SEX)))
    likely = shapes["Female, Likely trafficking: 40"]
    smuggling = shapes["Female, Smuggling indicators: 10"]
    possible = shapes["Female, Possible trafficking: 25"]
    # Each length is rounded to 1/100 of a unit.
    assert float(likely.get("width", "0")) == pytest.approx(
        4 * float(smuggling.get("width", "0")), abs=0.03
    )
    assert float(possible.get("x", "0")) == float(likely.get("x", "0")) + float(
        likely.get("width", "0")
    )


def test_a_suppressed_cell_never_lends_its_bar_a_length(
    chart: Callable[[str, PublishedTable], str],
) -> None:
    """The same table with a suppressed cell or with a published one in its place draws the
    stub the same size, and the published bars only change if the scale's maximum does."""
    small = PublishedTable(("need",), {("shelter",): Cell(20), ("legal",): Cell(None)}, RULE)
    big = PublishedTable(
        ("need",), {("shelter",): Cell(20), ("legal",): Cell(None), ("medical",): Cell(5)}, RULE
    )
    first, second = bar_widths(svg(chart("bar", small))), bar_widths(svg(chart("bar", big)))
    assert first[f"{HOSTILE}: <10"] == second[f"{HOSTILE}: <10"] == chart_scale.STUB
    assert first["Shelter: 20"] == second["Shelter: 20"]
    assert chart_bars.bar_layout(small).panels[0].scale.maximum == 20


@pytest.mark.parametrize("macro", sorted(ZEROS))
def test_a_table_of_zeros_and_suppressed_cells_draws_without_dividing_by_zero(
    chart: Callable[[str, PublishedTable], str], macro: str
) -> None:
    root = svg(chart(macro, ZEROS[macro]))
    widths = [float(s.get("width", "0")) for t, s in titled(root).items() if t.endswith(": 0")]
    assert widths == [0.0] * len(widths)
    assert [t.text for t in root.iter(f"{SVG}text") if t.text in ("0", "<10")]


def test_two_charts_on_one_page_share_no_id(render: Callable[..., str]) -> None:
    html = render(
        '{{ bar(t, "a", "A", "A.", labels) }}{{ bar(t, "b", "B", "B.", labels) }}'
        '{{ line(m, "c", "C", "C.", labels) }}',
        t=NEEDS,
        m=BY_MONTH,
    )
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids)) > 6


# --- the table of the same numbers -----------------------------------------------------


def table_cells(html: str) -> tuple[ET.Element, dict[tuple[str, str], str]]:
    """The table and its numbers by (row heading, column heading)."""
    table = ET.fromstring(html[: html.index("</table>") + len("</table>")])  # noqa: S314
    headings = ["".join(th.itertext()) for th in table.findall("thead/tr")[-1]]
    numbers = {}
    for tr in [*table.findall("tbody/tr"), *table.findall("tfoot/tr")]:
        row = "".join(tr[0].itertext())
        for heading, td in zip(headings[1:], tr[1:], strict=True):
            numbers[row, heading] = "".join(td.itertext())
    return table, numbers


def test_the_crosstab_has_headers_totals_and_marked_suppressed_cells(
    render: Callable[..., str],
) -> None:
    html = render(
        '{{ table(t, "by-sex", "Result by sex", labels, '
        '{"sex": "Sex", "classification": "Result"}, rule_text=rule) }}',
        t=BY_SEX,
        rule="Counts rounded to 5; <10 not shown.",
    )
    table, numbers = table_cells(html)
    assert table.get("aria-describedby") == "by-sex-rule"
    assert table.find("caption").text == "Result by sex"  # type: ignore[union-attr]
    assert [th.get("scope") for th in table.iter("th")].count("row") == 3
    # On a phone the head is hidden: row headings, like numbers, repeat their column heading.
    assert [th.get("data-label") for th in table.iter("th") if th.get("scope") == "row"] == [
        "Sex"
    ] * 3
    assert table.find("thead/tr/th[@scope='colgroup']").text == "Result"  # type: ignore[union-attr]
    assert numbers["Female", "No indicators"] == "1,234"
    assert numbers["Male", "Total"] == "75"
    assert numbers["Total", "Likely trafficking"] == "55"
    assert numbers["Total", "Total"] == "1,390"
    assert numbers["Female", "Indicators present"] == "<10"
    suppressed = [td for td in table.iter("td") if "suppressed" in td.get("class", "")]
    assert [td.get("data-label") for td in suppressed] == [
        "Indicators present",
        "Possible trafficking",
    ]
    assert all(td.find("abbr").get("title") for td in suppressed)  # type: ignore[union-attr]
    assert '<p class="rule" id="by-sex-rule">Counts rounded to 5; &lt;10 not shown.</p>' in html


def test_a_one_dimension_table_is_a_count_column_with_its_total(render: Callable[..., str]) -> None:
    html = render('{{ table(t, "needs", "Needs", labels, {"need": "Need"}, "Rule") }}', t=NEEDS)
    table, numbers = table_cells(html)
    assert [th.text for th in table.findall("thead/tr/th")] == ["Need", "Count"]
    assert numbers == {
        ("Shelter", "Count"): "20",
        ("Medical care", "Count"): "10",
        (HOSTILE, "Count"): "<10",
        ("Livelihood", "Count"): "0",
        ("Total", "Count"): "35",
    }
    assert "&lt;b&gt;&amp;&lt;/b&gt;" in html


@pytest.mark.parametrize("macro", ["stacked_bar", "small_multiples"])
def test_the_table_shows_the_numbers_the_chart_shows(
    chart: Callable[[str, PublishedTable], str], render: Callable[..., str], macro: str
) -> None:
    drawn = {}
    for title in titled(svg(chart(macro, BY_SEX))):
        names, value = title.rsplit(": ", 1)
        row, column = names.split(", ")
        drawn[row, column] = value
    _table, numbers = table_cells(
        render('{{ table(t, "t", "C", labels, rule_text="R") }}', t=BY_SEX)
    )
    assert drawn == {key: v for key, v in numbers.items() if "Total" not in key}


# --- layout rules ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("largest", "expected"),
    [
        (0, (0, 0)),
        (1, (1, 1)),
        (3, (3, 1)),
        (9, (10, 5)),
        (20, (20, 5)),
        (45, (60, 20)),
        (99, (100, 25)),
        (1234, (1500, 500)),
    ],
)
def test_the_axis_ends_at_a_round_number_at_or_above_the_largest_value(
    largest: int, expected: tuple[int, int]
) -> None:
    assert chart_scale.nice_maximum(largest) == expected


def test_more_lines_than_distinct_styles_are_refused() -> None:
    table = PublishedTable(("month", "b"), {("2026-01", str(i)): Cell(1) for i in range(6)}, RULE)
    with pytest.raises(ValueError, match="at most 5 series"):
        chart_lines.line_layout(table)


def test_a_stacked_bar_of_more_series_than_styles_is_drawn_as_small_multiples() -> None:
    cells = {(row, str(i)): Cell(10) for row in ("x", "y") for i in range(6)}
    chart = chart_bars.stacked_layout(PublishedTable(("a", "b"), cells, RULE))
    # One panel per bar, each with one bar per series and no legend of patterns.
    assert [p.heading for p in chart.panels] == ["x", "y"]
    assert [len(p.rows) for p in chart.panels] == [6, 6]
    assert chart.legend == ()


@pytest.mark.parametrize(
    "layout",
    [
        chart_bars.bar_layout,
        chart_bars.stacked_layout,
        chart_bars.multiples_layout,
        chart_crosstab.table_layout,
    ],
)
def test_a_table_of_the_wrong_shape_is_refused(layout: Any) -> None:
    three = PublishedTable(("a", "b", "c"), {("x", "y", "z"): Cell(10)}, RULE)
    with pytest.raises(ValueError, match="dimension"):
        layout(three)


def test_month_names_are_spaced_out_and_the_last_always_shows() -> None:
    assert chart_lines.labelled_months(12, 280) == {0, 3, 6, 11}
    assert chart_lines.labelled_months(3, 280) == {0, 1, 2}
    assert chart_lines.labelled_months(1, 280) == {0}


def test_end_labels_of_close_lines_are_moved_apart() -> None:
    assert chart_lines.spread([10, 12, 30], 14, 100) == [10, 24, 38]
    assert chart_lines.spread([95, 96, 97], 14, 100) == [72, 86, 100]
