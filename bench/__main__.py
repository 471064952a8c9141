"""`python -m bench`: the booking and usage benchmarks on SQLite and PostgreSQL, one table each.

    python -m bench                         # everything (what `make bench` runs)
    python -m bench --only booking          # only the HTTP benchmark
    python -m bench --only availability     # only the availability benchmark
    python -m bench --only usage            # only the usage-report benchmark (issue 4)
    python -m bench --only finance          # only the statements benchmark (100 hubs, 2M rows)
    python -m bench --backends sqlite       # one database
    python -m bench --requests 500 --big 100000   # a quicker, smaller run
    python -m bench --only usage --usage-sizes 10000,100000 --usage-runs 3
    python -m bench --only finance --finance-rows 200000 --finance-runs 1

PostgreSQL comes from HUB_BENCH_POSTGRES_URL (default
postgresql://postgres@127.0.0.1:5432/postgres); without a reachable server its
rows are skipped with the reason.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings

from bench.common import BACKENDS, machine_summary, postgres_available


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--only", choices=("booking", "availability", "usage", "finance"))
    parser.add_argument("--backends", default=",".join(BACKENDS))
    parser.add_argument("--requests", type=int, default=2000, help="measured POSTs per endpoint")
    parser.add_argument("--concurrency", type=int, default=16, help="client threads")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--worker-class", default="sync", choices=("sync", "gthread"))
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker")
    parser.add_argument(
        "--app",
        default="bench.bare_app:make_app()",
        help="WSGI app for gunicorn (to measure a candidate change; see bench/README.md)",
    )
    parser.add_argument("--small", type=int, default=10_000, help="bookings, first size")
    parser.add_argument("--big", type=int, default=1_000_000, help="bookings, second size")
    parser.add_argument("--runs", type=int, default=15, help="timed availability runs (median)")
    parser.add_argument(
        "--usage-sizes",
        default="100000,1000000",
        help="usage benchmark: bookings in the hub's year, small and big (at most 1,010,868)",
    )
    parser.add_argument("--usage-runs", type=int, default=5, help="timed usage runs (median)")
    parser.add_argument(
        "--finance-rows", type=int, default=2_000_000, help="finance benchmark: usage_days rows"
    )
    parser.add_argument("--finance-hubs", type=int, default=100, help="finance benchmark: hubs")
    parser.add_argument("--finance-runs", type=int, default=3, help="timed finance runs (best)")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore", DeprecationWarning)

    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    unknown = set(backends) - set(BACKENDS)
    if unknown:
        parser.error(f"unknown backend(s): {', '.join(sorted(unknown))}")
    try:
        usage_small, usage_big = (int(n.replace("_", "")) for n in args.usage_sizes.split(","))
    except ValueError:
        parser.error("--usage-sizes takes two numbers, like 100000,1000000")
    if not 0 < usage_small < usage_big:
        parser.error("--usage-sizes: the second size must be larger than the first")
    if args.finance_rows < 1 or args.finance_hubs < 1 or args.finance_runs < 1:
        parser.error("--finance-rows, --finance-hubs and --finance-runs take positive numbers")
    skipped = []
    if "postgresql" in backends and (reason := postgres_available()):
        backends.remove("postgresql")
        skipped.append(f"postgresql skipped: {reason}")

    began = time.monotonic()
    print("Hub benchmarks (issues 3 and 4, Speed)")
    for line in machine_summary():
        print("  " + line)
    for line in skipped:
        print("  " + line)
    sections = []

    if args.only in (None, "booking"):
        from bench import booking_bench

        settings = booking_bench.Settings(
            requests=args.requests,
            concurrency=args.concurrency,
            workers=args.workers,
            worker_class=args.worker_class,
            threads=args.threads,
            app=args.app,
        )
        runs = []
        for backend in backends:
            print(f"\n[booking] {backend}: seeding, starting gunicorn, sending requests ...")
            sys.stdout.flush()
            runs.append(booking_bench.bench_backend(backend, settings))
        sections.append(booking_bench.report(runs, settings))

    if args.only in (None, "availability"):
        from bench import availability_bench

        results = []
        for backend in backends:
            print(f"\n[availability] {backend}: seeding {args.small:,} then {args.big:,} ...")
            sys.stdout.flush()
            results.append(
                availability_bench.bench_backend(backend, args.small, args.big, args.runs)
            )
        sections.append(availability_bench.report(results, args.small, args.big, args.runs))

    if args.only in (None, "usage"):
        from bench import usage_bench

        usage_results = []
        for backend in backends:
            print(f"\n[usage] {backend}: seeding {usage_small:,} then {usage_big:,} ...")
            sys.stdout.flush()
            usage_results.append(
                usage_bench.bench_backend(backend, usage_small, usage_big, args.usage_runs)
            )
        sections.append(usage_bench.report(usage_results, args.usage_runs))

    if args.only in (None, "finance"):
        from bench import finance_bench

        finance_results = []
        for backend in backends:
            print(
                f"\n[finance] {backend}: seeding {args.finance_hubs} hubs and "
                f"{args.finance_rows:,} usage rows ..."
            )
            sys.stdout.flush()
            finance_results.append(
                finance_bench.bench_backend(
                    backend, args.finance_rows, args.finance_hubs, args.finance_runs
                )
            )
        sections.append(finance_bench.report(finance_results, args.finance_runs))

    print()
    print("=" * 100)
    for section in sections:
        print()
        print(section)
    print()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"Total time: {time.monotonic() - began:.0f} s; load average at the end: {load}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
