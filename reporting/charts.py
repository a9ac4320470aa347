"""Chart geometry for report pages (docs/reporting.md §4).

The macros in ``templates/reporting/_charts.html`` draw hand-written SVG, because the CSP
(``style-src 'self'; script-src 'self'``) refuses every chart library's inline styles and
scripts. All arithmetic lives in the modules named below, as pure functions from a
``PublishedTable`` to frozen dataclasses the macros only read: a macro never sees a raw count
and never computes a length.

The rules every layout keeps:

* The value axis runs from zero to ``nice_maximum`` of the largest *published* value (a round
  number at or above it). A bar of value ``v`` is ``v * length / maximum`` long, so twice the
  value is exactly twice the bar; when nothing published is above zero every length is 0.
* A suppressed cell never enters the scale and is drawn as a stub of fixed size (``STUB``),
  hatched: no length or position anywhere depends on a hidden value (only on which cells
  are hidden, which the "<10" shows anyway).
* A zero is drawn as zero (an empty bar at the zero line, a point on the baseline).
* Series (second-dimension values) are told apart by pattern and lightness in bars, by dash
  and marker shape in lines, never by colour alone; so at most ``MAX_SERIES`` of them.
* Coordinates are SVG user units in a ``WIDTH``-wide view box; text sizes match the classes in
  ``static/passage.css`` (``.chart`` 14px, ``.chart-small`` 12px).

The layouts live in ``reporting/chart_bars.py`` (``bar_layout``, ``stacked_layout``,
``multiples_layout``), ``reporting/chart_lines.py`` (``line_layout``) and
``reporting/chart_crosstab.py`` (``table_layout``, for the table of the same numbers that
always stands beside a chart), on the value scale of ``reporting/chart_scale.py`` and the
table reading of ``reporting/chart_cells.py``. ``register(app)`` makes the layout functions
Jinja globals; the macros call them.
"""

from __future__ import annotations

from flask import Flask

from reporting.chart_bars import bar_layout, multiples_layout, stacked_layout
from reporting.chart_crosstab import table_layout
from reporting.chart_lines import line_layout


def register(app: Flask) -> None:
    """Make the layouts available to templates (the macros in reporting/_charts.html and
    reporting/_table.html). Safe to call more than once."""
    app.jinja_env.globals.update(
        bar_layout=bar_layout,
        stacked_layout=stacked_layout,
        line_layout=line_layout,
        multiples_layout=multiples_layout,
        table_layout=table_layout,
    )
