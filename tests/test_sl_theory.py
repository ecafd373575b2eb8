"""sslcore.sl_theory: the SL optimum by Newton's method, cross-checked by BFGS."""
import numpy as np
from scipy.optimize import minimize

from sslcore import models, sl_theory
from sslcore.config import BETA, GAMMA


def test_sl_symmetric_optimum_agrees_with_bfgs_on_the_symmetric_family():
    def J(v):   # per point, on w1 = -w2 = (a, 0, ...), F = (-phi, phi)
        a, phi = v
        m = 2 * models.sigmoid(a) - 1
        return float(np.logaddexp(0.0, -phi * m) + 2 * BETA * a * a + 2 * GAMMA * phi * phi)

    bfgs = minimize(J, x0=[2.6, 4.25], method="BFGS", options={"gtol": 1e-12}).x
    a, phi = sl_theory.sl_symmetric_optimum()
    np.testing.assert_allclose([a, phi], bfgs, atol=1e-6)
    np.testing.assert_allclose([a, phi], [2.628, 4.254], atol=5e-4)
    pop = sl_theory.SLPopulation(rho=0.0, d=3)
    theta = pop.symmetric_start(a, phi)
    assert np.max(np.abs(pop.gradient(theta))) < 1e-10          # a critical point in all 2d + 2
    assert np.all(np.linalg.eigvalsh(pop.hessian(theta)) > 0)   # coordinates, a strict minimum
