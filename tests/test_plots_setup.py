"""Tests of the chapter-1 figure functions in sslcore.plots (views, sample_figure, e2_profiles)."""
import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest

from sslcore import data, plots

RHO = 10 ** -1.5


@pytest.fixture
def sample_and_views():
    D = data.sample_points(40, seed=0)
    x1, x2 = data.augment(D.x, RHO, np.random.default_rng(1))
    return D, x1, x2


def test_views_panels_are_centred_on_the_points_with_a_common_scale(sample_and_views):
    D, x1, x2 = sample_and_views
    idx = [0, 5, 30]
    axes = plots.views(D.x[idx], x1[idx], x2[idx])
    assert len(axes) == 3
    widths = set()
    for ax, i in zip(axes, idx):
        (a, b), (c, e) = ax.get_xlim(), ax.get_ylim()
        assert np.isclose((a + b) / 2, D.x[i, 0]) and np.isclose((c + e) / 2, D.x[i, 1])
        widths.add(round(b - a, 12))
        # both views of the point lie inside the zoomed window
        for xv in (x1, x2):
            assert a < xv[i, 0] < b and c < xv[i, 1] < e
    assert len(widths) == 1
    # the window is zoomed: far smaller than the cluster separation, a few rho wide
    assert list(widths)[0] < 20 * RHO
    plt.close("all")


def test_views_marks_the_overview_and_checks_shapes(sample_and_views):
    D, x1, x2 = sample_and_views
    fig, axes = plots.figure(ncols=3)
    plots.samples(D, ax=axes[0])
    n_before = len(axes[0].collections)
    plots.views(D.x[:2], x1[:2], x2[:2], axes=axes[1:], overview=axes[0], half_width=0.1)
    assert len(axes[0].collections) == n_before + 2
    assert np.isclose(np.diff(axes[1].get_xlim())[0], 0.2)
    with pytest.raises(ValueError, match="same shape"):
        plots.views(D.x[:2], x1[:3], x2[:2])
    with pytest.raises(ValueError, match="one axes per point"):
        plots.views(D.x[:3], x1[:3], x2[:3], axes=axes[1:])
    plt.close("all")


def test_views_figure_layout(sample_and_views):
    D, x1, x2 = sample_and_views
    idx = [int(np.argmax(D.c == k)) for k in range(4)]
    fig = plots.views_figure(D, x1, x2, idx, RHO, tau=7.0)
    assert isinstance(fig, matplotlib.figure.Figure)
    assert len(fig.axes) == 6 and all(ax.get_visible() for ax in fig.axes)
    assert fig.get_facecolor()[:3] == (1.0, 1.0, 1.0)
    fig3 = plots.views_figure(D, x1, x2, idx[:3], RHO)
    assert sum(ax.get_visible() for ax in fig3.axes) == 5
    with pytest.raises(ValueError):
        plots.views_figure(D, x1, x2, [], RHO)
    with pytest.raises(ValueError):
        plots.views_figure(D, x1, x2, idx, 0.0)
    plt.close("all")


def test_sample_figure_returns_a_figure_with_labelled_panels():
    fig = plots.sample_figure(tau=3.0, rho=0.1, n=60, seed=2)
    assert isinstance(fig, matplotlib.figure.Figure)
    ax, bx = fig.axes
    assert ax.get_xlabel() and ax.get_ylabel() and bx.get_xlabel() and bx.get_ylabel()
    # the histograms hold every point once
    counts = sum(p.get_height() for p in bx.patches)
    assert counts == 60
    # floats from sliders are accepted for n and seed
    plt.close(fig)
    fig = plots.sample_figure(n=20.0, seed=1.0, noise="reference")
    plt.close(fig)


def test_e2_profiles_marks_argmax_and_argmin():
    b = np.linspace(-1, 1, 21)
    axes = plots.e2_profiles(b, -(b - 0.5) ** 2, b**2)
    ssl_line = axes[0].lines[1].get_xdata()[0]
    sl_line = axes[1].lines[1].get_xdata()[0]
    assert np.isclose(ssl_line, 0.5) and np.isclose(sl_line, 0.0)
    with pytest.raises(ValueError):
        plots.e2_profiles(b, b[:-1], b)
    plt.close("all")
