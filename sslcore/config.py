"""Validated configurations with the paper's defaults.

One frozen dataclass per experiment. Every field is checked in ``__post_init__``, so a bad
value raises ``ValueError`` naming the parameter, the value and the allowed range before any
computation starts.

Defaults (the experiments of Yang et al. 2023, as in the authors' reference simulation; chapter
1's hyperparameter table): d = 10, n = d^2, tau = 7, rho = d^-1.5, alpha = beta = gamma = 1/800,
eta = 1e-3, T = 4000 (SSL) / 8000 (SL), seeds 0..19.

Numbers may be of any real (``numbers.Real``) or integer (``numbers.Integral``) type, NumPy
scalars included, but not bool (NumPy's bool is not a ``numbers.Real``); they are stored as
float and int.

Stability bound on the weight decay. A step is W <- (1 - 2 eta alpha n) W + eta D (SSL; SL:
beta for W and gamma for F, with a minus sign on D), D the data term. Coordinates 3..d of the
noise-free data (rho = 0) have D = 0, so there every step multiplies w_kj by 1 - 2 eta alpha n:
for eta alpha n > 1 the factor is below -1 and the weights grow geometrically. For F the data
term's Hessian is positive semi-definite (the loss is convex in F), so the Jacobian of the
F-update (W fixed) has every eigenvalue <= 1 - 2 eta gamma n < -1. Hence the configurations require
eta alpha n <= 1 (SSL) and eta beta n <= 1, eta gamma n <= 1 (SL). Checked numerically with
noise (3 seeds; d = 2, 3, 10; rho = d^-1.5 and 1; 11 settings): at 1.005 every run's weights
pass 1e17 within 4000 (SSL) or 8000 (SL) steps; at 0.99 none leaves |W| < 1.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, TypeVar

from .validation import choice, integer, real

# -- the paper's settings (the only place they are typed; every default elsewhere uses these)
#: dimension d
D = 10
#: scale of the hidden feature e2 (the clusters +-e1 + tau e2)
TAU = 7.0
#: noise scale rho = d^-1.5 (data and augmentation)
RHO = D ** -1.5
#: weight decays (times n): SSL alpha, SL beta (on W) and gamma (on F), exactly 1/800
ALPHA_FRACTION = Fraction(1, 800)
ALPHA = BETA = GAMMA = float(ALPHA_FRACTION)
#: step size
ETA = 1e-3
#: number of steps of SSL and SL training
SSL_STEPS, SL_STEPS = 4000, 8000
#: number of seeds (seeds 0..N_SEEDS-1)
N_SEEDS = 20

INITS = ("near", "sign", "gaussian")
#: activations and SSL objectives (chapter 5; the first of each is the paper's)
ACTIVATIONS = ("sigmoid", "tanh", "softplus", "relu")
OBJECTIVES = ("agreement", "infonce", "spectral")
#: largest width m, and largest n for the pairwise objectives (n x n matrices per seed and view)
MAX_M, MAX_PAIRWISE_N = 1024, 2000
#: smallest InfoNCE temperature (sslcore.objectives: e^(-2/T) must not underflow)
MIN_TEMPERATURE = 0.01
NOISES = ("isotropic", "reference")
RNGS = ("clean", "reference")
SAMPLERS = ("projected", "views")

_Self = TypeVar("_Self", bound="_Common")


def _seeds(value: Any) -> tuple[int, ...]:
    try:
        seeds = tuple(value)
    except TypeError:
        raise ValueError(f"seeds={value!r} must be a non-empty sequence of integers >= 0") from None
    if not seeds:
        raise ValueError("seeds=() is empty: allowed a non-empty sequence of integers >= 0")
    try:
        out = tuple(integer("seeds", s, 0, rule="integers >= 0") for s in seeds)
    except ValueError as exc:
        raise ValueError(f"seeds={value!r}: {exc}") from None
    if len(set(out)) != len(out):
        raise ValueError(f"seeds={value!r} has repeated entries: allowed distinct integers >= 0")
    return out


@dataclass(frozen=True)
class _Common:
    d: int = D
    n: int | None = None  # default d**2
    tau: float = TAU
    rho: float | None = None  # default d**-1.5
    eta: float = ETA
    T: int = SSL_STEPS
    seeds: tuple[int, ...] = tuple(range(N_SEEDS))
    noise: str | None = None  # default: "reference" if rng == "reference" else "isotropic"
    rng: str = "clean"
    record_every: int = 10
    m: int = 2
    activation: str = "sigmoid"

    def _check_common(self) -> None:
        set_ = lambda k, v: object.__setattr__(self, k, v)
        d = integer("d", self.d, 2, rule="d >= 2")
        set_("d", d)
        set_("n", d * d if self.n is None else integer("n", self.n, 1, rule="n >= 1"))
        set_("tau", real("tau", self.tau, 0, low_open=True, rule="tau > 0"))
        set_("rho", d ** -1.5 if self.rho is None else real("rho", self.rho, 0, rule="rho >= 0"))
        set_("eta", real("eta", self.eta, 0, low_open=True, rule="eta > 0"))
        set_("T", integer("T", self.T, 1, rule="T >= 1"))
        set_("seeds", _seeds(self.seeds))
        set_("rng", choice("rng", self.rng, RNGS))
        noise = self.noise
        if noise is None:
            noise = "reference" if self.rng == "reference" else "isotropic"
        set_("noise", choice("noise", noise, NOISES))
        set_("record_every",
             integer("record_every", self.record_every, 1, rule="record_every >= 1"))
        set_("m", integer("m", self.m, 2, high=MAX_M, rule=f"2 <= m <= {MAX_M}"))
        set_("activation", choice("activation", self.activation, ACTIVATIONS))

    def paper_model(self) -> bool:
        """True for the paper's model: two sigmoid neurons (and, SSL, its objective and init)."""
        return (self.m == 2 and self.activation == "sigmoid"
                and getattr(self, "objective", "agreement") == "agreement"
                and getattr(self, "init", "near") in ("near", "sign"))

    def _check_decay(self, name: str) -> None:
        """Reject eta * decay * n > 1 (see the module docstring): the step would be unstable."""
        value = getattr(self, name)
        product = self.eta * value * self.n
        if product > 1:
            raise ValueError(
                f"eta*{name}*n = {product:.4g} (eta={self.eta:.4g}, {name}={value:.4g}, "
                f"n={self.n}) is out of range: allowed eta*{name}*n <= 1, i.e. eta <= "
                f"{1 / (value * self.n):.4g} at this {name} and n, or {name} <= "
                f"{1 / (self.eta * self.n):.4g} at this eta and n (beyond it the weight decay "
                f"alone multiplies the weights by 1 - 2*eta*{name}*n = {1 - 2 * product:.4g} "
                "every step, and training diverges)")

    def replace(self: _Self, **changes: Any) -> _Self:
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["seeds"] = list(self.seeds)
        out["kind"] = type(self).__name__
        return out

    @classmethod
    def from_dict(cls: type[_Self], data: Mapping[str, Any]) -> _Self:
        data = dict(data)
        kind = data.pop("kind", cls.__name__)
        if kind != cls.__name__:
            raise ValueError(f"configuration kind {kind!r} does not match {cls.__name__}")
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - names
        if unknown:
            raise ValueError(f"unknown configuration keys {sorted(unknown)} for {cls.__name__}")
        return cls(**data)


