"""Resumable training checkpoints: weights and AdamW state as safetensors, the rest as JSON, written atomically.

Nothing is ever unpickled: optimizer state is flattened to named tensors (`state.<i>.<key>`) and rebuilt.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

from ..io import atomic_dir, atomic_path


def _weights(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """Every weight as its own contiguous tensor: safetensors refuses tensors that share memory (tied embeddings)."""
    return {k: v.detach().contiguous().clone() for k, v in model.state_dict().items()}


def _flatten_optimizer(state_dict: dict) -> tuple[dict[str, torch.Tensor], list]:
    tensors = {}
    for idx, entry in state_dict["state"].items():
        for key, value in entry.items():
            tensors[f"state.{idx}.{key}"] = value if torch.is_tensor(value) else torch.tensor(value)
    return tensors, state_dict["param_groups"]


def _unflatten_optimizer(tensors: dict[str, torch.Tensor], groups: list) -> dict:
    state: dict[int, dict] = {}
    for name, value in tensors.items():
        _, idx, key = name.split(".", 2)
        state.setdefault(int(idx), {})[key] = value
    return {"state": state, "param_groups": groups}


def save_checkpoint(path: str | Path, model: torch.nn.Module, optimizer: torch.optim.Optimizer,
                    meta: dict) -> None:
    """Write `model` weights, `optimizer` state and `meta` (JSON) into folder `path`, replacing it atomically."""
    with atomic_dir(path) as tmp:
        save_file(_weights(model), str(tmp / "model.safetensors"))
        tensors, groups = _flatten_optimizer(optimizer.state_dict())
        save_file(tensors, str(tmp / "optimizer.safetensors"))
        (tmp / "meta.json").write_text(json.dumps({**meta, "param_groups": groups}), encoding="utf-8")


def checkpoint_meta(path: str | Path) -> dict | None:
    """The JSON part of a complete checkpoint in `path`, or None if there is none."""
    path = Path(path)
    if not all((path / n).is_file() for n in ("model.safetensors", "optimizer.safetensors", "meta.json")):
        return None
    return json.loads((path / "meta.json").read_text(encoding="utf-8"))


def load_checkpoint(path: str | Path, model: torch.nn.Module, fingerprint: str) -> tuple[dict, dict] | None:
    """If `path` holds a complete checkpoint of the run `fingerprint`, load its weights into `model` and return
    (optimizer state dict, meta); otherwise leave `model` alone and return None."""
    meta = checkpoint_meta(path)
    if meta is None or meta.get("fingerprint") != fingerprint:
        return None
    path = Path(path)
    model.load_state_dict(load_file(str(path / "model.safetensors")))
    return _unflatten_optimizer(load_file(str(path / "optimizer.safetensors")), meta.pop("param_groups")), meta


SNAPSHOT_KEY = "poser_snapshot"
"""The snapshot's metadata key: JSON of its run's fingerprint and step (before 2026-11-29, two keys)."""


def save_snapshot(path: str | Path, model: torch.nn.Module, fingerprint: str, step: int) -> None:
    """Write `model`'s weights at `step` of the run `fingerprint` to the file `path` (safetensors), atomically."""
    with atomic_path(path) as tmp:
        # One metadata key: safetensors writes the metadata map in hash order, which varies from call to call,
        # so two keys made the same weights give files of different bytes (and DVC hashes).
        save_file(_weights(model), str(tmp), metadata={SNAPSHOT_KEY: json.dumps({"fingerprint": fingerprint,
                                                                               "step": step}, sort_keys=True)})


def snapshot_step(path: str | Path, fingerprint: str | None = None) -> int | None:
    """The step a snapshot file holds, or None where it belongs to another run than `fingerprint` (if given)."""
    with safe_open(str(path), framework="pt") as f:
        meta = f.metadata() or {}
    if SNAPSHOT_KEY in meta:
        meta = json.loads(meta[SNAPSHOT_KEY])
    if "step" not in meta or (fingerprint is not None and meta.get("fingerprint") != fingerprint):
        return None
    return int(meta["step"])
