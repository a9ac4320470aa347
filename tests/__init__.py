"""Passage's test suite; it mirrors the packages."""
