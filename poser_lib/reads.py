"""Answer log-probabilities one stage read, kept so that a later stage does not read a prompt again.

The behaviour stage reads every zoo model on its policy's held-out prompts, a superset of the benchmark
candidates of its combinations (1,038-1,073 prompts against 540 per model on the default), so the benchmark
stage takes its scores from here and reads only what is missing. Each model's reads carry a key (its weights'
hash, the matrix-product dtype and the device kind) and are used only while that key still holds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import torch

from .benchmark import prompt_id
from .io import fingerprint, read_json, write_json
from .models.base import weights_files_hash
from .models.precision import resolve_dtype
from .scenarios.records import Record


def read_key(model_dir: str | Path, dtype: str, device: torch.device | str) -> str:
    """What a model's answer log-probabilities depend on: its weights, the dtype it reads in, the device kind."""
    return fingerprint(weights_files_hash(model_dir), resolve_dtype(dtype, device), torch.device(device).type)


def save_reads(path: str | Path, reads: Mapping[str, tuple[Sequence[Record], np.ndarray, Sequence[str]]],
               keys: Mapping[str, str]) -> None:
    """Write each model's (records, log-probabilities, answer names) under its key, by prompt id, atomically.

    JSON keeps every float32 exactly (each is written as the float64 it widens to)."""
    write_json(path, {name: {"key": keys[name], "answers": list(answers),
                             "logprobs": {prompt_id(r.prompt): row for r, row in zip(records, lp.tolist())}}
                      for name, (records, lp, answers) in reads.items()}, indent=None)


def load_reads(path: str | Path, keys: Mapping[str, str]) -> dict[str, tuple[list[str], dict[str, list[float]]]]:
    """(answer names, log-probabilities by prompt id) of each model in `keys` whose reads in `path` have its key;
    models without reads there, or with reads of other weights or settings, are left out."""
    path = Path(path)
    if not path.exists():
        return {}
    saved = read_json(path)
    if not isinstance(saved, dict):
        raise TypeError(f"{path}: expected an object of models, found {type(saved).__name__}")
    out = {}
    for name, key in keys.items():
        entry = saved.get(name)
        if isinstance(entry, dict) and entry.get("key") == key:
            try:
                out[name] = (list(entry["answers"]), dict(entry["logprobs"]))
            except (KeyError, TypeError) as e:
                raise ValueError(f"{path}: model {name!r}: malformed reads ({e!r})") from None
    return out
