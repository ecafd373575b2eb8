"""Full-batch training, vectorized over seeds, points and coordinates.

Weights are (S, 2, d) arrays, S = number of seeds; every step is a handful of batched array
operations. SSL: gradient ascent W <- W + eta dL/dW with fresh views every step. SL: gradient
descent, W <- W - eta dJ/dW(W, F), then F <- F - eta dJ/dF(W_new, F).

Two ways to draw the SSL views (``SSLConfig.sampler``):

* ``"views"``: the two views x + rho xi^(v) of every point, d normals per point and view.
* ``"projected"`` (default in the clean mode): the same distribution of the whole trajectory
  with d/2 times fewer draws. The step sees xi only through a = Q^T xi, Q an orthonormal basis
  (d, 2) of a plane containing w_1, w_2 (so w_k.xi = w_k.Q a), and through the sums
  G_k = sum_{v,i} c^v_ik P xi^v_i with P = I - Q Q^T. Since P xi is independent of a (hence of
  the coefficients c), (G_1, G_2) is Gaussian with Cov(G_k, G_l) = M_kl P,
  M = sum_{v,i} c^v_i c^v_i^T: we draw a (2 per point and view) and G = P (L Z), L L^T = M,
  Z a (d, 2) standard normal. ``tests/test_training.py`` checks the two samplers agree in law.

Divergence. Training stops at the first step t whose weights W_t (SL: or F_t) are not finite or
exceed ``MAX_WEIGHT`` = 1e6 in absolute value, and raises :class:`DivergenceError` naming the
step, the seeds and the parameters. The paper's runs (both random streams) stay below
|W| = 4.3 and |F| = 6.1, the chapters' below 18 (the init's w_k2 <= 9/tau at tau = 0.5); and
with eta alpha n <= 1/2, since |s' s| <= 1/4, an SSL neuron with explicit views never exceeds
max(|w_k(0)|, max_i,v |x_i^v| / (4 alpha)) (about 1.4e3 at the defaults). The check runs every
``CHECK_EVERY`` steps and at the end of each block; a failed check replays the steps since the
last good one to find the first bad step.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np
from tqdm.auto import tqdm

from . import models, reference
from .config import SLConfig, SSLConfig, config_from_dict
from .data import Data, fill_normal, sample, streams
from .initialization import sl_initial_weights, ssl_initial_weights

#: Weights with |w| > MAX_WEIGHT (or non-finite) stop training with a DivergenceError.
MAX_WEIGHT = 1e6
#: Steps between two divergence checks (a failed check replays them to find the first bad one).
CHECK_EVERY = 10


class DivergenceError(FloatingPointError):
    """Training diverged: the weights at ``step`` are non-finite or exceed ``MAX_WEIGHT``.

    Attributes: ``step``, ``model`` ("SSL" or "SL"), ``seeds`` (of the diverged rows) and
    ``params`` (name -> value of the configuration of the first diverged seed).
    """

    def __init__(self, message, step=None, model=None, seeds=(), params=None):
        super().__init__(message)
        self.step, self.model, self.seeds = step, model, tuple(seeds)
        self.params = dict(params or {})


def _finite_below(*arrays):
    """True when every entry of the arrays is finite with |.| <= MAX_WEIGHT (NaN compares False)."""
    return all(a.max() <= MAX_WEIGHT and a.min() >= -MAX_WEIGHT for a in arrays)


def _bad_rows(*arrays):
    """Row (seed) indices whose entries are non-finite or exceed MAX_WEIGHT."""
    ok = np.ones(len(arrays[0]), bool)
    for a in arrays:
        m = np.abs(a.reshape(len(a), -1)).max(axis=1)
        ok &= m <= MAX_WEIGHT
    return np.flatnonzero(~ok)


def _divergence(model, cfgs, step, arrays, names):
    """The DivergenceError for the first bad step: arrays (S, ...) at that step, their names."""
    rows = _bad_rows(*arrays)
    owners = [(cfg, seed) for cfg in cfgs for seed in cfg.seeds]
    bad = [owners[i] for i in rows]
    cfg = bad[0][0]
    seeds = [seed for _, seed in bad]
    sizes = []
    for a, name in zip(arrays, names):
        v = a[rows]
        sizes.append(f"{name} not finite" if not np.all(np.isfinite(v))
                     else f"max |{name}| = {np.abs(v).max():.3g}")
    keys = ("eta", "alpha", "tau", "rho", "n", "d", "init", "rng") if model == "SSL" else \
        ("eta", "beta", "gamma", "tau", "rho", "n", "d", "rng")
    params = {k: getattr(cfg, k) for k in keys}
    shown = ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v!r}"
                      for k, v in params.items())
    decay = "alpha" if model == "SSL" else "beta"
    hint = f"try a smaller eta, e.g. eta={cfg.eta / 10:.3g}"
    if getattr(cfg, decay) == 0:
        hint += f", or {decay} > 0 (weight decay keeps the weights bounded)"
    message = (f"{model} training diverged at step {step}: {', '.join(sizes)} (limit "
               f"{MAX_WEIGHT:g}) for seed{'s' if len(seeds) > 1 else ''} "
               f"{', '.join(map(str, seeds))}, with {shown}; {hint}")
    return DivergenceError(message, step=step, model=model, seeds=seeds, params=params)


@dataclass
class Run:
    """A training run over all seeds.

    steps (R,): recorded steps 0, k, 2k, ..., T;  W (S, R, 2, d);  F (S, R, 2) (SL only);
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
    def W_final(self):
        """Final weights (S, 2, d)."""
        return self.W[:, -1]

    @property
    def F_final(self):
        return None if self.F is None else self.F[:, -1]

    # -- saving and loading ----------------------------------------------------------------
    def save(self, path):
        """Write one .npz holding every array and the configuration (as JSON)."""
        arrays = dict(steps=self.steps, W=self.W, objective=self.objective,
                      grad_norm=self.grad_norm, x=self.data.x, c=self.data.c)
        if self.F is not None:
            arrays["F"] = self.F
        np.savez(path, config=json.dumps(self.config.to_dict()), **arrays)

    @classmethod
    def load(cls, path, expected=None):
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
        S, d, n = len(cfg.seeds), cfg.d, cfg.n
        R = len(record_steps(cfg.T, cfg.record_every))
        shapes = dict(steps=(R,), W=(S, R, 2, d), objective=(S, R), grad_norm=(S, R),
                      x=(S, n, d), c=(S, n))
        if isinstance(cfg, SLConfig):
            shapes["F"] = (S, R, 2)
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


