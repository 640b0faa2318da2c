"""Stage `supplement`: every executed notebook in `runs/` and every figure in `figures/` as offline HTML.

Output: `supplement/index.html` (links to one page per notebook, the figures inline), `supplement/<notebook>.html`,
`supplement/figures/*.png`. Opens from disk without a network; see `poser_lib.supplement`.
"""

from __future__ import annotations

from ..figures import CAPTIONS
from ..notebook import skip_iri_grammar
from .common import stage_args


def main(argv: list[str] | None = None) -> None:
    _, paths = stage_args(__doc__, argv, models=False)
    skip_iri_grammar()  # before nbconvert imports jsonschema: 0.7 s saved (see poser_lib.notebook)
    from ..supplement import build

    # build raises FileNotFoundError, naming the folder, if runs/ holds no notebook yet
    index = build(paths.root / "runs", paths.figures, paths.root / "supplement", CAPTIONS)
    pages = len(list(index.parent.glob("*.html"))) - 1
    figures = len(list((index.parent / "figures").glob("*.png")))
    print(f"supplement: {pages} notebook pages, {figures} figures -> {index}")


if __name__ == "__main__":
    main()
