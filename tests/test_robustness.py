"""Failures caught early and with a clear message (issue 11): divergence, stability bounds,
NumPy scalars, unreadable run files, figure arguments, and maxima that are maxima."""
import json
import re
import warnings
import zipfile

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest

from sslcore import (
    Run,
    SLConfig,
    SSLConfig,
    convergence,
    dynamics,
    ift_figures,
    loop_impl,
    plots,
    theory,
    validation,
    widgets,
)
from sslcore.training import (
    MAX_WEIGHT,
    DivergenceError,
    train_sl,
    train_sl_many,
    train_ssl,
    train_ssl_many,
)


def unchecked(cfg, **fields):
    """``cfg`` with fields set past validation (to reach the run-time guard)."""
    for k, v in fields.items():
        object.__setattr__(cfg, k, v)
    return cfg


@pytest.fixture
def no_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a RuntimeWarning from NumPy would fail the test
        yield


# -- stability bound in the configuration -------------------------------------------------------
@pytest.mark.parametrize("kw, name, product", [
    (dict(eta=10.0), "alpha", 1.25), (dict(alpha=1e3), "alpha", 100.0),
    (dict(alpha=1e300), "alpha", 1e299)])
def test_ssl_config_rejects_an_expanding_weight_decay(kw, name, product):
    with pytest.raises(ValueError, match=re.escape(f"eta*{name}*n = {product:.4g} (")
                       + rf".*out of range: allowed eta\*{name}\*n <= 1"):
        SSLConfig(**kw)


@pytest.mark.parametrize("kw, name", [(dict(eta=10.0), "beta"), (dict(beta=20.0), "beta"),
                                      (dict(gamma=20.0), "gamma")])
def test_sl_config_rejects_an_expanding_weight_decay(kw, name):
    with pytest.raises(ValueError, match=rf"eta\*{name}\*n .* out of range"):
        SLConfig(**kw)


def test_the_bound_names_both_ways_back_into_range():
    with pytest.raises(ValueError) as exc:
        SSLConfig(eta=10.0)
    assert "eta <= 8 at this alpha and n" in str(exc.value)
    assert "alpha <= 0.001 at this eta and n" in str(exc.value)
    SSLConfig(eta=8.0)                  # eta alpha n = 1: allowed
    SLConfig(eta=8.0)


@pytest.mark.parametrize("product, diverges", [(0.95, False), (1.05, True)])
def test_the_weight_decay_bound_is_where_training_starts_to_diverge(product, diverges):
    """Just below eta alpha n = 1 the weights stay small, just above they explode."""
    cfg = unchecked(SSLConfig(seeds=(0, 1), T=1000, record_every=1000), alpha=product / 0.1)
    sl = unchecked(SLConfig(seeds=(0, 1), T=1000, record_every=1000), beta=product / 0.1)
    for train, c in ((train_ssl, cfg), (train_sl, sl)):
        if diverges:
            with pytest.raises(DivergenceError):
                train(c)
        else:
            assert np.abs(train(c).W).max() < 5


# -- divergence at run time ---------------------------------------------------------------------
SSL_PATHS = {
    "projected": dict(),
    "views": dict(sampler="views"),
    "reference": dict(rng="reference"),
}


@pytest.mark.parametrize("path", list(SSL_PATHS))
def test_ssl_divergence_error_names_step_seeds_parameters_and_a_remedy(path, no_warnings):
    cfg = unchecked(SSLConfig(seeds=(0, 1), T=200, **SSL_PATHS[path]), eta=10.0)
    with pytest.raises(DivergenceError) as exc:
        train_ssl(cfg)
    e = exc.value
    assert isinstance(e, FloatingPointError) and e.model == "SSL" and 0 < e.step <= 200
    msg = str(e)
    assert f"SSL training diverged at step {e.step}:" in msg
    assert "seeds 0, 1" in msg and e.seeds == (0, 1)
    for part in ("eta=10", "alpha=0.00125", "tau=7", "rho=0.03162", "n=100"):
        assert part in msg
    assert "try a smaller eta, e.g. eta=1" in msg
    assert e.params["eta"] == 10.0


def test_sl_divergence_error(no_warnings):
    cfg = unchecked(SLConfig(seeds=(0, 1), T=200), eta=10.0)
    with pytest.raises(DivergenceError) as exc:
        train_sl(cfg)
    msg = str(exc.value)
    assert exc.value.model == "SL"
    assert f"SL training diverged at step {exc.value.step}:" in msg
    for part in ("eta=10", "beta=0.00125", "gamma=0.00125", "try a smaller eta"):
        assert part in msg


