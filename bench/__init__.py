"""Benchmarks: scripts that measure and print figures as JSON; they never assert timings."""
