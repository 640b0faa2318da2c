"""`python -m poser_lib.notebook ARGS`: papermill's own command line, started without a grammar it never uses.

Importing nbformat imports jsonschema, which imports `rfc3987_syntax` to check the `iri` string format; that
module builds a Lark parser as it is imported, 0.7 s of CPU in every process (python-jsonschema/jsonschema#1428).
nbformat's notebook schemas use no `iri` format (`tests/test_notebook_runner.py` checks), so a notebook is
validated the same without it. The pipeline runs 15 notebooks, so the smoke profile saved about 13 s of CPU.
Everything else is papermill's CLI: `python -m poser_lib.notebook --help` prints its options.
"""

from __future__ import annotations

import sys


def skip_iri_grammar() -> None:
    """Make `import rfc3987_syntax` fail in this process, so jsonschema leaves the `iri` format unchecked.

    Call it before anything imports jsonschema (nbformat, papermill, nbconvert); afterwards it changes nothing.
    """
    sys.modules.setdefault("rfc3987_syntax", None)  # None in sys.modules: the import raises ImportError


def main(argv: list[str] | None = None) -> None:
    skip_iri_grammar()
    from papermill.cli import papermill

    papermill.main(args=argv, prog_name="papermill")


if __name__ == "__main__":
    main()
