"""The ``ecosim`` command line: it only parses arguments and calls library functions.

Exit codes: 0 success, 2 bad input (scenario, experiment, arguments), 1 internal
error, 130 stopped by Ctrl-C (SIGINT), 143 stopped by SIGTERM (128 + the signal's
number, the shells' convention). SIGTERM, how schedulers and containers stop a
program, is handled like Ctrl-C: a sweep keeps its finished tasks for ``--resume``, a
run keeps nothing, and worker processes end with the command. Errors are one
readable message on stderr; ``--debug`` shows the traceback.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sim.errors import ExperimentIncomplete, ScenarioError
from sim.limits import MAX_POINTS

__all__ = ["main", "build_parser"]

EXIT_OK, EXIT_INTERNAL, EXIT_BAD_INPUT = 0, 1, 2
EXIT_STOPPED = {signal.SIGINT: 130, signal.SIGTERM: 143}  # 128 + the signal's number
EPILOG = ("exit codes: 0 success, 1 internal error, 2 bad input, 130 stopped by Ctrl-C (SIGINT), 143 stopped by "
          "SIGTERM; SIGTERM stops a command as Ctrl-C does (a sweep keeps its finished tasks for --resume)")


class _Parser(argparse.ArgumentParser):
    """argparse, but bad arguments exit with code 2 and one line (argparse's own convention)."""

    def error(self, message: str):  # noqa: D102
        self.print_usage(sys.stderr)
        self.exit(EXIT_BAD_INPUT, f"ecosim: error: {message}\n")


def _add_run_options(parser: argparse.ArgumentParser, replications: str, seed: str, quarters: str,
                     directory: str) -> None:
    """Options shared by ``run`` and ``compare``: what each overrides is named in its help."""
    parser.add_argument("--replications", type=int, help=f"override {replications}")
    parser.add_argument("--seed", type=int, help=f"override {seed}")
    parser.add_argument("--quarters", type=int, help=f"override {quarters}")
    parser.add_argument("--out", type=Path, help=f"{directory} (default results/<name>/<time>-<hash>)")
    parser.add_argument("--workers", type=int, default=1, help="processes for replications (default 1)")
    parser.add_argument("--report", action="store_true",
                        help=f"also write report.html and plots/ into the {directory}")


def build_parser() -> argparse.ArgumentParser:
    """Build the ``ecosim`` argument parser with one sub-command per task."""
    parser = _Parser(prog="ecosim", description="Agent-based simulation of B2B partner ecosystems: run "
                                                "scenarios, compare incentive designs, sweep parameters.",
                     epilog=EPILOG)
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)

    run = sub.add_parser("run", help="run a scenario file and write a run directory",
                         description="Run a scenario's replications, write manifest.json, quarterly.parquet, "
                                     "partners.parquet and summary.csv, and print a summary table.")
    run.add_argument("scenario", type=Path, help="scenario YAML file (see scenarios/)")
    _add_run_options(run, "simulation.replications", "simulation.seed", "simulation.quarters", "run directory")
    run.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY.PATH=VALUE",
                     help="override any scenario key, e.g. --set partners.var.margin=0.25 (repeatable)")
    run.add_argument("--export-graph", action="store_true",
                     help="also write the ecosystem of the first replication as GraphML (Gephi, Cytoscape, "
                          "networkx) into graphs/ of the run directory")
    run.add_argument("--graph-quarters", type=_quarters, metavar="Q,Q", help="quarters to export, e.g. 4,8,12 "
                                                                             "(default: the last; implies "
                                                                             "--export-graph)")
    run.add_argument("--graph-customers", choices=("aggregate", "individual"),
                     help="customers as one node per serving partner and segment (aggregate, the default) or one "
                          "node per customer, with the word-of-mouth graph (individual, small runs; implies "
                          "--export-graph)")
    run.set_defaults(handler=_cmd_run)

    validate = sub.add_parser("validate", help="check a scenario file without running it")
    validate.add_argument("scenario", type=Path)
    validate.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY.PATH=VALUE")
    validate.set_defaults(handler=_cmd_validate)

    compare = sub.add_parser("compare", help="compare incentive designs or whole strategies on common random "
                                             "numbers (an experiment file, or two or more scenario files)",
                             description="Run every arm of an experiment file (kind: compare), or each of two or "
                                         "more scenario files as an arm, on the same replication seeds (common "
                                         "random numbers); write one run directory per arm, comparison.csv (per "
                                         "metric and arm vs. the first arm: mean difference, paired 95% interval, "
                                         "relative change, n), values.csv and experiment.json; print which arm "
                                         "wins on which metric and a summary.")
    compare.add_argument("sources", type=Path, nargs="+", metavar="FILE",
                         help="one experiment YAML file (see experiments/), or two or more scenario YAML files "
                              "(see scenarios/), told apart by their content")
    _add_run_options(compare, "the experiment's replications (scenario files: 20)",
                     "the experiment's seed (scenario files: 0)",
                     "the experiment's horizon (needed when the scenarios' horizons differ)", "result directory")
    compare.add_argument("--metrics", type=lambda text: [m for m in text.split(",") if m], action="extend",
                         metavar="NAME,NAME", help="quarterly columns to compare, replacing the experiment's "
                                                   "(scenario files default to revenue by route, ARR, customers, "
                                                   "partners, ecosystem contribution and program cost)")
    compare.set_defaults(handler=_cmd_compare)

    sweep = sub.add_parser("sweep", help="run a parameter sweep file (experiments/*.yaml, kind: sweep)",
                           description="Run every point of a sweep's design with replications, on this process, "
                                       "a local process pool or Dask; write sweep.parquet, points.csv, "
                                       "sensitivity.csv (Sobol'/Morris) and manifest.json; print the indices or "
                                       "each point's mean and 95% interval.")
    sweep.add_argument("experiment", type=Path, help="sweep YAML file (see experiments/)")
    sweep.add_argument("--executor", choices=("serial", "processes", "dask"),
                       help="where runs execute (default processes; dask when --scheduler is given)")
    sweep.add_argument("--scheduler", metavar="ADDR", help="Dask scheduler address, e.g. tcp://10.0.0.5:8786 "
                                                           "(default with --executor dask: a local cluster)")
    sweep.add_argument("--workers", type=int, help="local processes or Dask workers (default: the machine's cores)")
    sweep.add_argument("--batch-size", type=int, help="runs per task (default: automatic, at most 50)")
    sweep.add_argument("--out", type=Path, help="result directory (default results/<name>/<time>-<hash>)")
    sweep.add_argument("--resume", action="store_true", help="finish an interrupted sweep, skipping finished runs")
    sweep.add_argument("--dry-run", action="store_true", help="check the sweep file and print its size; build no "
                                                              "point and run nothing")
    sweep.add_argument("--max-points", type=int, default=MAX_POINTS, metavar="N",
                       help=f"refuse a design of more than N points (default {MAX_POINTS:,}; counted before any "
                            "point is built)")
    sweep.add_argument("--report", action="store_true", help="also write report.html and plots/ into the "
                                                             "result directory")
    sweep.set_defaults(handler=_cmd_sweep)

    schema = sub.add_parser("schema", help="print the JSON Schema of scenario files")
    schema.set_defaults(handler=_cmd_schema)

    report = sub.add_parser("report", help="draw the plots and a self-contained report.html of a result directory",
                            description="Read a run directory and write plots/*.png and report.html into it.")
    report.add_argument("directory", type=Path, help="a run directory")
    report.add_argument("--quarter", type=int, help="quarter of the network picture (default: the last)")
    report.set_defaults(handler=_cmd_report)

    app = sub.add_parser("app", help="open the interactive page (needs the app extra: pip install 'ecosim[app]')",
                         description="Serve the interactive page: scenario knobs, step/play, the network "
                                     "picture and live charts. Works offline.")
    app.add_argument("scenario", type=Path, nargs="?", help="scenario YAML file (default scenarios/baseline.yaml)")
    app.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    app.add_argument("--port", type=int, default=8765, help="port to listen on (default 8765)")
    app.add_argument("--open", action="store_true", help="open the page in a browser")
    app.set_defaults(handler=_cmd_app)
    _add_optimize(sub)
    _add_explore(sub)
    _add_calibrate(sub)
    return parser


