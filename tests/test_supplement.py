"""The offline HTML supplement: pages and figures linked from one index, nothing fetched remotely, atomic output,
and what a reader sees in a real browser (headless Chromium; skipped where it is not installed)."""

from __future__ import annotations

import base64
import io
import re
import shutil
import subprocess
import sys
from pathlib import Path

import matplotlib
import nbformat
import pytest
from nbconvert import HTMLExporter
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from poser_lib.supplement import build, chromium, remote_fetches, render_in_chromium, title

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
REMOTE_ATTR = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", re.IGNORECASE)


def _png() -> bytes:
    fig, ax = plt.subplots(figsize=(2, 1.5), dpi=50)
    ax.plot([0, 1, 2], [0, 1, 0])
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


def _project(root: Path) -> tuple[Path, Path]:
    """A runs/ folder with two executed notebooks and a figures/ folder with one PNG."""
    runs, figures = root / "runs", root / "figures"
    runs.mkdir(parents=True)
    figures.mkdir()
    plot = new_output("display_data", data={"image/png": base64.b64encode(_png()).decode(), "text/plain": "<Figure>"})
    first = new_notebook(cells=[new_markdown_cell("Intro text.\n\n# Zoo overview\n\nMore text."),
                                new_code_cell("plot()", execution_count=1, outputs=[plot])])
    second = new_notebook(cells=[new_code_cell("print('hello')", execution_count=1,
                                               outputs=[new_output("stream", name="stdout", text="hello\n")])])
    nbformat.write(first, runs / "01_first.ipynb")
    nbformat.write(second, runs / "02_second.ipynb")
    (runs / "timings").mkdir()  # the pipeline keeps stage timings here; not a notebook
    (figures / "curve.png").write_bytes(_png())
    (figures / "README.md").write_text("not a figure\n")
    return runs, figures


@pytest.fixture()
def supplement(tmp_path: Path) -> Path:
    runs, figures = _project(tmp_path)
    return build(runs, figures, tmp_path / "supplement")


def test_index_links_every_page_and_figure(supplement: Path):
    out = supplement.parent
    index = supplement.read_text()
    assert supplement.name == "index.html"
    assert sorted(p.name for p in out.glob("*.html")) == ["01_first.html", "02_second.html", "index.html"]
    assert '<a href="01_first.html">Zoo overview</a>' in index  # the first heading, not the first line
    assert '<a href="02_second.html">02_second</a>' in index  # no heading: the file stem
    assert '<img src="figures/curve.png"' in index and "<figcaption>curve.png</figcaption>" in index
    source = supplement.parents[1] / "figures" / "curve.png"
    assert (out / "figures" / "curve.png").read_bytes() == source.read_bytes()
    assert not (out / "figures" / "README.md").exists()
    first = (out / "01_first.html").read_text()
    assert "data:image/png;base64," in first  # the notebook's plot is embedded, not linked
    assert "<title>Zoo overview</title>" in first
    assert "hello" in (out / "02_second.html").read_text()


def test_no_page_fetches_anything_remote(supplement: Path):
    for page in supplement.parent.glob("*.html"):
        text = page.read_text()
        assert not REMOTE_ATTR.search(text), f"{page.name}: {REMOTE_ATTR.search(text).group(0)}"
        assert remote_fetches(text) == [], page.name


def test_the_stock_lab_template_would_fetch_from_a_cdn(tmp_path: Path):
    """What the custom template is for: the check must see nbconvert's own CDN scripts."""
    runs, _ = _project(tmp_path)
    page, _ = HTMLExporter(template_name="lab").from_notebook_node(nbformat.read(runs / "01_first.ipynb", 4))
    assert any("require" in r for r in remote_fetches(page))
    assert any("mathjax" in r for r in remote_fetches(page))


def test_a_remote_image_in_a_notebook_fails_the_build_naming_the_page(tmp_path: Path):
    runs, figures = _project(tmp_path)
    nbformat.write(new_notebook(cells=[new_markdown_cell("# Remote\n\n![x](https://example.com/x.png)\n\n"
                                                         "[a link is fine](https://example.com)")]),
                   runs / "03_remote.ipynb")
    with pytest.raises(ValueError, match=r"03_remote\.html.*https://example\.com/x\.png"):
        build(runs, figures, tmp_path / "supplement")
    assert not (tmp_path / "supplement").exists()


def test_a_failed_build_keeps_the_previous_supplement(tmp_path: Path):
    runs, figures = _project(tmp_path)
    out = tmp_path / "supplement"
    before = build(runs, figures, out).read_text()
    (runs / "00_corrupt.ipynb").write_text("{ this is not a notebook")
    (figures / "new.png").write_bytes(_png())
    with pytest.raises(ValueError, match="00_corrupt.ipynb"):
        build(runs, figures, out)
    assert (out / "index.html").read_text() == before
    assert not (out / "figures" / "new.png").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["figures", "runs", "supplement"]  # no temp folder left


