"""seatmgr benchmarks: each one measures the product against a floor in the same run.

Not tests and not part of the application: `python bench/run.py [--quick]` runs them all on a
PostgreSQL database of their own and writes docs/performance.md.
"""
