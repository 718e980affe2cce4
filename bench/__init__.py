"""Benchmarks of the engine against its anchors; ``python -m bench`` writes docs/benchmarks.md."""
