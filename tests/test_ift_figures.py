"""Tests of sslcore.ift_figures: population sweeps, sample study, projection bounds, figures,
and the SL population loss (gradient and Hessian against finite differences)."""

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest

from sslcore import analysis, ift, ift_figures, ift_studies, models, sl_theory
from sslcore.ift import ift_check, ift_check_neuron
from sslcore.theory import Objective, simplified_optimum

TAU, ALPHA, RHO = 7.0, 1 / 800, 10 ** -1.5


def clusters(d, tau=TAU):
    mu = np.zeros((4, d))
    mu[:, 0] = [1, 1, -1, -1]
    mu[:, 1] = [0, tau, 0, tau]
    return mu


# ------------------------------------------------------------------ population IFT and sweeps
def test_population_ift_modes_match_ift_module():
    W = simplified_optimum(TAU, ALPHA, 10)
    pop = Objective.population(TAU, RHO, ALPHA, 10)
    two = ift_studies.population_ift(TAU, RHO, ALPHA, "2d", n_samples=10)
    ref = ift_check_neuron(pop, W, 0, n_samples=10)
    assert two == ref
    assert two.holds and two.radius == pytest.approx(0.0103, abs=3e-4)
    # 'full' and 'hessian' are built with d = 3: the constants do not depend on d
    for mode, S in (("full", None), ("hessian", "hessian")):
        r3 = ift_studies.population_ift(TAU, RHO, ALPHA, mode, n_samples=10)
        r10 = ift_check(pop, W[:1], S=S, n_samples=10)
        for field in ("norm_Ainv", "perturbation", "radius", "allowed_variation",
                      "lipschitz_bound", "variation_bound", "root_distance", "max_displacement"):
            assert getattr(r3, field) == pytest.approx(getattr(r10, field), rel=1e-9)
        assert r3.holds == r10.holds
    assert not ift_studies.population_ift(TAU, RHO, ALPHA, "full", n_samples=0).holds
    assert ift_studies.population_ift(TAU, RHO, ALPHA, "hessian", n_samples=0).holds


def test_population_ift_bad_mode_and_missing_optimum(monkeypatch):
    with pytest.raises(ValueError, match="^mode"):
        ift_studies.population_ift(mode="diagonal")

    def fail(*args, **kwargs):
        raise RuntimeError("no optimum")

    monkeypatch.setattr(ift_studies, "simplified_optimum", fail)
    assert ift_studies.population_ift() is None
    sw = ift_studies.sweep([0.01, 0.02], taus=(7.0,), n_samples=0)
    assert np.all(np.isnan(sw["radius"])) and not np.any(sw["holds"])


def test_sweep_radius_scales_like_rho_squared_and_breaks():
    rhos = np.array([0.005, 0.01, 0.02, 0.04, 0.08, 0.16])
    sw = ift_studies.sweep(rhos, taus=(5.0, 7.0), mode="2d", n_samples=5)
    assert sw["radius"].shape == (2, 6) and sw["holds"].dtype == bool
    slope = np.diff(np.log(sw["radius"][:, :3]), axis=1) / np.log(2)
    np.testing.assert_allclose(slope, 2.0, atol=0.05)                   # ||f(x0)|| = O(rho^2)
    assert np.all(sw["holds"][:, :3]) and not np.any(sw["holds"][:, -2:])
    ok = sw["holds"]                                                     # certified: root inside
    assert np.all(sw["root_distance"][ok] <= sw["radius"][ok])
    # the sampled sup never exceeds the Lipschitz bound
    assert np.all(sw["jacobian_variation"] <= sw["variation_bound"] * (1 + 1e-12))
    assert ift_studies.first_failing_rho(rhos, sw["holds"][1]) == 0.08
    assert np.isnan(ift_studies.first_failing_rho(rhos, np.ones(6, bool)))


def test_explorer_and_sweep_figures():
    # speed is measured in benchmarks/bench_widgets.py, not asserted here
    fig = ift_figures.ift_explorer(RHO, TAU)
    assert isinstance(fig, matplotlib.figure.Figure) and len(fig.axes) == 2
    assert "2-D reduction: holds" in fig.get_suptitle()
    assert "all coordinates: fails" in fig.get_suptitle()
    plt.close(fig)
    sw = ift_studies.sweep([0.01, 0.05, 0.1], taus=(7.0,), n_samples=0)
    fig = ift_figures.sweep_figure(sw, mark_rhos={"d = 10": RHO})
    assert len(fig.axes) == 2
    plt.close(fig)
    with pytest.raises(ValueError, match="^rho"):
        ift_figures.ift_explorer(rho=0.0)


