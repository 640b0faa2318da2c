"""The README and `docs/` stay navigable: local links and anchors resolve, and every section that the code, the
params or a notebook cites exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]*)\)")


def anchor(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", path.read_text(), flags=re.DOTALL)  # a `# comment` in a code block is no heading
    return {anchor(m.group(1)) for m in re.finditer(r"^#{1,6} (.+)$", text, flags=re.MULTILINE)}


def test_anchor_follows_github():
    assert anchor("A recipe that closes it on one base: `zoo.margin_weight`") == \
        "a-recipe-that-closes-it-on-one-base-zoomargin_weight"
    assert anchor("A shorter base: the default zoo on 1,250 pretraining steps") == \
        "a-shorter-base-the-default-zoo-on-1250-pretraining-steps"


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_local_links_resolve(doc):
    broken = []
    for target in LINK.findall(doc.read_text()):
        if re.match(r"[a-z]+:", target):  # http:, https:, mailto:
            continue
        file, _, frag = target.partition("#")
        dest = (doc.parent / file).resolve() if file else doc
        if not dest.exists():
            broken.append(f"{target}: no file {dest.relative_to(ROOT) if dest.is_relative_to(ROOT) else dest}")
        elif frag and dest.suffix == ".md" and frag not in anchors(dest):
            broken.append(f"{target}: no heading with that anchor in {dest.name}")
    assert not broken, f"{doc.name}: " + "; ".join(broken)


def test_sections_the_code_cites_exist():
    readme = " ".join((ROOT / "README.md").read_text().split())
    cited = set()
    sources = [*(ROOT / "poser_lib").rglob("*.py"), *ROOT.glob("params*.yaml"), *(ROOT / "notebooks").glob("*.ipynb"),
               ROOT / "Makefile"]
    for path in sources:
        for m in re.finditer(r"README[,:]?\s+([\"'])([^\"']{3,100})\1", path.read_text()):
            cited.add((path.relative_to(ROOT).as_posix(), " ".join(m.group(2).split())))
    assert len(cited) >= 5  # the pattern still finds the citations
    missing = [(f, title) for f, title in sorted(cited)
               if not any(form + title in readme for form in ("# ", "**", '["'))]
    assert not missing, f"sections cited in the code but not in the README (heading, bold title or link): {missing}"