def record_steps(T, every):
    """Steps at which weights are recorded: 0, every, 2 every, ..., and T."""
    return np.unique(np.r_[np.arange(0, T, every), T])


class _Recorder:
    """Stores W (and F), the objective and ||gradient|| at the steps of :func:`record_steps`."""

    def __init__(self, cfg, S, d, with_F=False):
        self.steps = record_steps(cfg.T, cfg.record_every)
        R = len(self.steps)
        self.W = np.empty((S, R, 2, d))
        self.F = np.empty((S, R, 2)) if with_F else None
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
def init_ssl(cfg: SSLConfig):
    """Initial W (S, 2, d), data, and the augmentation streams (clean mode)."""
    if cfg.rng == "reference":
        W, _, data, states = reference.setup(cfg, "ssl")
        return W, data, states
    gens = [streams(s, "ssl") for s in cfg.seeds]
    W = np.stack([ssl_initial_weights(cfg.init, cfg.d, cfg.tau, g[0], g[0]) for g in gens])
    data = sample(cfg.n, cfg.d, cfg.tau, cfg.rho, [g[1] for g in gens], noise=cfg.noise)
    return W, data, [g[2] for g in gens]


def _col(v, ndim):
    """A scalar, or one value per row (S,), shaped to broadcast against (S, ...) of ndim axes."""
    return np.reshape(v, (-1,) + (1,) * (ndim - 1))


def ssl_value(Wt, s, alpha, n):
    """L(W) from the step's sigmoids s (S, 2 views, n, 2): sum s(u1) s(u2) - alpha n ||W||^2."""
    return (s[:, 0] * s[:, 1]).sum(axis=(1, 2)) - np.ravel(alpha) * n * (Wt**2).sum(axis=(1, 2))


