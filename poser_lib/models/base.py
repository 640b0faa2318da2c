"""Build the tiny default LlamaForCausalLM, or load any local Hugging Face causal LM; save models atomically.

Nothing here downloads: a folder that is not on disk is an error, and weights are always safetensors.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, LlamaConfig, LlamaForCausalLM, PreTrainedModel, PreTrainedTokenizerBase

from ..config import TinyModelConfig
from ..io import atomic_dir, file_hash, fingerprint


def tiny_llama(cfg: TinyModelConfig, vocab_size: int, pad_id: int, eos_id: int) -> LlamaForCausalLM:
    """A freshly initialised LlamaForCausalLM of the configured size (seeded by `cfg.seed`)."""
    if cfg.hidden_size % cfg.num_heads:
        raise ValueError(f"model.tiny.hidden_size ({cfg.hidden_size}) must be divisible by num_heads "
                         f"({cfg.num_heads})")
    config = LlamaConfig(
        vocab_size=vocab_size, hidden_size=cfg.hidden_size, intermediate_size=cfg.intermediate_size,
        num_hidden_layers=cfg.num_layers, num_attention_heads=cfg.num_heads, num_key_value_heads=cfg.num_heads,
        max_position_embeddings=cfg.max_positions, tie_word_embeddings=True, pad_token_id=pad_id,
        eos_token_id=eos_id, bos_token_id=None, attn_implementation="eager",
    )
    # Eager attention is faster than CPU SDPA at this size (measured) and exposes attention weights.
    with torch.random.fork_rng():
        torch.manual_seed(cfg.seed)
        return LlamaForCausalLM(config)


def resolve_device(name: str) -> torch.device:
    """`auto` -> cuda if available, else cpu; `cuda` without a GPU is an error naming the key."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("model.device is cuda, but torch sees no CUDA GPU here")
    return torch.device(name)


ADAPTER_BASE = "base_model.json"
"""In a LoRA zoo model's folder: where its base model is, relative to that folder."""


def load_model(path: str | Path, device: str | torch.device = "cpu",
               dtype: torch.dtype | None = None) -> PreTrainedModel:
    """Load a causal LM from a local folder; raises if the folder is missing rather than reaching a hub.

    The weights keep the dtype they were saved in unless `dtype` is given. A folder holding a LoRA adapter
    (a zoo model trained with `zoo.method: lora`) is loaded onto its base and merged.
    """
    path = Path(path)
    if (path / "adapter_config.json").is_file():
        return _load_adapter(path, device, dtype)
    if not (path / "config.json").is_file():
        raise FileNotFoundError(f"{path}: no config.json; expected a local Hugging Face model folder")
    if not any(path.glob("*.safetensors")):
        raise FileNotFoundError(f"{path}: no *.safetensors weights; only safetensors are loaded (a pickled "
                                "pytorch_model.bin is never unpickled: convert it with save_pretrained first)")
    model = AutoModelForCausalLM.from_pretrained(str(path), local_files_only=True, use_safetensors=True,
                                                 dtype=dtype or "auto", attn_implementation="eager")
    return model.to(device).eval()


def _load_adapter(path: Path, device: str | torch.device, dtype: torch.dtype | None) -> PreTrainedModel:
    from peft import PeftModel  # imported here: only LoRA zoos need peft to load

    where = path / ADAPTER_BASE
    if not where.is_file():
        raise FileNotFoundError(f"{path}: a LoRA adapter without {ADAPTER_BASE}, so its base model is unknown")
    base = load_model(path / json.loads(where.read_text(encoding="utf-8"))["path"], device, dtype)
    merged = PeftModel.from_pretrained(base, str(path), is_trainable=False).merge_and_unload()
    return merged.requires_grad_(True).eval()  # as a plain folder loads: peft left the weights frozen


def weights_files_hash(path: str | Path) -> str:
    """A hash of a model folder's `*.safetensors` weights: the file's SHA-256 for a single file, else a hash over
    every shard's name and SHA-256."""
    files = sorted(Path(path).glob("*.safetensors"))
    if not files:
        raise FileNotFoundError(f"{path}: no *.safetensors weights")
    if len(files) == 1:
        return file_hash(files[0])
    return fingerprint(*[(f.name, file_hash(f)) for f in files])


def import_base(source: str | Path, dest: str | Path, weights: str, device: torch.device) -> dict:
    """Copy a local Hugging Face causal LM and its tokenizer into `dest` as the base (safetensors, `weights`
    dtype); checks that every answer is one token for its tokenizer. Returns what it imported."""
    from ..tokenizer import answer_token_ids, load_tokenizer  # the tokenizer module imports the scenarios

    source = Path(source).expanduser()
    if not source.is_dir():
        raise FileNotFoundError(f"model.base: {source} is not a folder; name `tiny` or a local Hugging Face "
                                "model folder (nothing is downloaded)")
    try:
        model = load_model(source, device, dtype=getattr(torch, weights))
        tok = load_tokenizer(source)
        answers = answer_token_ids(tok)
    except (OSError, ValueError) as e:
        raise ValueError(f"model.base: {source}: {e}") from e
    info = {"source": str(source), "architecture": type(model).__name__, "weights": weights,
            "parameters": sum(p.numel() for p in model.parameters()), "answer_tokens": answers,
            "source_weights": weights_files_hash(source)}
    save_model(model, dest, tok, extra_files={"import_log.json": json.dumps(info, indent=1)})
    return info


def save_model(model: PreTrainedModel, path: str | Path, tokenizer: PreTrainedTokenizerBase | None = None,
               extra_files: dict[str, str] | None = None, copies: dict[str, Path] | None = None) -> None:
    """Save `model` (safetensors), its tokenizer, extra text files and `copies` (name in the folder -> file to copy
    there) into folder `path`, atomically."""
    with atomic_dir(path) as tmp:
        model.save_pretrained(tmp, safe_serialization=True)
        if tokenizer is not None:
            tokenizer.save_pretrained(tmp)
        for name, text in (extra_files or {}).items():
            (tmp / name).write_text(text, encoding="utf-8")
        for name, source in (copies or {}).items():
            (tmp / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, tmp / name)


def weights_hash(model: torch.nn.Module) -> str:
    """SHA-256 over every parameter and buffer, by name: equal hashes mean bit-identical weights."""
    h = hashlib.sha256()
    for name, t in sorted(model.state_dict().items()):
        h.update(name.encode())
        h.update(t.detach().cpu().contiguous().view(torch.uint8).numpy().tobytes())
    return h.hexdigest()
