"""Benchmarks: ``python -m bench [NAME...]`` prints one table per benchmark.

Every benchmark measures jobtui side by side with a baseline in the same run,
interleaving rounds, so the ratios hold on a noisy machine.
"""
