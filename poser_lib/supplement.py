"""The offline HTML supplement: every executed notebook in `runs/` as a page, every figure, one index.

Everything is local: the notebook pages use a copy of nbconvert's lab template without its CDN scripts, output
images are embedded as base64, and the figures are copied beside the index. `render_in_chromium` opens a page in
headless Chromium and reports what a reader would see (the DOM after load) and the page's errors.

    build(Path("runs"), Path("figures"), Path("supplement"))
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote

import nbformat
from nbconvert import HTMLExporter

from .io import atomic_dir

TEMPLATE = Path(__file__).resolve().parent / "supplement_template" / "supplement.html.j2"

# Attributes whose URL the browser fetches on its own when the page opens (an `<a href>` is only followed on a click).
_FETCHED = {"src", "srcset", "data", "poster", "background"}
_LINKING = {"href", "xlink:href"}
_REMOTE = re.compile(r"^\s*(?:https?:)?//", re.IGNORECASE)
_CSS_REMOTE = re.compile(r"(?:@import\s+|url\(\s*)[\"']?\s*(?:https?:)?//", re.IGNORECASE)
_JS_REMOTE = re.compile(r"import\s*\(\s*[\"'`](?:https?:)?//", re.IGNORECASE)

# Marks every image as loaded or not once the page is in, and names what failed to load on the console:
# a broken figure is then visible to a reader, in the DOM (`data-loaded`) and on Chromium's stderr.
_CHECK_SCRIPT = """<script>
window.addEventListener("error", function (e) {
  var t = e.target;
  if (t && t !== window && (t.src || t.href)) console.error("Failed to load " + (t.src || t.href));
}, true);
window.addEventListener("load", function () {
  document.querySelectorAll("img").forEach(function (img) {
    var ok = img.complete && img.naturalWidth > 0;
    img.setAttribute("data-loaded", ok ? "yes" : "no");
    if (!ok) {
      var note = document.createElement("p");
      note.className = "missing";
      note.textContent = "missing figure: " + img.getAttribute("src");
      img.insertAdjacentElement("afterend", note);
    }
  });
});
</script>"""

_STYLE = """<style>
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
li { margin: 0.3rem 0; }
code { color: #666; }
figure { margin: 1.5rem 0; }
figure img { max-width: 100%; border: 1px solid #ddd; }
figcaption { font-family: monospace; color: #444; }
.missing { color: #c00; font-weight: bold; }
</style>"""

# Chromium's stderr is mostly noise from a machine without dbus or a GPU; the page's own errors are console lines
# (`INFO:CONSOLE:1] "Uncaught ..."`, or `CONSOLE(1)` in older builds) and network failures.
_CONSOLE = re.compile(r":CONSOLE[:(\]]")
_CONSOLE_ERROR = re.compile(r"Uncaught|Failed to load|ERR_FILE_NOT_FOUND|net::ERR_")
_NET_ERROR = re.compile(r"net::ERR_|ERR_FILE_NOT_FOUND")


class _RemoteFinder(HTMLParser):
    """Collects every URL a page would fetch from another host when opened."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            fetched = name in _FETCHED or (name in _LINKING and tag not in ("a", "area"))
            urls = [u.split()[0] for u in value.split(",") if u.strip()] if name == "srcset" else [value]
            if fetched and any(_REMOTE.match(u) for u in urls):
                self.found.append(f"<{tag} {name}={value!r}>")
            if name == "style" and _CSS_REMOTE.search(value):
                self.found.append(f"<{tag} style={value!r}>")
        self._in = tag if tag in ("script", "style") else None

    def handle_endtag(self, tag: str) -> None:
        self._in = None

    def handle_data(self, data: str) -> None:
        if self._in == "style" and _CSS_REMOTE.search(data):
            self.found.append(f"<style> {_CSS_REMOTE.search(data).group(0)}...")
        if self._in == "script" and _JS_REMOTE.search(data):
            self.found.append(f"<script> {_JS_REMOTE.search(data).group(0)}...")


def remote_fetches(page: str) -> list[str]:
    """The remote scripts, stylesheets, images and imports an HTML page would fetch when opened."""
    finder = _RemoteFinder()
    finder.feed(page)
    finder.close()
    return finder.found


def title(nb: nbformat.NotebookNode, stem: str) -> str:
    """The notebook's first markdown heading (else `stem`), with the papermill parameters it was run with."""
    heading = stem
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        # A `# comment` inside a fenced code block is not a heading.
        text = re.sub(r"^ {0,3}(```|~~~).*?^ {0,3}\1", "", cell.source, flags=re.MULTILINE | re.DOTALL)
        match = re.search(r"^ {0,3}#{1,6}[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$", text, re.MULTILINE)
        if match:
            heading = match.group(1)
            break
    # One template runs once per strategy: without its parameters, nine entries would read alike.
    params = nb.metadata.get("papermill", {}).get("parameters") or {}
    if params:
        heading += " (" + ", ".join(f"{k}={v}" for k, v in params.items()) + ")"
    return heading


def _exporter() -> HTMLExporter:
    """nbconvert's lab exporter with the offline template; markdown images embedded too."""
    return HTMLExporter(template_name="lab", template_file=str(TEMPLATE), embed_images=True)


def render_notebook(path: Path, exporter: HTMLExporter) -> tuple[str, str]:
    """(title, HTML page) of one notebook; errors name the file."""
    try:
        nb = nbformat.read(path, as_version=4)
        name = title(nb, path.stem)
        page, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": name, "path": str(path.parent)}})
    except Exception as e:
        raise ValueError(f"{path}: cannot render it as HTML ({type(e).__name__}: {e})") from e
    return name, page


def index_page(pages: list[tuple[str, str]], figures: list[str],
               captions: Mapping[str, str] | None = None) -> str:
    """The index: a link per (file, title) page and every figure, captioned with its file name and, where
    `captions` has its stem, a line saying what it shows."""
    captions = captions or {}
    items = "\n".join(f'<li><a href="{quote(file)}">{html.escape(name)}</a> <code>{html.escape(file)}</code></li>'
                      for file, name in pages)
    figs = "\n".join(f'<figure><img src="figures/{quote(f)}" alt="{html.escape(f)}">'
                     f"<figcaption>{html.escape(f)}"
                     f"{': ' + html.escape(captions[Path(f).stem]) if Path(f).stem in captions else ''}"
                     f"</figcaption></figure>" for f in figures)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Poser rebuilt: supplement</title>
{_STYLE}
{_CHECK_SCRIPT}
</head>
<body>
<h1>Poser rebuilt: supplement</h1>
<h2>Notebooks</h2>
<ul>
{items}
</ul>
<h2>Figures</h2>
{figs or "<p>No figures.</p>"}
</body>
</html>
"""


def build(runs: Path, figures: Path, out: Path, captions: Mapping[str, str] | None = None) -> Path:
    """Render `runs/*.ipynb` and copy `figures/*.png` into `out/` with an `index.html`; returns the index.

    Pages are listed by title (the notebooks' headings are numbered); figures in the order of `captions`, then
    any others by name."""
    notebooks = sorted(Path(runs).glob("*.ipynb"))
    if not notebooks:
        raise FileNotFoundError(f"{Path(runs).resolve()}: no executed notebooks (*.ipynb) to put in the "
                                f"supplement; run the notebook stages first (dvc repro)")
    if any(nb.stem == "index" for nb in notebooks):
        raise ValueError(f"{runs}/index.ipynb: its page would overwrite the supplement's index.html; rename it")
    order = list(captions or {})
    pngs = sorted(Path(figures).glob("*.png") if Path(figures).is_dir() else [],
                  key=lambda p: (order.index(p.stem) if p.stem in order else len(order), p.name))
    exporter = _exporter()
    # Rendered beside `out` and swapped in at the end: an interrupted or failed build leaves the old supplement.
    with atomic_dir(out) as tmp:
        os.chmod(tmp, 0o755)  # mkdtemp makes it owner-only; the supplement is meant to be served and shared
        pages = []
        for nb in notebooks:
            name, page = render_notebook(nb, exporter)
            (tmp / f"{nb.stem}.html").write_text(page, encoding="utf-8")
            pages.append((f"{nb.stem}.html", name))
        (tmp / "figures").mkdir()
        for png in pngs:
            shutil.copy2(png, tmp / "figures" / png.name)
        pages.sort(key=lambda fp: (fp[1], fp[0]))
        (tmp / "index.html").write_text(index_page(pages, [p.name for p in pngs], captions), encoding="utf-8")
        for page in sorted(tmp.glob("*.html")):
            remote = remote_fetches(page.read_text(encoding="utf-8"))
            if remote:
                raise ValueError(f"{page.name}: the supplement must open offline, but the page fetches "
                                 f"{len(remote)} remote URL(s), e.g. {remote[0]}")
    return Path(out) / "index.html"


def chromium() -> str | None:
    """The Chromium binary on PATH, if any."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


def render_in_chromium(page: Path, timeout: float = 60.0) -> tuple[str, list[str]]:
    """(DOM after load, the page's error lines on stderr) of `page` opened in headless Chromium."""
    binary = chromium()
    if binary is None:
        raise FileNotFoundError("chromium not found on PATH (Debian/Ubuntu: apt-get install chromium)")
    # A throwaway profile: parallel runs do not fight over one profile lock, and nothing is left in ~/.config.
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        # --no-sandbox: Chromium refuses to start its sandbox as root (containers, CI).
        cmd = [binary, "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={profile}",
               "--virtual-time-budget=5000", "--enable-logging=stderr", "--v=0", "--dump-dom",
               Path(page).resolve().as_uri()]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"chromium exited with {done.returncode} on {page}:\n{done.stderr[-2000:]}")
    errors = [line for line in done.stderr.splitlines()
              if _NET_ERROR.search(line) or (_CONSOLE.search(line) and _CONSOLE_ERROR.search(line))]
    return done.stdout, errors
