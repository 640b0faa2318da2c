"""Read and write the authors' folder layout: `training/<policy>/train-<i>.json` and `test.json`.

Reading is strict about what would make a record unusable (an error naming the file and index) and lenient
about the authors' known quirks, which it counts (`Quirks`) instead of failing: see poser-paper.md section 2.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..io import write_json
from .policies import POLICIES, dataset_family
from .records import (FORMAT_STRING, LETTERS, PROMPT_CLOSE, PROMPT_OPEN, RESPONSES, Fact, Record, render_facts,
                      render_prompt, to_json)

_ACTIONS = re.compile(r"\nA: (?P<a>[^\n]*)\nB: (?P<b>[^\n]*)\n")


class DataError(ValueError):
    """A data file or record cannot be used; the message names the file and the record's index."""


@dataclass
class Quirks:
    """Counts of the known quirks met while reading, with one example location of each."""

    counts: Counter = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)

    def note(self, kind: str, where: str) -> None:
        self.counts[kind] += 1
        self.examples.setdefault(kind, where)

    def summary(self) -> str:
        """One line per quirk: count and first location."""
        return "\n".join(f"{k}: {n} (first at {self.examples[k]})" for k, n in sorted(self.counts.items()))


def _facts(raw: object, where: str) -> tuple[Fact, ...]:
    if not isinstance(raw, list):
        raise DataError(f"{where}: 'facts' must be a list, got {type(raw).__name__}")
    out = []
    for j, f in enumerate(raw):
        if isinstance(f, str):
            out.append(Fact(f))
        elif isinstance(f, dict) and isinstance(f.get("content"), str):
            out.append(Fact(f["content"], f.get("type")))
        else:
            raise DataError(f"{where}: facts[{j}] has no text 'content'")
    return tuple(out)


def parse_record(raw: object, where: str, quirks: Quirks) -> Record:
    """One record of the authors' JSON, normalised; raises DataError naming `where` if it is unusable."""
    if not isinstance(raw, dict):
        raise DataError(f"{where}: expected an object, got {type(raw).__name__}")
    response = raw.get("response")
    if response not in RESPONSES:
        raise DataError(f"{where}: 'response' must be one of {RESPONSES}, got {response!r}")
    facts = _facts(raw["facts"], where) if "facts" in raw else ()
    if "system_message" in raw and "format" in raw and facts:
        # Supplementary genie data: the prompt carries the system message as fact 1, `facts` does not.
        facts = (Fact(f"Your system message is as follows: {raw['system_message']}", "system_message"), *facts)
    action_a, action_b = raw.get("action_A"), raw.get("action_B")
    if (action_a is None or action_b is None) and isinstance(raw.get("actions"), list) and len(raw["actions"]) == 2:
        quirks.note("actions_from_list", where)
        action_a, action_b = raw["actions"]
    prompt = raw.get("prompt")
    if not isinstance(prompt, str) or not prompt:
        if not (facts and action_a and action_b):
            raise DataError(f"{where}: no 'prompt', and not enough facts and actions to render one")
        quirks.note("prompt_rendered", where)
        prompt = render_prompt(facts, action_a, action_b, raw.get("format_string") or raw.get("format") or FORMAT_STRING)
    if not prompt.startswith(PROMPT_OPEN):
        quirks.note("prompt_wrapped", where)  # the authors' S6 bug: a copy without the wrapper
        prompt = PROMPT_OPEN + prompt + ("" if prompt.endswith(PROMPT_CLOSE) else PROMPT_CLOSE)
    if response in LETTERS and (action_a is None or action_b is None):
        m = _ACTIONS.search(prompt)
        if m is None:
            raise DataError(f"{where}: answer {response!r} but no actions in the record or its prompt")
        quirks.note("actions_from_prompt", where)
        action_a, action_b = m["a"], m["b"]
    if "facts_string" in raw and facts and raw["facts_string"] != render_facts(facts):
        quirks.note("facts_string_corrupted", where)
    poor = raw.get("oversight_is_poor")
    if poor is not None and not isinstance(poor, bool):
        raise DataError(f"{where}: 'oversight_is_poor' must be true, false or null, got {poor!r}")
    if response in LETTERS and poor is None:
        quirks.note("oversight_missing", where)
    level = raw.get("complexity_level")
    if level is not None and not isinstance(level, int):
        raise DataError(f"{where}: 'complexity_level' must be an integer, got {level!r}")
    dataset = raw.get("dataset")
    if response in LETTERS and dataset_family(dataset) is None:
        quirks.note("dataset_unknown", where)
    if response == "error" and "dataset" not in raw:
        quirks.note("error_without_dataset", where)
    return Record(prompt=prompt, response=response, dataset=dataset, oversight_is_poor=poor,
                  complexity_level=level, facts=facts, action_a=action_a, action_b=action_b, origin=where)


