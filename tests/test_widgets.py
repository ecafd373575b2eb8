"""Tests of sslcore.widgets.explorer: precomputed frames for the static page, the client-side
link that switches them, live updates in a kernel, and clear errors for bad input."""
import io

import ipywidgets as w
import matplotlib.pyplot as plt
import pytest
from ipywidgets.embed import embed_data
from ipywidgets.widgets.widget_link import Link
from PIL import Image as PILImage

from sslcore import plots, widgets

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


class Toy:
    """A cheap figure function that records its calls."""

    def __init__(self):
        self.calls = []

    def __call__(self, a=1.0, b=2, kind="x"):
        self.calls.append(dict(a=a, b=b, kind=kind))
        fig, (ax,) = plots.figure(width=2.0, height=1.5)
        ax.plot([0, 1], [0, a * b])
        ax.set_title(f"a={a:.3g} b={b} {kind}")
        return fig


def controls():
    return dict(a=widgets.slider(1.0, 0.5, 3.0, 0.5, "alpha a"),
                b=widgets.int_slider(2, 1, 5, 1, "b"),
                kind=widgets.dropdown(["x", "y"], "x", "kind"))


def make(frames=(0.5, 1.0, 2.0, 3.0), **kw):
    fn = Toy()
    ex = widgets.explorer(fn, main="a", frames=frames, **controls(), **kw)
    return fn, ex


def shown(ex):
    return ex.stack.children[ex.stack.selected_index]


def test_one_png_frame_per_value_with_the_other_controls_at_their_defaults():
    fn, ex = make()
    assert ex.frames == [0.5, 1.0, 2.0, 3.0]
    assert fn.calls == [dict(a=a, b=2, kind="x") for a in ex.frames]
    assert isinstance(ex.stack, w.Stack) and list(ex.stack.children) == ex.images
    assert ex.stack in ex.children
    for image in ex.images:
        assert isinstance(image, w.Image) and image.format == "png"
        assert image.layout.max_width == "100%" and image.layout.margin == "0"   # fits the column
        assert bytes(image.value).startswith(PNG_MAGIC)
        info = PILImage.open(io.BytesIO(bytes(image.value))).info      # written by plots.png_bytes
        assert float(info[plots.TEXT_SIZE_KEY]) > 0
    assert len({bytes(image.value) for image in ex.images}) == 4      # each frame its own figure
    assert ex.stack.selected_index == ex.main_control.index == 1   # the default a = 1.0
    assert plt.get_fignums() == []                             # every figure closed


def test_main_slider_is_a_selection_slider_jslinked_index_to_selected_index():
    _, ex = make()
    s = ex.main_control
    assert isinstance(s, w.SelectionSlider)
    assert s.description == "alpha a" and not s.continuous_update
    assert [label for label, _ in s.options] == ["0.5", "1", "2", "3"]
    assert ex.controls["a"] is s and s in ex.children[1].children
    link = ex.link
    assert type(link) is Link and link._model_name == "LinkModel"   # jslink, two-way
    assert link.source == (s, "index") and link.target == (ex.stack, "selected_index")
    # the link is a widget model of its own, so the page's embedded state carries it
    state = embed_data(views=[ex])["manager_state"]["state"]
    assert state[link.model_id]["model_name"] == "LinkModel"
    saved = state[link.model_id]["state"]
    assert saved["source"] == [f"IPY_MODEL_{s.model_id}", "index"]
    assert saved["target"] == [f"IPY_MODEL_{ex.stack.model_id}", "selected_index"]


def test_a_note_names_the_only_control_that_works_on_the_website():
    _, ex = make()
    assert isinstance(ex.note, w.HTML) and ex.children[0] is ex.note
    assert "only the <b>alpha a</b> slider" in ex.note.value
    assert "4 precomputed" in ex.note.value and "b, kind" in ex.note.value
    single = widgets.explorer(Toy(), a=widgets.slider(1.0, 0.5, 1.5, 0.5, "a"))
    assert single.note is None and single.main == "a" and single.frames == [0.5, 1.0, 1.5]


