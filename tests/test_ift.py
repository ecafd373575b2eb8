"""Tests of sslcore.ift: the quantitative IFT, the Lipschitz bound and the interval certificates."""
from fractions import Fraction

import numpy as np
import pytest

from sslcore.ift import hessian_lipschitz_bound, ift_check, ift_check_neuron, preconditioner
from sslcore.ift_rigorous import krawczyk_simplified, rigorous_ift_simplified
from sslcore.theory import Objective, simplified_optimum

TAU, ALPHA = 7.0, 1 / 800


@pytest.fixture(scope="module")
def d10():
    W = simplified_optimum(TAU, ALPHA, 10)
    return W, Objective.population(TAU, 10 ** -1.5, ALPHA, 10)


# ------------------------------------------------------------------ population, d = 10 and 30
def test_population_d10_two_d_reduction_holds(d10):
    W, pop = d10
    r = ift_check_neuron(pop, W, 0)
    assert r.norm_Ainv == pytest.approx(87.7, abs=0.5)
    assert r.radius == pytest.approx(0.0103, abs=3e-4)
    assert r.allowed_variation == pytest.approx(0.0057, abs=1e-4)
    assert r.jacobian_variation < r.variation_bound < r.allowed_variation
    assert r.holds and r.holds_sampled
    assert r.root_distance <= r.radius
    # the mirror neuron gives the same constants
    r1 = ift_check_neuron(pop, W, 1)
    assert r1.radius == pytest.approx(r.radius, rel=1e-9)


def test_population_d10_full_dimension_fails(d10):
    W, pop = d10
    r = ift_check(pop, W[0])  # one neuron, all d coordinates
    assert r.norm_Ainv == pytest.approx(1 / (2 * ALPHA), rel=0.02)  # eigenvalue ~ -2 alpha
    assert r.radius == pytest.approx(0.0467, abs=5e-4)
    assert r.jacobian_variation > 5 * r.allowed_variation
    assert not r.holds and not r.holds_sampled
    both = ift_check(pop, W, n_samples=20)  # both neurons: ||f(x0)|| grows by sqrt(2)
    assert both.radius == pytest.approx(np.sqrt(2) * r.radius, rel=1e-9)
    assert not both.holds


def test_population_d30_full_dimension_holds():
    W = simplified_optimum(TAU, ALPHA, 30)
    r = ift_check(Objective.population(TAU, 30 ** -1.5, ALPHA, 30), W, n_samples=50)
    assert r.holds and r.holds_sampled
    assert r.norm_Ainv == pytest.approx(400, rel=0.01)
    assert r.root_distance <= r.radius < 0.003


def test_preconditioned_norm(d10):
    W, pop = d10
    S = preconditioner(pop.hessian(W[0]))
    np.testing.assert_allclose(S.T @ pop.hessian(W[0]) @ S, -np.eye(10), atol=1e-10)
    r = ift_check(pop, W[0], S="hessian", n_samples=50)
    assert r.norm_Ainv == pytest.approx(1.0, abs=1e-9)
    assert r.holds and r.root_distance <= r.radius
    with pytest.raises(ValueError, match="negative definite"):
        preconditioner(np.eye(2))


def test_radius_grows_with_rho():
    radii = []
    for rho in [0.01, 0.02, 0.04, 0.08]:
        pop = Objective.population(TAU, rho, ALPHA, 2)
        radii.append(ift_check(pop, simplified_optimum(TAU, ALPHA, 2)[0], n_samples=0,
                               find_root=False).radius)
    assert np.all(np.diff(radii) > 0)
    assert radii[-1] > 10 * radii[0]  # ||f(x0)|| = O(rho^2)


def test_sampled_data_set_n100():
    """n = 100 points: the base point is the rho = 0 optimum for the sample's cluster weights."""
    d, n, rho = 10, 100, 10 ** -1.5
    rng = np.random.default_rng(3)
    mu = np.zeros((4, d))
    mu[:, 0], mu[:, 1] = [1, 1, -1, -1], [0, TAU, 0, TAU]
    c = rng.integers(0, 4, n)
    x = mu[c] + rho * rng.standard_normal((n, d))
    obj = Objective.averaged(x, rho, ALPHA)
    W_hat = simplified_optimum(TAU, ALPHA, d, p=np.bincount(c, minlength=4) / n)
    plain = ift_check(obj, W_hat[0], n_samples=20)
    assert not plain.holds  # the regularizer's small eigenvalue again
    pre = ift_check(obj, W_hat[0], S="hessian", n_samples=20)
    # Newton's root lies inside the predicted radius, but this sample sits just past the
    # threshold: the Jacobian varies by 0.524 > 1/2 at an axis direction of the sphere (the
    # sampled value is a lower estimate, the Lipschitz bound an upper one).
    assert pre.root_distance <= pre.radius
    assert 0.5 < pre.jacobian_variation <= pre.variation_bound and not pre.holds_sampled
    # the sample's critical point: within 0.03 of W_hat in (w_k1, w_k2); the rest of its
    # distance lies in coordinates 3..d, where only the weak regularizer (-2 alpha) holds it
    root = obj.critical_point(W_hat)
    assert np.all(np.linalg.norm(root[:, :2] - W_hat[:, :2], axis=1) < 0.03)
    assert np.all(np.linalg.norm(root[:, 2:], axis=1) > 0.03)