def ssl_step_views(Wt, x, noise, rho, alpha, eta):
    """One ascent step with explicit views x + rho noise[:, v]; noise (S, 2, n, d).

    Works on Wt = W^T (S, d, 2). Returns (new Wt, sigmoids s (S, 2, n, 2), gradient^T), the
    last two at the old weights.
    """
    n = x.shape[-2]
    rho, alpha = _col(rho, 4), _col(alpha, 3)
    xv = x[:, None] + rho * noise                            # (S, 2 views, n, d)
    s = models.sigmoid(xv @ Wt[:, None])                     # s(w_k.x^v_i), (S, 2, n, 2)
    c = s * (1 - s) * s[:, ::-1]                             # c^v = s'(u^v) s(u^other view)
    gradT = np.swapaxes(xv[:, 0], 1, 2) @ c[:, 0] + np.swapaxes(xv[:, 1], 1, 2) @ c[:, 1]
    gradT -= 2 * alpha * n * Wt
    return Wt + eta * gradT, s, gradT


def qr2(Wt):
    """Thin QR of W^T (S, d, 2) by Gram-Schmidt, signs as LAPACK's Householder QR.

    Q (S, d, 2) has orthonormal columns, R (S, 2, 2) is upper triangular, W^T = Q R; the signs
    r_11 = -sign(w_11) |w_1| and r_22 = -sign((H_1 w_2)_2) |P_1 w_2| are those of
    ``np.linalg.qr`` (Householder reflections), which is 8x slower on a stack of d x 2 matrices.
    """
    w1, w2 = Wt[..., 0], Wt[..., 1]
    r11 = np.where(w1[:, 0] >= 0, -1.0, 1.0) * np.sqrt((w1 * w1).sum(-1))
    with np.errstate(divide="ignore", invalid="ignore"):       # rows fixed below
        q1 = w1 / r11[:, None]
        r12 = (q1 * w2).sum(-1)
        v = w2 - r12[:, None] * q1
        u0 = w1[:, 0] - r11                                  # Householder vector u = w1 - r11 e1
        uu = u0 * u0 + (w1[:, 1:] ** 2).sum(-1)
        uw = u0 * w2[:, 0] + (w1[:, 1:] * w2[:, 1:]).sum(-1)
        h = w2[:, 1] - 2.0 * w1[:, 1] * uw / uu              # (H_1 w_2)_2
    nv = np.sqrt((v * v).sum(-1))
    r22 = np.where(h >= 0, -1.0, 1.0) * nv
    bad = ~(nv > 1e-6 * np.sqrt((w2 * w2).sum(-1)))          # (nearly) parallel columns, or w1 = 0
    if bad.any():                                            # Gram-Schmidt loses orthogonality
        r11, r22 = np.where(bad, 1.0, r11), np.where(bad, 1.0, r22)
    Q = np.stack([w1 / r11[:, None], v / r22[:, None]], -1)
    R = np.zeros(Wt.shape[:-2] + (2, 2))
    R[:, 0, 0], R[:, 0, 1], R[:, 1, 1] = r11, r12, r22
    if bad.any():
        Q[bad], R[bad] = np.linalg.qr(Wt[bad])
    return Q, R


def _sigmoid_(u):
    """u <- s(u) in place (the caller silences the harmless overflow of e^-u, see
    models.sigmoid)."""
    np.negative(u, out=u)
    np.exp(u, out=u)
    u += 1.0
    return np.reciprocal(u, out=u)


def ssl_step_projected(Wt, x, xT, a, Z, rho, alpha, eta):
    """One ascent step drawing only what the gradient sees (module docstring).

    Wt = W^T (S, d, 2); x (S, n, d) and xT its transpose (S, d, n); a (S, 2n, 2): the noise of
    both views (view-major) in the plane of Q; Z (S, d, 2): standard normals for G.
    Returns (new Wt, sigmoids s (S, 2, n, 2), gradient^T), the last two at the old weights.
    """
    S, n = x.shape[0], x.shape[1]
    rho = _col(rho, 3)
    Q, R = qr2(Wt)                                           # W^T = Q R, Q (S, d, 2)
    R *= rho
    u = (a @ R).reshape(S, 2, n, 2)                          # rho w_k.(Q a^v_i) = rho (a^v_i R)_k
    u += (x @ Wt)[:, None]                                   # u^v_ik = w_k.(x_i + rho Q a^v_i)
    s = _sigmoid_(u)
    c = s * s
    np.subtract(s, c, out=c)                                 # s'(u) = s - s^2
    c *= s[:, ::-1]                                          # c^v_ik = s'(u^v_ik) s(u^other_ik)
    gradT = xT @ (c[:, 0] + c[:, 1])                         # sum_{v,i} c^v_ik x_i, (S, d, 2)
    c = c.reshape(S, 2 * n, 2)
    ca = np.swapaxes(a, 1, 2) @ c                            # sum_{v,i} a_ij c_ik, (S, 2, 2)
    M = np.swapaxes(c, 1, 2) @ c                             # sum_{v,i} c_ik c_il
    L11 = np.sqrt(M[:, 0, 0])                                # M = L L^T, L lower triangular
    L21 = M[:, 1, 0] / np.maximum(L11, 1e-200)               # L11 = 0 (all s' = 0): L21 = 0
    L22 = np.sqrt(np.maximum(M[:, 1, 1] - L21**2, 0.0))
    G = Z * L11[:, None, None]                               # G_k = sum_l L_kl Z_l
    G[..., 1] = L21[:, None] * Z[..., 0] + L22[:, None] * Z[..., 1]
    G -= Q @ (np.swapaxes(Q, 1, 2) @ G)                      # P G: project out the plane
    G += Q @ ca
    G *= rho
    G -= (2.0 * n) * _col(alpha, 3) * Wt
    gradT += G
    return Wt + eta * gradT, s, gradT


