"""Tests of the reporting package."""
