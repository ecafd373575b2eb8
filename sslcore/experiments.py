"""The paper's three experiments (SSL near, SSL sign, SL), trained in chunks of seeds; outputs.

``run_paper`` trains all three with the paper's settings; ``write_outputs`` writes the figures,
``summary.json`` and ``final_weights.npz`` of ``python -m sslcore reproduce``.

Seeds are trained ``chunk`` at a time (default :data:`CHUNK`), so memory does not grow with the
number of seeds. Of each chunk only what the outputs need is kept (:class:`Outcome`): every
seed's final weights, and per recorded step the mean and spread over seeds of w11, w12, w21,
w22 for the learning curves. Each seed has its own random streams (``data.streams``; the
reference mode seeds one RandomState per seed), so the weights do not depend on the chunking.
The chunks are tasks of :mod:`sslcore.sweeps` (joblib): local processes, or the cluster of a
``joblib.parallel_config(backend="dask")`` around the call.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import signal
import tempfile
import threading
import time
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np
from tqdm.auto import tqdm

from . import analysis, validation
from .config import SLConfig, SSLConfig
from .training import Run, train_sl, train_sl_many, train_ssl_many

if TYPE_CHECKING:        # only for annotations: matplotlib loads when figures are drawn
    from matplotlib.figure import Figure

NAMES = ("ssl_near", "ssl_sign", "sl")
TABLE_KEYS = ("w11", "w12", "w21", "w22", "other_w1", "other_w2", "cosine", "proj_e1", "proj_e2")
#: Seeds trained together. Measured peak memory of one process for a chunk of the paper's SSL
#: (both inits) or SL: about 145 MB at 50 seeds (about 1.4 MB per seed and init).
CHUNK = 50
#: Runs above this many seed-steps print a time estimate first (the default run has 320 000).
ESTIMATE_ABOVE = 1_000_000
OUTPUT_FILES = ("summary.json", "final_weights.npz", "learning_curves_ssl_near.png",
                "learning_curves_sl.png", "final_weights.png", "projections.png")


def paper_configs(seeds: int = 20, steps: int = 4000, sl_steps: int | None = None,
                  rng: str = "clean", record_every: int = 10
                  ) -> dict[str, SSLConfig | SLConfig]:
    """The three configurations with the paper's settings (seeds 0..seeds-1)."""
    common = dict(seeds=tuple(range(seeds)), rng=rng, record_every=record_every)
    sl_steps = 2 * steps if sl_steps is None else sl_steps
    return {"ssl_near": SSLConfig(init="near", T=steps, **common),
            "ssl_sign": SSLConfig(init="sign", T=steps, **common),
            "sl": SLConfig(T=sl_steps, **common)}


# ----------------------------------------------------------------------------- run cache
def cache_dir() -> str:
    """Folder of cached runs: $SSLCORE_CACHE, else ~/.cache/sslcore."""
    return (os.environ.get("SSLCORE_CACHE")
            or os.path.join(os.path.expanduser("~"), ".cache", "sslcore"))


def cache_path(cfg: SSLConfig | SLConfig) -> str:
    """The cache file of ``cfg``: keyed by a hash of the configuration and the package version."""
    from . import __version__

    blob = json.dumps([cfg.to_dict(), __version__], sort_keys=True).encode()
    key = hashlib.sha256(blob).hexdigest()[:16]
    return os.path.join(cache_dir(), f"{type(cfg).__name__}-{key}.npz")