def test_format_rows_and_table_rows():
    rows = ift_figures.ift_table_rows({"2-D": ift_studies.population_ift(n_samples=0)})
    constants, condition = ift_figures.format_rows(rows).split("\n\n")
    lines = constants.splitlines()
    assert len(lines) == 3 and lines[0].startswith("check") and "holds" in condition.splitlines()[2]
    assert "87.7" in lines[2] and "0.0103" in lines[2]
    # a wider table is split into tables of at most TABLE_WIDTH characters, each with the first
    # column; the IFT rows split between the constants and the Jacobian condition
    name = "d = 30, neuron 1"
    rows = ift_figures.ift_table_rows({name: ift_studies.population_ift(n_samples=0)})
    text = ift_figures.format_rows(rows)
    first, second = text.split("\n\n")
    assert max(len(line) for line in text.splitlines()) <= ift_figures.TABLE_WIDTH <= 79
    assert first.split()[:7] == ["check", "||A^-1||", "||f(x0)||", "r", "max|x-x0|", "root", "dist"]
    assert second.split()[:3] == ["check", "sampled", "var"]
    assert first.splitlines()[2].startswith(name) and second.splitlines()[2].startswith(name)
    assert "holds" in second and "holds" not in first
    wide = [{"k": "x", **{f"column {i}": i for i in range(12)}}]
    narrow = ift_figures.format_rows(wide, width=30)                   # 1 + 2 * (2 + 8) <= 30 < 31
    assert narrow.count("\n\n") == 5 and max(map(len, narrow.splitlines())) <= 30
    assert "column 11" in narrow and narrow.count("k  column") == 6
    assert ift_figures.format_rows([{"a": 1, "b": np.nan, "c": True}]).splitlines()[2].split() == \
        ["1", "nan", "True"]
    assert ift_figures.format_rows([]) == ""


def test_quadrature_difference_is_tiny():
    W = simplified_optimum(TAU, ALPHA, 4)
    g, h = ift_studies.quadrature_difference(Objective.population(TAU, RHO, ALPHA, 4), W)
    assert g < 1e-14 and h < 1e-14
    g, h = ift_studies.quadrature_difference(Objective.population(TAU, 0.6, ALPHA, 4, n_nodes=4), W)
    assert g > 1e-8  # four nodes at sigma ~ 3.4: the check can tell


# ------------------------------------------------------------------ finite samples
def test_sample_study_small():
    rng = np.random.default_rng(0)
    S, n, d = 2, 60, 4
    c = rng.integers(0, 4, (S, n))
    x = clusters(d)[c] + RHO * rng.standard_normal((S, n, d))
    st = ift_studies.sample_study(x, c, RHO, n_samples=3)
    assert st["root"].shape == (S, 2, d) and st["pre_holds"].shape == (S, 2)
    assert st["pre_holds"].dtype == bool
    for s in range(S):
        obj = Objective.averaged(x[s], RHO, ALPHA)
        assert np.max(np.abs(obj.gradient(st["root"][s]))) < 1e-13
        np.testing.assert_allclose(
            st["base"][s], simplified_optimum(TAU, ALPHA, d, p=np.bincount(c[s], minlength=4) / n))
    assert np.all(st["pre_root"] <= st["pre_radius"])
    assert np.all(st["2d_root"] <= st["2d_radius"])
    assert np.all(st["pre_displacement"] >= st["pre_radius"])       # ||S|| >= 1 here
    # holds (bound) implies holds (sampled): the bound is above the sampled sup
    assert np.all(st["pre_sampled"][st["pre_holds"]])


# ------------------------------------------------------------------ projections over a ball
def test_projection_lower_bound_is_a_lower_bound():
    rng = np.random.default_rng(1)
    e = np.eye(6)
    for _ in range(10):
        W0 = rng.normal(size=(2, 6))
        for j in (0, 1):
            p0 = analysis.projection_length(W0, e[j])
            assert ift_studies.projection_lower_bound(W0, e[j], 0.0) == pytest.approx(p0, abs=1e-12)
            for delta in (0.01, 0.1, [0.05, 0.2]):
                lb = ift_studies.projection_lower_bound(W0, e[j], delta)
                sampled = ift_studies.projection_ball_min(W0, e[j], delta, n=500, seed=2)
                assert 0 <= lb <= sampled + 1e-12
                assert sampled <= p0 + 1e-12 or p0 > 1 - 1e-12
    W = simplified_optimum(TAU, ALPHA, 10)
    lb = ift_studies.projection_lower_bound(W, e[0, :2].tolist() + [0] * 8, 0.03)
    assert 0.95 < lb < 1
    with pytest.raises(ValueError, match="^delta"):
        ift_studies.projection_lower_bound(W, np.eye(10)[1], -0.1)


