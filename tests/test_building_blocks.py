"""One copy of each building block: the shared validation, the paper's settings in config, and
every fast kernel against the plain formula it specializes."""
import numbers
from fractions import Fraction

import numpy as np
import pytest

from sslcore import config, data, dynamics, models, ssl_kernels, theory, training, validation


def test_validation_accepts_numbers_and_rejects_bools_and_strings():
    for v in (3, np.int64(3), np.int32(3), 3.0, np.float32(3.0), np.array(3)):
        assert validation.integer("k", v, 0) == 3
        assert validation.real("x", v) == 3.0
    assert validation.real("x", Fraction(1, 4)) == 0.25
    for bad in (True, np.True_, "3", None, [3]):
        with pytest.raises(ValueError, match=r"^k=.* must be an integer, allowed k >= 0$"):
            validation.integer("k", bad, 0)
        with pytest.raises(ValueError, match=r"^x=.* must be a real number, allowed x > 0$"):
            validation.real("x", bad, 0, low_open=True)
    with pytest.raises(ValueError, match=r"^k=2.5 must be an integer"):
        validation.integer("k", 2.5, 0)


def test_validation_messages_name_the_parameter_and_the_range():
    with pytest.raises(ValueError, match=r"^tau=-2 is out of range: allowed tau > 0$"):
        validation.real("tau", -2, 0, low_open=True)
    with pytest.raises(ValueError, match=r"^n=7 is out of range: allowed n >= 1 and n <= 5$"):
        validation.integer("n", 7, 1, high=5)
    with pytest.raises(ValueError, match=r"^x=inf must be finite"):
        validation.real("x", float("inf"))
    with pytest.raises(ValueError, match=r"^rng='x' is unknown: allowed 'a', 'b'$"):
        validation.choice("rng", "x", ("a", "b"))
    with pytest.raises(ValueError, match=r"allowed my rule$"):
        validation.real("x", -1, 0, rule="my rule")


def test_paper_settings_are_the_configuration_defaults():
    ssl, sl = config.SSLConfig(), config.SLConfig()
    assert (ssl.d, ssl.tau, ssl.rho, ssl.alpha, ssl.eta, ssl.T) == (
        config.D, config.TAU, config.RHO, config.ALPHA, config.ETA, config.SSL_STEPS)
    assert (sl.beta, sl.gamma, sl.T, len(sl.seeds)) == (
        config.BETA, config.GAMMA, config.SL_STEPS, config.N_SEEDS)
    assert config.ALPHA == 1 / 800 and config.RHO == 10 ** -1.5
    assert config.ALPHA_FRACTION == Fraction(1, 800) and isinstance(config.D, numbers.Integral)


def test_sigmoid_derivative_specializes_the_plain_sigmoid():
    t = np.linspace(-40, 40, 2001)
    s, c = models.sigmoid(t), models.sigmoid(-t)     # c = 1 - s, accurate for large t
    assert np.allclose(models.sigmoid_derivative(t, 0), s, rtol=1e-15, atol=0)
    assert np.allclose(models.sigmoid_derivative(t, 1), s * c, rtol=1e-13, atol=0)
    assert np.allclose(models.sigmoid_derivative(t, 2), s * c * (c - s), rtol=1e-12, atol=1e-300)


def test_cluster_means_and_weights_are_the_data_module_s():
    mu = data.cluster_means(3, 2.5)
    assert mu.tolist() == [[1, 0, 0], [1, 2.5, 0], [-1, 0, 0], [-1, 2.5, 0]]
    assert np.array_equal(theory.Objective.simplified(2.5, 0.1, 3).points, mu)
    assert data.cluster_weights().tolist() == [0.25] * 4
    with pytest.raises(ValueError, match="^p="):
        data.cluster_weights([0.5, 0.5, 0.5, 0.5])


def test_ssl_step_views_is_a_step_along_models_ssl_gradient():
    rng = np.random.default_rng(0)
    S, n, d, rho, alpha, eta = 3, 7, 5, 0.2, 0.01, 1e-2
    W = rng.standard_normal((S, 2, d))
    x = rng.standard_normal((S, n, d))
    noise = rng.standard_normal((S, 2, n, d))
    Wt = np.swapaxes(W, 1, 2).copy()
    new, s, gT = ssl_kernels.ssl_step_views(Wt, x, noise, rho, alpha, eta)
    x1, x2 = x + rho * noise[:, 0], x + rho * noise[:, 1]
    want = models.ssl_gradient(W, x1, x2, alpha)
    assert np.allclose(np.swapaxes(gT, 1, 2), want, rtol=1e-12, atol=1e-12)
    assert np.allclose(np.swapaxes(new, 1, 2), W + eta * want, rtol=1e-12, atol=1e-12)
    assert np.allclose(ssl_kernels.ssl_value(Wt, s, alpha, n),
                       models.ssl_objective(W, x1, x2, alpha), rtol=1e-12)


def test_sl_step_follows_models_sl_gradients():
    rng = np.random.default_rng(1)
    S, n, d, beta, gamma, eta = 2, 9, 4, 0.01, 0.02, 1e-2
    W, F = rng.standard_normal((S, 2, d)), rng.standard_normal((S, 2))
    x = rng.standard_normal((S, n, d))
    y = (rng.uniform(size=(S, n)) < 0.5).astype(float)
    Wt = np.swapaxes(W, 1, 2).copy()
    xT = np.ascontiguousarray(np.swapaxes(x, 1, 2))
    newWt, newF, loss, gT = training.sl_step(Wt, F, x, xT, y[..., None], beta, gamma, eta)
    gW, _ = models.sl_gradients(W, F, x, y, beta, gamma)
    assert np.allclose(np.swapaxes(gT, 1, 2), gW, rtol=1e-12, atol=1e-12)
    assert np.allclose(loss, models.sl_loss(W, F, x, y, beta, gamma), rtol=1e-12)
    W1 = W - eta * gW
    _, gF1 = models.sl_gradients(W1, F, x, y, beta, gamma)
    assert np.allclose(np.swapaxes(newWt, 1, 2), W1, rtol=1e-12, atol=1e-12)
    assert np.allclose(newF, F - eta * gF1, rtol=1e-12, atol=1e-12)


def test_in_place_sigmoid_kernel_matches_models_sigmoid():
    u = np.linspace(-30, 30, 301)
    v = u.copy()
    assert ssl_kernels.sigmoid_inplace(v) is v
    assert np.array_equal(v, models.sigmoid(u))


def test_broadcast_rows_gives_one_value_per_row():
    assert ssl_kernels.broadcast_rows(0.5, 3).shape == (1, 1, 1)
    col = ssl_kernels.broadcast_rows(np.array([1.0, 2.0]), 4)
    assert col.shape == (2, 1, 1, 1)
    assert np.array_equal((col * np.ones((2, 3, 4, 5)))[:, 2, 3, 4], [1.0, 2.0])


def test_ascent_kernel_steps_along_the_objective_gradient():
    W0 = np.array([[[3.0, 1.0, 0.2], [-2.0, 1.5, -0.1]]])
    p = np.array([0.2, 0.3, 0.3, 0.2])
    lr, tau, alpha = 0.1, 5.0, 0.01
    _, W = dynamics.ascent(W0, 1, lr, tau, alpha, p, record_every=1)
    grad = theory.Objective.simplified(tau, alpha, 3, p).gradient(W0[0])
    assert np.allclose(W[0, 1], W0[0] + lr * grad, rtol=1e-12, atol=1e-14)
