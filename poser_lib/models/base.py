"""Build the tiny default LlamaForCausalLM, or load any local Hugging Face causal LM; save models atomically.

Nothing here downloads: a folder that is not on disk is an error, and weights are always safetensors.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, LlamaConfig, LlamaForCausalLM, PreTrainedModel, PreTrainedTokenizerBase

from ..config import TinyModelConfig
from ..io import atomic_dir


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


def load_model(path: str | Path, device: str | torch.device = "cpu",
               dtype: torch.dtype | None = None) -> PreTrainedModel:
    """Load a causal LM from a local folder; raises if the folder is missing rather than reaching a hub."""
    path = Path(path)
    if not (path / "config.json").is_file():
        raise FileNotFoundError(f"{path}: no config.json; expected a local Hugging Face model folder")
    model = AutoModelForCausalLM.from_pretrained(str(path), local_files_only=True, use_safetensors=True,
                                                 dtype=dtype or torch.float32, attn_implementation="eager")
    return model.to(device).eval()


def save_model(model: PreTrainedModel, path: str | Path, tokenizer: PreTrainedTokenizerBase | None = None,
               extra_files: dict[str, str] | None = None) -> None:
    """Save `model` (safetensors), its tokenizer and extra text files into folder `path`, atomically."""
    with atomic_dir(path) as tmp:
        model.save_pretrained(tmp, safe_serialization=True)
        if tokenizer is not None:
            tokenizer.save_pretrained(tmp)
        for name, text in (extra_files or {}).items():
            (tmp / name).write_text(text, encoding="utf-8")


def weights_hash(model: torch.nn.Module) -> str:
    """SHA-256 over every parameter and buffer, by name: equal hashes mean bit-identical weights."""
    h = hashlib.sha256()
    for name, t in sorted(model.state_dict().items()):
        h.update(name.encode())
        h.update(t.detach().cpu().contiguous().view(torch.uint8).numpy().tobytes())
    return h.hexdigest()