def _add_executor_options(parser: argparse.ArgumentParser, what: str) -> None:
    """Where runs execute, the result directory and --resume: the options of ``optimize`` and ``explore``."""
    parser.add_argument("--executor", choices=("serial", "processes", "dask"),
                        help="where runs execute (default processes; dask when --scheduler is given)")
    parser.add_argument("--scheduler", metavar="ADDR", help="Dask scheduler address, e.g. tcp://10.0.0.5:8786 "
                                                            "(default with --executor dask: a local cluster)")
    parser.add_argument("--workers", type=int, help="local processes or Dask workers (default: the machine's cores)")
    parser.add_argument("--out", type=Path, help="result directory (default results/<name>/<time>-<hash>)")
    parser.add_argument("--resume", action="store_true", help=f"finish an interrupted {what}")


def _add_optimize(sub) -> None:
    optimize = sub.add_parser(
        "optimize", help="find the best incentive design, or the Pareto front (experiments/*.yaml, kind: optimize)",
        description="Search a design space of scenario levers with optuna (TPE for one objective, NSGA-II for "
                    "several) under constraints; every trial runs its replications on the same seeds. Write "
                    "trials.parquet, runs.parquet, best.csv, the best design(s) as scenario files and a compare "
                    "file against the base, study.db, manifest.json and report.html; print the best design.")
    optimize.add_argument("experiment", type=Path, help="optimisation YAML file (see experiments/)")
    _add_executor_options(optimize, "study, re-running only its unfinished trials")
    optimize.set_defaults(handler=_cmd_optimize)


