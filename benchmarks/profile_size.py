"""Profile one replication of a benchmark size with pyinstrument and print the call tree.

Usage (from the repository root; pyinstrument comes with the ``bench`` extra)::

    .venv/bin/python benchmarks/profile_size.py M            # one replication
    .venv/bin/python benchmarks/profile_size.py M --runs 10  # more samples for small sizes
    .venv/bin/python benchmarks/profile_size.py XL --fraction 0.25

The profiled runs are those of :mod:`run` (graph building, 40 quarters, result
tables), after a warm-up run so imports are not in the profile.
"""

from __future__ import annotations

import argparse

from measure import warm_up
from pyinstrument import Profiler
from sizes import SIZES, size_scenario

from sim.runner import run_replication
from sim.scenario import load_scenario


def main(argv: list[str] | None = None) -> None:
    """Profile ``--runs`` replications of a size and print pyinstrument's text report."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("size", choices=list(SIZES))
    parser.add_argument("--fraction", type=float, default=1.0, help="scale customers and partners")
    parser.add_argument("--runs", type=int, default=1, help="replications to profile")
    parser.add_argument("--interval", type=float, default=0.001, help="sampling interval, seconds")
    args = parser.parse_args(argv)
    scenario_dict = size_scenario(args.size, args.fraction)
    warm_up(scenario_dict)
    scenario = load_scenario(scenario_dict)
    profiler = Profiler(interval=args.interval)
    with profiler:
        for replication in range(args.runs):
            run_replication(scenario, replication)
    print(profiler.output_text(unicode=False, color=False))


if __name__ == "__main__":
    main()