def _prefetched(blocks, draw):
    """Yield (start, length, draw(length)) for each block; the next block's random numbers are
    drawn in a background thread while the caller computes on the current one.

    Only that thread touches the random streams, one block after the other, so the numbers and
    their order are exactly those of drawing in the loop (NumPy's generators release the GIL
    while they fill an array, so the two overlap on two cores).
    """
    from concurrent.futures import ThreadPoolExecutor

    blocks = list(blocks)
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(draw, blocks[0][1])
        for k, (start, length) in enumerate(blocks):
            noise = pending.result()
            if k + 1 < len(blocks):
                pending = pool.submit(draw, blocks[k + 1][1])
            yield start, length, noise


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
    projected = cfg.sampler == "projected"

    def draw(length):
        if projected:
            return (fill_normal(gens, np.empty((S, length, 2 * n, 2))),
                    fill_normal(gens, np.empty((S, length, d, 2))))
        if cfg.rng == "reference":
            return reference.view_noise(gens, length, n, d)
        return fill_normal(gens, np.empty((S, length, 2, n, d)))

    def step(Wt, noise, j):
        if projected:
            return ssl_step_projected(Wt, x, xT, noise[0][:, j], noise[1][:, j], rho, alpha,
                                      cfg.eta)
        return ssl_step_views(Wt, x, noise[:, j], rho, alpha, cfg.eta)

    if not _finite_below(Wt):
        raise _divergence("SSL", cfgs, 0, [np.swapaxes(Wt, 1, 2)], ["W"])
    bar = tqdm(total=T + 1, desc=desc, disable=not progress, leave=False)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for start, length, noise in _prefetched(_blocks(T + 1, block, False, desc), draw):
            good, j_good = Wt, 0                                 # W_start, checked
            for j in range(length):
                new, s, gT = step(Wt, noise, j)
                if rec.wants(start + j):
                    rec.record(Wt, ssl_value(Wt, s, alpha, n), gT)
                Wt = new                                         # W_(start + j + 1)
                t = start + j + 1
                if t <= T and (t % CHECK_EVERY == 0 or j == length - 1 or t == T):
                    if not _finite_below(Wt):                    # replay to the first bad step
                        for jj in range(j_good, j + 1):
                            good = step(good, noise, jj)[0]
                            if not _finite_below(good):
                                raise _divergence("SSL", cfgs, start + jj + 1,
                                                  [np.swapaxes(good, 1, 2)], ["W"])
                    good, j_good = Wt, j + 1
            bar.update(length)
    bar.close()
    return rec


def train_ssl(cfg: SSLConfig | None = None, progress: bool = False, block: int = 200,
              W0: np.ndarray | None = None) -> Run:
    """Gradient ascent on the SSL objective for every seed of ``cfg`` at once.

    ``W0`` (S, 2, d) optionally replaces the configured initialization (data and views still
    come from the seeds' streams).
    """
    return train_ssl_many([cfg or SSLConfig()], progress, block, None if W0 is None else [W0])[0]


