"""Which dtype the matrix products run in: `model.dtype: auto` takes bfloat16 only where the hardware computes it.

On a CPU without bfloat16 matrix instructions (AMX or AVX512-BF16) oneDNN emulates bfloat16, and a bf16
product runs at a third of the float32 speed or less (`make bench` on an AVX-512 Xeon without them: 49.8
against 168.3 GFLOP/s); with them it runs at several times the float32 speed. `auto` therefore trains in
bfloat16 there and on a CUDA GPU that supports it, and in float32 everywhere else. Weights differ in their
last bits between the two, so the resolved dtype is part of every zoo model's fingerprint and train log.
"""

from __future__ import annotations

from functools import cache

import torch


@cache
def cpu_has_native_bf16() -> bool:
    """True if this CPU has bfloat16 matrix instructions (Intel AMX tiles or AVX512-BF16)."""
    checks = ("_is_amx_tile_supported", "_is_avx512_bf16_supported")  # torch.cpu's own ISA probes (x86 only)
    return any(getattr(torch.cpu, name, lambda: False)() for name in checks)


def resolve_dtype(name: str, device: torch.device | str = "cpu") -> str:
    """`bfloat16` or `float32`: `name` itself, or for `auto` what the device computes fastest."""
    if name != "auto":
        return name
    kind = torch.device(device).type
    if kind == "cuda":
        return "bfloat16" if torch.cuda.is_bf16_supported() else "float32"
    return "bfloat16" if kind == "cpu" and cpu_has_native_bf16() else "float32"
