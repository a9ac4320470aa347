"""Tests of the access package."""
