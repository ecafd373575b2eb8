"""Chapter 5's objectives and activations: values and closed-form gradients against torch.

The torch versions below are written from the formulas of sslcore/objectives.py's docstring,
independently of its numpy code; autograd differentiates them.
"""
import numpy as np
import pytest
import torch

from sslcore import models, objectives

ACTS = {"sigmoid": torch.sigmoid, "tanh": torch.tanh,
        "softplus": lambda u: torch.nn.functional.softplus(u, threshold=50),  # exact, no cut
        "relu": torch.relu}


def _torch_data(f1, f2, objective, temperature):
    if objective == "agreement":
        return (f1 * f2).sum((-1, -2))
    if objective == "spectral":
        n = f1.shape[-2]
        A = f1 @ f2.transpose(-1, -2)
        off = A * (1 - torch.eye(n, dtype=A.dtype))
        return 2 * torch.diagonal(A, dim1=-2, dim2=-1).sum(-1) - (off**2).sum((-1, -2)) / (n - 1)
    z1 = f1 / torch.sqrt((f1**2).sum(-1, keepdim=True) + 1e-16)
    z2 = f2 / torch.sqrt((f2**2).sum(-1, keepdim=True) + 1e-16)
    logits = z1 @ z2.transpose(-1, -2) / temperature
    diag = torch.diagonal(logits, dim1=-2, dim2=-1)
    rows = torch.logsumexp(logits, -1) - diag
    cols = torch.logsumexp(logits, -2) - diag
    return -0.5 * (rows + cols).sum(-1)


def _torch_objective(W, x1, x2, alpha, objective, act, temperature):
    a = ACTS[act]
    f1, f2 = a(x1 @ W.transpose(-1, -2)), a(x2 @ W.transpose(-1, -2))
    n = x1.shape[-2]
    return _torch_data(f1, f2, objective, temperature) - alpha * n * (W**2).sum((-1, -2))


def _problem(m, d=6, n=9, S=3, seed=0):
    rng = np.random.default_rng(seed)
    W = rng.normal(size=(S, m, d))
    x1, x2 = rng.normal(size=(2, S, n, d)) * 1.5
    return W, x1, x2


@pytest.mark.parametrize("objective", objectives.OBJECTIVES)
@pytest.mark.parametrize("act", models.ACTIVATIONS)
@pytest.mark.parametrize("m", [1, 2, 5])
def test_value_and_gradient_match_torch_autograd(objective, act, m):
    W, x1, x2 = _problem(m, seed=m)
    alpha, temp = 0.03, 0.4
    Wt = torch.tensor(W, requires_grad=True)
    val = _torch_objective(Wt, torch.tensor(x1), torch.tensor(x2), alpha, objective, act, temp)
    (grad,) = torch.autograd.grad(val.sum(), Wt)
    ours = objectives.ssl_objective(W, x1, x2, alpha, objective, act, temp)
    assert np.allclose(ours, val.detach().numpy(), rtol=1e-12, atol=1e-12)
    g = objectives.ssl_gradient(W, x1, x2, alpha, objective, act, temp)
    assert np.allclose(g, grad.numpy(), rtol=1e-10, atol=1e-11), np.abs(g - grad.numpy()).max()


def test_agreement_with_sigmoid_is_the_paper_objective():
    """m = 2, sigmoid, agreement: the same value and gradient as sslcore.models."""
    W, x1, x2 = _problem(2)
    assert np.allclose(objectives.ssl_objective(W, x1, x2, 0.01),
                       models.ssl_objective(W, x1, x2, 0.01), rtol=1e-14)
    assert np.allclose(objectives.ssl_gradient(W, x1, x2, 0.01),
                       models.ssl_gradient(W, x1, x2, 0.01), rtol=1e-13, atol=1e-14)


def test_infonce_is_finite_for_a_dead_relu_representation():
    """All pre-activations negative: f = 0, the cosine uses |f|_e > 0, gradient zero."""
    W, x1, x2 = _problem(2)
    u = -np.abs(np.stack([x1 @ np.swapaxes(W, 1, 2), x2 @ np.swapaxes(W, 1, 2)], 1)) - 1
    value, c = objectives.data_terms(u, "infonce", "relu", 0.5)
    assert np.all(np.isfinite(value)) and np.all(c == 0)


@pytest.mark.parametrize("act", models.ACTIVATIONS)
def test_activation_derivative_matches_torch(act):
    u = np.linspace(-30, 30, 601) + 0.05          # avoid relu's kink at 0
    f, df = models.activation(act, u)
    ut = torch.tensor(u, requires_grad=True)
    ft = ACTS[act](ut)
    (dft,) = torch.autograd.grad(ft.sum(), ut)
    assert np.allclose(f, ft.detach().numpy(), rtol=1e-13, atol=1e-300)
    assert np.allclose(df, dft.numpy(), rtol=1e-12, atol=1e-15)   # torch: 1 - t^2 cancels


def test_unknown_names_are_rejected_by_name():
    with pytest.raises(ValueError, match="activation='gelu' is unknown"):
        models.activation("gelu", 0.0)
    with pytest.raises(ValueError, match="objective='byol' is unknown"):
        objectives.data_terms(np.zeros((2, 3, 1)), "byol")


@pytest.mark.parametrize("act", ["tanh", "relu"])
def test_sl_gradients_with_an_activation_match_torch(act):
    rng = np.random.default_rng(3)
    W, F = rng.normal(size=(2, 4, 5)), rng.normal(size=(2, 4))
    x, y = rng.normal(size=(2, 7, 5)), rng.integers(0, 2, size=(2, 7)).astype(float)
    Wt, Ft = torch.tensor(W, requires_grad=True), torch.tensor(F, requires_grad=True)
    h = (ACTS[act](torch.tensor(x) @ Wt.transpose(-1, -2)) * Ft[:, None, :]).sum(-1)
    J = torch.nn.functional.binary_cross_entropy_with_logits(
        h, torch.tensor(y), reduction="none").sum(-1) + 0.1 * 7 * (Wt**2).sum((-1, -2)) \
        + 0.2 * 7 * (Ft**2).sum(-1)
    gW, gF = torch.autograd.grad(J.sum(), (Wt, Ft))
    ours = models.sl_gradients(W, F, x, y, 0.1, 0.2, act)
    assert np.allclose(models.sl_loss(W, F, x, y, 0.1, 0.2, act), J.detach().numpy())
    assert np.allclose(ours[0], gW.numpy(), rtol=1e-11) and np.allclose(ours[1], gF.numpy())