@dataclass(frozen=True)
class SSLConfig(_Common):
    """Self-supervised run: maximize sum_i sum_k s(w_k.x_i^(1)) s(w_k.x_i^(2)) - alpha n ||W||_F^2.

    ``init``: ``"near"`` (paper's condition 0), ``"sign"`` (condition 1), or ``"gaussian"``
    (every entry init_scale * N(0, 1)); with m > 2 the paper's inits set neurons 1 and 2 and
    leave the others N(0, 1).
    ``sampler``: how views are drawn, ``"projected"`` or ``"views"`` (see ``training``); default
    "projected" (clean mode) while m <= max(2, d // 2), where it draws fewer normals.
    Chapter 5: ``m`` neurons, ``activation`` a of the representation a(W x), ``objective``
    (``"agreement"``, the paper's; ``"infonce"`` with ``temperature``; ``"spectral"``; see
    :mod:`sslcore.objectives`). The defaults are the paper's model.
    """

    alpha: float = ALPHA
    init: str = "near"
    T: int = SSL_STEPS
    sampler: str | None = None  # default: "views" if rng == "reference" else "projected"
    objective: str = "agreement"
    temperature: float = 0.5
    init_scale: float = 1.0

    def __post_init__(self):
        set_ = lambda k, v: object.__setattr__(self, k, v)
        self._check_common()
        set_("alpha", real("alpha", self.alpha, 0, rule="alpha >= 0"))
        self._check_decay("alpha")
        set_("init", choice("init", self.init, INITS))
        set_("objective", choice("objective", self.objective, OBJECTIVES))
        set_("temperature", real("temperature", self.temperature, MIN_TEMPERATURE))
        set_("init_scale", real("init_scale", self.init_scale, 0, low_open=True,
                                rule="init_scale > 0"))
        if self.objective != "agreement" and not 2 <= self.n <= MAX_PAIRWISE_N:
            raise ValueError(f"n={self.n} is out of range for objective={self.objective!r}: "
                             f"allowed 2 <= n <= {MAX_PAIRWISE_N} (it compares every pair of "
                             "points: n x n matrices per seed, about 40 n^2 bytes each)")
        if self.rng == "reference" and not self.paper_model():
            raise ValueError("rng='reference' replays the authors' scripts, which train the "
                             "paper's model only: allowed with m=2, activation='sigmoid', "
                             "objective='agreement' and init 'near' or 'sign'")
        default = "views" if self.rng == "reference" or self.m > max(2, self.d // 2) \
            else "projected"
        sampler = choice("sampler", default if self.sampler is None else self.sampler, SAMPLERS)
        if self.rng == "reference" and sampler != "views":
            raise ValueError(f"sampler={sampler!r} is not allowed with rng='reference': "
                             "allowed 'views' (the reference stream draws every view)")
        if sampler == "projected" and self.m > self.d:
            raise ValueError(f"sampler='projected' needs m <= d (got m={self.m}, d={self.d}): "
                             "allowed 'views' here")
        set_("sampler", sampler)


@dataclass(frozen=True)
class SLConfig(_Common):
    """Supervised run: minimize sum_i BCE(y_i, s(F.a(W x_i))) + beta n ||W||^2 + gamma n ||F||^2.

    ``m`` hidden neurons with activation ``a`` (default: the paper's two sigmoid neurons).
    """

    beta: float = BETA
    gamma: float = GAMMA
    T: int = SL_STEPS

    def __post_init__(self):
        self._check_common()
        if self.rng == "reference" and not self.paper_model():
            raise ValueError("rng='reference' replays the authors' scripts, which train the "
                             "paper's model only: allowed with m=2, activation='sigmoid'")
        object.__setattr__(self, "beta", real("beta", self.beta, 0, rule="beta >= 0"))
        object.__setattr__(self, "gamma", real("gamma", self.gamma, 0, rule="gamma >= 0"))
        self._check_decay("beta")
        self._check_decay("gamma")


def config_from_dict(data: dict[str, Any]) -> SSLConfig | SLConfig:
    """Rebuild an SSLConfig or SLConfig from the output of its ``to_dict()`` (a dict)."""
    if not isinstance(data, dict):
        raise ValueError(f"configuration {data!r:.80} is a {type(data).__name__}: allowed a dict "
                         "(JSON object) with a 'kind' entry")
    kind = data.get("kind")
    for cls in (SSLConfig, SLConfig):
        if kind == cls.__name__:
            return cls.from_dict(data)
    raise ValueError(f"configuration kind {kind!r} is unknown: allowed 'SSLConfig', 'SLConfig'")


def hyperparameter_table(ssl: SSLConfig | None = None,
                         sl: SLConfig | None = None) -> list[tuple[str, str, Any, Any]]:
    """Rows (symbol, meaning, SSL value, SL value) for rendering the hyperparameter table."""
    ssl = ssl or SSLConfig()
    sl = sl or SLConfig()
    rows = [
        ("d", "dimension", ssl.d, sl.d),
        ("n", "number of points", ssl.n, sl.n),
        ("tau", "scale of the hidden feature e2", ssl.tau, sl.tau),
        ("rho", "noise scale (data and augmentation)", ssl.rho, sl.rho),
        ("alpha", "SSL weight decay (times n)", ssl.alpha, "-"),
        ("beta", "SL weight decay on W (times n)", "-", sl.beta),
        ("gamma", "SL weight decay on F (times n)", "-", sl.gamma),
        ("eta", "step size", ssl.eta, sl.eta),
        ("T", "number of steps", ssl.T, sl.T),
        ("seeds", "number of seeds", len(ssl.seeds), len(sl.seeds)),
    ]
    return rows