@pytest.mark.parametrize("kind", ["ssl", "ssl_views", "sl"])
def test_the_reported_step_is_the_first_bad_one(kind, no_warnings):
    """The step does not depend on the block size, the run stopped one step earlier completes
    with every weight finite and below MAX_WEIGHT, and the reported step's weights are not."""
    extra = dict(sampler="views") if kind == "ssl_views" else {}
    cls, train_many = (SLConfig, train_sl_many) if kind == "sl" else (SSLConfig, train_ssl_many)

    def cfg(T):
        return unchecked(cls(seeds=(0, 1), T=T, record_every=1, **extra), eta=10.0)

    steps = set()
    for block in (1, 7, 200):
        with pytest.raises(DivergenceError) as exc:
            train_many([cfg(300)], block=block)
        steps.add(exc.value.step)
    (t,) = steps
    before = train_many([cfg(t - 1)])[0]
    for a in (before.W, before.F if before.F is not None else before.W):
        assert np.all(np.isfinite(a)) and np.abs(a).max() <= MAX_WEIGHT
    with pytest.raises(DivergenceError, match=f"at step {t}:"):
        train_many([cfg(t)])


def test_stacked_runs_name_only_the_diverged_configuration(no_warnings):
    good = SSLConfig(seeds=(0, 1), T=100)
    bad = unchecked(SSLConfig(seeds=(5,), T=100, tau=3.0), alpha=15.0)
    object.__setattr__(bad, "eta", good.eta)
    with pytest.raises(DivergenceError) as exc:
        train_ssl_many([good, bad])
    assert exc.value.seeds == (5,) and "seed 5," in str(exc.value)
    assert "alpha=15" in str(exc.value) and "tau=3" in str(exc.value)
    sl_bad = unchecked(SLConfig(seeds=(3,), T=100), gamma=20.0)
    with pytest.raises(DivergenceError, match="seed 3, with .*gamma=20"):
        train_sl_many([SLConfig(seeds=(0,), T=100), sl_bad])


def test_non_finite_initial_weights_stop_at_step_0():
    W0 = np.zeros((1, 2, 10))
    W0[0, 1, 4] = np.nan
    with pytest.raises(DivergenceError, match="at step 0: W not finite"):
        train_ssl(SSLConfig(seeds=(0,), T=5), W0=W0)


def test_the_loop_implementation_stops_at_the_same_step_as_the_reference_mode():
    cfg = unchecked(SSLConfig(seeds=(0,), T=60, rng="reference"), eta=10.0)
    with pytest.raises(DivergenceError) as fast:
        train_ssl(cfg)
    with pytest.raises(DivergenceError) as slow:
        loop_impl.ssl_run(0, T=60, eta=10.0)
    assert slow.value.step == fast.value.step and "seed 0" in str(slow.value)
    with pytest.raises(DivergenceError, match="SL training diverged"):
        loop_impl.sl_run(0, T=60, eta=10.0)


def test_runs_that_do_not_diverge_are_unchanged():
    """Final weights recorded before the divergence check was added (relative 1e-12)."""
    ssl = train_ssl(SSLConfig(seeds=(0,), T=200)).W_final[0, :, :2]
    np.testing.assert_allclose(ssl, REF_SSL, rtol=1e-12)
    sl = train_sl(SLConfig(seeds=(0,), T=200))
    np.testing.assert_allclose(sl.W_final[0, :, :2], REF_SL_W, rtol=1e-12)
    np.testing.assert_allclose(sl.F_final[0], REF_SL_F, rtol=1e-12)


REF_SSL = [[3.3511121248467517, 1.36965204918164], [-3.728366749985721, 1.3750139609118042]]
REF_SL_W = [[0.6174181693652931, 0.06450658155678896],
            [-2.094163805080524, -0.10260935667440246]]
REF_SL_F = [-0.7837896613926478, 1.6189116853730252]


# -- NumPy scalars ------------------------------------------------------------------------------
@pytest.mark.parametrize("itype", [np.int64, np.int32, int])
@pytest.mark.parametrize("ftype", [np.float32, np.float64, float])
def test_config_accepts_numpy_scalars(itype, ftype):
    cfg = SSLConfig(d=itype(10), n=itype(50), tau=ftype(7.0), rho=ftype(0.5), eta=ftype(1e-3),
                    T=itype(10), seeds=(itype(0), itype(3)), record_every=itype(5),
                    alpha=ftype(0.01))
    assert (cfg.d, cfg.n, cfg.T, cfg.seeds) == (10, 50, 10, (0, 3))
    assert type(cfg.d) is int and type(cfg.tau) is float and type(cfg.seeds[0]) is int
    assert cfg.tau == 7.0 and cfg.alpha == float(ftype(0.01))
    json.dumps(cfg.to_dict())          # stored as plain Python numbers
    sl = SLConfig(d=itype(4), beta=ftype(0.0), gamma=ftype(0.5), T=itype(3))
    assert type(sl.d) is int and type(sl.gamma) is float


