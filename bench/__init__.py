"""Benchmarks: the workloads of issue 6 driven through the real code against the sandbox.

Run them all with `python -m bench` (figures printed and written to bench/results.md).
"""
