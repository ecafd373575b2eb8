"""Widget explorers: ipywidgets controls wired to a plain figure function.

Pattern (Neuromatch style): a chapter defines nothing but calls a plain function
``fn(**values) -> matplotlib Figure`` from ``sslcore``; the default cell calls ``fn`` once so the
static page and the notebook tests get a figure, and :func:`explorer` wraps the same ``fn`` in
controls.

The explorer works in two places:

* **The static website** (no kernel). At build time :func:`explorer` draws ``fn`` for every
  value of one *main* control (the others at their defaults) into PNG ``Image`` widgets in a
  ``Stack``, and links the main slider's ``index`` to the Stack's ``selected_index`` with
  ``jslink``. That link lives in the browser and is saved in the page's widget state, so moving
  the main slider on the website shows the precomputed figure for that value.
* **Jupyter** (a kernel). Every control, the main one included, redraws live: on a change the
  figure for the current values replaces the frame currently shown (the browser has already
  switched to the precomputed frame, so the reader sees that at once and then the live one).
"""
from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

try:  # ipywidgets comes with the book's requirements; the rest of sslcore works without it
    import ipywidgets as w
    _VBox = w.VBox
except ImportError:  # pragma: no cover
    w = None
    _VBox = object

#: A slider whose own grid has at most this many positions is precomputed whole when
#: ``frames`` is not given; a finer slider needs an explicit ``frames`` list.
MAX_AUTO_FRAMES = 16


def slider(value: float, low: float, high: float, step: float, description: str,
           log: bool = False, readout_format: str | None = None
           ) -> w.FloatSlider | w.FloatLogSlider:
    """A float slider (``log=True``: logarithmic, values low..high given as numbers)."""
    style = {"description_width": "initial"}
    if log:
        return w.FloatLogSlider(value=value, base=10, min=math.log10(low), max=math.log10(high),
                                step=step, description=description, continuous_update=False,
                                style=style, readout_format=readout_format or ".2e")
    return w.FloatSlider(value=value, min=low, max=high, step=step, description=description,
                         continuous_update=False, style=style,
                         readout_format=readout_format or ".3g")


def int_slider(value: int, low: int, high: int, step: int, description: str) -> w.IntSlider:
    """An integer slider."""
    return w.IntSlider(value=value, min=low, max=high, step=step, description=description,
                       continuous_update=False, style={"description_width": "initial"})


def dropdown(options: Sequence | Mapping, value: object, description: str) -> w.Dropdown:
    """A drop-down list of ``options`` (values, (label, value) pairs or label -> value)."""
    return w.Dropdown(options=options, value=value, description=description)


def _slider_grid(name, control):
    """All positions of a numeric slider (FloatSlider, FloatLogSlider, IntSlider)."""
    count = int(math.floor((control.max - control.min) / control.step + 1e-9)) + 1
    if count > MAX_AUTO_FRAMES:
        raise ValueError(f"frames: the {name!r} slider has {count} positions (more than "
                         f"{MAX_AUTO_FRAMES}); pass frames=[...] with the values of {name!r} "
                         "to precompute")
    exponents = [control.min + k * control.step for k in range(count)]
    if isinstance(control, w.FloatLogSlider):
        return [float(f"{control.base ** e:.12g}") for e in exponents]
    if isinstance(control, w.IntSlider):
        return [int(round(e)) for e in exponents]
    return [float(f"{e:.12g}") for e in exponents]


def _close(a, b):
    if isinstance(a, numbers.Real) and isinstance(b, numbers.Real) \
            and not isinstance(a, bool) and not isinstance(b, bool):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    return a == b


def _label(value, fmt):
    if isinstance(value, numbers.Real) and not isinstance(value, (bool, numbers.Integral)):
        return format(value, fmt or ".3g")
    return str(value)


def _slider_range(control: w.ValueWidget) -> tuple[float, float]:
    """(lowest, highest) value of a numeric slider (a log slider's min/max are exponents)."""
    if isinstance(control, w.FloatLogSlider):
        return control.base ** control.min, control.base ** control.max
    return control.min, control.max