@pytest.mark.parametrize("name, value", [("d", True), ("d", np.True_), ("T", "10"),
                                         ("tau", True), ("tau", "7"), ("eta", np.False_),
                                         ("alpha", "0.1"), ("d", 10.5)])
def test_config_still_rejects_bools_and_strings(name, value):
    with pytest.raises(ValueError, match=f"^{name}="):
        SSLConfig(**{name: value})


def test_theory_validators_accept_numpy_scalars_and_reject_bools_and_strings():
    for v in (np.float32(7.0), np.float64(7.0), np.int64(7), np.int32(7)):
        obj = theory.Objective.simplified(tau=v, alpha=np.float32(1 / 800), d=np.int64(3))
        assert obj.d == 3 and obj.points[1, 1] == 7.0
    assert validation.integer("k", np.int32(3), 0) == 3
    assert validation.real("x", np.float32(2)) == 2
    for bad in (True, np.True_, "7", None):
        with pytest.raises(ValueError, match="^tau="):
            theory.Objective.simplified(tau=bad)
        with pytest.raises(ValueError, match="^d="):
            theory.Objective.simplified(d=bad)
    with pytest.raises(ValueError, match="^d=3.5 must be an integer, allowed d >= 2"):
        theory.Objective.simplified(d=3.5)


def test_figure_functions_accept_numpy_scalars():
    plt.close(plots.sample_figure(tau=np.float32(3.0), rho=np.float64(0.1), n=np.int64(40),
                                  seed=np.int32(2), d=np.int64(3)))
    _, W = dynamics.ascent(np.ones((1, 2, 3)), T=np.int64(10), lr=np.float32(0.1), tau=np.int32(7))
    assert W.shape == (1, 2, 2, 3)


# -- Run.load -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    d = tmp_path_factory.mktemp("runs")
    cfg = SSLConfig(seeds=(0, 1), T=20, record_every=5)
    path = d / "good.npz"
    train_ssl(cfg).save(path)
    return d, path, cfg


def _variant(d, name, path, **changes):
    arrays = dict(np.load(path))
    arrays.update(changes)
    for k in [k for k, v in changes.items() if v is None]:
        del arrays[k]
    out = d / name
    np.savez(out, **arrays)
    return out


