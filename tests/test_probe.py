import numpy as np
import pytest
import torch

from sslcore import probe

torch.set_default_dtype(torch.float64)


def _rule(S=3, m=2000, p=3, seed=0, l2=1e-6):
    rng = np.random.default_rng(seed)
    w = rng.normal(size=(S, p))
    c = rng.normal(size=(S, 1)) * 0.3
    X = rng.normal(size=(S, 2 * m, p))
    y = ((X * w[:, None]).sum(-1) + c > 0).astype(float)
    return X[:, :m], y[:, :m], X[:, m:], y[:, m:], w


def test_probe_recovers_a_linear_rule():
    Xtr, ytr, Xte, yte, w = _rule()
    theta = probe.fit_logistic(Xtr, ytr, l2=1e-6)
    acc = (probe.predict(theta, Xte) == yte).mean(-1)
    assert np.all(acc > 0.98)
    norms = np.linalg.norm(theta[:, 1:], axis=-1) * np.linalg.norm(w, axis=-1)
    cos = (theta[:, 1:] * w).sum(-1) / norms
    assert np.all(cos > 0.99)


def test_probe_is_at_chance_on_random_labels():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(4, 4000, 3))
    y = (rng.random((4, 4000)) < 0.5).astype(float)
    theta = probe.fit_logistic(X[:, :2000], y[:, :2000], l2=1e-4)
    acc = (probe.predict(theta, X[:, 2000:]) == y[:, 2000:]).mean(-1)
    assert np.all(np.abs(acc - 0.5) < 0.05)


def test_loss_gradient_and_hessian_match_torch_and_finite_differences():
    rng = np.random.default_rng(2)
    S, m, p, l2 = 2, 50, 3, 0.3
    X = rng.normal(size=(S, m, p)) * 2
    y = (rng.random((S, m)) < 0.4).astype(float)
    theta = rng.normal(size=(S, p + 1))
    th = torch.tensor(theta, requires_grad=True)
    h = th[:, :1] + (torch.tensor(X) @ th[:, 1:, None])[..., 0]
    bce = torch.nn.functional.binary_cross_entropy_with_logits
    L = bce(h, torch.tensor(y), reduction="none").mean(-1)
    L = L + 0.5 * l2 * (th[:, 1:] ** 2).sum(-1)
    L.sum().backward()
    assert np.allclose(probe.logistic_loss(theta, X, y, l2), L.detach().numpy(), rtol=1e-12)
    g = probe.logistic_gradient(theta, X, y, l2)
    assert np.allclose(g, th.grad.numpy(), rtol=1e-10, atol=1e-12)
    eps, H = 1e-6, probe.logistic_hessian(theta, X, y, l2)
    for j in range(p + 1):
        e = np.zeros(p + 1)
        e[j] = eps
        fd = (probe.logistic_gradient(theta + e, X, y, l2)
              - probe.logistic_gradient(theta - e, X, y, l2)) / (2 * eps)
        assert np.allclose(fd, H[:, :, j], atol=1e-7)


def test_newton_reaches_a_stationary_point():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(3, 300, 2))
    y = ((X[..., 0] + rng.normal(size=(3, 300))) > 0).astype(float)   # overlapping classes
    theta = probe.fit_logistic(X, y, l2=1e-3)
    assert np.abs(probe.logistic_gradient(theta, X, y, 1e-3)).max() < 1e-8


def _W(rows, d=10):
    W = np.zeros((len(rows), 2, d))
    for s, (w1, w2) in enumerate(rows):
        W[s, 0, :2], W[s, 1, :2] = w1, w2
    return W


def test_probe_reads_what_the_weights_see():
    # neuron 2 looks at e2 only: the hidden bit is readable; neurons on +-e1 only: it is not
    sees_z = _W([((4.0, 0.0), (0.0, 1.0))] * 3)
    blind = _W([((3.0, 0.0), (-3.0, 0.0))] * 3)
    assert np.all(probe.probe_accuracy(sees_z, "z", l2=1e-4) > 0.99)
    assert np.all(probe.probe_accuracy(sees_z, "y", l2=1e-4) > 0.99)
    acc = probe.probe_accuracy(blind, "z", l2=1e-4, n_train=2000, n_test=2000)
    assert np.all(np.abs(acc - 0.5) < 0.05)
    assert np.all(probe.probe_accuracy(blind, "y", l2=1e-4) > 0.99)
    # the raw input carries both (x1 > 0 and x2 > tau/2 are linear rules)
    for t in ("y", "z"):
        assert np.all(probe.probe_accuracy(blind, t, representation="raw") > 0.99)


def test_probe_by_cluster_and_reproducibility():
    W = _W([((3.8, 1.5), (-3.8, 1.5))] * 2)
    a = probe.probe_accuracy(W, "z", by_cluster=True)
    b = probe.probe_accuracy(W, "z", by_cluster=True)
    assert a.shape == (2, 4) and np.array_equal(a, b)
    c = probe.probe_accuracy(W, "z", seeds=[5, 6])
    assert c.shape == (2,)
    tr0, _ = probe.probe_samples([0], 50)
    tr5, _ = probe.probe_samples([5], 50)
    assert not np.allclose(tr0.x, tr5.x)


