"""Reporting: anonymised statistics facts, the report catalogue, disclosure control, charts
and exports (docs/reporting.md). Depends on every other package; none depends on it."""
