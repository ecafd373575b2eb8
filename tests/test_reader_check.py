"""Pure parts of the reader's-eye check (scripts/reader_check.py), without a browser."""
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from sslcore import plots  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
import reader_check  # noqa: E402


def _fig(fontsize):
    fig, ax = plt.subplots(figsize=(4, 3), dpi=100)
    ax.set_title("t", fontsize=fontsize)
    ax.tick_params(labelsize=fontsize)
    ax.xaxis.label.set_size(fontsize)
    return fig


def test_png_bytes_records_the_smallest_text():
    fig = _fig(8)
    fig.axes[0].set_xlabel("x", fontsize=12)
    px, how = reader_check.figure_text_px(plots.png_bytes(fig))
    assert how == "recorded" and abs(px - 8 * 100 / 72) < 0.01
    plt.close(fig)


def test_hidden_text_does_not_count():
    fig = _fig(10)
    ax2 = fig.add_axes([0.1, 0.1, 0.2, 0.2])
    ax2.set_title("tiny", fontsize=4)
    ax2.set_visible(False)
    assert abs(plots.min_text_px(fig) - 10 * 100 / 72) < 1e-9
    plt.close(fig)


def test_png_without_record_is_estimated_from_its_dpi():
    import io

    fig = _fig(10)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=200)
    px, how = reader_check.figure_text_px(buf.getvalue())
    assert how.startswith("estimated") and abs(px - 10 * 200 / 72) < 0.1
    assert reader_check.figure_text_px(b"GIF89a...") == (None, "unknown")
    plt.close(fig)


def test_swallowed_prose_is_told_from_math():
    assert reader_check.swallowed_prose(r" with fresh views at every step, ")
    assert reader_check.swallowed_prose(r"x$ and $y")
    for tex in (r"\Psi_{\text{neuron}}(w) = g(a, b)", r"\begin{pmatrix} a & b \end{pmatrix}",
                r"\operatorname{softplus}(h_\mu) - \mathrm{span}(w_1, w_2)", r"\sigma(Wx)"):
        assert not reader_check.swallowed_prose(tex), tex


def test_links_dead_placeholder_and_file_as_host(tmp_path):
    (tmp_path / "a.html").write_text('<h2 id="there">x</h2>')
    rep = reader_check.PageReport("a.html", 1280)
    o = "http://127.0.0.1:1"
    links = [{"href": f"{o}/a.html#there", "text": "ok"}, {"href": f"{o}/a.html#gone", "text": "x"},
             {"href": f"{o}/nope.html", "text": "y"}, {"href": "http://paper.md/", "text": "z"},
             {"href": "https://github.com/example/ssl-learnability-book", "text": "r"},
             {"href": "https://arxiv.org/abs/2401.03214", "text": "fine"}]
    reader_check.check_links(rep, links, tmp_path, o, "a.html")
    details = " ".join(p.detail for p in rep.problems)
    assert len(rep.problems) == 4
    assert "#gone" in details and "nope.html" in details and "paper.md" in details
    assert "example/ssl-learnability-book" in details