def test_saturated_features_need_a_weak_penalty():
    """SSL-like weights: the label lives in a 1e-3 difference of saturated features."""
    W = _W([((3.8, 1.52), (-3.8, 1.52))] * 2)
    strong = probe.probe_accuracy(W, "y", l2=1e-2)
    weak = probe.probe_accuracy(W, "y", l2=1e-7)
    linear = probe.probe_accuracy(W, "y", l2=1e-2, representation="linear")
    assert np.all(strong < 0.9) and np.all(weak > 0.99) and np.all(linear > 0.99)


def test_polynomial_features_by_hand():
    X = np.array([[[2.0, 3.0], [-1.0, 0.5]]])            # (S=1, m=2, p=2)
    Q = probe.polynomial_features(X, 2)
    # x1, x2, x1^2, x1 x2, x2^2
    assert np.array_equal(Q, [[[2, 3, 4, 6, 9], [-1, 0.5, 1, -0.5, 0.25]]])
    C = probe.polynomial_features(X, 3)
    assert C.shape == (1, 2, 9)                             # C(2 + 3, 3) - 1
    # the cubic monomials x1^3, x1^2 x2, x1 x2^2, x2^3 follow the quadratic ones
    assert np.array_equal(C[0, 0, 5:], [8, 12, 18, 27])
    assert np.array_equal(probe.polynomial_features(X, 1), X)
    assert probe.polynomial_features(np.zeros((3, 4, 10)), 3).shape == (3, 4, 285)
    with pytest.raises(ValueError, match="degree"):
        probe.polynomial_features(X, 0)


def test_cubic_probe_reads_what_the_linear_probe_cannot():
    # XOR: the target is the sign of x1 x2; a half-plane gets little more than chance
    rng = np.random.default_rng(4)
    X = rng.normal(size=(3, 4000, 2))
    y = (X[..., 0] * X[..., 1] > 0).astype(float)
    acc = {}
    for degree in (1, 3):
        tr, te = probe.standardize(probe.polynomial_features(X[:, :2000], degree),
                                   probe.polynomial_features(X[:, 2000:], degree))
        theta = probe.fit_logistic(tr, y[:, :2000], l2=1e-4)
        acc[degree] = (probe.predict(theta, te) == y[:, 2000:]).mean(-1)
    assert np.all(acc[1] < 0.65) and np.all(acc[3] > 0.97)


def test_cubic_probe_of_a_representation():
    # one neuron carries z only through a shift that points the same way for both labels,
    # on top of a label-dependent level: no single threshold reads z, two thresholds do
    W = _W([((3.0, 0.15), (-3.0, -0.15))] * 2)
    lin = probe.probe_accuracy(W, "z", l2=1e-6, rho=0.01)
    cub = probe.probe_accuracy(W, "z", l2=1e-6, rho=0.01, degree=3)
    assert np.all(lin < 0.7) and np.all(cub > 0.95)
    # degree 1 is the linear probe, exactly
    assert np.array_equal(probe.probe_accuracy(W, "z", degree=1), probe.probe_accuracy(W, "z"))


def test_z_accuracy_limit_matches_an_oracle_discriminant():
    # Monte Carlo: the Bayes rule for z given the label, applied to fresh points
    W = _W([((2.6, 0.02), (-2.6, -0.02)), ((2.6, 0.006), (-2.7, 0.001))])
    W[:, :, 2:] = np.random.default_rng(5).normal(size=(2, 2, 8)) * 0.3
    tau, rho = 7.0, 10 ** -1.5
    limit = probe.z_accuracy_limit(W, tau, rho)
    train, _ = probe.probe_samples([0, 1], 100_000, n_test=1)
    u = train.x @ np.swapaxes(W, 1, 2)                     # (S, m, 2) pre-activations
    G = W @ np.swapaxes(W, 1, 2) * rho ** 2
    delta = tau * W[:, :, 1]                               # mean shift of u for z = 1
    lab = np.where(train.y == 1, -1.0, 1.0)                # sign of the e1 coordinate
    base = lab[..., None] * W[:, None, :, 0]               # mean of u for z = 0
    proj = np.linalg.solve(G, delta[..., None])[..., 0]    # LDA direction
    score = ((u - base - delta[:, None] / 2) * proj[:, None]).sum(-1)
    acc = ((score > 0) == (train.z == 1)).mean(-1)
    assert np.allclose(acc, limit, atol=0.006)             # 4 standard errors
    assert np.all((0.55 < limit) & (limit < 0.95))


