"""Chapter 5: how far the paper's result reaches. Core layer: the grids of configurations, the
measures of every trained run, and the rows of the chapter's tables (no figures: those are in
``beyond_figures``).

Every question is a list of :class:`Case` rows, each an SSL and an SL configuration with the
paper's settings except the one varied (seeds 0..9, only the start and the end recorded):

* width: m neurons (:func:`width_cases`);
* initialization: the paper's regions against every entry init_scale * N(0, 1)
  (:func:`init_cases`; SL keeps its own initialization);
* dimension and sample size: d with n = 100 and rho = d^-1.5 or rho fixed at 10^-1.5
  (:func:`dimension_cases`), n with eta n = 0.1 kept (:func:`sample_cases`): the objectives are
  sums over the points, so eta n is the step on the mean;
* activation a of the representation a(W x) (:func:`activation_cases`);
* SSL objective: agreement, InfoNCE, spectral (:func:`objective_cases`).

Measures of final weights W (S, m, d), per seed (:func:`measures`), as in chapter 4:

* ``proj_e2`` = ||P e2||, P the projection onto span(w_1, ..., w_m);
* ``share`` = mean_k |w_k2| / ||w_k||, ``plane_share`` = mean_k |w_k2| / ||(w_k1, w_k2)||
  (the share without the coordinates 3..d, which only weight decay shrinks), and
  ``carriers`` = #{k : |w_k2| / ||w_k|| >= analysis.CARRIER_SHARE} / m, the fraction of the
  neurons that carry e2;
* ``probe_z`` = test accuracy of a linear logistic probe for the hidden bit z on a(W x)
  (``probe.probe_accuracy``, fresh samples with the run's tau and rho).

A table cell is mean +- the half-width of the 95% interval over seeds, 1.96 std / sqrt(S)
(``probe.mean_ci``). A run that diverges (``training.DivergenceError``) has no measures; its
row says so, with the step, and :func:`ray_growth` says why.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike

from . import analysis, experiments, models, probe, sweeps
from .config import ACTIVATIONS as ACTIVATIONS  # the grids: every activation and objective
from .config import OBJECTIVES as OBJECTIVES
from .config import RHO, SL_STEPS, SSL_STEPS, TAU, SLConfig, SSLConfig
from .data import cluster_means
from .divergence import DivergenceError
from .training import Run, train

#: seeds of every setting
SEEDS = tuple(range(10))
#: the grids of the chapter
WIDTHS = (2, 4, 8, 16, 32, 64)
WIDE_WIDTHS = (2, 64)
INIT_SCALES = (0.01, 0.1, 1.0, 3.0, 10.0)
DIMENSIONS = (10, 100, 1000)
SAMPLE_SIZES = (20, 100, 1000, 10000)
#: eta n of the paper (eta = 1e-3, n = 100), kept when n changes
ETA_N = 0.1
#: penalty of the linear probe (``probe.probe_accuracy``'s default)
PROBE_L2 = 1e-4
#: measures of a run, per seed
MEASURES = ("proj_e2", "share", "plane_share", "carriers", "probe_z")
#: a seed *keeps* e2 when a neuron carries it and the probe reads z at least this well
KEEP_PROBE = 0.9


@dataclass(frozen=True)
class Case:
    """One row of a question: its label, the SSL and the SL configuration (either may be
    None: SL does not change with the SSL initialization or objective)."""

    label: str
    ssl: SSLConfig | None
    sl: SLConfig | None


@dataclass
class Measured:
    """What is kept of one run: ``values`` {measure: (S,) per seed} (empty if it diverged);
    ``diverged``: the DivergenceError's message, ``step``: its step (None if it did not)."""

    config: SSLConfig | SLConfig
    values: dict[str, np.ndarray] = field(default_factory=dict)
    diverged: str | None = None
    step: int | None = None


def paper_pair(seeds: Sequence[int] = SEEDS, **changes: object) -> tuple[SSLConfig, SLConfig]:
    """(SSLConfig, SLConfig) with the paper's settings, ``seeds``, only the final weights
    recorded (record_every = T), and ``changes`` applied to both (``init``, ``init_scale``,
    ``objective``, ``temperature`` to SSL only)."""
    only_ssl = {"init", "init_scale", "objective", "temperature"}
    common = {k: v for k, v in changes.items() if k not in only_ssl}
    ssl = SSLConfig(seeds=tuple(seeds), record_every=SSL_STEPS, **changes)
    sl = SLConfig(seeds=tuple(seeds), record_every=SL_STEPS, **common)
    return ssl, sl


