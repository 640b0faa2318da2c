"""Malloc keeping freed memory (`stages.common.keep_freed_memory`, set by every model stage) changes where blocks
live, never a result: training from the same start gives the same bits with glibc's defaults and with it."""

import platform
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# In a fresh interpreter: malloc settings are process-wide and cannot be undone, so the default run comes first.
# Batches of 32 x 250 tokens make logits of 38 MB, over the 32 MB above which glibc maps blocks by default.
SCRIPT = """
import hashlib, torch
from poser_lib.config import TinyModelConfig
from poser_lib.bench import synthetic_sequences
from poser_lib.models.base import tiny_llama
from poser_lib.models.pretrain import lm_loss
from poser_lib.stages.common import keep_freed_memory

def train():
    model = tiny_llama(TinyModelConfig(hidden_size=32, num_layers=1, num_heads=2, intermediate_size=64), 1200, 0, 1)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    seqs = synthetic_sequences(64, 240, 250, 1200)
    for i in range(2):
        loss, _, _ = lm_loss(model, [(s, [False] * len(s)) for s in seqs[32 * i:32 * (i + 1)]], 0, "float32")
        opt.zero_grad(); loss.backward(); opt.step()
    return hashlib.sha256(b"".join(p.detach().numpy().tobytes() for p in model.parameters())).hexdigest()

default = train()
print(keep_freed_memory(), default == train(), default)
"""


@pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="glibc only")
def test_keeping_freed_memory_changes_no_bit_of_training():
    out = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, check=True)
    applied, same, _ = out.stdout.split()
    assert applied == "True"  # mallopt accepted every setting
    assert same == "True"
