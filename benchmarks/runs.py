"""The run engine's own cost: time and queries per run and per step, for steps that do nothing.

    .venv/bin/python benchmarks/runs.py [--runs 200] [--steps 1,5,20]

Each run is started (``portal.runs.start``: the row, its steps, the audit entry when the kind asks
for one) and executed in this process (``portal.runs.execute``: claim, heartbeat thread, a
checkpoint and three writes per step, the log lines, the final write), as a worker does once it
has the message. The per-step figure is the slope between the smallest and largest step counts,
so the fixed cost of a run (its claim, start and end) is not counted in it. With DATABASE_URL set
it runs against that server (in a database of its own, dropped after).
"""

from __future__ import annotations

import argparse
import statistics
import time

import _django

_django.setup()


def noop(ctx):
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--steps", default="1,5,20", help="step counts to measure, comma-separated")
    args = parser.parse_args()
    counts = sorted({int(value) for value in args.steps.split(",")})

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from portal import runs

    class Noop(runs.RunKind):
        name = "bench.noop"

    runs.register(Noop())

    with _django.own_database() as db:
        print(f"database: {_django.describe_database(db)}; {args.runs} runs per step count")
        results = {}
        for count in counts:
            steps = [{"key": f"s{index}", "name": f"Step {index}", "action": "noop"} for index in range(count)]
            Noop.run_step = lambda self, ctx, step: None  # every step does nothing
            start_ms, execute_ms, queries = [], [], []
            for _ in range(args.runs):
                began = time.perf_counter()
                run = runs.start("bench.noop", steps=steps)
                connection.queries_log.clear()
                started = time.perf_counter()
                with CaptureQueriesContext(connection) as captured:
                    outcome = runs.execute(run.pk)
                ended = time.perf_counter()
                assert outcome.status == "succeeded", outcome
                start_ms.append((started - began) * 1000)
                execute_ms.append((ended - started) * 1000)
                queries.append(len(captured))
            results[count] = (statistics.median(start_ms), statistics.median(execute_ms), statistics.median(queries))
            print(
                f"{count:>3} steps: start p50 {results[count][0]:.2f} ms, execute p50 {results[count][1]:.2f} ms, "
                f"{results[count][2]:.0f} queries to execute"
            )
        low, high = counts[0], counts[-1]
        if high > low:
            per_step_ms = (results[high][1] - results[low][1]) / (high - low)
            per_step_queries = (results[high][2] - results[low][2]) / (high - low)
            print(f"overhead per step: {per_step_ms:.2f} ms, {per_step_queries:.1f} queries")
            print(f"fixed cost of a run (execute, {low} step): {results[low][1] - low * per_step_ms:.2f} ms")


if __name__ == "__main__":
    main()
