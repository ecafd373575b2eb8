"""The paper's three experiments (SSL near, SSL sign, SL), run in parallel, and their outputs.

``run_paper`` trains all three with the paper's settings; ``write_outputs`` writes the figures,
``summary.json`` and ``final_weights.npz`` of ``python -m sslcore reproduce``.
"""
from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor

import numpy as np
from tqdm.auto import tqdm

from . import analysis, plots
from .config import SLConfig, SSLConfig
from .training import train_sl, train_ssl_many

NAMES = ("ssl_near", "ssl_sign", "sl")
TABLE_KEYS = ("w11", "w12", "w21", "w22", "other_w1", "other_w2", "cosine", "proj_e1", "proj_e2")


def paper_configs(seeds=20, steps=4000, sl_steps=None, rng="clean", record_every=10):
    """The three configurations with the paper's settings (seeds 0..seeds-1)."""
    common = dict(seeds=tuple(range(seeds)), rng=rng, record_every=record_every)
    sl_steps = 2 * steps if sl_steps is None else sl_steps
    return {"ssl_near": SSLConfig(init="near", T=steps, **common),
            "ssl_sign": SSLConfig(init="sign", T=steps, **common),
            "sl": SLConfig(T=sl_steps, **common)}


def cache_dir():
    """Folder of cached runs: $SSLCORE_CACHE, else ~/.cache/sslcore."""
    return os.environ.get("SSLCORE_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "sslcore")


def cached(cfg, progress=False):
    """Train ``cfg`` (SSLConfig or SLConfig) once; later calls load the saved Run.

    Runs are keyed by a hash of the full configuration and the package version, so chapters
    that need the same run (e.g. the paper's SSL run in chapters 2 and 4) train it once.
    """
    from . import __version__
    from .training import Run, train

    key = hashlib.sha256(json.dumps([cfg.to_dict(), __version__], sort_keys=True).encode()).hexdigest()[:16]
    path = os.path.join(cache_dir(), f"{type(cfg).__name__}-{key}.npz")
    if os.path.exists(path):
        try:
            return Run.load(path, expected=cfg)
        except ValueError:
            pass  # stale or damaged: train again
    run = train(cfg, progress=progress)
    os.makedirs(cache_dir(), exist_ok=True)
    tmp = f"{path}.{os.getpid()}.tmp.npz"
    run.save(tmp)
    os.replace(tmp, path)
    return run


def _job(name, cfgs):
    if name == "ssl":
        return train_ssl_many(cfgs)
    return [train_sl(cfgs[0])]


def run_paper(configs=None, jobs=2, progress=True):
    """Train the three experiments; SSL (both inits, one vectorized loop) and SL in parallel.

    Returns {"ssl_near": Run, "ssl_sign": Run, "sl": Run}.
    """
    configs = configs or paper_configs()
    tasks = {"ssl": [configs["ssl_near"], configs["ssl_sign"]], "sl": [configs["sl"]]}
    results = {}
    with tqdm(total=len(NAMES), desc="experiments", disable=not progress) as bar:
        if jobs <= 1:
            for name, cfgs in tasks.items():
                results[name] = _job(name, cfgs)
                bar.update(len(cfgs))
        else:
            method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
            ctx = multiprocessing.get_context(method)
            with ProcessPoolExecutor(max_workers=min(jobs, 2), mp_context=ctx) as pool:
                futures = {name: pool.submit(_job, name, cfgs) for name, cfgs in tasks.items()}
                for name in ("sl", "ssl"):
                    results[name] = futures[name].result()
                    bar.update(len(tasks[name]))
    near, sign = results["ssl"]
    return {"ssl_near": near, "ssl_sign": sign, "sl": results["sl"][0]}


def summary(runs):
    """{name: {quantity: {"mean", "std"}}} for the three runs."""
    return {name: analysis.summarize(run.W_final, run.F_final) for name, run in runs.items()}


def format_table(summ, keys=TABLE_KEYS, digits=3):
    """The summary as a plain-text table: one row per run, mean ± std per column."""
    head = f"{'run':<10}" + "".join(f"{k:>18}" for k in keys)
    rows = [head, "-" * len(head)]
    for name, q in summ.items():
        cells = "".join(f"{q[k]['mean']:>10.{digits}f} ±{q[k]['std']:<6.{digits}f}" for k in keys)
        rows.append(f"{name:<10}" + cells)
    return "\n".join(rows)


def paper_figures(runs):
    """The paper's figures as {file name: matplotlib figure}, each at most the book's column
    wide (``plots.COLUMN_INCHES``): the SSL and SL learning curves (one figure each), the final
    (w_k1, w_k2) of SSL (left) and SL (right), and the histograms of ||Pe1|| and ||Pe2||."""
    figs = {}
    half = plots.COLUMN_INCHES / 2
    for name, title in (("ssl_near", "SSL (near initialization)"), ("sl", "SL")):
        fig, (ax,) = plots.figure(width=plots.COLUMN_INCHES, height=4)
        plots.learning_curves(runs[name], ax=ax, title=f"{title}: learning curves, mean and 95% band")
        ax.title.set_fontsize(10)
        figs[f"learning_curves_{name}.png"] = fig
    fig, axes = plots.figure(ncols=2, width=half, height=3.4)
    plots.final_scatter(runs["ssl_near"].W_final, ax=axes[0], color=plots.COLORS["ssl"],
                        title="SSL: final $(w_{k1}, w_{k2})$")
    plots.final_scatter(runs["sl"].W_final, ax=axes[1], color=plots.COLORS["sl"],
                        title="SL: final $(w_{k1}, w_{k2})$")
    for ax in axes:                       # room above the points for the legend
        ax.set_ylim(min(-0.4, ax.get_ylim()[0]), max(2.0, ax.get_ylim()[1]))
        ax.legend(fontsize=plots.SMALL, loc="upper center")
    figs["final_weights.png"] = fig
    fig, axes = plots.figure(ncols=2, width=half, height=3.2)
    plots.projection_histograms({"SSL": (runs["ssl_near"].W_final, plots.COLORS["ssl"]),
                                 "SL": (runs["sl"].W_final, plots.COLORS["sl"])}, axes=axes)
    figs["projections.png"] = fig
    for fig in figs.values():
        fig.tight_layout()
    return figs


def write_outputs(runs, out, figures=True):
    """Write figures (PNG), summary.json and final_weights.npz into the folder ``out``."""
    os.makedirs(out, exist_ok=True)
    summ = summary(runs)
    configs = {name: run.config.to_dict() for name, run in runs.items()}
    with open(os.path.join(out, "summary.json"), "w") as f:
        json.dump({"summary": summ, "configs": configs}, f, indent=2)
    np.savez(os.path.join(out, "final_weights.npz"), ssl_near=runs["ssl_near"].W_final,
             ssl_sign=runs["ssl_sign"].W_final, sl_W=runs["sl"].W_final, sl_F=runs["sl"].F_final)
    if figures:
        for fname, fig in paper_figures(runs).items():
            plots.save(fig, os.path.join(out, fname))
    return summ
