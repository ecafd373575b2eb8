"""Tests of sslcore.theory: objectives, derivatives, quadrature, Newton."""
import mpmath
import numpy as np
import pytest
from scipy.integrate import quad

from sslcore.models import sigmoid, sigmoid_derivative
from sslcore.theory import (
    SIGMOID_SUP,
    SIGMOID_TAIL,
    Objective,
    g,
    gauss_hermite,
    newton_critical_point,
    phi,
    phi_pop,
    psi,
    simplified_optimum,
    smoothed_sigmoid,
)

TAU, ALPHA = 7.0, 1 / 800


def clusters(d, tau=TAU):
    mu = np.zeros((4, d))
    mu[:, 0] = [1, 1, -1, -1]
    mu[:, 1] = [0, tau, 0, tau]
    return mu


def central_differences(f, W, h=1e-5):
    """Jacobian of f (any output shape) over W's entries by central differences,
    (f.size, W.size)."""
    cols = []
    for i in range(W.size):
        E = np.zeros(W.size)
        E[i] = h
        E = E.reshape(W.shape)
        cols.append((np.ravel(f(W + E)) - np.ravel(f(W - E))) / (2 * h))
    return np.array(cols).T


# ------------------------------------------------------------------ the simplified objective
def test_simplified_optimum_matches_paper():
    W = simplified_optimum(TAU, ALPHA, d=10)
    assert W.shape == (2, 10)
    np.testing.assert_allclose(W[:, :2], [[3.816, 1.520], [-3.816, 1.520]], atol=1e-3)
    assert np.all(W[:, 2:] == 0)
    obj = Objective.simplified(TAU, ALPHA, 10)
    assert np.max(np.abs(obj.gradient(W))) < 1e-14
    lam = np.linalg.eigvalsh(Objective.simplified(TAU, ALPHA, 2).hessian(W[0, :2]))
    np.testing.assert_allclose(lam, [-0.0298, -0.0114], atol=2e-4)
    # the full Hessian: both neurons' 2-D eigenvalues, and -2 alpha on coordinates 3..d
    lam_full = np.linalg.eigvalsh(obj.hessian(W))
    np.testing.assert_allclose(lam_full, np.sort(np.r_[lam, lam, [-2 * ALPHA] * 16]), atol=1e-12)


def test_g_is_the_per_neuron_psi():
    a, b = np.meshgrid(np.linspace(-5, 5, 7), np.linspace(-1, 3, 5))
    s = sigmoid
    expected = (s(a) ** 2 + s(a + TAU * b) ** 2 + s(-a) ** 2 + s(-a + TAU * b) ** 2) / 4 \
        - ALPHA * (a ** 2 + b ** 2)
    np.testing.assert_allclose(g(a, b, TAU, ALPHA), expected, rtol=0, atol=1e-15)
    W = np.array([[1.3, 0.7, 0.0], [-2.0, 1.1, 0.0]])
    assert psi(W, TAU, ALPHA) == pytest.approx(g(1.3, 0.7) + g(-2.0, 1.1), abs=1e-15)


def test_cluster_weights_move_the_optimum():
    p = [0.31, 0.22, 0.2, 0.27]
    W = simplified_optimum(TAU, ALPHA, d=3, p=p)
    obj = Objective.simplified(TAU, ALPHA, 3, p)
    assert np.max(np.abs(obj.gradient(W))) < 1e-14
    # unequal weights break the a -> -a symmetry
    assert abs(W[0, 0] + W[1, 0]) > 1e-3


# ------------------------------------------------------------------ derivatives
def _objectives():
    rng = np.random.default_rng(0)
    x = clusters(5)[rng.integers(0, 4, 30)] + 0.3 * rng.standard_normal((30, 5))
    return {
        "simplified": Objective.simplified(TAU, ALPHA, 5, p=[0.1, 0.2, 0.3, 0.4]),
        "averaged": Objective.averaged(x, rho=0.3, alpha=ALPHA),
        "population": Objective.population(TAU, rho=0.2, alpha=ALPHA, d=5),
    }


@pytest.mark.parametrize("kind", ["simplified", "averaged", "population"])
def test_gradient_and_hessian_equal_finite_differences(kind):
    obj = _objectives()[kind]
    rng = np.random.default_rng(1)
    for W in [rng.normal(size=(2, 5)), np.array([[3.8, 1.5, 0.1, 0, 0], [-3.8, 1.5, 0, 0, -0.2]])]:
        G, H = obj.gradient(W), obj.hessian(W)
        G_fd = central_differences(obj.value, W)[0]
        H_fd = central_differences(obj.gradient, W)
        assert np.max(np.abs(G.ravel() - G_fd)) < 1e-7 * np.max(np.abs(G))
        assert np.max(np.abs(H - H_fd)) < 1e-6 * np.max(np.abs(H))
        np.testing.assert_array_equal(H, H.T)


