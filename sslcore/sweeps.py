"""Sweeps: many trainings (a grid of configurations x seeds) in parallel, through joblib.

A *task* is one configuration (``SSLConfig`` or ``SLConfig``) or a tuple of configurations of
one kind trained together in one vectorized loop (``training.train_ssl_many`` /
``train_sl_many``; they may differ only in the fields those allow, e.g. ``init``, ``seeds``,
``tau``, ``rho``). Each task is trained in a joblib worker and reduced there, so only the
reduced results travel back:

    train_sweep(tasks, reduce)[i] = reduce(train(tasks[i]))                    (a configuration)
                                  = tuple(reduce(r) for r in train_many(tasks[i]))   (a tuple)

in task order, whatever the number of workers, the backend or the order in which tasks end.
Each seed has its own random streams, so every result equals training its configuration alone,
bit for bit. ``reduce`` defaults to ``experiments.Outcome.from_run`` (final weights and the mean
learning curves); ``cache=True`` goes through the run cache (``experiments.cached``) of the
machine that trains the task (on a cluster: each worker's ``$SSLCORE_CACHE``).

Where the tasks run (``jobs`` default None: the ``n_jobs`` of ``joblib.parallel_config``, else 1):

- one job: here, one after the other.
- ``jobs > 1`` under joblib's default backend (loky, also when named in ``parallel_config``): a
  pool of ``jobs`` forked processes (joblib's multiprocessing backend; see
  :func:`sweep_results` for why not loky). Without fork (Windows): loky.
- any other backend set by the caller with ``joblib.parallel_config``: that backend, the call
  unchanged. A Dask cluster (all its workers are used, whatever ``jobs`` says; they need
  sslcore and the pinned packages installed)::

      import joblib
      from dask.distributed import Client
      from sslcore import sweeps

      client = Client("tcp://scheduler:8786")        # the cluster's scheduler address
      with joblib.parallel_config(backend="dask"):
          results = sweeps.train_sweep(tasks)
"""
from __future__ import annotations

import itertools
import multiprocessing
import signal
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import joblib
from joblib.parallel import BACKENDS, DEFAULT_BACKEND, get_active_backend
from tqdm.auto import tqdm

from . import experiments, validation
from .config import SLConfig, SSLConfig
from .training import Run, train, train_sl_many, train_ssl_many

#: What a task may be (see the module docstring).
TaskLike = SSLConfig | SLConfig | Sequence[SSLConfig | SLConfig]

#: Tasks per worker in one round of the local process pool (see :func:`sweep_results`).
ROUND_PER_WORKER = 4


def config_grid(base: SSLConfig | SLConfig, **axes: Iterable[Any]) -> list[SSLConfig | SLConfig]:
    """Every combination of the values in ``axes`` applied to ``base`` (``base.replace``), the
    last axis varying fastest: ``config_grid(SSLConfig(T=20), tau=[1, 7], rho=[0, 0.1])`` gives
    (tau, rho) = (1, 0), (1, 0.1), (7, 0), (7, 0.1). Any field of the configuration can be an
    axis (``seeds`` too: each value a tuple of seeds); each result is validated again."""
    names = list(axes)
    values = [list(axes[name]) for name in names]
    return [base.replace(**dict(zip(names, combo))) for combo in itertools.product(*values)]


def _checked_task(task: Any) -> SSLConfig | SLConfig | tuple[SSLConfig | SLConfig, ...]:
    """``task`` if it is a configuration or a non-empty tuple/list of one kind (as a tuple)."""
    if isinstance(task, (SSLConfig, SLConfig)):
        return task
    if isinstance(task, (tuple, list)) and task and (
            all(isinstance(c, SSLConfig) for c in task)
            or all(isinstance(c, SLConfig) for c in task)):
        return tuple(task)
    raise ValueError(f"task={task!r:.200} is not a task: allowed an SSLConfig, an SLConfig, or a "
                     "non-empty tuple of SSLConfigs (or of SLConfigs) trained together")