def train_ssl_many(cfgs, progress: bool = False, block: int = 200, W0s=None):
    """Train several SSL configurations in one vectorized loop (their seeds stacked).

    The configurations may differ in ``init``, ``seeds``, ``tau``, ``rho``, ``alpha`` and
    ``noise`` (so a sweep over tau or rho is one loop); each gets its own Run, equal to what
    :func:`train_ssl` gives it alone (each seed has its own random streams).
    """
    cfgs = _compatible(cfgs, ("init", "seeds", "tau", "rho", "alpha", "noise"))
    Ws, xs, datas, gens = [], [], [], []
    for i, cfg in enumerate(cfgs):
        W, data, g = init_ssl(cfg)
        if W0s is not None and W0s[i] is not None:
            W0 = np.asarray(W0s[i], dtype=np.float64)
            if W0.shape != W.shape:
                raise ValueError(f"W0 has shape {W0.shape}, expected {W.shape} (seeds, 2, d)")
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
def init_sl(cfg: SLConfig):
    """Initial W (S, 2, d), F (S, 2) and the data."""
    if cfg.rng == "reference":
        W, F, data, _ = reference.setup(cfg, "sl")
        return W, F, data
    gens = [streams(s, "sl") for s in cfg.seeds]
    WF = [sl_initial_weights(cfg.d, g[0]) for g in gens]
    data = sample(cfg.n, cfg.d, cfg.tau, cfg.rho, [g[1] for g in gens], noise=cfg.noise)
    return np.stack([w for w, _ in WF]), np.stack([f for _, f in WF]), data


def sl_step(Wt, F, x, xT, y, beta, gamma, eta, want_loss=True):
    """W <- W - eta dJ/dW(W, F); then F <- F - eta dJ/dF(W_new, F).

    Works on Wt = W^T (S, d, 2); y (S, n, 1). Returns (Wt, F, loss, dJ/dW^T), the loss (None
    unless ``want_loss``) and the gradient at the old (W, F).
    """
    n = x.shape[1]
    beta3, gamma2 = _col(beta, 3), _col(gamma, 2)
    s = _sigmoid_(x @ Wt)                                    # s(w_k.x_i), (S, n, 2)
    h = s @ F[:, :, None]                                    # logits h_i, (S, n, 1)
    r = _sigmoid_(h.copy()) if want_loss else _sigmoid_(h)
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
    s = _sigmoid_(x @ Wt)
    r = _sigmoid_(s @ F[:, :, None])
    r -= y
    gF = (np.swapaxes(s, 1, 2) @ r)[..., 0] + (2.0 * n) * gamma2 * F
    return Wt, F - eta * gF, loss, gT


def train_sl(cfg: SLConfig | None = None, progress: bool = False, block: int = 500) -> Run:
    """Gradient descent on the SL loss for every seed of ``cfg`` at once."""
    return train_sl_many([cfg or SLConfig()], progress, block)[0]


def train_sl_many(cfgs, progress: bool = False, block: int = 500):
    """Train several SL configurations in one vectorized loop (their seeds stacked).

    They may differ in ``seeds``, ``tau``, ``rho``, ``beta``, ``gamma`` and ``noise``.
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
    T, eta = cfgs[0].T, cfgs[0].eta

    def diverged(step, Wt, F):
        return _divergence("SL", cfgs, step, [np.swapaxes(Wt, 1, 2), F], ["W", "F"])

    if not _finite_below(Wt, F):
        raise diverged(0, Wt, F)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for start, length in _blocks(T + 1, block, progress, "SL"):
            good = (Wt, F, start)                                # (W, F) at step start, checked
            for t in range(start, start + length):
                want = rec.wants(t)
                new, newF, loss, gT = sl_step(Wt, F, x, xT, y, beta, gamma, eta, want)
                if want:
                    rec.record(Wt, loss, gT, F)
                Wt, F = new, newF                                # step t + 1
                if t < T and ((t + 1) % CHECK_EVERY == 0 or t == start + length - 1
                              or t + 1 == T):
                    if not _finite_below(Wt, F):                 # replay to the first bad step
                        gW, gF, t0 = good
                        for tt in range(t0, t + 1):
                            gW, gF = sl_step(gW, gF, x, xT, y, beta, gamma, eta, False)[:2]
                            if not _finite_below(gW, gF):
                                raise diverged(tt + 1, gW, gF)
                    good = (Wt, F, t + 1)
    return _split(cfgs, rec, datas, with_F=True)


def train(cfg, progress=False):
    """Train an SSLConfig or an SLConfig."""
    if isinstance(cfg, SSLConfig):
        return train_ssl(cfg, progress=progress)
    if isinstance(cfg, SLConfig):
        return train_sl(cfg, progress=progress)
    raise ValueError(f"cfg={cfg!r} must be an SSLConfig or an SLConfig")