def _one_line(text: object, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _load_cached(cfg: SSLConfig | SLConfig) -> Run | None:
    """The cached Run of ``cfg``, or None (absent; unreadable: with a warning)."""
    path = cache_path(cfg)
    if os.path.exists(path):
        try:
            return Run.load(path, expected=cfg)
        except (ValueError, OSError) as exc:
            warnings.warn(f"run cache: ignoring {path}: {_one_line(exc)}; training again",
                          RuntimeWarning, stacklevel=3)
    return None


def _save_cached(cfg: SSLConfig | SLConfig, run: Run) -> None:
    """Write ``run`` to the cache (atomically); a cache that cannot be written only warns."""
    path = cache_path(cfg)
    tmp = f"{path}.{os.getpid()}.tmp.npz"
    try:
        os.makedirs(cache_dir(), exist_ok=True)
        run.save(tmp)
        os.replace(tmp, path)
    except OSError as exc:
        warnings.warn(f"run cache: cannot save {path}: {_one_line(exc)}; the run is not cached",
                      RuntimeWarning, stacklevel=3)
        if os.path.isfile(tmp):
            os.remove(tmp)


def cached(cfg: SSLConfig | SLConfig, progress: bool = False) -> Run:
    """Train ``cfg`` (SSLConfig or SLConfig) once; later calls load the saved Run.

    Runs are keyed by a hash of the full configuration and the package version, so chapters
    that need the same run (e.g. the paper's SSL run in chapters 2 and 4) train it once. An
    entry that cannot be read (damaged, not a run, another configuration) is retrained with a
    warning and overwritten; a cache that cannot be written only gives a warning.
    """
    from .training import train

    run = _load_cached(cfg)
    if run is None:
        run = train(cfg, progress=progress)
        _save_cached(cfg, run)
    return run


def cached_many(cfgs: Sequence[SSLConfig] | Sequence[SLConfig]) -> list[Run]:
    """:func:`cached` for configurations of one kind that ``training.train_ssl_many`` (or
    ``train_sl_many``) trains together: the entries found are loaded, the others trained in
    one vectorized loop and saved, each under its own key (a run trained together equals the
    run trained alone, so the entries are the same as :func:`cached` writes)."""
    runs = [_load_cached(cfg) for cfg in cfgs]
    missing = [i for i, run in enumerate(runs) if run is None]
    if missing:
        train_many = train_ssl_many if isinstance(cfgs[missing[0]], SSLConfig) else train_sl_many
        for i, run in zip(missing, train_many([cfgs[i] for i in missing])):
            _save_cached(cfgs[i], run)
            runs[i] = run
    return runs


# ----------------------------------------------------------------------------- outcomes
@dataclass
class Outcome:
    """What ``reproduce`` keeps of one experiment over all its seeds.

    W_final (S, 2, d), F_final (S, 2) or None; steps (R,) recorded steps; curve_mean and
    curve_m2 (R, 2, 2): mean over seeds of w_kj (j = 1, 2) at each recorded step and the sum of
    squared deviations from it (combined across chunks with Chan's formula).
    """

    config: SSLConfig | SLConfig
    steps: np.ndarray
    W_final: np.ndarray
    F_final: np.ndarray | None
    curve_mean: np.ndarray
    curve_m2: np.ndarray

    @classmethod
    def from_run(cls, run: Run, config: SSLConfig | SLConfig | None = None) -> Outcome:
        """The outcome of a ``training.Run`` (``config`` replaces the run's)."""
        w = run.W[..., :2]                                 # (S, R, 2, 2)
        mean = w.mean(axis=0)
        return cls(config or run.config, run.steps, run.W_final, run.F_final, mean,
                   ((w - mean) ** 2).sum(axis=0))

    @property
    def count(self) -> int:
        return len(self.W_final)

    def band(self, z: float = 1.96) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(mean, lo, hi), each (R, 2, 2): the mean over seeds and mean -+ z std / sqrt(S), as
        ``analysis.mean_band``."""
        half = z * np.sqrt(self.curve_m2 / self.count) / np.sqrt(self.count)
        return self.curve_mean, self.curve_mean - half, self.curve_mean + half


def _merge_moments(na: int, mean_a: np.ndarray | None, m2_a: np.ndarray | None, nb: int,
                   mean_b: np.ndarray, m2_b: np.ndarray
                   ) -> tuple[int, np.ndarray, np.ndarray]:
    """(count, mean, M2) of two groups together (Chan et al.'s pairwise formula)."""
    if na == 0:
        return nb, mean_b, m2_b
    delta = mean_b - mean_a
    n = na + nb
    return n, mean_a + delta * (nb / n), m2_a + m2_b + delta**2 * (na * nb / n)


def as_outcomes(runs: Mapping[str, Run | Outcome], names: Iterable[str] = NAMES
                ) -> dict[str, Outcome]:
    """{name: Outcome} for ``names`` from {name: Run or Outcome} (other keys are ignored)."""
    return {k: runs[k] if isinstance(runs[k], Outcome) else Outcome.from_run(runs[k])
            for k in names if k in runs}


# ----------------------------------------------------------------------------- training
def chunks(cfg: SSLConfig | SLConfig, chunk: int = CHUNK) -> list[SSLConfig | SLConfig]:
    """``cfg`` split into configurations of at most ``chunk`` consecutive seeds."""
    if isinstance(chunk, bool) or not isinstance(chunk, (int, np.integer)) or chunk < 1:
        raise ValueError(f"chunk={chunk!r} is out of range: allowed an integer >= 1")
    s = cfg.seeds
    return [cfg if len(s) <= chunk else cfg.replace(seeds=s[i:i + chunk])
            for i in range(0, len(s), chunk)]


def _tasks(configs: Mapping[str, SSLConfig | SLConfig], chunk: int
           ) -> tuple[list[tuple[SSLConfig, SSLConfig] | SLConfig], list[int]]:
    """Per chunk one SSL task (both inits, trained together) and one SL task (``sweeps``
    tasks), and the seed-steps of each."""
    near, sign, sl = (chunks(configs[k], chunk) for k in NAMES)
    tasks, work = [], []
    for a, b, c in zip(near, sign, sl):
        tasks += [(a, b), c]
        work += [len(a.seeds) * (a.T + b.T), len(c.seeds) * c.T]
    return tasks, work


def seed_steps(configs: Mapping[str, SSLConfig | SLConfig]) -> int:
    """Total work of the three experiments in seed-steps."""
    return sum(len(configs[k].seeds) * configs[k].T for k in NAMES)


def estimate_seconds(configs: Mapping[str, SSLConfig | SLConfig], jobs: int = 2,
                     chunk: int = CHUNK, warmup_steps: int = 40) -> float:
    """Estimated training time (s) of ``run_paper``: one chunk is trained for ``warmup_steps``
    SSL steps (twice as many SL steps) here, and the time per step is extrapolated to all
    chunks and steps, assuming ``jobs`` free cores. An estimate: load and the start-up cost of
    each chunk (data, initialization) are not modelled."""
    s = min(chunk, len(configs["sl"].seeds))
    w = {k: configs[k].replace(seeds=configs[k].seeds[:s],
                               T=warmup_steps * (2 if k == "sl" else 1)) for k in NAMES}
    t0 = time.perf_counter()
    train_ssl_many([w["ssl_near"], w["ssl_sign"]])
    t1 = time.perf_counter()
    train_sl(w["sl"])
    t2 = time.perf_counter()
    n_chunks = -(-len(configs["sl"].seeds) // s)
    ssl = (t1 - t0) / warmup_steps * configs["ssl_near"].T
    sl = (t2 - t1) / (2 * warmup_steps) * configs["sl"].T
    return max((ssl + sl) * n_chunks / max(1, min(jobs, 2)), ssl, sl)


def _merged(configs: Mapping[str, SSLConfig | SLConfig], parts: Mapping[str, list[Outcome]],
            moments: Mapping[str, tuple]) -> dict[str, Outcome]:
    """{name: Outcome} of all seeds from the chunks' parts and the merged curve moments."""
    out = {}
    for name in NAMES:
        _, mean, m2 = moments[name]
        first = parts[name][0]
        F = None if first.F_final is None else np.concatenate([p.F_final for p in parts[name]])
        out[name] = Outcome(configs[name], first.steps,
                            np.concatenate([p.W_final for p in parts[name]]), F, mean, m2)
    return out


def run_paper(configs: Mapping[str, SSLConfig | SLConfig] | None = None, jobs: int = 2,
              progress: bool = True, chunk: int = CHUNK) -> dict[str, Outcome]:
    """Train the three experiments; returns {"ssl_near", "ssl_sign", "sl": :class:`Outcome`}.

    Seeds are trained ``chunk`` at a time: per chunk, SSL (both inits, one vectorized loop) and
    SL are two tasks of :func:`sslcore.sweeps.sweep_results`, run in ``jobs`` (1 or 2)
    processes, or on the backend of ``joblib.parallel_config`` (e.g. a Dask cluster). Results
    arrive in task order, so the merged curves do not depend on timing. The progress bar counts
    seed-steps and moves when a task ends. On KeyboardInterrupt the workers are stopped and it
    propagates.
    """
    # imported here: sweeps uses this module's Outcome and cache
    from . import sweeps

    configs = configs or paper_configs()
    jobs = validation.integer("jobs", jobs, 1, high=2, rule="1 or 2")
    tasks, work = _tasks(configs, chunk)
    parts = {name: [] for name in NAMES}             # each chunk, its curves dropped
    moments = {name: (0, None, None) for name in NAMES}
    # the workers start (fork) before the bar's monitor thread
    with sweeps.sweep_results(tasks, jobs=jobs) as results, \
            tqdm(total=sum(work), desc="training", unit="seed-step", unit_scale=True,
                 disable=not progress, smoothing=0.1) as bar:
        for task, result, steps in zip(tasks, results, work):
            names = ("ssl_near", "ssl_sign") if isinstance(task, tuple) else ("sl",)
            for name, out in zip(names, result if isinstance(task, tuple) else (result,)):
                moments[name] = _merge_moments(*moments[name], out.count, out.curve_mean,
                                               out.curve_m2)
                parts[name].append(dataclasses.replace(out, curve_mean=None, curve_m2=None))
            bar.update(steps)
    return _merged(configs, parts, moments)


# ----------------------------------------------------------------------------- outputs
def summary(runs: Mapping[str, Run | Outcome]) -> dict[str, dict[str, dict[str, float]]]:
    """{name: {quantity: {"mean", "std"}}} for the three runs (Runs or Outcomes)."""
    return {name: analysis.summarize(run.W_final, run.F_final) for name, run in runs.items()}


def format_table(summ: Mapping[str, Mapping[str, Mapping[str, float]]],
                 keys: Sequence[str] = TABLE_KEYS, digits: int = 3) -> str:
    """The summary as a plain-text table: one row per run, mean ± std per column."""
    head = f"{'run':<10}" + "".join(f"{k:>18}" for k in keys)
    rows = [head, "-" * len(head)]
    for name, q in summ.items():
        cells = "".join(f"{q[k]['mean']:>10.{digits}f} ±{q[k]['std']:<6.{digits}f}" for k in keys)
        rows.append(f"{name:<10}" + cells)
    return "\n".join(rows)


class _DeferInterrupt:
    """Hold Ctrl-C back while the finished files are moved into place (milliseconds), so the
    folder never holds a mix of old and new outputs; a Ctrl-C meanwhile is ignored."""

    def __enter__(self) -> _DeferInterrupt:
        self.old = None
        if threading.current_thread() is threading.main_thread():
            self.old = signal.signal(signal.SIGINT, lambda *a: None)
        return self

    def __exit__(self, *exc: object) -> Literal[False]:
        if self.old is not None:
            signal.signal(signal.SIGINT, self.old)
        return False


def write_outputs(runs: Mapping[str, Run | Outcome], out: str | Path,
                  draw: Callable[[Mapping[str, Run | Outcome]], Mapping[str, Figure]] | None = None
                  ) -> dict[str, dict[str, dict[str, float]]]:
    """Write summary.json, final_weights.npz and, when ``draw`` is given, the figures it draws
    from the runs ({file name: Figure}, e.g. ``comparison.paper_figures``; PNG, white face)
    into the folder ``out``. The figures come from the caller so that this core module does
    not import the presentation layer.

    Everything is written to a temporary folder inside ``out`` first and moved into place at
    the end, so an error or Ctrl-C leaves no partial outputs (and no ``out`` it created).
    """
    created = not os.path.isdir(out)
    os.makedirs(out, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=".reproduce-", dir=out)
    try:
        summ = summary(runs)
        configs = {name: run.config.to_dict() for name, run in runs.items()}
        with open(os.path.join(tmp, "summary.json"), "w") as f:
            json.dump({"summary": summ, "configs": configs}, f, indent=2)
        np.savez(os.path.join(tmp, "final_weights.npz"), ssl_near=runs["ssl_near"].W_final,
                 ssl_sign=runs["ssl_sign"].W_final, sl_W=runs["sl"].W_final,
                 sl_F=runs["sl"].F_final)
        if draw is not None:
            import matplotlib.pyplot as plt

            for fname, fig in draw(runs).items():
                fig.savefig(os.path.join(tmp, fname), facecolor="white")
                plt.close(fig)
        with _DeferInterrupt():
            for fname in sorted(os.listdir(tmp)):
                os.replace(os.path.join(tmp, fname), os.path.join(out, fname))
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if created:
            shutil.rmtree(out, ignore_errors=True)
        raise
    os.rmdir(tmp)
    return summ
