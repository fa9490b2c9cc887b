"""Benchmarks, smoke tests, demo sheets and sample data for developers. Product code never imports this package."""
