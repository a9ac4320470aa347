"""Reliability tests: behaviour under concurrency and load rather than single requests."""