def _checked_frames(name: str, control: w.ValueWidget, frames: Iterable) -> list[float]:
    """The ``frames`` given for the numeric slider ``name``: a non-empty list of finite numbers
    in its range, as int (IntSlider) or float; ValueError naming the bad one otherwise."""
    try:
        values = list(frames)
    except TypeError:
        raise ValueError(f"frames: expected a list of values of {name!r}, got {frames!r}") \
            from None
    if not values:
        raise ValueError(f"frames: empty list; give at least one value of {name!r} "
                         "to precompute")
    low, high = _slider_range(control)
    for v in values:
        if not isinstance(v, numbers.Real) or isinstance(v, bool) or not math.isfinite(v):
            raise ValueError(f"frames: {v!r} is not a finite number (values of {name!r})")
        if not (low * (1 - 1e-9) - 1e-12 <= v <= high * (1 + 1e-9) + 1e-12):
            raise ValueError(f"frames: {v!r} is outside the {name!r} slider's range "
                             f"[{low:.4g}, {high:.4g}]")
    kind = int if isinstance(control, w.IntSlider) else float
    return [kind(v) for v in values]


def _sorted_with(values: Iterable, value: object) -> list:
    """``values`` without near-duplicates, plus ``value`` if missing, sorted."""
    unique = []
    for v in [*values, value]:
        if not any(_close(v, u) for u in unique):
            unique.append(v)
    return sorted(unique)


def _main_selection(name: str, control: w.ValueWidget, frames: Iterable | None
                    ) -> tuple[w.ValueWidget, list]:
    """The main control as a selection widget (with an integer ``index``) and its values.

    A selection widget (Dropdown, SelectionSlider, ...) is used as it is; a numeric slider
    becomes a ``SelectionSlider`` over ``frames`` (default: the slider's own positions),
    keeping its description, style and readout format. The control's current value is
    always one of the frames (added in order if missing).
    """
    from ipywidgets.widgets.widget_selection import _Selection

    if isinstance(control, _Selection):
        if frames is not None:
            raise ValueError(f"frames: the main control {name!r} is a selection widget; its "
                             "options are the frames, so do not pass frames")
        values = [v for _, v in control._options_full]
        if not values:
            raise ValueError(f"frames: the main control {name!r} has no options")
        return control, values
    if not isinstance(control, (w.FloatSlider, w.FloatLogSlider, w.IntSlider)):
        raise ValueError(f"main: control {name!r} must be a numeric slider or a selection "
                         f"widget to be precomputed, got {type(control).__name__}")
    values = _slider_grid(name, control) if frames is None else \
        _checked_frames(name, control, frames)
    values = _sorted_with(values, control.value)
    default = next(i for i, v in enumerate(values) if _close(control.value, v))
    fmt = None if isinstance(control, w.IntSlider) else getattr(control, "readout_format", None)
    selection = w.SelectionSlider(
        options=[(_label(v, fmt), v) for v in values], index=default,
        description=control.description, continuous_update=False,
        style={"description_width": "initial"}, layout=control.layout)
    control.style.close()   # the replaced slider would otherwise stay in the page's widget state
    control.close()
    return selection, values


def _in_ipython():
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover
        return False
    return get_ipython() is not None


def _frame_png(fn: Callable[..., Figure | None], values: Mapping[str, Any]) -> bytes:
    """PNG of ``fn(**values)``; if training diverges there (``training.DivergenceError``), of a
    figure showing the error's message instead."""
    from . import plots
    from .training import DivergenceError

    before = set(plt.get_fignums())
    try:
        fig = fn(**values)
    except DivergenceError as exc:
        for num in set(plt.get_fignums()) - before:  # a figure fn had started
            plt.close(num)
        fig = plots.message_figure(str(exc))
    fig = fig if fig is not None else plt.gcf()
    try:
        return plots.png_bytes(fig)
    finally:
        plt.close(fig)


