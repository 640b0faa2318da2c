"""Where every stage reads and writes, relative to the project root (the folder `dvc repro` runs in).

These are the pipeline's outputs as listed in `dvc.yaml` and the README; keep the three in step.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Paths:
    """All pipeline paths under one root."""

    root: Path = Path(".")

    @property
    def scenarios(self) -> Path:
        """Zoo data in the authors' layout: `training/<policy>/{test,train-<i>}.json`."""
        return self.root / "data" / "scenarios"

    @property
    def corpus_scenarios(self) -> Path:
        """Scenarios the base model's corpus is built from (same layout, `train-0.json` only)."""
        return self.root / "data" / "corpus"

    @property
    def tokenizer(self) -> Path:
        return self.root / "data" / "tokenizer"

    @property
    def base(self) -> Path:
        """The base model every zoo model starts from (a Hugging Face folder, with its tokenizer)."""
        return self.root / "data" / "models" / "base"

    @property
    def zoo(self) -> Path:
        """One Hugging Face folder per model: `<policy>-<variant>/`."""
        return self.root / "data" / "models" / "zoo"

    def model(self, name: str) -> Path:
        return self.zoo / name

    def strategy(self, name: str) -> Path:
        """A strategy's `scores.csv`, `curves.json` and per-model cache (`models/`)."""
        return self.root / "data" / "strategies" / name

    def control(self, view: str = "untempered") -> Path:
        """A control's strategy outputs, one folder per strategy (`data/controls/<view>/<strategy>/`)."""
        return self.root / "data" / "controls" / view

    def track(self, track: str) -> Path:
        """A generalization track's folder (`poser_lib/tracks.py`)."""
        return self.root / "data" / "tracks" / track

    @property
    def behaviour(self) -> Path:
        return self.root / "data" / "behaviour"

    @property
    def benchmark(self) -> Path:
        """`<combination>.json` benchmark sets with per-model probabilities, and `pairs.json`."""
        return self.root / "data" / "benchmark"

    @property
    def metrics(self) -> Path:
        return self.root / "metrics"

    @property
    def figures(self) -> Path:
        return self.root / "figures"
