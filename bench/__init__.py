"""Booking benchmarks (issue 3, "Speed"): run them with `make bench` or `python -m bench`.

See bench/README.md for what each figure means and the figures last measured.
"""