def _add_explore(sub) -> None:
    explore = sub.add_parser(
        "explore", help="find the designs that hold up in many plausible futures (experiments/*.yaml, kind: explore)",
        description="Run every candidate design in every future of a Latin hypercube over uncertain market "
                    "parameters, on common random numbers; write outcomes.parquet, robustness.csv (mean, 10th and "
                    "90th percentiles, regret per design), PRIM boxes of when a design fails (scenario discovery), "
                    "manifest.json and report.html; print each design's robustness.")
    explore.add_argument("experiment", type=Path, help="exploration YAML file (see experiments/)")
    _add_executor_options(explore, "exploration, skipping finished runs")
    explore.set_defaults(handler=_cmd_explore)


def _execution(args) -> dict:
    """The options of :func:`_add_executor_options` (which ``sweep`` has too), as keyword arguments."""
    return {"executor": args.executor, "scheduler": args.scheduler, "workers": args.workers, "out": args.out,
            "resume": args.resume}


def _cmd_explore(args) -> int:
    from sim.experiments import explore

    return _show_written(explore(args.experiment, **_execution(args)))


def _cmd_optimize(args) -> int:
    from sim.experiments import optimize

    return _show_written(optimize(args.experiment, **_execution(args)))


def _add_calibrate(sub) -> None:
    """The ``calibrate`` sub-command: fit a scenario to a company's quarterly history (ABC-SMC, pyabc)."""
    calibrate = sub.add_parser("calibrate", help="fit a scenario's parameters to a company's quarterly KPI history",
                               description="Fit the parameters a calibration file names (with their priors) to a "
                                           "CSV of observed quarterly KPIs by approximate Bayesian computation "
                                           "(ABC-SMC, pyabc); print each generation's epsilon and acceptance "
                                           "rate; write posterior.parquet, posterior_summary.csv, "
                                           "correlations.csv, generations.csv, fit.parquet, calibrated.yaml (the "
                                           "scenario with the posterior medians), manifest.json and report.html.")
    calibrate.add_argument("scenario", type=Path, help="scenario YAML file to calibrate")
    calibrate.add_argument("--history", type=Path, required=True, metavar="CSV",
                           help="observed KPIs: a quarter column and columns of quarterly.parquet (docs/MODEL.md)")
    calibrate.add_argument("--spec", type=Path, required=True, metavar="YAML",
                           help="calibration file: parameters with priors, KPIs with weights, budget, seed")
    calibrate.add_argument("--out", type=Path, help="result directory (default results/<name>/<time>-<hash>)")
    where = calibrate.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, help="local processes evaluating particles (default 1)")
    where.add_argument("--scheduler", metavar="ADDR", help="Dask scheduler address, e.g. tcp://10.0.0.5:8786")
    calibrate.add_argument("--resume", action="store_true",
                           help="continue an interrupted calibration after its last finished generation")
    calibrate.set_defaults(handler=_cmd_calibrate)


def _cmd_calibrate(args) -> int:
    from functools import partial

    from sim.experiments import calibrate

    result = calibrate(args.scenario, args.history, args.spec, out=args.out, workers=args.workers,
                       scheduler=args.scheduler, resume=args.resume, notify=partial(print, flush=True))
    print(result.report())
    print(f"\nCalibrated scenario: {result.path / 'calibrated.yaml'}")
    print(f"Results: {result.path}\nReport: {result.path / 'report.html'}")
    return EXIT_OK


def _show(text: str, path: Path, report: bool) -> int:
    """Print a result's account and where it was written; draw its report if asked."""
    print(text)
    print(f"\nResults: {path}")
    if report:
        from sim.report import build_report

        print(f"Report: {build_report(path)}")
    return EXIT_OK


def _show_written(result) -> int:
    """Print the account of an experiment that wrote its own report.html, and where both are."""
    print(result.report())
    print(f"\nResults: {result.path}\nReport: {result.path / 'report.html'}")
    return EXIT_OK