def test_reduced_2d_is_the_restriction():
    obj = _objectives()["averaged"]
    w = np.array([2.0, 0.9, 0, 0, 0])
    red = obj.reduced_2d()
    assert red.value(w[:2]) == pytest.approx(obj.value(w), abs=1e-15)
    np.testing.assert_allclose(red.gradient(w[:2]), obj.gradient(w)[:2], atol=1e-15)
    np.testing.assert_allclose(red.hessian(w[:2]), obj.hessian(w)[:2, :2], atol=1e-15)


def test_population_with_rho_zero_is_simplified():
    W = np.array([[3.8, 1.5, 0.3], [-1.0, 2.0, -0.5]])
    pop = Objective.population(TAU, rho=0.0, alpha=ALPHA, d=3)
    sim = Objective.simplified(TAU, ALPHA, 3)
    assert pop.value(W) == pytest.approx(sim.value(W), abs=1e-14)
    np.testing.assert_allclose(pop.gradient(W), sim.gradient(W), atol=1e-14)
    np.testing.assert_allclose(pop.hessian(W), sim.hessian(W), atol=1e-14)
    assert phi_pop(W, TAU, 0.0, ALPHA) == pytest.approx(psi(W, TAU, ALPHA), abs=1e-14)
    # and rho > 0 changes it
    assert abs(phi_pop(W, TAU, 0.3, ALPHA) - psi(W, TAU, ALPHA)) > 1e-4


# ------------------------------------------------------------------ sigmoid and quadrature
def test_sigmoid_derivatives_and_their_bounds():
    s = lambda t: 1 / (1 + mpmath.exp(-t))  # noqa: E731
    for j in range(1, 7):
        for t in [-6.2, -0.8, 0.0, 0.45, 3.9]:
            ref = float(mpmath.diff(s, t, j))
            assert sigmoid_derivative(t, j) == pytest.approx(ref, abs=1e-15, rel=1e-12)
    t = np.linspace(-40, 40, 200001)
    q = sigmoid_derivative(t, 1)
    for j in range(1, 7):
        v = np.abs(sigmoid_derivative(t, j))
        assert v.max() <= SIGMOID_SUP[j] <= v.max() * (1 + 1e-6)
        assert np.max(v / q) <= SIGMOID_TAIL[j] <= np.max(v / q) * (1 + 1e-6)


@pytest.mark.filterwarnings("ignore::scipy.integrate.IntegrationWarning")
@pytest.mark.parametrize("order", [0, 1, 2, 3, 4])
def test_quadrature_error_below_1e_12(order):
    """40 Gauss-Hermite nodes: |error| < 1e-12 for sigma <= 0.8, < 1e-10 for sigma = 1."""
    for sigma, bound in [(0.05, 1e-12), (0.3, 1e-12), (0.8, 1e-12), (1.0, 1e-10)]:
        for u in [-12.0, -3.0, 0.0, 1.7, 6.0, 15.0]:
            def f(z, u=u, sigma=sigma):
                return sigmoid_derivative(u + sigma * z, order) * np.exp(-z * z / 2)
            ref = quad(f, -40, 40, epsabs=1e-16, epsrel=1e-14, limit=400,
                       points=[(-u - 3) / sigma, -u / sigma, (-u + 3) / sigma])[0]
            ref /= np.sqrt(2 * np.pi)
            assert abs(smoothed_sigmoid(u, sigma, order) - ref) < bound
    # fewer nodes are visibly worse at sigma = 2: the test can tell
    f = lambda z: sigmoid(0.5 + 2 * z) * np.exp(-z * z / 2)  # noqa: E731
    ref = quad(f, -40, 40, epsabs=1e-15, limit=200)[0] / np.sqrt(2 * np.pi)
    assert abs(smoothed_sigmoid(0.5, 2.0, 0, n_nodes=10) - ref) > 1e-8


def test_gauss_hermite_weights():
    z, w = gauss_hermite(40)
    assert w.sum() == pytest.approx(1, abs=1e-14)
    assert w @ z ** 2 == pytest.approx(1, abs=1e-13)
    assert w @ z ** 4 == pytest.approx(3, abs=1e-12)
    with pytest.raises(ValueError):
        w[0] = 1.0  # cached arrays are read-only