# ------------------------------------------------------------------ the Lipschitz bound
def _third_derivative_sup(obj, W0, radius, S, rng, n=80):
    """Largest ||d/dt J~(xi + t h)|| (central differences) over random xi in the ball and unit h
    (random, and the coordinate directions)."""
    m = S.shape[0]
    worst = 0.0
    for i in range(n + m):
        xi, h = rng.normal(size=(2, m))
        xi *= radius * rng.uniform() ** (1 / m) / np.linalg.norm(xi)
        h = np.eye(m)[i] if i < m else h / np.linalg.norm(h)
        J = [S.T @ obj.hessian(W0 + (S @ (xi + e * h)).reshape(W0.shape)) @ S
             for e in (1e-4, -1e-4)]
        worst = max(worst, np.linalg.norm(J[0] - J[1], 2) / 2e-4)
    return worst


def test_factor_bounds_dominate_smoothed_sigmoid_derivatives():
    """A_j(umin, sigma) >= E|s^(j)(u + sigma z)| for every |u| >= umin (fine trapezoid rule)."""
    from sslcore.ift import sigmoid_derivative_bounds
    from sslcore.theory import sigmoid_derivative
    z = np.linspace(-14, 14, 28001)
    wz = np.exp(-z ** 2 / 2)
    wz /= wz.sum()
    for sigma in [0.0, 0.1, 0.5, 1.0, 1.5]:
        for umin in [0.0, 0.5, 2.0, 5.0, 10.0]:
            A = sigmoid_derivative_bounds(np.array(umin), np.array(sigma))
            for u in [umin, -umin, umin + 0.7]:
                for j in range(1, 7):
                    expect = np.abs(sigmoid_derivative(u + sigma * z, j)) @ wz
                    assert expect <= A[j] * (1 + 1e-9)
                    if sigma == 0 and u == umin >= 2 and j == 1:  # tight: e^-u vs s'(u)
                        assert A[j] < 1.3 * expect


@pytest.mark.parametrize("kind", ["population", "averaged", "simplified"])
@pytest.mark.parametrize("precondition", [False, True])
def test_lipschitz_bound_is_an_upper_bound(kind, precondition):
    """Large noise (rho = 0.3, sigma ~ 1.4): the bound must hold, though it is loose there."""
    rng = np.random.default_rng(5)
    d, rho, radius = 3, 0.3, 0.2
    mu = np.zeros((4, d))
    mu[:, 0], mu[:, 1] = [1, 1, -1, -1], [0, TAU, 0, TAU]
    obj = {"population": Objective.population(TAU, rho, ALPHA, d),
           "averaged": Objective.averaged(
               mu[rng.integers(0, 4, 20)] + rho * rng.normal(size=(20, d)), rho, ALPHA),
           "simplified": Objective.simplified(TAU, ALPHA, d)}[kind]
    W0 = np.array([[3.0, 0.8, 0.2], [-0.5, 1.2, 0.0]])
    S = np.eye(6)
    if precondition:  # any invertible S: a random symmetric positive definite one
        Q = np.linalg.qr(rng.normal(size=(6, 6)))[0]
        S = (Q * rng.uniform(0.2, 1.0, 6)) @ Q.T
    L = hessian_lipschitz_bound(obj, W0, radius, S)
    worst = _third_derivative_sup(obj, W0, radius, S, rng)
    assert worst <= L < 50 * worst


@pytest.mark.parametrize("two_d", [False, True])
def test_lipschitz_bound_is_tight_at_the_papers_noise(d10, two_d):
    W, pop = d10
    obj, W0 = (pop.reduced_2d(), W[:1, :2]) if two_d else (pop, W[:1])
    radius = 0.05
    L = hessian_lipschitz_bound(obj, W0, radius)
    worst = _third_derivative_sup(obj, W0, radius, np.eye(W0.size), np.random.default_rng(6), n=40)
    assert worst <= L < 3 * worst