def _quarters(text: str) -> list[int]:
    """``4,8,12`` as a list of quarters (argparse type)."""
    try:
        return [int(q) for q in text.split(",") if q.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected quarters such as 4,8,12, got {text!r}") from None


def _cmd_run(args) -> int:
    from sim.runner import run_scenario
    from sim.scenario import load_scenario, parse_overrides

    overrides = parse_overrides(args.overrides)
    graphs = args.export_graph or args.graph_quarters is not None or args.graph_customers is not None
    customers = args.graph_customers or "aggregate"
    if graphs:  # refuse a bad export before the run, not after it
        from sim.graph_export import check_export, export_graphs

        horizon = {"simulation.quarters": args.quarters} if args.quarters is not None else {}
        check_export(load_scenario(args.scenario, {**overrides, **horizon}), args.graph_quarters, customers)
    result = run_scenario(args.scenario, overrides, replications=args.replications, seed=args.seed,
                          quarters=args.quarters, out=args.out, workers=args.workers)
    code = _show(result.report(), result.path, args.report)
    if graphs:
        for path in export_graphs(result.path, args.graph_quarters, customers=customers):
            print(f"Graph: {path}")
    return code


def _cmd_validate(args) -> int:
    from sim.scenario import load_scenario, parse_overrides

    scenario = load_scenario(args.scenario, parse_overrides(args.overrides))
    print(f"{args.scenario}: valid scenario '{scenario.name}' "
          f"({scenario.simulation.replications} replications x {scenario.simulation.quarters} quarters)")
    return EXIT_OK


def _cmd_report(args) -> int:
    from sim.report import build_report

    print(f"Report: {build_report(args.directory, quarter=args.quarter)}")
    return EXIT_OK


def _cmd_app(args) -> int:
    """Validate the scenario, then become the solara server (exec: one process to stop)."""
    import importlib.util
    import os

    from sim.scenario import load_scenario

    scenario = args.scenario or Path(__file__).resolve().parents[1] / "scenarios" / "baseline.yaml"
    load_scenario(scenario)  # a bad scenario is refused (exit 2) before a server starts
    if importlib.util.find_spec("solara") is None:
        print("ecosim: error: the interactive page needs the app extra: pip install 'ecosim[app]'", file=sys.stderr)
        return EXIT_INTERNAL
    command = [sys.executable, "-m", "solara", "run", str(Path(__file__).with_name("app.py")), "--host", args.host,
               "--port", str(args.port), "--production", "--no-check-version", "--open" if args.open else "--no-open"]
    sys.stdout.flush()
    os.execve(sys.executable, command, {**os.environ, "ECOSIM_APP_SCENARIO": str(Path(scenario).resolve())})


def _cmd_compare(args) -> int:
    from sim.experiments import compare

    result = compare(args.sources, replications=args.replications, seed=args.seed, quarters=args.quarters,
                     metrics=args.metrics, out=args.out, workers=args.workers)
    return _show(result.report(), result.path, args.report)


def _cmd_schema(args) -> int:
    from sim.scenario import json_schema

    print(json.dumps(json_schema(), indent=2))
    return EXIT_OK


def _cmd_sweep(args) -> int:
    from sim.experiments import sweep
    from sim.experiments.sweep_spec import read_sweep

    if args.dry_run:
        head = read_sweep(args.experiment, args.max_points)
        print(f"{args.experiment}: valid sweep '{head.name}': {head.method} design, {head.size:,} points x "
              f"{head.replications} replications = {head.size * head.replications:,} runs")
        return EXIT_OK
    result = sweep(args.experiment, **_execution(args), batch_size=args.batch_size, max_points=args.max_points)
    return _show(result.report(), result.path, args.report)


@contextmanager
def _sigterm_as_interrupt(stopped: list[int]) -> Iterator[None]:
    """Within the block, SIGTERM raises ``KeyboardInterrupt`` like Ctrl-C; each signal is noted in ``stopped``.

    Signal handlers can only be set in the main thread; elsewhere the block runs unchanged.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum, frame):
        stopped.append(signum)
        raise KeyboardInterrupt

    previous = {sig: signal.signal(sig, interrupt) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``ecosim`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    stopped: list[int] = []
    try:
        with _sigterm_as_interrupt(stopped):
            return args.handler(args)
    except ScenarioError as exc:
        if args.debug:
            raise
        print(f"ecosim: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except ExperimentIncomplete as exc:  # runs lost to a failed worker: the message says how to --resume
        print(f"ecosim: error: {exc}", file=sys.stderr)
        return EXIT_INTERNAL
    except KeyboardInterrupt as exc:
        signum = signal.Signals(stopped[-1] if stopped else signal.SIGINT)
        kept = str(exc) or "interrupted; no partial results were kept"
        print(f"ecosim: {kept} (stopped by {signum.name})", file=sys.stderr)
        return EXIT_STOPPED[signum]
    except Exception as exc:  # noqa: BLE001 - one readable line instead of a traceback
        if args.debug:
            raise
        print(f"ecosim: internal error: {type(exc).__name__}: {exc} (rerun with --debug for details)",
              file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
