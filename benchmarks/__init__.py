"""`make bench`: Sesame's figures (throughput, CPU cost, start-up time), printed as a table.

Run with ``python -m benchmarks``; each benchmark module is listed in ``benchmarks.__main__``.
Figures are measurements of this machine at this moment, never asserted anywhere.
"""
