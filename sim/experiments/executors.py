"""The executors a sweep runs on, all behind ``concurrent.futures.Executor``.

* ``serial``: this process, one task at a time (debugging, tiny sweeps);
* ``processes``: a local process pool sized to the machine (the default);
* ``dask``: a Dask distributed cluster, through ``Client.get_executor()``; a
  ``LocalCluster`` when no scheduler address is given.

Other ``concurrent.futures`` executors (e.g. mpi4py's ``MPIPoolExecutor``) fit the
same seam: :func:`run_tasks`, which every experiment runs its work through, only
calls ``submit`` and waits on the futures.
"""

from __future__ import annotations

import multiprocessing
import os
import select
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, as_completed, wait
from contextlib import contextmanager
from dataclasses import dataclass

from sim.errors import ScenarioError

__all__ = ["EXECUTORS", "SerialExecutor", "ExecutorInfo", "check_executor", "choose_executor", "open_executor",
           "machine_workers", "run_tasks"]

EXECUTORS = ("serial", "processes", "dask")


class SerialExecutor(Executor):
    """Runs each submitted call at once, in this process; its future is already done."""

    def submit(self, fn, /, *args, **kwargs) -> Future:  # noqa: D102
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as exc:  # noqa: BLE001 - delivered through the future, like any executor
            future.set_exception(exc)
        return future


@dataclass
class ExecutorInfo:
    """An open executor, how many tasks it runs at once, and a description for the manifest."""

    executor: Executor
    kind: str
    workers: int
    address: str | None = None


def machine_workers() -> int:
    """CPU cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def check_executor(kind: str, workers: int | None = None, scheduler: str | None = None) -> None:
    """Check executor arguments before anything is created.

    Raises:
        ScenarioError: for an unknown kind, a bad worker count, or a scheduler without dask.
    """
    if kind not in EXECUTORS:
        raise ScenarioError(f"--executor {kind}: choose one of {', '.join(EXECUTORS)}")
    if workers is not None and workers < 1:
        raise ScenarioError(f"--workers {workers}: must be at least 1")
    if scheduler and kind != "dask":
        raise ScenarioError(f"--scheduler {scheduler}: needs --executor dask")
    if scheduler and workers is not None:
        raise ScenarioError("--workers applies to a local cluster; a scheduler's cluster has its own workers")


def choose_executor(executor: str | None, workers: int | None = None, scheduler: str | None = None) -> str:
    """The executor a sweep, optimisation or exploration runs on, its arguments checked (:func:`check_executor`).

    The one named, else ``dask`` when a scheduler address is given and ``processes``
    otherwise: the ``--executor`` default of ``ecosim sweep``, ``optimize`` and ``explore``.
    """
    kind = executor or ("dask" if scheduler else "processes")
    check_executor(kind, workers, scheduler)
    return kind


@contextmanager
def open_executor(kind: str, workers: int | None = None, scheduler: str | None = None) -> Iterator[ExecutorInfo]:
    """Open an executor and close it (cancelling queued tasks) when the block ends.

    Args:
        kind: ``serial``, ``processes`` or ``dask``.
        workers: processes (``processes``, or the LocalCluster's workers for ``dask``);
            default: the machine's cores.
        scheduler: a Dask scheduler address such as ``tcp://10.0.0.5:8786``.

    Raises:
        ScenarioError: for bad arguments (:func:`check_executor`), dask not installed, or
            a scheduler that cannot be reached.
    """
    check_executor(kind, workers, scheduler)
    if kind == "serial":
        yield ExecutorInfo(SerialExecutor(), kind, 1)
    elif kind == "processes":
        n = workers or machine_workers()
        pool = ProcessPoolExecutor(max_workers=n, mp_context=_worker_context(), initializer=_start_worker,
                                   initargs=(os.getpid(),))
        try:
            yield ExecutorInfo(pool, kind, n)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
    else:
        with _dask(workers, scheduler) as info:
            yield info


def run_tasks[T, R](fn: Callable[[T], R], tasks: Iterable[T], info: ExecutorInfo,
                   on_result: Callable[[T, R], None], notify: Callable[[str], None] = print) -> list[tuple[T, str]]:
    """Run ``fn(task)`` for every task on an open executor, handing on each result as it finishes.

    At most two tasks per worker are in flight (one on the serial executor), so every
    finished task is handed on (a sweep saves it) before the next ones pile up. On
    Ctrl-C (or SIGTERM, which the command line turns into the same interruption),
    queued tasks are cancelled and running ones are still collected and handed on (a
    second signal abandons them) before the interruption goes on.

    Args:
        fn: what to run; it must be picklable for process pools and Dask.
        tasks: its arguments, one call each.
        info: the executor (:func:`open_executor`).
        on_result: called in this process with each task and its result.
        notify: how to tell the user that running tasks are being saved.

    Returns:
        ``(task, error)`` for each task lost to the infrastructure (a dead worker, a
        failed executor): the caller decides what a loss means.
    """
    queue = iter(tasks)
    pending: dict[Future, T] = {}
    lost: list[tuple[T, str]] = []
    limit = 1 if info.kind == "serial" else 2 * info.workers

    def submit_more() -> None:
        while len(pending) < limit:
            task = next(queue, None)
            if task is None:
                return
            try:
                pending[info.executor.submit(fn, task)] = task
            except Exception as exc:  # noqa: BLE001 - a broken executor: keep what finished
                lost.append((task, f"{type(exc).__name__}: {exc}"))
                lost.extend((t, "not started: the executor failed") for t in queue)
                return

    def collect(future: Future) -> None:
        task = pending.pop(future)
        try:
            result = future.result()
        except Exception as exc:  # noqa: BLE001 - a lost worker, not a failing run
            lost.append((task, f"{type(exc).__name__}: {exc}"))
            return
        on_result(task, result)

    try:
        submit_more()
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                collect(future)
            submit_more()
    except KeyboardInterrupt:
        running = [f for f in pending if not f.cancel()]
        for future in set(pending) - set(running):
            pending.pop(future)
        if running:
            notify(f"interrupted: saving {len(running)} running task(s); press Ctrl-C again to abandon them")
            for future in as_completed(running):
                collect(future)
        raise
    return lost


def _start_worker(parent: int) -> None:
    """Set up a pool worker: leave Ctrl-C to the parent, and exit as soon as the parent is gone.

    A terminal's Ctrl-C reaches every process of its group; the parent alone decides
    what to keep (:func:`run_tasks` collects the running tasks), so workers ignore it.
    A worker whose parent is killed (SIGKILL, a crash) would otherwise wait on its task
    queue forever, and keep the fork server and resource tracker alive with it: a
    daemon thread watches the parent and ends the worker when it exits.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with, args=(parent,), name="ecosim-parent-watch", daemon=True).start()


