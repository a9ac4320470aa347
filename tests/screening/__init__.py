"""Tests of the screening package."""
