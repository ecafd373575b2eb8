"""Full-batch training, vectorized over seeds, points and coordinates.

Weights are (S, m, d) arrays, S = number of seeds, m neurons (the paper: 2); every step is a
handful of batched array operations. SSL: gradient ascent W <- W + eta dL/dW with fresh views
every step. SL: gradient descent, W <- W - eta dJ/dW(W, F), then F <- F - eta dJ/dF(W_new, F).

The SSL step kernels (explicit views, or the projected sampler that draws d/2 times fewer
normals) are in :mod:`sslcore.ssl_kernels`; ``SSLConfig.sampler`` picks one. The paper's model
(two sigmoid neurons, the agreement objective) has its own fast kernels; any other width,
activation or objective (chapter 5, :mod:`sslcore.objectives`) the general ones. Random numbers
are drawn in blocks of up to ``block`` steps, fewer when a seed's block would exceed 4 MiB
(``ssl_kernels.block_length``), so memory stays bounded for any n, d and m.

Divergence. Training stops at the first step t whose weights W_t (SL: or F_t) are not finite or
exceed ``MAX_WEIGHT`` = 1e6 in absolute value, and raises :class:`DivergenceError` naming the
step, the seeds and the parameters (both defined in :mod:`sslcore.divergence`). The paper's
runs (both random streams) stay below |W| = 4.3 and |F| = 6.1, the chapters' below 18 (the
init's w_k2 <= 9/tau at tau = 0.5); and with eta alpha n <= 1/2, since |s' s| <= 1/4, an SSL
neuron with explicit views never exceeds max(|w_k(0)|, max_i,v |x_i^v| / (4 alpha)) (about
1.4e3 at the defaults). The check runs every ``CHECK_EVERY`` steps and at the end of each
block; a failed check replays the steps since the last good one to find the first bad step.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from os import PathLike
from typing import IO

import numpy as np
from numpy.typing import ArrayLike
from tqdm.auto import tqdm

from . import models, objectives, reference, ssl_kernels
from .config import SLConfig, SSLConfig, config_from_dict
from .data import Data, sample, streams
from .divergence import MAX_WEIGHT as MAX_WEIGHT  # re-exported: training.MAX_WEIGHT
from .divergence import DivergenceError as DivergenceError
from .divergence import divergence_error, finite_below, first_bad_step
from .initialization import sl_initial_weights, ssl_initial_weights
from .ssl_kernels import broadcast_rows, sigmoid_inplace

#: Steps between two divergence checks (a failed check replays them to find the first bad one).
CHECK_EVERY = 10


@dataclass
class Run:
    """A training run over all seeds.

    steps (R,): recorded steps 0, k, 2k, ..., T;  W (S, R, m, d);  F (S, R, m) (SL only);
    objective, grad_norm (S, R): the objective (SSL: on that step's views) and ||dW||_F at the
    recorded steps, before that step's update;  data: the training sample of every seed.
    """

    config: SSLConfig | SLConfig
    steps: np.ndarray
    W: np.ndarray
    objective: np.ndarray
    grad_norm: np.ndarray
    data: Data
    F: np.ndarray | None = None

    @property
    def W_final(self) -> np.ndarray:
        """Final weights (S, m, d)."""
        return self.W[:, -1]

    @property
    def F_final(self) -> np.ndarray | None:
        """Final output weights (S, m) (SL), None for SSL."""
        return None if self.F is None else self.F[:, -1]

    # -- saving and loading ----------------------------------------------------------------
    def save(self, path: str | PathLike[str] | IO[bytes]) -> None:
        """Write one .npz holding every array and the configuration (as JSON)."""
        arrays = dict(steps=self.steps, W=self.W, objective=self.objective,
                      grad_norm=self.grad_norm, x=self.data.x, c=self.data.c)
        if self.F is not None:
            arrays["F"] = self.F
        np.savez(path, config=json.dumps(self.config.to_dict()), **arrays)

    @classmethod
    def load(cls, path: str | PathLike[str], expected: SSLConfig | SLConfig | None = None
             ) -> Run:
        """Read a .npz written by :meth:`save`; check keys, shapes and dtypes against its
        configuration.

        With ``expected`` (a config), also require the stored configuration to equal it.
        A file that cannot be opened raises ``OSError``; every other failure (not a saved run,
        corrupted, inconsistent, a different configuration) raises ``ValueError`` naming the
        file.
        """
        with open(path, "rb") as fh:  # OSError: missing or unreadable file
            stored = _read_npz(fh, path)
        if "config" not in stored:
            raise ValueError(f"not a saved run: {path!s} has no 'config' entry "
                             f"(entries {sorted(stored)})")
        try:
            data = json.loads(str(stored.pop("config")))
            cfg = config_from_dict(data)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise ValueError(f"run file {path!s}: its configuration is not valid: {exc}") \
                from exc
        if expected is not None and cfg != expected:
            raise ValueError(f"run file {path!s} holds a different configuration: "
                             f"{_config_difference(cfg, expected)}")
        S, d, n, m = len(cfg.seeds), cfg.d, cfg.n, cfg.m
        R = len(record_steps(cfg.T, cfg.record_every))
        shapes = dict(steps=(R,), W=(S, R, m, d), objective=(S, R), grad_norm=(S, R),
                      x=(S, n, d), c=(S, n))
        if isinstance(cfg, SLConfig):
            shapes["F"] = (S, R, m)
        if set(stored) != set(shapes):
            raise ValueError(f"run file {path!s} has entries {sorted(stored)}, expected "
                             f"{sorted(shapes)} for its configuration")
        for k, shape in shapes.items():
            if stored[k].shape != shape:
                raise ValueError(f"run file {path!s}: array {k!r} has shape {stored[k].shape}, "
                                 f"expected {shape} for its configuration")
            if stored[k].dtype.kind not in "fiu":
                raise ValueError(f"run file {path!s}: array {k!r} has dtype {stored[k].dtype}, "
                                 "expected numbers")
        c = stored["c"].astype(int)
        data = Data(x=stored["x"], c=c, y=(c >= 2).astype(float), z=(c % 2).astype(float))
        return cls(config=cfg, steps=stored["steps"], W=stored["W"], objective=stored["objective"],
                   grad_norm=stored["grad_norm"], data=data, F=stored.get("F"))


def _read_npz(fh, path):
    """Every array of the .npz archive open in ``fh``; ValueError naming ``path`` otherwise."""
    head = fh.read(6)
    fh.seek(0)
    if not head.startswith((b"PK\x03\x04", b"\x93NUMPY")):  # zip (.npz) or .npy magic
        what = "an empty file" if not head else f"a file starting with {head!r}"
        raise ValueError(f"not a saved run: {path!s} is {what}, not the NumPy .npz archive "
                         "that Run.save writes")
    try:
        f = np.load(fh, allow_pickle=False)
    except Exception as exc:  # text, pickle, empty or truncated files
        raise ValueError(f"not a saved run: {path!s} is not a NumPy .npz archive ({exc})") \
            from exc
    if not isinstance(f, np.lib.npyio.NpzFile):
        raise ValueError(f"not a saved run: {path!s} holds a single array (.npy), not the .npz "
                         "archive that Run.save writes")
    try:
        with f:
            return {k: f[k] for k in f.files}
    except Exception as exc:  # damaged archive members
        raise ValueError(f"not a saved run: {path!s} is a damaged .npz archive ({exc})") from exc


def _config_difference(cfg, expected):
    """'field: stored value (file) vs expected value' for every field that differs."""
    if type(cfg) is not type(expected):
        return f"an {type(cfg).__name__}, expected an {type(expected).__name__}"
    a, b = cfg.to_dict(), expected.to_dict()
    return "; ".join(f"{k} = {a[k]!r} in the file, {b[k]!r} expected"
                     for k in a if a[k] != b.get(k))


def record_steps(T: int, every: int) -> np.ndarray:
    """Steps at which weights are recorded: 0, every, 2 every, ..., and T."""
    return np.unique(np.r_[np.arange(0, T, every), T])


class _Recorder:
    """Stores W (and F), the objective and ||gradient|| at the steps of :func:`record_steps`."""

    def __init__(self, cfg, S, d, with_F=False):
        self.steps = record_steps(cfg.T, cfg.record_every)
        R = len(self.steps)
        self.W = np.empty((S, R, cfg.m, d))
        self.F = np.empty((S, R, cfg.m)) if with_F else None
        self.objective = np.empty((S, R))
        self.grad_norm = np.empty((S, R))
        self._next = 0

    def wants(self, t):
        return self._next < len(self.steps) and self.steps[self._next] == t

    def record(self, Wt, objective, gradT, F=None):
        i = self._next
        self.W[:, i] = np.swapaxes(Wt, 1, 2)
        if F is not None:
            self.F[:, i] = F
        self.objective[:, i] = objective
        self.grad_norm[:, i] = np.sqrt((gradT**2).sum(axis=(1, 2)))
        self._next += 1


def _blocks(T, size, progress, desc):
    """(start, length) of blocks of steps, with a tqdm bar over steps when ``progress``."""
    bar = tqdm(total=T, desc=desc, disable=not progress, leave=False)
    for start in range(0, T, size):
        length = min(size, T - start)
        yield start, length
        bar.update(length)
    bar.close()


def _compatible(cfgs, free):
    """Check that the configurations agree on every field except those in ``free``."""
    cfgs = list(cfgs)
    if not cfgs:
        raise ValueError("cfgs is empty: allowed a non-empty list of configurations")
    def fixed(c):
        return {k: v for k, v in c.to_dict().items() if k not in free}
    for cfg in cfgs[1:]:
        if fixed(cfg) != fixed(cfgs[0]):
            diff = sorted(k for k in fixed(cfg) if fixed(cfg)[k] != fixed(cfgs[0]).get(k))
            raise ValueError(f"configurations differ in {diff}; they may differ only in "
                             f"{list(free)}")
    return cfgs


def _per_row(cfgs, name):
    """One value of field ``name`` per seed row of the stacked configurations, shape (S,)."""
    return np.concatenate([np.full(len(c.seeds), getattr(c, name), dtype=np.float64) for c in cfgs])


def _split(cfgs, rec, datas, with_F=False):
    """Cut the stacked recorder into one Run per configuration."""
    runs, lo = [], 0
    for cfg, data in zip(cfgs, datas):
        hi = lo + len(cfg.seeds)
        F = rec.F[lo:hi] if with_F else None
        runs.append(Run(cfg, rec.steps, rec.W[lo:hi], rec.objective[lo:hi],
                        rec.grad_norm[lo:hi], data, F=F))
        lo = hi
    return runs


# -- SSL ---------------------------------------------------------------------------------------
def init_ssl(cfg: SSLConfig
             ) -> tuple[np.ndarray, Data, list[np.random.Generator | np.random.RandomState]]:
    """Initial W (S, m, d), data, and the augmentation streams (clean mode)."""
    if cfg.rng == "reference":
        W, _, data, states = reference.setup(cfg, "ssl")
        return W, data, states
    gens = [streams(s, "ssl") for s in cfg.seeds]
    W = np.stack([ssl_initial_weights(cfg.init, cfg.d, cfg.tau, g[0], g[0], cfg.m,
                                      cfg.init_scale) for g in gens])
    data = sample(cfg.n, cfg.d, cfg.tau, cfg.rho, [g[1] for g in gens], noise=cfg.noise)
    return W, data, [g[2] for g in gens]


def _ssl_step(cfg, x, xT, rho, alpha):
    """(step(Wt, noise, j) -> (new Wt, s, gradient^T), value(Wt, s) -> L (S,)) for ``cfg``:
    the paper's model has its own fast kernels (s: the sigmoids); any other model the general
    ones of :mod:`sslcore.ssl_kernels` (s: the objective's value itself)."""
    n = x.shape[1]
    if cfg.paper_model():
        if cfg.sampler == "projected":
            return (lambda Wt, noise, j: ssl_kernels.ssl_step_projected(
                Wt, x, xT, noise[0][:, j], noise[1][:, j], rho, alpha, cfg.eta),
                lambda Wt, s: ssl_kernels.ssl_value(Wt, s, alpha, n))
        return (lambda Wt, noise, j: ssl_kernels.ssl_step_views(
            Wt, x, noise[:, j], rho, alpha, cfg.eta),
            lambda Wt, s: ssl_kernels.ssl_value(Wt, s, alpha, n))
    terms = partial(objectives.data_terms, objective=cfg.objective, act=cfg.activation,
                    temperature=cfg.temperature)
    if cfg.sampler == "projected":
        return (lambda Wt, noise, j: ssl_kernels.general_step_projected(
            Wt, x, xT, noise[0][:, j], noise[1][:, j], rho, alpha, cfg.eta, terms),
            lambda Wt, value: value)
    return (lambda Wt, noise, j: ssl_kernels.general_step_views(
        Wt, x, noise[:, j], rho, alpha, cfg.eta, terms), lambda Wt, value: value)


def _ssl_loop(cfg, Wt, x, gens, progress, block, desc, rho, alpha, cfgs=None):
    """Gradient ascent from Wt (S, d, 2) on data x (S, n, d); returns the recorder.

    ``rho``, ``alpha``: (S,) values per row. Step t = T only evaluates (objective and gradient
    at the final weights, on one more draw). Raises :class:`DivergenceError` at the first step
    whose weights are non-finite or exceed ``MAX_WEIGHT`` (``cfgs``: the stacked configurations,
    for the message).
    """
    S, n, d = x.shape
    T = cfg.T
    cfgs = cfgs or [cfg]
    xT = np.ascontiguousarray(np.swapaxes(x, 1, 2))
    rec = _Recorder(cfg, S, d)

    step, value = _ssl_step(cfg, x, xT, rho, alpha)

    if not finite_below(Wt):
        raise divergence_error("SSL", cfgs, 0, [np.swapaxes(Wt, 1, 2)], ["W"])
    bar = tqdm(total=T + 1, desc=desc, disable=not progress, leave=False)
    draw = partial(ssl_kernels.draw_ssl_noise, cfg, gens, n, d)
    blocks = _blocks(T + 1, ssl_kernels.block_length(cfg, block), False, desc)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for start, length, noise in ssl_kernels.prefetched_draws(blocks, draw):
            good, j_good = Wt, 0                                 # W_start, checked
            for j in range(length):
                new, s, gT = step(Wt, noise, j)
                if rec.wants(start + j):
                    rec.record(Wt, value(Wt, s), gT)
                Wt = new                                         # W_(start + j + 1)
                t = start + j + 1
                if t <= T and (t % CHECK_EVERY == 0 or j == length - 1 or t == T):
                    if not finite_below(Wt) and (bad := first_bad_step(
                            lambda st, jj, noise=noise: (step(st[0], noise, jj)[0],),
                            (good,), range(j_good, j + 1))):
                        raise divergence_error("SSL", cfgs, start + bad[0] + 1,
                                          [np.swapaxes(bad[1][0], 1, 2)], ["W"])
                    good, j_good = Wt, j + 1
            bar.update(length)
    bar.close()
    return rec


def train_ssl(cfg: SSLConfig | None = None, progress: bool = False, block: int = 200,
              W0: np.ndarray | None = None) -> Run:
    """Gradient ascent on the SSL objective for every seed of ``cfg`` at once.

    ``W0`` (S, m, d) optionally replaces the configured initialization (data and views still
    come from the seeds' streams).
    """
    return train_ssl_many([cfg or SSLConfig()], progress, block, None if W0 is None else [W0])[0]


def train_ssl_many(cfgs: Sequence[SSLConfig], progress: bool = False, block: int = 200,
                   W0s: Sequence[ArrayLike | None] | None = None) -> list[Run]:
    """Train several SSL configurations in one vectorized loop (their seeds stacked).

    The configurations may differ in ``init``, ``init_scale``, ``seeds``, ``tau``, ``rho``,
    ``alpha`` and ``noise`` (so a sweep over tau or rho is one loop); each gets its own Run,
    equal to what :func:`train_ssl` gives it alone (each seed has its own random streams, and
    the blocks of random numbers depend on a seed's own sizes only).
    """
    cfgs = _compatible(cfgs, ("init", "init_scale", "seeds", "tau", "rho", "alpha", "noise"))
    Ws, datas, gens = [], [], []
    for i, cfg in enumerate(cfgs):
        W, data, g = init_ssl(cfg)
        if W0s is not None and W0s[i] is not None:
            W0 = np.asarray(W0s[i], dtype=np.float64)
            if W0.shape != W.shape:
                raise ValueError(f"W0 has shape {W0.shape}, expected {W.shape} (seeds, m, d)")
            W = W0.copy()
        Ws.append(W)
        datas.append(data)
        gens += g
    Wt = np.swapaxes(np.concatenate(Ws), 1, 2).copy()
    x = np.concatenate([dt.x for dt in datas])
    desc = "SSL (" + ", ".join(sorted({cfg.init for cfg in cfgs})) + ")"
    rho, alpha = _per_row(cfgs, "rho"), _per_row(cfgs, "alpha")
    rec = _ssl_loop(cfgs[0], Wt, x, gens, progress, block, desc, rho, alpha, cfgs)
    return _split(cfgs, rec, datas)


# -- SL ----------------------------------------------------------------------------------------
def init_sl(cfg: SLConfig) -> tuple[np.ndarray, np.ndarray, Data]:
    """Initial W (S, m, d), F (S, m) and the data."""
    if cfg.rng == "reference":
        W, F, data, _ = reference.setup(cfg, "sl")
        return W, F, data
    gens = [streams(s, "sl") for s in cfg.seeds]
    WF = [sl_initial_weights(cfg.d, g[0], cfg.m) for g in gens]
    data = sample(cfg.n, cfg.d, cfg.tau, cfg.rho, [g[1] for g in gens], noise=cfg.noise)
    return np.stack([w for w, _ in WF]), np.stack([f for _, f in WF]), data


def _sl_step_activation(Wt, F, x, xT, y, beta, gamma, eta, want_loss, act):
    """:func:`sl_step` with the hidden activation ``act`` (a, a' from models.activation)."""
    n = x.shape[1]
    s, ds = models.activation(act, x @ Wt)                   # a(u_ik), a'(u_ik)
    h = s @ F[:, :, None]
    r = models.sigmoid(h) - y
    gT = xT @ (ds * F[:, None, :] * r) + (2.0 * n) * broadcast_rows(beta, 3) * Wt
    loss = None
    if want_loss:
        reg = np.ravel(beta) * (Wt**2).sum(axis=(1, 2)) + np.ravel(gamma) * (F**2).sum(-1)
        loss = models.bce_with_logits(h, y).sum(axis=(1, 2)) + n * reg
    Wt = Wt - eta * gT
    s = models.activation(act, x @ Wt)[0]
    r = models.sigmoid(s @ F[:, :, None]) - y
    gF = (np.swapaxes(s, 1, 2) @ r)[..., 0] + (2.0 * n) * broadcast_rows(gamma, 2) * F
    return Wt, F - eta * gF, loss, gT


def sl_step(Wt: np.ndarray, F: np.ndarray, x: np.ndarray, xT: np.ndarray, y: np.ndarray,
            beta: ArrayLike, gamma: ArrayLike, eta: float, want_loss: bool = True,
            act: str = "sigmoid") -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray]:
    """W <- W - eta dJ/dW(W, F); then F <- F - eta dJ/dF(W_new, F).

    Works on Wt = W^T (S, d, m), F (S, m); y (S, n, 1). Returns (Wt, F, loss, dJ/dW^T), the
    loss (None unless ``want_loss``) and the gradient at the old (W, F). ``act``: the hidden
    activation (default the paper's sigmoid, computed in place here).
    """
    if act != "sigmoid":
        return _sl_step_activation(Wt, F, x, xT, y, beta, gamma, eta, want_loss, act)
    n = x.shape[1]
    beta3, gamma2 = broadcast_rows(beta, 3), broadcast_rows(gamma, 2)
    s = sigmoid_inplace(x @ Wt)                                    # s(w_k.x_i), (S, n, 2)
    h = s @ F[:, :, None]                                    # logits h_i, (S, n, 1)
    r = sigmoid_inplace(h.copy()) if want_loss else sigmoid_inplace(h)
    r -= y                                                   # r_i = s(h_i) - y_i
    c = s * s
    np.subtract(s, c, out=c)                                 # s'(u_ik) = s - s^2
    c *= F[:, None, :]
    c *= r
    gT = xT @ c
    gT += (2.0 * n) * beta3 * Wt
    loss = None
    if want_loss:
        reg = np.ravel(beta) * (Wt**2).sum(axis=(1, 2)) + np.ravel(gamma) * (F**2).sum(-1)
        loss = models.bce_with_logits(h, y).sum(axis=(1, 2)) + n * reg
    Wt = Wt - eta * gT
    s = sigmoid_inplace(x @ Wt)
    r = sigmoid_inplace(s @ F[:, :, None])
    r -= y
    gF = (np.swapaxes(s, 1, 2) @ r)[..., 0] + (2.0 * n) * gamma2 * F
    return Wt, F - eta * gF, loss, gT


def train_sl(cfg: SLConfig | None = None, progress: bool = False, block: int = 500) -> Run:
    """Gradient descent on the SL loss for every seed of ``cfg`` at once."""
    return train_sl_many([cfg or SLConfig()], progress, block)[0]


def train_sl_many(cfgs: Sequence[SLConfig], progress: bool = False, block: int = 500
                  ) -> list[Run]:
    """Train several SL configurations in one vectorized loop (their seeds stacked).

    They may differ in ``seeds``, ``tau``, ``rho``, ``beta``, ``gamma`` and ``noise``.
    Any width m and hidden activation (``SLConfig.m``, ``activation``).
    """
    cfgs = _compatible(cfgs, ("seeds", "tau", "rho", "beta", "gamma", "noise"))
    inits = [init_sl(cfg) for cfg in cfgs]
    datas = [data for _, _, data in inits]
    Wt = np.swapaxes(np.concatenate([W for W, _, _ in inits]), 1, 2).copy()
    F = np.concatenate([F for _, F, _ in inits])
    x = np.concatenate([data.x for data in datas])
    y = np.concatenate([data.y for data in datas])[..., None]
    xT = np.ascontiguousarray(np.swapaxes(x, 1, 2))
    beta, gamma = _per_row(cfgs, "beta"), _per_row(cfgs, "gamma")
    rec = _Recorder(cfgs[0], x.shape[0], x.shape[2], with_F=True)
    T, eta, act = cfgs[0].T, cfgs[0].eta, cfgs[0].activation

    def diverged(step, Wt, F):
        return divergence_error("SL", cfgs, step, [np.swapaxes(Wt, 1, 2), F], ["W", "F"])

    if not finite_below(Wt, F):
        raise diverged(0, Wt, F)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for start, length in _blocks(T + 1, block, progress, "SL"):
            good = (Wt, F, start)                                # (W, F) at step start, checked
            for t in range(start, start + length):
                want = rec.wants(t)
                new, newF, loss, gT = sl_step(Wt, F, x, xT, y, beta, gamma, eta, want, act)
                if want:
                    rec.record(Wt, loss, gT, F)
                Wt, F = new, newF                                # step t + 1
                if t < T and ((t + 1) % CHECK_EVERY == 0 or t == start + length - 1
                              or t + 1 == T):
                    if not finite_below(Wt, F) and (bad := first_bad_step(
                            lambda st, _: sl_step(*st, x, xT, y, beta, gamma, eta, False,
                                                  act)[:2],
                            good[:2], range(good[2], t + 1))):
                        raise diverged(bad[0] + 1, *bad[1])
                    good = (Wt, F, t + 1)
    return _split(cfgs, rec, datas, with_F=True)


def train(cfg: SSLConfig | SLConfig, progress: bool = False) -> Run:
    """Train an SSLConfig or an SLConfig."""
    if isinstance(cfg, SSLConfig):
        return train_ssl(cfg, progress=progress)
    if isinstance(cfg, SLConfig):
        return train_sl(cfg, progress=progress)
    raise ValueError(f"cfg={cfg!r} must be an SSLConfig or an SLConfig")
