import math

import pytest

from sslcore import SLConfig, SSLConfig


def test_defaults_match_the_paper():
    c = SSLConfig()
    assert (c.d, c.n, c.tau, c.eta, c.T, c.init) == (10, 100, 7.0, 1e-3, 4000, "near")
    assert c.rho == pytest.approx(10**-1.5) and c.alpha == 1 / 800
    assert c.seeds == tuple(range(20)) and c.sampler == "projected" and c.noise == "isotropic"
    s = SLConfig()
    assert (s.T, s.beta, s.gamma) == (8000, 1 / 800, 1 / 800)
    r = SSLConfig(rng="reference")
    assert r.noise == "reference" and r.sampler == "views"


@pytest.mark.parametrize("cls,field,value", [
    (SSLConfig, "d", 1), (SSLConfig, "d", 2.5), (SSLConfig, "n", 0), (SSLConfig, "tau", 0.0),
    (SSLConfig, "tau", -1.0), (SSLConfig, "rho", -0.1), (SSLConfig, "eta", 0.0),
    (SSLConfig, "eta", -1e-3), (SSLConfig, "T", 0), (SSLConfig, "tau", math.nan),
    (SSLConfig, "rho", math.inf), (SSLConfig, "eta", math.nan), (SSLConfig, "alpha", math.inf),
    (SSLConfig, "alpha", -1.0), (SSLConfig, "init", "random"), (SSLConfig, "seeds", ()),
    (SSLConfig, "seeds", (1, 1)), (SSLConfig, "seeds", (-1,)), (SSLConfig, "rng", "fast"),
    (SSLConfig, "noise", "gaussian"), (SSLConfig, "sampler", "x"), (SSLConfig, "record_every", 0),
    (SLConfig, "beta", math.nan), (SLConfig, "gamma", -1.0), (SLConfig, "T", -5),
    (SLConfig, "d", math.inf), (SSLConfig, "tau", "7"),
])
def test_bad_values_name_the_parameter(cls, field, value):
    with pytest.raises(ValueError) as err:
        cls(**{field: value})
    assert field in str(err.value) and repr(value) in str(err.value)


def test_reference_rng_needs_explicit_views():
    with pytest.raises(ValueError, match="sampler"):
        SSLConfig(rng="reference", sampler="projected")


def test_round_trip_through_dict():
    c = SSLConfig(seeds=(3, 4), T=7, init="sign", tau=5)
    assert SSLConfig.from_dict(c.to_dict()) == c
    with pytest.raises(ValueError, match="kind"):
        SLConfig.from_dict(c.to_dict())