def width_cases(widths: Iterable[int] = WIDTHS, d: int = 10, seeds: Sequence[int] = SEEDS
                ) -> list[Case]:
    """m neurons at dimension d (n = 100): SSL from ``near`` (neurons 1, 2 in the paper's
    region, the others N(0, 1)), SL from its own initialization."""
    return [Case(f"m = {m}", *paper_pair(seeds, m=m, d=d, n=100)) for m in widths]


def init_cases(scales: Iterable[float] = INIT_SCALES, seeds: Sequence[int] = SEEDS
               ) -> list[Case]:
    """SSL from ``near``, ``sign`` and ``gaussian`` at each scale; SL (its own init) once."""
    ssl, sl = paper_pair(seeds)
    cases = [Case("near", ssl, sl), Case("sign", ssl.replace(init="sign"), None)]
    return cases + [Case(f"gaussian × {s:g}", ssl.replace(init="gaussian", init_scale=s), None)
                    for s in scales]


def dimension_cases(dims: Iterable[int] = DIMENSIONS, rho: str = "paper",
                    seeds: Sequence[int] = SEEDS) -> list[Case]:
    """d with n = 100 points; ``rho``: "paper" (d^-1.5) or "fixed" (10^-1.5, the paper's at
    d = 10)."""
    if rho not in ("paper", "fixed"):
        raise ValueError(f"rho={rho!r}: allowed 'paper' (d^-1.5) or 'fixed' (10^-1.5)")
    return [Case(f"d = {d}", *paper_pair(seeds, d=d, n=100,
                                         rho=d ** -1.5 if rho == "paper" else RHO))
            for d in dims]


def sample_cases(sizes: Iterable[int] = SAMPLE_SIZES, seeds: Sequence[int] = SEEDS
                 ) -> list[Case]:
    """n points at d = 10 with eta n = 0.1 (the paper's eta = 1e-3 at n = 100)."""
    return [Case(f"n = {n}", *paper_pair(seeds, n=n, eta=ETA_N / n)) for n in sizes]


def activation_cases(names: Iterable[str] = ACTIVATIONS, seeds: Sequence[int] = SEEDS
                     ) -> list[Case]:
    """The activation of both models (SSL from ``near``)."""
    return [Case(a, *paper_pair(seeds, activation=a)) for a in names]


def objective_cases(names: Iterable[str] = OBJECTIVES, seeds: Sequence[int] = SEEDS
                    ) -> list[Case]:
    """The SSL objective (from ``near``); SL once, with the agreement row."""
    ssl, sl = paper_pair(seeds)
    return [Case(o, ssl.replace(objective=o), sl if o == "agreement" else None) for o in names]


# ----------------------------------------------------------------------------- measures
def measures(W: ArrayLike, activation: str = "sigmoid", tau: float = TAU,
             rho: float | None = None, seeds: Sequence[int] | None = None
             ) -> dict[str, np.ndarray]:
    """The measures (module docstring) of final weights W (S, m, d), each (S,):
    proj_e2 = ||P e2||, share = mean_k |w_k2|/||w_k||, plane_share = mean_k |w_k2| /
    ||(w_k1, w_k2)||, carriers = #{k : |w_k2|/||w_k|| >= CARRIER_SHARE} / m (a fraction),
    probe_z = linear probe
    accuracy for z on a(W x) (``activation`` a; probe samples with ``tau``, ``rho``)."""
    W = np.asarray(W, dtype=np.float64)
    return {"proj_e2": analysis.projections(W)[1],
            "share": analysis.feature_shares(W).mean(-1),
            "plane_share": analysis.feature_shares(W[..., :2]).mean(-1),
            "carriers": analysis.carriers(W) / W.shape[-2],
            "probe_z": probe.probe_accuracy(W, "z", seeds=seeds, tau=tau, rho=rho, l2=PROBE_L2,
                                            representation=activation)}


def measure_run(run: Run) -> Measured:
    """:class:`Measured` of a ``training.Run`` (its final weights and configuration)."""
    cfg = run.config
    return Measured(cfg, measures(run.W_final, cfg.activation, cfg.tau, cfg.rho, cfg.seeds))


