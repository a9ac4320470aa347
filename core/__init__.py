"""Passage's foundation: configuration, database, clock, errors, HTTP hardening and i18n.

Nothing in ``core`` imports another Passage package, and nothing here defines a view.
"""