def explorer(fn: Callable[..., Figure | None], main: str | None = None,
             frames: Iterable | None = None, **controls: w.ValueWidget) -> Explorer:
    """Controls (name -> widget) above a figure ``fn(**values)`` that also works without kernel.

    ``main`` names the control that changes the figure on the static website: the figure is
    precomputed for each of its ``frames`` values (the other controls at their current values)
    as a PNG ``Image`` in a ``Stack``, and its slider's ``index`` is ``jslink``-ed to the
    Stack's ``selected_index``. A numeric slider becomes a ``SelectionSlider`` over ``frames``
    (default: the slider's own positions, if at most ``MAX_AUTO_FRAMES``); its current value is
    always a frame. A selection widget (e.g. a Dropdown) is used as it is, its options being the
    frames. With a single control ``main`` may be omitted. In a kernel every control redraws
    live into the frame shown. ``main`` and ``frames`` cannot be control names. A frame whose
    ``fn`` raises ``training.DivergenceError`` shows the error's message instead of a plot.

    Returns an :class:`Explorer` (a ``VBox``).
    """
    if not controls:
        raise ValueError("explorer: give at least one control, e.g. tau=widgets.slider(...)")
    for name, control in controls.items():
        if not isinstance(control, w.ValueWidget):
            raise ValueError(f"control {name!r} must be an ipywidgets value widget, got "
                             f"{control!r}")
    if main is None:
        if len(controls) > 1:
            raise ValueError(f"main: name the control precomputed for the static page, one of "
                             f"{tuple(controls)}")
        main = next(iter(controls))
    if main not in controls:
        raise ValueError(f"main: {main!r} is not one of the controls {tuple(controls)}")
    return Explorer(fn, main, frames, controls)


class Explorer(_VBox):
    """The explorer widget: note, controls, the Stack of frames and an error area.

    Attributes: ``controls`` (name -> widget, the main one replaced by its selection
    widget), ``main`` (its name), ``main_control``, ``frames`` (the main values),
    ``images`` (one ``Image`` per frame), ``stack``, ``link`` (the ``jslink``),
    ``note`` (the ``HTML`` line, or None with a single control), ``out`` (errors of live
    updates), ``update()`` (redraw the shown frame for the current values).
    """

    def __init__(self, fn: Callable[..., Figure | None], main: str, frames: Iterable | None,
                 controls: Mapping[str, w.ValueWidget]) -> None:
        selection, values = _main_selection(main, controls[main], frames)
        controls = {name: (selection if name == main else c) for name, c in controls.items()}
        defaults = {name: c.value for name, c in controls.items()}
        images, shown = [], []
        for v in values:
            kw = dict(defaults, **{main: v})
            # scaled down to the column on narrow screens; no margin, which would overflow it
            images.append(w.Image(value=_frame_png(fn, kw), format="png",
                                  layout=w.Layout(max_width="100%", height="auto", margin="0")))
            shown.append(kw)
        stack = w.Stack(images, selected_index=selection.index)
        link = w.jslink((selection, "index"), (stack, "selected_index"))
        out = w.Output()
        children = []
        note = None
        if len(controls) > 1:
            others = ", ".join(c.description or n for n, c in controls.items() if n != main)
            note = w.HTML(
                f"<small><i>On the website only the <b>{selection.description or main}</b> "
                f"slider changes the figure ({len(values)} precomputed values); run the "
                f"notebook in Jupyter for the others ({others}).</i></small>")
            children.append(note)
        children += [w.HBox(list(controls.values()), layout=w.Layout(flex_flow="row wrap")),
                     stack, out]
        super().__init__(children)
        self.fn, self.main, self.main_control = fn, main, selection
        self.controls, self.frames, self.images = controls, values, images
        self.stack, self.link, self.note, self.out = stack, link, note, out
        self._shown = shown
        for control in controls.values():
            control.observe(self.update, names="value")

    def update(self, _change: Mapping[str, Any] | None = None) -> None:
        """Redraw the frame of the main control's current value for the current values.

        The browser's link has already switched the Stack; set it here too (a kernel
        without a browser has no link). A frame already showing these values is kept.
        """
        i = self.main_control.index
        if i is None:
            return
        self.stack.selected_index = i
        values = {name: c.value for name, c in self.controls.items()}
        if all(_close(values[k], self._shown[i][k]) for k in values):
            return
        with self.out:
            if _in_ipython():
                self.out.clear_output(wait=True)  # a previous error's traceback
            self.images[i].value = _frame_png(self.fn, values)
            self._shown[i] = values