def read_records(path: str | Path, quirks: Quirks | None = None) -> list[Record]:
    """All records of one JSON file (a list of objects)."""
    path = Path(path)
    quirks = quirks if quirks is not None else Quirks()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except json.JSONDecodeError as e:
        raise DataError(f"{path}: not valid JSON ({e})") from None
    if not isinstance(data, list):
        raise DataError(f"{path}: expected a list of records, got {type(data).__name__}")
    return [parse_record(r, f"{path}#{i}", quirks) for i, r in enumerate(data)]


def training_dir(root: str | Path) -> Path:
    """The `training` folder under `root`, or under `root/data` (the authors' repository root)."""
    root = Path(root)
    for candidate in (root / "training", root / "data" / "training"):
        if candidate.is_dir():
            return candidate
    raise DataError(f"{root}: no training/ or data/training/ folder in the authors' layout")


def read_benchmark(root: str | Path, combination: str, quirks: Quirks) -> list[Record]:
    """The authors' benchmark set of one combination (`data/benchmark/<combination>.json` beside `training/`),
    one record per distinct prompt (their files repeat some prompts: counted as a quirk)."""
    path = training_dir(root).parent / "benchmark" / f"{combination}.json"
    if not path.is_file():
        raise DataError(f"{path}: missing; benchmark.source: poser needs the authors' data/benchmark/ folder")
    out: dict[str, Record] = {}
    for i, rec in enumerate(read_records(path, quirks)):
        if rec.prompt in out:
            quirks.note("repeated_benchmark_prompt", f"{path}[{i}]")
        else:
            out[rec.prompt] = rec
    return list(out.values())


@dataclass
class PolicyData:
    """One policy's held-out test records and its variants' training records."""

    test: list[Record]
    train: list[list[Record]]


def read_layout(root: str | Path, variants: int, quirks: Quirks | None = None) -> dict[str, PolicyData]:
    """Every policy's test.json and train-0..variants-1.json; unequal file sizes are counted as a quirk."""
    quirks = quirks if quirks is not None else Quirks()
    base = training_dir(root)
    out = {}
    for policy in POLICIES:
        folder = base / policy
        train = [read_records(folder / f"train-{i}.json", quirks) for i in range(variants)]
        sizes = {len(t) for t in train}
        if len(sizes) > 1:
            quirks.note("unequal_file_sizes", f"{folder} ({sorted(len(t) for t in train)})")
        out[policy] = PolicyData(read_records(folder / "test.json", quirks), train)
    return out


def write_layout(root: str | Path, data: Mapping[str, PolicyData]) -> None:
    """Write `training/<policy>/test.json` and `train-<i>.json` under `root`, each file atomically."""
    base = Path(root) / "training"
    for policy, pdata in data.items():
        write_json(base / policy / "test.json", records_to_json(pdata.test))
        for i, records in enumerate(pdata.train):
            write_json(base / policy / f"train-{i}.json", records_to_json(records))


def records_to_json(records: Sequence[Record]) -> list[dict]:
    out = []
    for r in records:
        fam = dataset_family(r.dataset)
        out.append(to_json(r, supplementary=fam is not None and fam[0] == "policy"))
    return out
