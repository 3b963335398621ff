"""Benchmarks: `python -m bench [--quick]` (or `make bench [QUICK=1]`) writes bench/REPORT.md
and bench/results.json. See bench/run.py."""