def test_z_accuracy_limit_bounds_the_probes():
    W = _W([((2.6, 0.02), (-2.6, -0.02))] * 3)
    W[:, :, 2:] = 0.2
    limit = probe.z_accuracy_limit(W)
    cubic = probe.probe_accuracy(W, "z", l2=1e-6, degree=3, n_train=4000, n_test=4000)
    linear = probe.probe_accuracy(W, "z", l2=1e-6, n_train=4000, n_test=4000)
    assert np.all(cubic < limit + 0.02) and np.all(cubic > limit - 0.03)
    assert np.all(linear < cubic - 0.1)
    assert np.allclose(probe.z_accuracy_limit(_W([((3.8, 1.5), (-3.8, 1.5))])), 1.0)
    with pytest.raises(ValueError, match="rho"):
        probe.z_accuracy_limit(W, rho=0.0)


def test_mean_ci():
    m, h = probe.mean_ci([0.5, 0.7, 0.6, 0.6])
    assert m == pytest.approx(0.6)
    assert h == pytest.approx(1.96 * np.std([0.5, 0.7, 0.6, 0.6]) / 2)


@pytest.mark.parametrize("kwargs, name", [
    (dict(target="w"), "target"), (dict(l2=-1.0), "l2"), (dict(n_train=1), "n_train"),
    (dict(n_test=0), "n_test"), (dict(representation="cosh"), "representation"),
    (dict(seeds=[0]), "seeds"), (dict(tau=0.0), "tau"), (dict(rho=-0.1), "rho"),
    (dict(degree=0), "degree"), (dict(degree=2.5), "degree"),
])
def test_probe_accuracy_rejects_bad_input(kwargs, name):
    W = _W([((1.0, 0.0), (0.0, 1.0))] * 2)
    with pytest.raises(ValueError, match=name):
        probe.probe_accuracy(W, **kwargs)


def test_other_bad_inputs():
    with pytest.raises(ValueError, match="W"):
        probe.probe_accuracy(np.zeros((2, 0, 10)))              # no neuron
    with pytest.raises(ValueError, match="W"):
        probe.probe_accuracy(np.zeros((2, 3, 1)))               # d = 1
    with pytest.raises(ValueError, match="activation"):
        probe.features(np.zeros((1, 2, 3)), np.zeros((1, 4, 3)), activation="cosh")
    with pytest.raises(ValueError, match="W"):
        probe.features(np.full((1, 2, 3), np.nan), np.zeros((1, 4, 3)))
    with pytest.raises(ValueError, match="x"):
        probe.features(np.zeros((1, 2, 3)), np.zeros((1, 4, 5)))
    with pytest.raises(ValueError, match="y"):
        probe.fit_logistic(np.zeros((1, 4, 2)), np.full((1, 4), 0.5))
    with pytest.raises(ValueError, match="y"):
        probe.fit_logistic(np.zeros((1, 4, 2)), np.zeros((1, 5)))
    with pytest.raises(ValueError, match="max_iter"):
        probe.fit_logistic(np.zeros((1, 4, 2)), np.zeros((1, 4)), max_iter=0)
    with pytest.raises(ValueError, match="values"):
        probe.mean_ci([0.5])
    with pytest.raises(ValueError, match="seeds"):
        probe.probe_samples([], 10)


# ----------------------------------------------------------------------------- m neurons
def test_features_of_every_activation():
    from sslcore import models
    rng = np.random.default_rng(7)
    W, x = rng.normal(size=(2, 5, 4)), rng.normal(size=(2, 30, 4))
    u = x @ np.swapaxes(W, 1, 2)
    assert np.array_equal(probe.features(W, x), models.sigmoid(u))       # the paper's default
    assert np.allclose(probe.features(W, x, "tanh"), np.tanh(u))
    assert np.allclose(probe.features(W, x, "relu"), np.maximum(u, 0))
    assert np.allclose(probe.features(W, x, "softplus"), np.log1p(np.exp(u)))
    assert probe.features(W, x).shape == (2, 30, 5)


def test_probe_of_m_neurons():
    # four neurons on +-e1 only: z is not readable; a fifth on e2 makes it readable
    W = np.zeros((2, 5, 10))
    W[:, :4, 0] = [3.0, -3.0, 2.0, -2.0]
    W[:, :4, 2:] = np.random.default_rng(8).normal(size=(2, 4, 8)) * 0.2
    blind = probe.probe_accuracy(W[:, :4], "z", n_train=2000, n_test=2000)
    assert np.all(np.abs(blind - 0.5) < 0.05)
    W[:, 4, 1] = 1.0
    for rep in ("sigmoid", "tanh", "softplus", "relu"):
        assert np.all(probe.probe_accuracy(W, "z", representation=rep) > 0.99), rep
        assert np.all(probe.probe_accuracy(W, "y", representation=rep, l2=1e-6) > 0.99), rep


def test_z_accuracy_limit_of_m_neurons_ignores_repeated_neurons():
    W = _W([((2.6, 0.02), (-2.6, -0.01))] * 2)
    W[:, :, 2:] = np.random.default_rng(9).normal(size=(2, 2, 8)) * 0.3
    again = np.concatenate([W, W[:, 1:]], axis=1)               # neuron 2 twice: m = 3
    assert np.allclose(probe.z_accuracy_limit(again), probe.z_accuracy_limit(W))