def test_projection_ball_min_points_lie_in_the_ball():
    W0 = simplified_optimum(TAU, ALPHA, 5)
    # a ball around a point in the (e1, e2) plane that stays there: the projection is 1
    m = ift_studies.projection_ball_min(W0[:, :2], np.array([0.0, 1.0]), 0.01, n=200)
    assert m == pytest.approx(1.0, abs=1e-12)
    assert ift_studies.projection_ball_min(W0, np.eye(5)[1], 0.5, n=200) < 1


# ------------------------------------------------------------------ comparison
def test_comparison_rows_distances():
    x0 = np.zeros((2, 3))
    root = np.zeros((1, 2, 3))
    root[0, :, 2] = 1.0                       # root differs in coordinate 3 only
    W = np.zeros((1, 2, 3))
    W[0, 0, 0] = 3.0
    rows = ift_figures.distance_rows(x0, {"W": W, "x0": x0}, root)
    assert rows[0]["to x0 max"] == 3.0 and rows[0]["to x0 mean"] == 1.5
    assert rows[0]["to root max"] == pytest.approx(np.sqrt(10))
    assert rows[0]["root, coords 1-2"] == 1.5 and rows[0]["root, coords 3..d"] == 1.0
    assert rows[1]["to x0 max"] == 0.0 and rows[1]["root, coords 3..d"] == 1.0


def test_comparison_figure_runs():
    rng = np.random.default_rng(0)
    x0 = simplified_optimum(TAU, ALPHA, 4)
    S = 3
    study = {"root": x0 + 0.01 * rng.normal(size=(S, 2, 4)),
             "base": x0 + 0.01 * rng.normal(size=(S, 2, 4))}
    steps = np.arange(0, 1001, 100)
    traj = x0 + np.exp(-steps / 400.0)[None, :, None, None] * rng.normal(size=(S, 1, 2, 4))
    fig = ift_figures.iterates_figure(x0, x0, 0.01, study, traj[:, -1], traj[:, 4], steps, traj,
                              ALPHA, 100, 1e-3)
    assert len(fig.axes) == 4 and not fig.axes[3].axison       # 3 panels and the legend
    circle = [p for p in fig.axes[1].patches if isinstance(p, matplotlib.patches.Circle)]
    assert len(circle) == 1 and circle[0].get_radius() == 0.01
    plt.close(fig)


# ------------------------------------------------------------------ SL population
def central_differences(f, x, h=1e-5):
    cols = []
    for i in range(x.size):
        e = np.zeros(x.size)
        e[i] = h
        cols.append((np.ravel(f(x + e)) - np.ravel(f(x - e))) / (2 * h))
    return np.array(cols).T


@pytest.mark.parametrize("rho", [0.0, 0.3])
def test_sl_gradient_and_hessian_equal_finite_differences(rho):
    sl = sl_theory.SLPopulation(rho=rho, d=4)
    rng = np.random.default_rng(3)
    for theta in [rng.normal(size=10), sl.symmetric_start() + 0.1 * rng.normal(size=10)]:
        G, H = sl.gradient(theta), sl.hessian(theta)
        G_fd = central_differences(sl.value, theta)[0]
        H_fd = central_differences(sl.gradient, theta)
        assert np.max(np.abs(G - G_fd)) < 1e-8 * max(1, np.max(np.abs(G)))
        assert np.max(np.abs(H - H_fd)) < 1e-7 * max(1, np.max(np.abs(H)))
        np.testing.assert_array_equal(H, H.T)


def test_sl_noise_free_is_the_training_loss_on_the_centres():
    sl = sl_theory.SLPopulation(rho=0.0, d=5)
    rng = np.random.default_rng(4)
    W, Fv = rng.normal(size=(2, 5)), rng.normal(size=2)
    y = np.array([0.0, 0.0, 1.0, 1.0])
    expected = models.sl_loss(W, Fv, clusters(5), y, 1 / 800, 1 / 800) / 4
    assert sl.value(sl.pack(W, Fv)) == pytest.approx(expected, abs=1e-14)
    gW, gF = models.sl_gradients(W, Fv, clusters(5), y, 1 / 800, 1 / 800)
    np.testing.assert_allclose(sl.gradient(sl.pack(W, Fv)), np.r_[gW.ravel(), gF] / 4, atol=1e-14)
    W2, F2 = sl.unpack(sl.pack(W, Fv))
    np.testing.assert_array_equal(W2, W)
    np.testing.assert_array_equal(F2, Fv)


