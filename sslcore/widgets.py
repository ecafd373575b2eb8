"""Widget explorers: ipywidgets controls wired to a plain figure function.

Pattern (Neuromatch style): a chapter defines nothing but calls a plain function
``fn(**values) -> matplotlib Figure`` from ``sslcore``; the default cell calls ``fn`` once so the
static page and the notebook tests get a figure, and :func:`explorer` wraps the same ``fn`` in
sliders for readers running the notebook.
"""
from __future__ import annotations

import matplotlib.pyplot as plt


def slider(value, low, high, step, description, log=False, readout_format=None):
    """A float slider (``log=True``: logarithmic, values low..high given as numbers)."""
    import ipywidgets as w

    style = {"description_width": "initial"}
    if log:
        import math

        return w.FloatLogSlider(value=value, base=10, min=math.log10(low), max=math.log10(high),
                                step=step, description=description, continuous_update=False,
                                style=style, readout_format=readout_format or ".2e")
    return w.FloatSlider(value=value, min=low, max=high, step=step, description=description,
                         continuous_update=False, style=style,
                         readout_format=readout_format or ".3g")


def int_slider(value, low, high, step, description):
    import ipywidgets as w

    return w.IntSlider(value=value, min=low, max=high, step=step, description=description,
                       continuous_update=False, style={"description_width": "initial"})


def dropdown(options, value, description):
    import ipywidgets as w

    return w.Dropdown(options=options, value=value, description=description)


def explorer(fn, **controls):
    """Controls (name -> widget) above an output area showing ``fn(**values)``.

    The figure is redrawn whenever a control changes; returns the container widget.
    """
    import ipywidgets as w
    from IPython.display import display

    for name, control in controls.items():
        if not isinstance(control, w.ValueWidget):
            raise ValueError(f"control {name!r} must be an ipywidgets value widget, got {control!r}")
    out = w.Output()

    def redraw(_change=None):
        values = {name: c.value for name, c in controls.items()}
        with out:
            out.clear_output(wait=True)
            fig = fn(**values)
            display(fig)
            plt.close(fig)

    for control in controls.values():
        control.observe(redraw, names="value")
    redraw()
    return w.VBox([w.HBox(list(controls.values()), layout=w.Layout(flex_flow="row wrap")), out])