# ------------------------------------------------------------------ rigorous certificates
def test_krawczyk_encloses_the_critical_point():
    W = simplified_optimum(TAU, ALPHA, 2)
    res = krawczyk_simplified(7, Fraction(1, 800), center=W[0] + 3e-11, radius=1e-9)
    assert res.success and res.negative_definite
    assert np.all(res.lower <= W[0]) and np.all(W[0] <= res.upper)
    assert np.all(res.upper - res.lower < 3e-9)
    assert np.all(res.lower < res.krawczyk_lower) and np.all(res.krawczyk_upper < res.upper)
    lam = np.linalg.eigvalsh(Objective.simplified(TAU, ALPHA, 2).hessian(W[0]))
    assert np.all(res.eigenvalues[:, 0] <= lam) and np.all(lam <= res.eigenvalues[:, 1])
    np.testing.assert_allclose(res.eigenvalues.mean(1), [-0.0298, -0.0114], atol=2e-4)
    # the mirror point (-a*, b*) with the default center search is certified as well
    mirror = krawczyk_simplified(center=W[1])
    assert mirror.success


def test_krawczyk_fails_away_from_the_critical_point():
    W = simplified_optimum(TAU, ALPHA, 2)
    assert not krawczyk_simplified(center=W[0] + [0.05, 0.0], radius=1e-3).success
    assert not krawczyk_simplified(center=W[0] + [1e-6, 0.0], radius=1e-9).success  # zero outside X


def test_rigorous_ift_on_a_ball():
    x0 = simplified_optimum(TAU, ALPHA, 2)[0]
    ok = rigorous_ift_simplified(x0, 0.01)
    assert ok.holds
    assert ok.jacobian_variation <= ok.allowed_variation
    assert ok.needed_radius < 1e-12
    Ainv = np.linalg.inv(Objective.simplified(TAU, ALPHA, 2).hessian(x0))
    assert np.abs(Ainv).sum(1).max() <= ok.norm_Ainv <= np.abs(Ainv).sum(1).max() * (1 + 1e-9)
    assert not rigorous_ift_simplified(x0, 0.05).holds  # too large a ball


# ------------------------------------------------------------------ bad inputs
@pytest.mark.parametrize("call, name", [
    (lambda o, W: ift_check(o, W, S="identity"), "S"),
    (lambda o, W: ift_check(o, W, S=np.eye(3)), "S"),
    (lambda o, W: ift_check(o, W, n_samples=-1), "n_samples"),
    (lambda o, W: ift_check_neuron(o, W, 2), "k"),
    (lambda o, W: hessian_lipschitz_bound(o, W, -1.0), "radius"),
    (lambda o, W: krawczyk_simplified(radius=0.0), "radius"),
    (lambda o, W: krawczyk_simplified(center=[1.0]), "center"),
    (lambda o, W: krawczyk_simplified(tau=-7), "tau"),
    (lambda o, W: rigorous_ift_simplified([3.8, 1.5], 0.01, alpha=-1), "alpha"),
    (lambda o, W: rigorous_ift_simplified([3.8, 1.5], 0.01, n_sub=0), "n_sub"),
])
def test_bad_input_raises_value_error_naming_parameter(call, name, d10):
    W, pop = d10
    with pytest.raises(ValueError, match=rf"^{name}\b"):
        call(pop, W)


def test_sphere_directions_do_not_depend_on_rounding_noise():
    from sslcore.ift import sphere_directions
    rng = np.random.default_rng(1)
    Q = np.linalg.qr(rng.standard_normal((3, 3)))[0]
    At = np.zeros((8, 8))
    At[:3, :3] = Q @ np.diag([-1.0, -2.0, -3.0]) @ Q.T
    At[3:, 3:] = -0.5 * np.eye(5)                       # a 5-fold eigenvalue
    noise = 1e-15 * rng.standard_normal((8, 8))
    D1 = sphere_directions(At, n_samples=4, seed=3)
    D2 = sphere_directions(At + noise + noise.T, n_samples=4, seed=3)
    assert D1.shape == D2.shape == (2 * (3 + 5) + 4, 8)
    assert np.allclose(np.linalg.norm(D1, axis=1), 1)
    # the same set of directions up to sign, to rounding accuracy
    assert np.abs(np.abs(D1 @ D2.T).max(axis=1) - 1).max() < 1e-9
    # the repeated eigenvalue's directions are the coordinate axes 4..8, the others eigenvectors
    assert np.allclose(np.abs(D1[3:8, 3:]), np.eye(5)) and np.allclose(D1[3:8, :3], 0)
    assert np.allclose(At @ D1[:3].T, D1[:3].T * np.diag(D1[:3] @ At @ D1[:3].T))
    # plain eigh does not have this property (the reason for the helper)
    V1, V2 = np.linalg.eigh(At)[1], np.linalg.eigh(At + noise + noise.T)[1]
    assert np.abs(np.abs(V1.T @ V2).max(axis=1) - 1).max() > 1e-6