def train_task(task: TaskLike, reduce: Callable[[Run], Any] | None = None,
               cache: bool = False) -> Any:
    """One task, trained and reduced (what a worker runs): ``reduce(run)`` for a configuration,
    the tuple of ``reduce(run)`` over the runs of a tuple trained together
    (``train_ssl_many``/``train_sl_many``; with ``cache``, ``experiments.cached_many``).
    ``reduce`` defaults to ``experiments.Outcome.from_run``."""
    task = _checked_task(task)
    reduce = experiments.Outcome.from_run if reduce is None else reduce
    if not isinstance(task, tuple):
        return reduce(experiments.cached(task) if cache else train(task))
    if cache:
        runs = experiments.cached_many(task)
    else:
        runs = (train_ssl_many if isinstance(task[0], SSLConfig) else train_sl_many)(list(task))
    return tuple(reduce(run) for run in runs)


def _ignore_sigint() -> None:
    """Local workers ignore Ctrl-C: the parent stops them (no tracebacks from the workers)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _fork_processes(jobs: int | None) -> int:
    """Processes of our own fork pool, or 0 where joblib decides: a backend set by the caller
    (``parallel_config``), a sweep inside a joblib worker, no fork on this system, one job."""
    backend, _ = get_active_backend()
    if (type(backend) is not BACKENDS[DEFAULT_BACKEND] or backend.nesting_level != 0
            or "fork" not in multiprocessing.get_all_start_methods()):
        return 0
    n = joblib.effective_n_jobs(jobs)           # jobs None: parallel_config's n_jobs, else 1
    return n if n > 1 else 0


def _rounds(parallel: joblib.Parallel, calls: list, size: int) -> Iterator[Any]:
    """The results of ``calls``, in order, ``size`` calls per ``parallel`` call."""
    for start in range(0, len(calls), size):
        yield from parallel(calls[start:start + size])


@contextmanager
def sweep_results(tasks: Iterable[TaskLike], reduce: Callable[[Run], Any] | None = None,
                  jobs: int | None = None, cache: bool = False) -> Iterator[Iterator[Any]]:
    """Context manager: an iterator over ``train_task(task, reduce, cache)`` for each task, in
    task order, each given as soon as it and those before it are done (see the module
    docstring for where they run). The workers start on entering; leaving stops them (after
    an error or Ctrl-C too). ``jobs``: an integer >= 1, or None for the n_jobs of
    ``joblib.parallel_config`` (default 1); a Dask backend uses all its workers.

    Local processes: joblib's default backend, loky, starts fresh interpreters that import
    sslcore (measured: 0.5-0.8 s more for the paper's run, ``benchmarks/bench_reproduce.py``),
    so more than one job runs in a pool of forked processes (joblib's multiprocessing backend,
    as reproduce did before joblib). That backend gives results only as a list per call, so
    the tasks go in rounds of ``ROUND_PER_WORKER`` x jobs through one pool: the results stream
    round by round and memory stays bounded.
    """
    tasks = [_checked_task(task) for task in tasks]
    if jobs is not None:
        jobs = validation.integer("jobs", jobs, 1, rule="jobs >= 1 (or None)")
    if reduce is not None:                   # lambdas and closures travel too (cloudpickle)
        reduce = joblib.wrap_non_picklable_objects(reduce)
    calls = [joblib.delayed(train_task)(task, reduce, cache) for task in tasks]
    processes = _fork_processes(jobs)
    if processes:
        with joblib.Parallel(n_jobs=processes, backend=multiprocessing.get_context("fork"),
                             max_nbytes=None, initializer=_ignore_sigint) as parallel:
            yield _rounds(parallel, calls, ROUND_PER_WORKER * processes)
    else:
        with joblib.Parallel(n_jobs=jobs, return_as="generator") as parallel:
            yield parallel(calls)


def train_sweep(tasks: Iterable[TaskLike], reduce: Callable[[Run], Any] | None = None,
                jobs: int | None = None, progress: bool = True, cache: bool = False
                ) -> list[Any]:
    """[``train_task(task, reduce, cache)`` for each task], in task order: every task trained
    (alone or, a tuple, together) and reduced in a joblib worker (module docstring). ``jobs``
    as in :func:`sweep_results`; ``progress``: a bar over the tasks. ``reduce`` must return
    something picklable (small: it travels back from the worker)."""
    tasks = list(tasks)
    with sweep_results(tasks, reduce, jobs, cache) as results:
        return list(tqdm(results, total=len(tasks), desc="sweep", unit="task",
                         disable=not progress))