def _exit_with(parent: int) -> None:
    """Return never: wait until process ``parent`` exits, then end this process at once.

    On Linux a pidfd becomes readable when the process exits (no polling, no confusion
    with a later process given the same id); elsewhere the parent is polled every second.
    """
    try:
        handle = os.pidfd_open(parent)
    except AttributeError:  # no pidfd_open on this OS
        while _alive(parent):
            time.sleep(1.0)
    except OSError:  # the parent is already gone
        pass
    else:
        select.select([handle], [], [])
    os._exit(1)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _worker_context() -> multiprocessing.context.BaseContext:
    """Start pool workers from a fork server that has imported the model once.

    Workers start clean (not forked from this process and whatever threads it runs),
    and in a fraction of a second instead of each importing the model; the server
    outlives the pool, so later sweeps in the same session start at once. Where
    there is no fork server (Windows), workers are spawned.
    """
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["sim.experiments.tasks"])
    return context


def _local_cluster(local_cluster, workers: int):
    """A LocalCluster of single-threaded worker processes, without Dask's malloc trimming.

    Dask's nanny starts workers with ``MALLOC_TRIM_THRESHOLD_=65536`` (to return memory
    to the OS sooner); for this model's many short-lived numpy arrays that makes a
    replication about 1.5x slower (benchmarks/README.md). The nanny also writes the
    variable into this process's environment, where later process pools would inherit
    it, so it is removed again.
    """
    import dask

    before = os.environ.get("MALLOC_TRIM_THRESHOLD_")
    with dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}):
        cluster = local_cluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
    if before is None:
        os.environ.pop("MALLOC_TRIM_THRESHOLD_", None)
    return cluster


@contextmanager
def _dask(workers: int | None, scheduler: str | None) -> Iterator[ExecutorInfo]:
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ScenarioError("--executor dask needs Dask distributed: pip install 'ecosim[dask]'") from None
    cluster = None
    if scheduler:
        try:
            client = Client(scheduler, timeout="30s")
        except OSError as exc:
            raise ScenarioError(f"--scheduler {scheduler}: cannot connect ({exc})") from None
    else:
        cluster = _local_cluster(LocalCluster, workers or machine_workers())
        client = Client(cluster)
    try:
        slots = max(sum(client.nthreads().values()), 1)
        yield ExecutorInfo(client.get_executor(pure=False), "dask", slots, client.scheduler.address)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