def test_a_rebuild_replaces_the_old_pages(tmp_path: Path):
    runs, figures = _project(tmp_path)
    out = tmp_path / "supplement"
    build(runs, figures, out)
    (runs / "02_second.ipynb").unlink()
    build(runs, figures, out)
    assert not (out / "02_second.html").exists()
    assert "02_second" not in (out / "index.html").read_text()


def test_no_notebooks_is_a_clear_error(tmp_path: Path):
    (tmp_path / "runs").mkdir()
    with pytest.raises(FileNotFoundError, match="no executed notebooks"):
        build(tmp_path / "runs", tmp_path / "figures", tmp_path / "supplement")


def test_title_reads_the_heading_and_the_papermill_parameters():
    nb = new_notebook(cells=[new_code_cell("x = 1"), new_markdown_cell("## 4. One strategy ##\ntext")])
    assert title(nb, "stem") == "4. One strategy"
    nb.metadata["papermill"] = {"parameters": {"strategy": "random"}}
    assert title(nb, "stem") == "4. One strategy (strategy=random)"
    assert title(new_notebook(cells=[new_markdown_cell("no heading; #not a heading")]), "stem") == "stem"
    fenced = new_markdown_cell("```python\n# a comment\n```\n\n# The heading")
    assert title(new_notebook(cells=[fenced]), "stem") == "The heading"


@pytest.mark.slow
def test_the_stage_builds_from_the_project_root_or_names_what_is_missing(tmp_path: Path):
    """`python -m poser_lib.stages.supplement` run in a project folder: an error without notebooks, then a build."""
    cmd = [sys.executable, "-m", "poser_lib.stages.supplement", "--params", str(ROOT / "params.yaml")]
    (tmp_path / "runs").mkdir()
    failed = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert failed.returncode != 0 and "no executed notebooks" in failed.stderr
    assert not (tmp_path / "supplement").exists()
    shutil.rmtree(tmp_path / "runs")  # the failed run still logged its timing there
    _project(tmp_path)
    done = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "supplement" / "index.html").exists() and (tmp_path / "supplement" / "02_second.html").exists()
    assert (tmp_path / "runs" / "timings" / "supplement.json").exists()  # read by `make bench`


needs_chromium = pytest.mark.skipif(chromium() is None, reason="headless Chromium not installed "
                                    "(apt-get install chromium); the browser checks of the supplement are skipped")


def _imgs(dom: str) -> list[str]:
    return re.findall(r"<img\b[^>]*>", dom)


@needs_chromium
def test_the_index_opens_in_chromium_with_every_figure_and_no_errors(supplement: Path):
    dom, errors = render_in_chromium(supplement)
    imgs = _imgs(dom)
    assert imgs and all('data-loaded="yes"' in img for img in imgs), imgs
    assert '<p class="missing">' not in dom
    assert errors == []
    for page in ("01_first.html", "02_second.html"):
        dom, errors = render_in_chromium(supplement.parent / page)
        assert errors == [], page
        assert "Zoo overview" in dom or page == "02_second.html"


@needs_chromium
def test_the_chromium_check_sees_a_missing_figure(supplement: Path):
    (supplement.parent / "figures" / "curve.png").unlink()
    dom, errors = render_in_chromium(supplement)
    assert 'data-loaded="no"' in _imgs(dom)[0]
    assert '<p class="missing">missing figure: figures/curve.png</p>' in dom
    assert any("Failed to load" in e and "curve.png" in e for e in errors), errors


@needs_chromium
def test_the_chromium_check_sees_a_script_error(tmp_path: Path):
    page = tmp_path / "broken.html"
    page.write_text("<!DOCTYPE html><html><body><p>x</p><script>notDefined();</script></body></html>")
    _, errors = render_in_chromium(page)
    assert any("Uncaught" in e and "notDefined" in e for e in errors), errors


def test_figures_follow_the_caption_order_and_carry_their_caption(tmp_path):
    runs, figures = tmp_path / "runs", tmp_path / "figures"
    runs.mkdir()
    figures.mkdir()
    nbformat.write(new_notebook(cells=[new_markdown_cell("# 1. One")]), runs / "a.ipynb")
    for name in ("zeta", "alpha", "beta"):
        (figures / f"{name}.png").write_bytes(_png())
    index = build(runs, figures, tmp_path / "out", {"beta": "shown first", "zeta": "then this"}).read_text()
    assert index.index("beta.png") < index.index("zeta.png") < index.index("alpha.png")
    assert "beta.png: shown first" in index