def test_changing_a_non_main_control_redraws_the_shown_frame_only():
    fn, ex = make()
    before = [bytes(image.value) for image in ex.images]
    ex.controls["b"].value = 5
    assert fn.calls[-1] == dict(a=1.0, b=5, kind="x")
    assert shown(ex) is ex.images[1] and bytes(ex.images[1].value) != before[1]
    assert [bytes(image.value) for image in ex.images if image is not ex.images[1]] == \
        [v for i, v in enumerate(before) if i != 1]
    ex.controls["kind"].value = "y"
    assert fn.calls[-1] == dict(a=1.0, b=5, kind="y")
    assert plt.get_fignums() == []


def test_moving_the_main_slider_in_a_kernel_switches_and_redraws_live():
    fn, ex = make()
    n = len(fn.calls)
    ex.main_control.value = 3.0          # other controls at defaults: the precomputed frame
    assert ex.stack.selected_index == 3 and len(fn.calls) == n
    ex.controls["b"].value = 4
    ex.main_control.value = 0.5          # now the frame is stale: redrawn for the current values
    assert ex.stack.selected_index == 0 and fn.calls[-1] == dict(a=0.5, b=4, kind="x")
    ex.controls["b"].value = 2
    ex.main_control.index = 3            # the browser moves the index; the value follows
    assert ex.stack.selected_index == 3 and fn.calls[-1] == dict(a=3.0, b=2, kind="x")
    n = len(fn.calls)
    ex.main_control.index = 0            # frame 0 already shows (0.5, 2, "x"): kept
    assert ex.stack.selected_index == 0 and len(fn.calls) == n


def test_frames_default_to_a_small_sliders_own_grid_and_include_the_default():
    fn = Toy()
    ex = widgets.explorer(fn, main="b", b=widgets.int_slider(2, 1, 5, 1, "b"),
                          a=widgets.slider(1.0, 0.5, 3.0, 0.5, "a"))
    assert ex.frames == [1, 2, 3, 4, 5] and ex.main_control.value == 2
    log = widgets.explorer(Toy(), main="a", a=widgets.slider(1.0, 0.1, 10.0, 0.5, "a", log=True))
    assert log.frames == pytest.approx([0.1, 10 ** -0.5, 1.0, 10 ** 0.5, 10.0])
    assert [label for label, _ in log.main_control.options][:2] == ["1.00e-01", "3.16e-01"]
    _, ex = make(frames=[0.5, 3.0, 2.0, 2.0])            # unsorted, repeated, default missing
    assert ex.frames == [0.5, 1.0, 2.0, 3.0] and ex.stack.selected_index == 1


def test_a_dropdown_can_be_the_main_control():
    fn = Toy()
    ex = widgets.explorer(fn, main="kind", **controls())
    assert ex.frames == ["x", "y"] and ex.main_control is ex.controls["kind"]
    assert ex.link.source == (ex.controls["kind"], "index")
    with pytest.raises(ValueError, match="frames"):
        widgets.explorer(fn, main="kind", frames=["x"], **controls())


@pytest.mark.parametrize("kw, match", [
    (dict(main="tau", frames=[1.0]),
     r"main: 'tau' is not one of the controls \('a', 'b', 'kind'\)"),
    (dict(frames=[1.0]), r"main: name the control"),
    (dict(main="a", frames=[]), r"frames: empty list; give at least one value of 'a'"),
    (dict(main="a", frames=[1.0, 7.0]), r"frames: 7.0 is outside the 'a' slider's range"),
    (dict(main="a", frames=[1.0, "big"]), r"frames: 'big' is not a finite number"),
    (dict(main="a", frames=1.0), r"frames: expected a list of values of 'a'"),
])
def test_bad_input_names_the_parameter(kw, match):
    with pytest.raises(ValueError, match=match):
        widgets.explorer(Toy(), **kw, **controls())


def test_bad_controls_and_too_fine_sliders_are_rejected():
    with pytest.raises(ValueError, match="frames: the 'a' slider has 24 positions"):
        widgets.explorer(Toy(), main="a", a=widgets.slider(1.0, 0.5, 12.0, 0.5, "a"))
    with pytest.raises(ValueError, match="control 'a' must be an ipywidgets value widget"):
        widgets.explorer(Toy(), main="a", a=1.0)
    with pytest.raises(ValueError, match="main: control 'c' must be a numeric slider"):
        widgets.explorer(Toy(), main="c", c=w.Checkbox(value=True))
    with pytest.raises(ValueError, match="at least one control"):
        widgets.explorer(Toy())
