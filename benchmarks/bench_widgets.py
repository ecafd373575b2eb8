"""Time one update of each chapter's widget explorer (the book issue asks for under 1 s).

    .venv/bin/python benchmarks/bench_widgets.py [--repeat 2]

A widget update calls the plain function behind the explorer and draws its figure; this runs
that function at the default and at the extreme slider values of each chapter, rendering the
figure to PNG (as the notebook does), and prints the slowest call per widget.

It also builds each chapter's explorer as the book build does (``widgets.explorer`` with the
chapter's ``main`` control and ``frames``: one precomputed PNG per frame for the static page)
and prints the build time and the frames' size; the page embeds them as base64 (~4/3 of it).
"""
import argparse
import io
import time

import matplotlib.pyplot as plt

from sslcore import comparison, convergence, ift_figures, plots, widgets
from sslcore.config import RHO

# (name, function, settings): the sliders' defaults and extremes in chapters/*.ipynb
WIDGETS = [
    ("ch1 sample", plots.sample_figure,
     [dict(tau=7.0, rho=RHO, n=100, seed=0), dict(tau=12.0, rho=3.0, n=2000, seed=19),
      dict(tau=0.5, rho=0.01, n=20, seed=0)]),
    ("ch2 learning curves", convergence.learning_curve_figure,
     [dict(eta=1e-3, T=2000, init="near"), dict(eta=5e-3, T=2000, init="sign"),
      dict(eta=2e-4, T=200, init="near")]),
    ("ch3 IFT explorer", ift_figures.ift_explorer,
     [dict(rho=RHO, tau=7.0), dict(rho=0.3, tau=12.0), dict(rho=0.002, tau=2.0)]),
    ("ch4 SSL vs SL live", comparison.live_figure,
     [dict(tau=7.0, rho=RHO, alpha=1 / 800), dict(tau=12.0, rho=1.0, alpha=1e-2),
      dict(tau=0.5, rho=0.003, alpha=1e-4)]),
]


# (name, function, main control, frames, controls): the explorer cells of chapters/*.ipynb
EXPLORERS = [
    ("ch1 sample", plots.sample_figure, "tau", [0.5, 1, 1.5, 2, 3, 4, 5, 7, 9, 12],
     lambda: dict(tau=widgets.slider(7.0, 0.5, 12.0, 0.5, "tau"),
                  rho=widgets.slider(RHO, 0.01, 3.0, 0.05, "rho", log=True),
                  n=widgets.int_slider(100, 20, 2000, 20, "n"),
                  seed=widgets.int_slider(0, 0, 19, 1, "seed"))),
    ("ch2 learning curves", convergence.learning_curve_figure, "eta",
     [2e-4, 3e-4, 5e-4, 7e-4, 1e-3, 1.5e-3, 2e-3, 3e-3, 5e-3],
     lambda: dict(eta=widgets.slider(1e-3, 2e-4, 5e-3, 0.05, "step size eta", log=True),
                  T=widgets.int_slider(2000, 200, 2000, 200, "steps T"),
                  init=widgets.dropdown(["near", "sign"], "near", "init"))),
    ("ch3 IFT explorer", ift_figures.ift_explorer, "rho",
     [0.002, 0.005, 0.01, 0.02, RHO, 0.04, 0.05, 0.07, 0.1, 0.2, 0.3],
     lambda: dict(rho=widgets.slider(RHO, 0.002, 0.3, 0.05, "rho", log=True),
                  tau=widgets.slider(7.0, 2.0, 12.0, 0.5, "tau"))),
    ("ch4 SSL vs SL live", comparison.live_figure, "tau", [0.5, 1, 2, 3, 4, 5, 7, 9, 12],
     lambda: dict(tau=widgets.slider(7.0, 0.5, 12.0, 0.5, "tau"),
                  rho=widgets.slider(RHO, 0.003, 1.0, 0.05, "rho", log=True),
                  alpha=widgets.slider(1 / 800, 1e-4, 1e-2, 0.05, "alpha", log=True))),
]


def build_explorer(fn, main, frames, controls):
    """Seconds to build the explorer (all frames) and the frames' PNG bytes."""
    start = time.perf_counter()
    ex = widgets.explorer(fn, main=main, frames=frames, **controls())
    elapsed = time.perf_counter() - start
    size = sum(len(image.value) for image in ex.images)
    return elapsed, len(ex.frames), size


def one_update(fn, kwargs):
    start = time.perf_counter()
    fig = fn(**kwargs)
    fig = fig if fig is not None else plt.gcf()
    fig.savefig(io.BytesIO(), format="png")
    elapsed = time.perf_counter() - start
    plt.close("all")
    return elapsed


def main():
    plt.switch_backend("Agg")   # figures are rendered to PNG bytes, never shown
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--repeat", type=int, default=2)
    args = p.parse_args()
    for name, fn, settings in WIDGETS:
        one_update(fn, settings[0])                     # warm-up (imports, first allocation)
        worst = max(min(one_update(fn, s) for _ in range(args.repeat)) for s in settings)
        print(f"{name:22s} slowest update {worst:.2f} s  ({'ok' if worst < 1 else 'OVER 1 s'})")
    plots.use_style()                                   # the notebooks' style (figure dpi)
    for name, fn, main, frames, controls in EXPLORERS:
        elapsed, count, size = build_explorer(fn, main, frames, controls)
        print(f"{name:22s} static page: {count} frames of {main} in {elapsed:.1f} s, "
              f"{size / 1e3:.0f} KB PNG (~{4 / 3 * size / 1e3:.0f} KB in the page)")


if __name__ == "__main__":
    main()