def _bad_files(d, path, cfg):
    raw = path.read_bytes()
    files = {}
    files["text"] = d / "notes.npz"
    files["text"].write_text("a text file\nnot a run\n")
    files["empty"] = d / "empty.npz"
    files["empty"].write_bytes(b"")
    files["npy"] = d / "array.npy"
    np.save(files["npy"], np.arange(3.0))
    files["truncated"] = d / "truncated.npz"
    files["truncated"].write_bytes(raw[: len(raw) // 2])
    damaged = bytearray(raw)
    damaged[len(raw) // 2] ^= 0xFF
    files["damaged"] = d / "damaged.npz"
    files["damaged"].write_bytes(bytes(damaged))
    files["zip"] = d / "other.npz"
    with zipfile.ZipFile(files["zip"], "w") as z:
        z.writestr("readme.txt", "hello")
    files["list"] = _variant(d, "list.npz", path, config=json.dumps([1, 2]))
    files["not json"] = _variant(d, "notjson.npz", path, config="{oops")
    files["bad value"] = _variant(d, "badvalue.npz", path,
                                  config=json.dumps(dict(cfg.to_dict(), tau=-1)))
    files["unknown key"] = _variant(d, "key.npz", path,
                                    config=json.dumps(dict(cfg.to_dict(), colour="red")))
    files["no config"] = _variant(d, "nocfg.npz", path, config=None)
    files["missing array"] = _variant(d, "noW.npz", path, W=None)
    files["text array"] = _variant(d, "strW.npz", path,
                                   W=np.load(path)["W"].astype(str))
    files["shape"] = _variant(d, "shape.npz", path, W=np.load(path)["W"][:, :2])
    return files


MESSAGES = {"text": "not a saved run: .* is a file starting with b'a text'",
            "empty": "not a saved run: .* is an empty file",
            "npy": "not a saved run: .* holds a single array",
            "truncated": "not a saved run: .* is not a NumPy .npz archive",
            "damaged": "not a saved run: .* is a damaged .npz archive",
            "zip": "not a saved run: .* has no 'config' entry",
            "list": "configuration is not valid: .* is a list: allowed a dict",
            "not json": "configuration is not valid",
            "bad value": "configuration is not valid: tau=-1 is out of range",
            "unknown key": r"unknown configuration keys \['colour'\]",
            "no config": "not a saved run: .* has no 'config' entry",
            "missing array": "has entries .* expected",
            "text array": "array 'W' has dtype",
            "shape": "array 'W' has shape"}


def test_every_unreadable_run_file_raises_value_error_naming_the_file(saved):
    d, path, cfg = saved
    files = _bad_files(d, path, cfg)
    assert set(files) == set(MESSAGES)
    for name, f in files.items():
        with pytest.raises(ValueError, match=MESSAGES[name]) as exc:
            Run.load(f, expected=cfg)
        assert str(f) in str(exc.value), name
        assert "pickled" not in str(exc.value)


def test_a_config_mismatch_names_the_fields_and_both_values(saved):
    _, path, cfg = saved
    with pytest.raises(ValueError) as exc:
        Run.load(path, expected=cfg.replace(tau=5.0, seeds=(0, 2)))
    msg = str(exc.value)
    assert str(path) in msg
    assert "tau = 7.0 in the file, 5.0 expected" in msg
    assert "seeds = [0, 1] in the file, [0, 2] expected" in msg
    assert "rho" not in msg and len(msg) < 200
    with pytest.raises(ValueError, match="an SSLConfig, expected an SLConfig"):
        Run.load(path, expected=SLConfig(seeds=(0, 1), T=20, record_every=5))


def test_a_missing_file_or_folder_raises_os_error_not_value_error(saved):
    d, _, _ = saved
    with pytest.raises(FileNotFoundError):
        Run.load(d / "absent.npz")
    with pytest.raises(OSError) as exc:
        Run.load(d)
    assert not isinstance(exc.value, ValueError)


# -- figure arguments ---------------------------------------------------------------------------
@pytest.mark.parametrize("fn, kw, match", [
    (plots.sample_figure, dict(n=0), r"^n=0 is out of range: allowed n >= 1"),
    (plots.sample_figure, dict(tau=-1), r"^tau=-1 is out of range: allowed tau > 0"),
    (plots.sample_figure, dict(rho=-0.5), r"^rho=-0.5 is out of range"),
    (plots.sample_figure, dict(seed=1.5), r"^seed=1.5 must be an integer"),
    (plots.sample_figure, dict(noise="quirk"), r"^noise='quirk' is unknown"),
    (convergence.learning_curve_figure, dict(seeds=0), r"^seeds=0 is out of range"),
    (convergence.learning_curve_figure, dict(eta=-1.0), r"^eta=-1.0 is out of range"),
    (convergence.learning_curve_figure, dict(T="100"), r"^T='100' must be an integer"),
    (convergence.learning_curve_figure, dict(init="far"), r"^init='far' is unknown"),
    (convergence.landscape_figure, dict(tau=-1), r"^tau=-1 is out of range: allowed tau > 0"),
    (convergence.landscape_figure, dict(alpha=-0.1), r"^alpha=-0.1 is out of range"),
    (convergence.landscape_figure, dict(lr=0), r"^lr=0 is out of range"),
    (convergence.landscape_figure, dict(extent=(1, 0, 0, 1)), r"^extent="),
    (dynamics.basin_grid, dict(a0=[0.0], b0=[1.0], tau=0), r"^tau=0 is out of range"),
    (dynamics.basin_boundary, dict(lo=1.0, hi=0.0), r"^lo=1.0, hi=0.0 are out of range"),
    (dynamics.hessian_eigenvalues, dict(neuron=2), r"^neuron=2 is out of range"),
    (ift_figures.simplified_figure, dict(tau=-1), r"^tau=-1 is out of range"),
    (ift_figures.simplified_figure, dict(grid=1), r"^grid=1 is out of range"),
    (ift_figures.ift_explorer, dict(tau=-1), r"^tau=-1 is out of range"),
    (ift_figures.ift_explorer, dict(alpha=-1), r"^alpha=-1 is out of range"),
])
def test_figure_functions_validate_their_parameters(fn, kw, match):
    with pytest.raises(ValueError, match=match):
        fn(**kw)
    plt.close("all")


def test_views_figure_validates_rho_and_tau():
    from sslcore.data import augment, sample_points

    data = sample_points(20, d=3, seed=0)
    x1, x2 = augment(data.x, 0.1, np.random.default_rng(0))
    with pytest.raises(ValueError, match="^rho=0 is out of range: allowed rho > 0"):
        plots.views_figure(data, x1, x2, [0], rho=0)
    with pytest.raises(ValueError, match="^tau=-2 is out of range"):
        plots.views_figure(data, x1, x2, [0], rho=0.1, tau=-2)


# -- divergence in figures and widgets ----------------------------------------------------------
def _texts(fig):
    return " ".join(" ".join(t.get_text().split()) for t in fig.findobj(matplotlib.text.Text))


def _diverging_training(*args, **kwargs):
    return train_ssl(unchecked(SSLConfig(seeds=(0, 1), T=100), eta=10.0))


def test_learning_curve_figure_shows_the_divergence_message(monkeypatch, no_warnings):
    monkeypatch.setattr(convergence, "train_ssl", _diverging_training)
    fig = convergence.learning_curve_figure(T=100, seeds=2)
    text = _texts(fig)
    assert "SSL training diverged at step" in text and "try a smaller" in text
    assert "training diverged" in fig.axes[0].get_title(loc="left")
    plt.close(fig)


def test_explorer_frames_show_the_divergence_message_instead_of_a_traceback(monkeypatch):
    shown = []
    original = plots.message_figure

    def spy(message, *args, **kwargs):
        shown.append(message)
        return original(message, *args, **kwargs)

    monkeypatch.setattr(plots, "message_figure", spy)

    def fn(eta=1e-3):
        if eta > 1e-3:
            plt.figure()  # a figure started before training diverged is closed
            _diverging_training()
        return plots.sample_figure(n=20)

    open_before = len(plt.get_fignums())
    ex = widgets.explorer(fn, eta=widgets.slider(1e-3, 1e-3, 2e-3, 1e-3, "eta"))
    assert len(ex.images) == 2 and all(im.value[:4] == b"\x89PNG" for im in ex.images)
    assert len(shown) == 1 and "SSL training diverged at step" in shown[0]
    assert len(plt.get_fignums()) == open_before


# -- simplified_optimum returns maxima ----------------------------------------------------------
TAUS = (0.25, 0.4, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 7.0, 10.0, 15.0, 20.0)


@pytest.mark.parametrize("alpha", [1e-4, 1 / 800, 1e-2, 3e-2])
def test_simplified_optimum_never_returns_a_saddle(alpha):
    for tau in TAUS:
        W = theory.simplified_optimum(tau, alpha, d=4)
        obj = theory.Objective.simplified(tau, alpha, 4)
        assert np.abs(obj.gradient(W)).max() < 1e-10, (tau, alpha)
        assert np.linalg.eigvalsh(obj.hessian(W)).max() < 0, (tau, alpha)
        assert W[0, 0] >= -1e-12 and W[1, 0] <= 1e-12  # neuron 1 on the a >= 0 side


def test_simplified_optimum_at_tau_half_is_the_maximum_not_the_saddle():
    obj = theory.Objective.simplified(0.5, 1 / 800, 2)
    start = np.array([[3.5, 18.0], [-3.5, 18.0]])
    saddle = obj.critical_point(start)  # where Newton from the default start goes
    assert np.linalg.eigvalsh(obj.hessian(saddle[0])).max() > 0.01
    W = theory.simplified_optimum(0.5, 1 / 800, d=2)
    np.testing.assert_allclose(W, [[1.8479, 8.1619], [-1.8479, 8.1619]], atol=1e-4)
    assert np.linalg.eigvalsh(obj.hessian(W[0])).max() < -0.005
    assert obj.value(W) > obj.value(saddle) + 0.1
    np.testing.assert_array_equal(theory.simplified_optimum(0.5, d=2), W)


def test_simplified_optimum_keeps_the_newton_point_when_it_is_a_maximum():
    obj = theory.Objective.simplified(7.0, 1 / 800, 10)
    W0 = np.zeros((2, 10))
    W0[:, 0], W0[:, 1] = [3.5, -3.5], 9.0 / 7.0
    assert np.array_equal(theory.simplified_optimum(), obj.critical_point(W0))
    np.testing.assert_allclose(theory.simplified_optimum()[0, :2], [3.8162037, 1.51986193],
                               atol=1e-7)


def test_simplified_optimum_refuses_when_there_is_no_maximum():
    with pytest.raises(theory.NoMaximumError, match=r"tau=7\.0, alpha=0\.0.*Hessian eigenvalue"):
        theory.simplified_optimum(7.0, 0.0)
    assert issubclass(theory.NoMaximumError, ValueError)
