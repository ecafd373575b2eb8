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
    cos = (theta[:, 1:] * w).sum(-1) / np.linalg.norm(theta[:, 1:], axis=-1) / np.linalg.norm(w, axis=-1)
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
    L = torch.nn.functional.binary_cross_entropy_with_logits(h, torch.tensor(y), reduction="none").mean(-1)
    L = L + 0.5 * l2 * (th[:, 1:] ** 2).sum(-1)
    L.sum().backward()
    assert np.allclose(probe.logistic_loss(theta, X, y, l2), L.detach().numpy(), rtol=1e-12)
    g = probe.logistic_gradient(theta, X, y, l2)
    assert np.allclose(g, th.grad.numpy(), rtol=1e-10, atol=1e-12)
    eps, H = 1e-6, probe.logistic_hessian(theta, X, y, l2)
    for j in range(p + 1):
        e = np.zeros(p + 1)
        e[j] = eps
        fd = (probe.logistic_gradient(theta + e, X, y, l2) - probe.logistic_gradient(theta - e, X, y, l2)) / (2 * eps)
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


def test_mean_ci():
    m, h = probe.mean_ci([0.5, 0.7, 0.6, 0.6])
    assert m == pytest.approx(0.6)
    assert h == pytest.approx(1.96 * np.std([0.5, 0.7, 0.6, 0.6]) / 2)


@pytest.mark.parametrize("kwargs, name", [
    (dict(target="w"), "target"), (dict(l2=-1.0), "l2"), (dict(n_train=1), "n_train"),
    (dict(n_test=0), "n_test"), (dict(representation="tanh"), "representation"),
    (dict(seeds=[0]), "seeds"), (dict(tau=0.0), "tau"), (dict(rho=-0.1), "rho"),
])
def test_probe_accuracy_rejects_bad_input(kwargs, name):
    W = _W([((1.0, 0.0), (0.0, 1.0))] * 2)
    with pytest.raises(ValueError, match=name):
        probe.probe_accuracy(W, **kwargs)


def test_other_bad_inputs():
    with pytest.raises(ValueError, match="W"):
        probe.probe_accuracy(np.zeros((2, 3, 10)))
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
