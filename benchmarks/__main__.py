"""``python -m benchmarks [--duration S] [--clients 1,4,8] [--repeats N] [NAME ...]``: run the
benchmarks (all, or those whose module name contains a NAME) and print one table of figures."""

from __future__ import annotations

import argparse
import importlib
import sys
import time
import traceback

from benchmarks.harness import Benchmark, Figure, Options, table

# Every benchmark module, in the order they run; each exposes run(options) -> list[Figure].
BENCHMARKS = [
    "benchmarks.api_bench",
    "benchmarks.sending_bench",
    "benchmarks.mx_bench",
    "benchmarks.templates_bench",
    "benchmarks.smtp_bench",
    "benchmarks.event_stream_bench",
]


def _load(module_name: str) -> Benchmark:
    run: Benchmark = importlib.import_module(module_name).run
    return run


def _counts(text: str) -> tuple[int, ...]:
    counts = tuple(int(part) for part in text.split(",") if part.strip())
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError("expected positive counts separated by commas, e.g. 1,4,8")
    return counts


def main(argv: list[str] | None = None) -> int:
    defaults = Options()
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument(
        "names", nargs="*", help="run only benchmark modules whose name contains one of these"
    )
    parser.add_argument(
        "--duration", type=float, default=defaults.duration, help="seconds per throughput run"
    )
    parser.add_argument(
        "--clients", type=_counts, default=defaults.clients, help="concurrent clients, e.g. 1,4,8"
    )
    parser.add_argument(
        "--repeats", type=int, default=defaults.repeats, help="repetitions of one-shot figures"
    )
    args = parser.parse_args(argv)
    options = Options(duration=args.duration, clients=args.clients, repeats=args.repeats)
    selected = [m for m in BENCHMARKS if not args.names or any(n in m for n in args.names)]
    if not selected:
        parser.error(f"no benchmark matches {args.names}; there are {', '.join(BENCHMARKS)}")

    figures: list[Figure] = []
    failed: list[str] = []
    for module_name in selected:
        started = time.monotonic()
        print(f"running {module_name} ...", file=sys.stderr, flush=True)
        try:
            figures += _load(module_name)(options)
        except Exception:
            # One broken benchmark must not hide the others' figures.
            traceback.print_exc()
            failed.append(module_name)
        print(f"{module_name}: {time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)
    print(table(figures))
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
