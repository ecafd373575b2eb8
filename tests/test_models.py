import mpmath as mp
import numpy as np
import pytest
import torch

from sslcore import models

torch.set_default_dtype(torch.float64)


def _rel(a, b):
    return np.max(np.abs(a - b)) / np.max(np.abs(b))


@pytest.fixture
def batch():
    rng = np.random.default_rng(0)
    S, n, d = 3, 17, 6
    return dict(W=rng.normal(size=(S, 2, d)), F=rng.normal(size=(S, 2)) * 3,
                x1=rng.normal(size=(S, n, d)) * 2, x2=rng.normal(size=(S, n, d)) * 2,
                y=(rng.random((S, n)) < 0.5).astype(float))


def test_ssl_gradient_matches_autograd(batch):
    alpha = 0.01
    W = torch.tensor(batch["W"], requires_grad=True)
    x1, x2 = torch.tensor(batch["x1"]), torch.tensor(batch["x2"])
    s1, s2 = torch.sigmoid(x1 @ W.transpose(1, 2)), torch.sigmoid(x2 @ W.transpose(1, 2))
    L = (s1 * s2).sum() - alpha * x1.shape[1] * (W**2).sum()
    L.backward()
    g = models.ssl_gradient(batch["W"], batch["x1"], batch["x2"], alpha)
    assert _rel(g, W.grad.numpy()) < 1e-10
    v = models.ssl_objective(batch["W"], batch["x1"], batch["x2"], alpha)
    assert v.shape == (3,) and v.dtype == np.float64
    assert abs(v.sum() - L.item()) < 1e-10 * abs(L.item())


def test_sl_gradients_match_autograd(batch):
    beta, gamma = 0.02, 0.03
    W = torch.tensor(batch["W"], requires_grad=True)
    F = torch.tensor(batch["F"], requires_grad=True)
    x, y = torch.tensor(batch["x1"]), torch.tensor(batch["y"])
    h = (torch.sigmoid(x @ W.transpose(1, 2)) * F[:, None, :]).sum(-1)
    n = x.shape[1]
    J = torch.nn.functional.binary_cross_entropy_with_logits(h, y, reduction="sum")
    J = J + beta * n * (W**2).sum() + gamma * n * (F**2).sum()
    J.backward()
    gW, gF = models.sl_gradients(batch["W"], batch["F"], batch["x1"], batch["y"], beta, gamma)
    assert _rel(gW, W.grad.numpy()) < 1e-10
    assert _rel(gF, F.grad.numpy()) < 1e-10
    loss = models.sl_loss(batch["W"], batch["F"], batch["x1"], batch["y"], beta, gamma)
    assert abs(loss.sum() - J.item()) < 1e-10 * J.item()


def test_bce_is_stable_for_large_logits():
    h = np.array([-1000.0, -40.0, 0.0, 40.0, 1000.0])
    for y in (0.0, 1.0):
        got = models.bce_with_logits(h, y)
        mp.mp.dps = 50
        ref = np.array([float(mp.log(1 + mp.exp(v)) - y * v) for v in h])
        assert np.all(np.isfinite(got)) and np.allclose(got, ref, rtol=1e-12, atol=1e-300)


def test_sigmoid_extremes_without_warnings():
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = models.sigmoid(np.array([-1e4, -800.0, 0.0, 800.0, 1e4]))
    assert s[0] == 0.0 and s[2] == 0.5 and s[-1] == 1.0
    u = np.linspace(-30, 30, 101)
    assert np.allclose(models.sigmoid(u), torch.sigmoid(torch.tensor(u)).numpy(), rtol=1e-14)


def test_sl_forward_is_a_probability(batch):
    p = models.sl_forward(batch["W"], batch["F"], batch["x1"])
    assert p.shape == batch["y"].shape and np.all((p > 0) & (p < 1))
