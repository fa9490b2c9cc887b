"""Developer tooling (benchmarks, smoke tests, demo sheets): never imported by product code."""