def test_sl_quadrature_is_exact_on_the_plane():
    """At W with zero columns 3..d the product rule matches a full tensor Gauss-Hermite rule
    (value, gradient and Hessian); off the plane it is only an approximation."""
    from numpy.polynomial.hermite_e import hermegauss
    d, rho = 3, 0.3
    z, w = hermegauss(12)
    w = w / np.sqrt(2 * np.pi)
    grid = np.stack(np.meshgrid(z, z, z, indexing="ij"), -1).reshape(-1, 3)
    wts = np.einsum("i,j,k->ijk", w, w, w).ravel()
    full = sl_theory.SLPopulation(rho=rho, d=d, rule=(grid, wts))
    ours = sl_theory.SLPopulation(rho=rho, d=d)
    xi, wq = sl_theory.sl_quadrature(d)
    assert wq.sum() == pytest.approx(1, abs=1e-14)
    np.testing.assert_allclose((xi * wq[:, None]).T @ xi, np.eye(d), atol=1e-13)
    W = np.array([[2.0, 0.4, 0.0], [-1.5, 0.2, 0.0]])
    theta = ours.pack(W, [-3.0, 2.0])
    assert ours.value(theta) == pytest.approx(full.value(theta), abs=1e-12)
    np.testing.assert_allclose(ours.gradient(theta), full.gradient(theta), atol=1e-12)
    np.testing.assert_allclose(ours.hessian(theta), full.hessian(theta), atol=1e-12)
    W[:, 2] = [0.8, -0.6]
    theta = ours.pack(W, [-3.0, 2.0])
    assert abs(ours.value(theta) - full.value(theta)) > 1e-9
    # and against Monte Carlo on the plane
    rng = np.random.default_rng(5)
    W[:, 2] = 0
    x = clusters(d)[None] + rho * rng.standard_normal((200_000, 4, d))
    h = models.sl_logit(W, np.array([-3.0, 2.0]), x)
    bce = models.bce_with_logits(h, np.array([0.0, 0.0, 1.0, 1.0])).mean(1)
    reg = (W ** 2).sum() / 800 + 13 / 800
    mc, se = bce.mean() + reg, bce.std() / np.sqrt(len(bce))
    assert abs(mc - ours.value(ours.pack(W, [-3.0, 2.0]))) < 4 * se
    noise_free = sl_theory.SLPopulation(rho=0.0, d=d).value(ours.pack(W, [-3.0, 2.0]))
    assert abs(mc - noise_free) > 20 * se                          # the noise matters: power


def test_sl_critical_point_and_origin():
    for rho, a, f in ((0.0, 2.628, 4.254), (RHO, 2.630, 4.255)):
        sl = sl_theory.SLPopulation(rho=rho, d=6)
        theta = sl.critical_point()
        W, Fv = sl.unpack(theta)
        np.testing.assert_allclose(W[:, 0], [a, -a], atol=1e-3)
        np.testing.assert_allclose(Fv, [-f, f], atol=1e-3)
        assert np.max(np.abs(W[:, 1:])) < 1e-12                    # no weight on e2 (or 3..d)
        lam = np.linalg.eigvalsh(sl.hessian(theta))
        assert lam[0] > 0                                          # a strict local minimum
        assert lam[0] == pytest.approx(2 / 800, rel=0.01)          # regularizer, coordinates 3..d
        origin = np.zeros(14)
        assert np.max(np.abs(sl.gradient(origin))) < 1e-15
        lam0 = np.linalg.eigvalsh(sl.hessian(origin))
        assert lam0[0] < 0 < lam0[-1]                              # a saddle


def test_sampled_ift_on_sl():
    sl0 = sl_theory.SLPopulation(rho=0.0, d=4)
    x0 = sl0.critical_point()
    sl = sl_theory.SLPopulation(rho=RHO, d=4)
    plain = ift.sampled_ift(sl.gradient, sl.hessian, x0, n_samples=5)
    assert plain["norm_Ainv"] == pytest.approx(400, rel=0.01) and not plain["holds_sampled"]
    pre = ift.sampled_ift(sl.gradient, sl.hessian, x0, S="hessian", n_samples=5)
    assert pre["norm_Ainv"] == pytest.approx(1, abs=1e-9) and pre["holds_sampled"]
    assert pre["root_distance"] <= pre["radius"]
    with pytest.raises(ValueError, match="^S"):
        ift.sampled_ift(sl.gradient, sl.hessian, x0, S="identity")
    with pytest.raises(ValueError, match="^theta"):
        sl.gradient(np.zeros(3))
    with pytest.raises(ValueError, match="^rule"):
        sl_theory.SLPopulation(d=4, rule=(np.zeros((5, 3)), np.ones(5)))