def unbounded(cfg: SSLConfig | SLConfig) -> bool:
    """True for an SSL agreement objective with an unbounded activation (softplus, relu):
    sum_i a(w.x1_i) a(w.x2_i) can outgrow alpha n ||W||^2 (:func:`ray_growth`), and training
    may diverge. The other objectives and every SL loss are bounded (cosines; the spectral
    loss's quartic term; a cross-entropy >= 0)."""
    return (isinstance(cfg, SSLConfig) and cfg.objective == "agreement"
            and cfg.activation in ("softplus", "relu"))


def _stack_key(cfg: SSLConfig | SLConfig) -> SSLConfig | SLConfig:
    """``cfg`` with the fields that ``train_ssl_many``/``train_sl_many`` may stack reset."""
    free = dict(seeds=(0,), tau=1.0, rho=0.0, noise="isotropic")
    if isinstance(cfg, SSLConfig):
        return cfg.replace(init="gaussian", init_scale=1.0, alpha=0.0, **free)
    return cfg.replace(beta=0.0, gamma=0.0, **free)


def stacked_tasks(cfgs: Sequence[SSLConfig | SLConfig]) -> list[tuple]:
    """``cfgs`` (distinct) grouped into tuples trained in one vectorized loop: configurations
    of one kind that differ only in fields the stacked training allows (e.g. init, init_scale,
    rho); groups in order of first appearance."""
    groups: dict = {}
    for cfg in cfgs:
        groups.setdefault((type(cfg).__name__, _stack_key(cfg)), []).append(cfg)
    return [tuple(g) for g in groups.values()]


def task_cost(task: Sequence[SSLConfig | SLConfig]) -> float:
    """A rough cost of training ``task`` (for ordering only): sum over its configurations of
    seeds * T * n * (d + 44 + 25 m), times n / 3 for the pairwise objectives (n x n matrices);
    the constants fit the chapter's single-run timings on the 2-core build machine."""
    cost = 0.0
    for c in task:
        pairwise = isinstance(c, SSLConfig) and c.objective != "agreement"
        per_point = (c.d + 44 + 25 * c.m) * (c.n / 3 if pairwise else 1)
        cost += len(c.seeds) * c.T * c.n * per_point
    return cost


def _measured_alone(cfg: SSLConfig | SLConfig) -> Measured:
    """Train (run cache) and measure one configuration; a divergence is recorded, not raised."""
    try:
        return measure_run(experiments.cached(cfg))
    except DivergenceError as exc:
        return Measured(cfg, diverged=str(exc), step=exc.step)


def measure_configs(cfgs: Iterable[SSLConfig | SLConfig], jobs: int = 1,
                    progress: bool = False) -> dict[SSLConfig | SLConfig, Measured]:
    """{cfg: Measured} for every configuration: those that cannot diverge trained in
    ``sweeps.train_sweep`` (stacked where allowed, the costliest first so that the ``jobs``
    workers stay busy; the run cache), those that may (:func:`unbounded`) here, one by one, a
    divergence recorded."""
    cfgs = list(dict.fromkeys(cfgs))
    safe = [c for c in cfgs if not unbounded(c)]
    tasks = sorted(stacked_tasks(safe), key=task_cost, reverse=True)
    out = {}
    for task, res in zip(tasks, sweeps.train_sweep(tasks, reduce=measure_run, jobs=jobs,
                                                   progress=progress, cache=True)):
        out.update(zip(task, res))
    out.update({c: _measured_alone(c) for c in cfgs if unbounded(c)})
    return {c: out[c] for c in cfgs}


def measure_cases(cases: Mapping[str, Sequence[Case]], jobs: int = 1, progress: bool = False
                  ) -> dict[str, list[tuple[Measured | None, Measured | None]]]:
    """{question: [(SSL Measured, SL Measured) per case]} for every question's cases, all
    trained in one sweep (:func:`measure_configs`); None where a case has no configuration."""
    cfgs = [c for rows in cases.values() for case in rows for c in (case.ssl, case.sl)
            if c is not None]
    got = measure_configs(cfgs, jobs, progress)
    return {q: [(got.get(case.ssl), got.get(case.sl)) for case in rows]
            for q, rows in cases.items()}


def chapter_cases(seeds: Sequence[int] = SEEDS) -> dict[str, list[Case]]:
    """Every question of the chapter: {"width", "width_d100", "init", "dim_paper",
    "dim_fixed", "samples", "activation", "objective": [Case]}."""
    return {"width": width_cases(seeds=seeds),
            "width_d100": width_cases(WIDE_WIDTHS, d=100, seeds=seeds),
            "init": init_cases(seeds=seeds),
            "dim_paper": dimension_cases(seeds=seeds),
            "dim_fixed": dimension_cases(rho="fixed", seeds=seeds),
            "samples": sample_cases(seeds=seeds),
            "activation": activation_cases(seeds=seeds),
            "objective": objective_cases(seeds=seeds)}


