"""Benchmarks: `python -m bench.<name>`, each measured against a reference in the same run."""