def _mc_pairs(x_views, w):
    """Per-point mean and standard error of s(w.x1) s(w.x2), views of shape (2, N, n, d)."""
    prod = sigmoid(x_views[0] @ w) * sigmoid(x_views[1] @ w)     # (N, n)
    return prod.mean(0), prod.std(0) / np.sqrt(len(prod))


def test_averaged_objective_matches_monte_carlo():
    rng = np.random.default_rng(7)
    d, n, N, rho = 4, 5, 200_000, 0.4
    x = clusters(d)[[0, 1, 2, 3, 1]] + 0.1 * rng.standard_normal((n, d))
    w = np.array([1.2, 0.3, -0.8, 0.5])
    views = x + rho * rng.standard_normal((2, N, n, d))
    mean, se = _mc_pairs(views, w)
    obj = Objective.averaged(x, rho, alpha=0.0)
    m = smoothed_sigmoid(x @ w, rho * np.linalg.norm(w))
    assert np.all(np.abs(m ** 2 - mean) < 4 * se)
    assert obj.value(w) == pytest.approx(np.mean(m ** 2), abs=1e-15)
    # the noise-free value is outside the band: the comparison has power
    assert np.any(np.abs(sigmoid(x @ w) ** 2 - mean) > 4 * se)


def test_population_objective_matches_monte_carlo():
    rng = np.random.default_rng(8)
    d, N, rho = 3, 400_000, 0.5
    mu = clusters(d)
    w = np.array([0.9, 0.15, -0.6])
    base = mu + rho * rng.standard_normal((N, 4, d))
    views = base + rho * rng.standard_normal((2, N, 4, d))
    mean, se = _mc_pairs(views, w)
    total, total_se = mean.mean(), np.sqrt(np.sum(se ** 2)) / 4
    value = phi_pop(w, TAU, rho, alpha=0.0)
    assert abs(value - total) < 4 * total_se
    assert abs(phi(w[None], mu, rho, alpha=0.0) - total) > 4 * total_se  # data noise matters


# ------------------------------------------------------------------ Newton
def test_newton_finds_population_optimum_near_simplified():
    W0 = simplified_optimum(TAU, ALPHA, 10)
    pop = Objective.population(TAU, 10 ** -1.5, ALPHA, 10)
    W = pop.critical_point(W0)
    assert np.max(np.abs(pop.gradient(W))) < 1e-15
    assert 1e-3 < np.linalg.norm(W[0] - W0[0]) < 1e-2
    assert np.all(np.linalg.eigvalsh(pop.hessian(W)) < 0)


def test_newton_errors():
    obj = Objective.simplified(TAU, ALPHA, 2)
    with pytest.raises(RuntimeError, match="did not converge"):
        newton_critical_point(obj.gradient, obj.hessian, np.array([3.5, 9 / TAU]), max_iter=2)
    with pytest.raises(RuntimeError, match="singular"):
        newton_critical_point(lambda w: w - 1, lambda w: np.zeros((2, 2)), np.zeros(2))
    root = newton_critical_point(lambda w: w ** 3 - 8, lambda w: np.diag(3 * w ** 2), np.ones(1))
    assert root[0] == pytest.approx(2, abs=1e-14)


# ------------------------------------------------------------------ bad inputs
@pytest.mark.parametrize("call, name", [
    (lambda: Objective.simplified(tau=-1.0), "tau"),
    (lambda: Objective.simplified(alpha=-0.1), "alpha"),
    (lambda: Objective.simplified(d=1), "d"),
    (lambda: Objective.simplified(d=2.5), "d"),
    (lambda: Objective.simplified(p=[0.5, 0.5, 0.5, 0.5]), "p"),
    (lambda: Objective.population(rho=-0.01), "rho"),
    (lambda: Objective.population(rho=float("nan")), "rho"),
    (lambda: Objective.population(n_nodes=0), "n_nodes"),
    (lambda: Objective.averaged(np.ones(5), rho=0.1), "x"),
    (lambda: Objective.simplified(d=3).gradient(np.ones((2, 4))), "W"),
    (lambda: g(1.0, 1.0, tau=0.0), "tau"),
    (lambda: sigmoid_derivative(0.0, 7), "order"),
    (lambda: smoothed_sigmoid(0.0, -1.0), "sigma"),
    (lambda: newton_critical_point(np.negative, lambda w: -np.eye(1), np.ones(1), tol=0), "tol"),
    (lambda: newton_critical_point(np.negative, lambda w: -np.eye(1), np.ones(1), max_iter=0),
     "max_iter"),
])
def test_bad_input_raises_value_error_naming_parameter(call, name):
    with pytest.raises(ValueError, match=rf"^{name}\b.*allowed"):
        call()