# ----------------------------------------------------------------------------- rows, verdicts
def summary(result: Measured) -> dict[str, tuple[float, float]]:
    """{measure: (mean, half-width of the 95% interval)} over the seeds (``probe.mean_ci``);
    empty for a run that diverged."""
    return {k: probe.mean_ci(v) for k, v in result.values.items()}


def keeps_e2(result: Measured) -> np.ndarray:
    """Per seed (S,): the representation keeps e2, i.e. some neuron carries it
    (carriers > 0) and the linear probe reads z (probe_z >= KEEP_PROBE)."""
    v = result.values
    return (v["carriers"] > 0) & (v["probe_z"] >= KEEP_PROBE)


def verdict(ssl: Measured, sl: Measured) -> str:
    """Whether the paper's conclusion (SSL keeps e2, SL does not) holds for this pair:
    "holds" when SSL keeps e2 in every seed and SL in none (:func:`keeps_e2`); otherwise
    "breaks:" with the counts, or "SSL diverges" / "SL diverges"."""
    for name, r in (("SSL", ssl), ("SL", sl)):
        if r.diverged:
            return f"{name} diverges (step {r.step})"
    k, j = int(keeps_e2(ssl).sum()), int(keeps_e2(sl).sum())
    S = len(ssl.config.seeds)
    if k == S and j == 0:
        return "holds"
    parts = ([f"SSL keeps e2 in {k}/{S} seeds"] if k < S else []) + \
        ([f"SL keeps e2 in {j}/{len(sl.config.seeds)}"] if j else [])
    return "breaks: " + ", ".join(parts)


def ray_growth(W: ArrayLike, x: ArrayLike, alpha: float) -> np.ndarray:
    """c = sum_i sum_k relu(w_k.x_i)^2 / (n ||W||_F^2) - alpha, per seed (S,): W (S, m, d),
    points x (S, n, d). Along the ray r W the agreement objective with views x1 = x2 = x is
    L(r W) = r^2 n ||W||_F^2 c exactly for relu (relu(r u) = r relu(u)), and
    L(r W) / r^2 -> n ||W||_F^2 c as r -> infinity for softplus (softplus(r u) = r relu(u)
    + O(1)); so c > 0 means the objective is unbounded above along the ray."""
    W, x = np.asarray(W, dtype=np.float64), np.asarray(x, dtype=np.float64)
    u = np.maximum(x @ np.swapaxes(W, -1, -2), 0.0)            # relu(w_k.x_i), (S, n, m)
    n = x.shape[-2]
    return (u**2).sum(axis=(-1, -2)) / (n * (W**2).sum(axis=(-1, -2))) - alpha


def sl_e2_gradient(activation: str, a: float, phi: float, tau: float = TAU) -> float:
    """dJ/dw_12 per point of the noise-free SL loss with equal cluster weights and no weight
    decay, at w_1 = (a, 0), w_2 = (-a, 0), F = (-phi, phi):
    (tau / 4) F_1 [r_+ a'(a) + r_- a'(-a)], r_+ = s(h_+) (clusters +e1), r_- = s(h_-) - 1; it
    vanishes for an even a' (sigmoid, tanh: r_- = -r_+), not for softplus or relu."""
    x = cluster_means(2, tau)
    W = np.array([[a, 0.0], [-a, 0.0]])
    y = np.array([0.0, 0.0, 1.0, 1.0])
    gW, _ = models.sl_gradients(W, np.array([-phi, phi]), x, y, 0.0, 0.0, activation)
    return float(gW[0, 1] / len(x))


def live_pair(m: int = 2, init_scale: float = 1.0, activation: str = "sigmoid",
              seeds: int = 3, T: int = 2000, sl_T: int = 4000) -> tuple[Run, Run]:
    """SSL from a Gaussian start (every entry init_scale * N(0, 1)) and SL (its own start),
    m neurons with ``activation``, seeds 0..seeds-1, for the explorer (fewer steps than the
    chapter's runs). SSL raises ``DivergenceError`` where its objective is unbounded."""
    ssl, sl = paper_pair(tuple(range(int(seeds))), m=m, activation=activation)
    ssl = ssl.replace(init="gaussian", init_scale=init_scale, T=T, record_every=T)
    return train(ssl), train(sl.replace(T=sl_T, record_every=sl_T))
