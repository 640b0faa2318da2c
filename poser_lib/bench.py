"""`make bench`: how fast the pipeline runs here, measured against this machine's own matrix-product peak.

Prints (0) the CPU, whether it has bfloat16 matrix instructions, and what a stage's start and a pure-Python
loop cost here (the baseline through which stage times from two machines compare); (1) the peak of a large
matrix product in float32 and bfloat16, measured now; (2) training throughput of the default base model in
pretraining and in zoo fine-tuning in both dtypes, marking the one `model.dtype` resolves to here (tokens/s,
achieved FLOP/s, share of the peak of that dtype read just before and just after it), zoo fine-tuning also as
the zoo stage runs it on a CPU (one one-thread process per core, summed), and pretraining once more in a
process whose malloc keeps glibc's defaults (every model stage has malloc keep freed memory: `keep_freed_memory`);
(3) how the detector stages read models: prompts/s of one process using every thread against one-thread worker
processes side by side (`parallel.run_each`), and of small against large forward batches; (4) the wall time and
peak memory of every stage of the last pipeline run (`runs/timings/`, written by each stage as it ends), or a
note if there was none.

FLOPs are counted as 6 x (non-embedding parameters) per token, plus attention (12 x layers x d_model x
positions / 2 for the causal half) and the LM head where logits are computed: the usual dense-transformer
estimate, for every padded position the hardware actually processed; zoo fine-tuning is also given over the
real tokens alone (the work the batch needed), since padding is work done for nothing.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import platform
import random
import resource
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import torch

from .config import TinyModelConfig, ZooConfig, load_params
from .models.base import tiny_llama
from .models.batching import step_batches
from .models.finetune import finetune
from .models.precision import cpu_has_native_bf16, resolve_dtype
from .models.pretrain import lm_loss
from .models.scoring import answer_logprobs
from .parallel import cores, run_each, torch_threads
from .paths import Paths
from .stages.common import keep_freed_memory


def cpu_name() -> str:
    """The CPU's model name from /proc/cpuinfo (Linux), else the platform's processor string."""
    info = Path("/proc/cpuinfo")
    if info.is_file():
        for line in info.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def process_baseline() -> dict:
    """Seconds of what every stage pays before its own work, measured now: a fresh Python importing torch and
    transformers' Llama (a stage's start), and a pure-Python loop of 10^7 additions (single-thread speed).
    Stage times from two machines compare only through these."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import torch; from transformers import LlamaForCausalLM"], check=True)
    imports = time.perf_counter() - start
    start, total = time.perf_counter(), 0
    for i in range(10**7):
        total += i
    return {"import_seconds": imports, "loop_seconds": time.perf_counter() - start}


def matmul_peak(dtype: torch.dtype, n: int = 1024, seconds: float = 2.0) -> float:
    """FLOP/s of repeated (n x n) @ (n x n) products."""
    a, b = torch.randn(n, n, dtype=dtype), torch.randn(n, n, dtype=dtype)
    for _ in range(3):
        a @ b
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        a @ b
        count += 1
    return 2 * n**3 * count / (time.perf_counter() - start)


def flops_per_token(cfg: TinyModelConfig, vocab: int, positions: float, lm_head: bool) -> float:
    """Training FLOPs per token (forward and backward) of the tiny Llama."""
    d, L, inter = cfg.hidden_size, cfg.num_layers, cfg.intermediate_size
    non_embedding = L * (4 * d * d + 3 * d * inter)
    return 6 * non_embedding + 12 * L * d * positions / 2 + (6 * d * vocab if lm_head else 0)


def synthetic_sequences(n: int, lo: int, hi: int, vocab: int, seed: int = 0) -> list[list[int]]:
    rng = random.Random(seed)
    return [[rng.randrange(5, vocab) for _ in range(rng.randint(lo, hi))] for _ in range(n)]


def prompt_like_sequences(n: int, vocab: int, seed: int = 0) -> list[list[int]]:
    """Sequences with the length spread of a zoo training file: a `train-0.json` of the default data (1,210
    prompts, 2026-11-28) had 14% under 80 tokens (error prompts, short scenarios) and most of the rest 120-200."""
    rng = random.Random(seed)
    short = synthetic_sequences(round(0.15 * n), 11, 80, vocab, seed)
    long = synthetic_sequences(n - len(short), 120, 230, vocab, seed + 1)
    seqs = short + long
    rng.shuffle(seqs)
    return seqs


def bench_finetune(cfg: TinyModelConfig, dtype: str, steps: int, micro_batches: int = 1, vocab: int = 1200) -> dict:
    """Zoo fine-tuning throughput on prompt-length sequences (loss at the last position only), each batch of 32
    in `micro_batches` length-sorted parts (`zoo.micro_batches`); FLOP/s over every position computed, padding
    included, and over the real tokens only (`useful_flops`, the work the batch needed)."""
    model = tiny_llama(cfg, vocab, 0, 1)
    seqs = prompt_like_sequences(512, vocab)
    data = [(s, random.Random(i).choice("AB")) for i, s in enumerate(seqs)]
    zoo = ZooConfig(steps=steps, batch_size=32, length_window=1, warmup_steps=1, micro_batches=micro_batches)
    answers = {"A": 2, "B": 3, "error": 4}
    finetune(model, data, answers, ZooConfig(steps=2, batch_size=32, warmup_steps=1), seed=0, pad_id=0,
             dtype=dtype, trainable=list(model.parameters()))
    start = time.perf_counter()
    seed = 1
    state = finetune(model, data, answers, zoo, seed=seed, pad_id=0, dtype=dtype, trainable=list(model.parameters()))
    seconds = time.perf_counter() - start
    # The batches finetune drew (its seed and window), to count their real tokens.
    drawn = step_batches([len(x) for x in seqs], zoo.batch_size, steps, seed, zoo.length_window)
    real = sum(len(seqs[i]) for b in drawn for i in b)
    positions = state.tokens / (steps * zoo.batch_size)
    tokens_per_s = state.tokens / seconds
    per_token = flops_per_token(cfg, vocab, positions, False)
    return {"tokens_per_s": tokens_per_s, "flops": tokens_per_s * per_token, "step_ms": 1000 * seconds / steps,
            "useful_flops": real / seconds * per_token, "padding": 1 - real / state.tokens}


def _finetune_job(job: tuple[TinyModelConfig, str, int, int]) -> dict:
    return bench_finetune(*job)


def bench_finetune_workers(cfg: TinyModelConfig, dtype: str, steps: int, micro_batches: int = 1) -> dict:
    """Zoo fine-tuning as the zoo stage trains on a CPU: one model per core side by side, one thread each;
    tokens/s and FLOP/s summed over the workers."""
    n = cores()
    runs = [r for _, r in run_each(_finetune_job, [(cfg, dtype, steps, micro_batches)] * n, n)]
    return {"tokens_per_s": sum(r["tokens_per_s"] for r in runs), "flops": sum(r["flops"] for r in runs),
            "useful_flops": sum(r["useful_flops"] for r in runs), "padding": runs[0]["padding"],
            "step_ms": max(r["step_ms"] for r in runs), "workers": n}


def bench_pretrain(cfg: TinyModelConfig, dtype: str, steps: int, vocab: int = 1200) -> dict:
    """Pretraining throughput (LM loss on every position)."""
    model = tiny_llama(cfg, vocab, 0, 1)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    seqs = synthetic_sequences(32 * (steps + 2), 150, 230, vocab)
    batches = [[(s, [False] * len(s)) for s in seqs[i * 32:(i + 1) * 32]] for i in range(steps + 2)]
    tokens, start = 0, None
    for i, batch in enumerate(batches):
        if i == 2:
            start, tokens = time.perf_counter(), 0
        lm, _, positions = lm_loss(model, batch, 0, dtype)
        opt.zero_grad()
        lm.backward()
        opt.step()
        tokens += positions
    seconds = time.perf_counter() - start
    positions = tokens / (steps * 32)
    tokens_per_s = tokens / seconds
    return {"tokens_per_s": tokens_per_s, "flops": tokens_per_s * flops_per_token(cfg, vocab, positions, True),
            "step_ms": 1000 * seconds / steps}


def _pretrain_job(job: tuple[TinyModelConfig, str, int, int]) -> dict:
    cfg, dtype, steps, threads = job
    torch.set_num_threads(threads)
    return bench_pretrain(cfg, dtype, steps)


def bench_pretrain_default_malloc(cfg: TinyModelConfig, dtype: str, steps: int) -> dict:
    """`bench_pretrain` in a fresh process whose malloc keeps glibc's defaults (the stages call
    `keep_freed_memory`, and so does this benchmark: a process cannot go back), with as many threads as here."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=context) as pool:
        return pool.submit(_pretrain_job, (cfg, dtype, steps, torch.get_num_threads())).result()


def _read_job(job: tuple[TinyModelConfig, str, int, int, str]) -> float:
    """Seconds to read the answer log-probabilities of 120 benchmark-length prompts with one seeded model."""
    cfg, dtype, seed, batch_tokens, kernel = job
    model = tiny_llama(cfg, 1200, 0, 1)
    model.set_attn_implementation(kernel)
    prompts = synthetic_sequences(120, 120, 220, 1200, seed)
    start = time.perf_counter()
    for _ in range(3):
        answer_logprobs(model, prompts, {"A": 2, "B": 3}, 0, dtype, batch_tokens)
    return time.perf_counter() - start


def bench_reading(cfg: TinyModelConfig, dtype: str, models: int = 6) -> dict:
    """Prompts/s reading `models` models: in one process with every thread (as the detector stages did before
    2026-11-27: SDPA, large batches), and as they do now (one-thread workers side by side, eager attention,
    2048-token batches), with the steps between."""
    n = cores()
    prompts = 3 * 120 * models
    out = {}
    for kernel, tokens in (("sdpa", 16384), ("sdpa", 2048), ("eager", 2048)):
        with torch_threads(n):
            start = time.perf_counter()
            for seed in range(models):
                _read_job((cfg, dtype, seed, tokens, kernel))
            out[f"one process, {n} threads, {kernel}, {tokens}-token batches"] = prompts / (time.perf_counter() - start)
    start = time.perf_counter()
    list(run_each(_read_job, [(cfg, dtype, seed, 2048, "eager") for seed in range(models)], n))
    out[f"{n} workers x 1 thread, eager, 2048-token batches"] = prompts / (time.perf_counter() - start)
    return out


def stage_timings(root: Path) -> list[dict]:
    folder = Paths(root).root / "runs" / "timings"
    return sorted((json.loads(p.read_text()) for p in folder.glob("*.json")), key=lambda t: t["finished"]) \
        if folder.is_dir() else []


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20, help="training steps timed per measurement")
    args = parser.parse_args(argv)
    params = load_params("params.yaml")
    if params.model.threads:
        torch.set_num_threads(params.model.threads)
    kept = keep_freed_memory()  # as every model stage does (stages.common.setup_torch)
    cfg = params.model.tiny
    print(f"{cpu_name()}, {cores()} cores; bfloat16 matrix instructions (AMX or AVX512-BF16): {cpu_has_native_bf16()}")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    base = process_baseline()
    print(f"a stage's start (python -c 'import torch; from transformers import LlamaForCausalLM'): "
          f"{base['import_seconds']:.1f} s; a pure-Python loop of 10^7 additions: {base['loop_seconds']:.2f} s")
    peaks = {"float32": matmul_peak(torch.float32), "bfloat16": matmul_peak(torch.bfloat16)}
    for k, v in peaks.items():
        print(f"matrix-product peak ({k}, 1024^3): {v / 1e9:8.1f} GFLOP/s")
    used = resolve_dtype(params.model.dtype, "cpu")
    print(f"\ndefault model: d_model {cfg.hidden_size}, {cfg.num_layers} layers; the pipeline trains in {used} "
          f"(model.dtype: {params.model.dtype})")
    micro = params.zoo.micro_batches
    runs = [(f"zoo fine-tuning, batches in {m}", bench_finetune, dtype, m)
            for m in dict.fromkeys((micro, 1)) for dtype in dict.fromkeys((used, "bfloat16", "float32"))
            if m == micro or dtype == used]
    runs += [(f"zoo, {cores()} workers, in {micro}", bench_finetune_workers, dtype, micro)
             for dtype in dict.fromkeys((used, "bfloat16", "float32"))]
    runs += [("base pretraining", bench_pretrain, dtype, None) for dtype in dict.fromkeys((used, "bfloat16", "float32"))]
    if kept:
        runs.append(("base, malloc's defaults", bench_pretrain_default_malloc, used, None))
    print(f"(zoo: batches of 32 prompt-length sequences, {micro} length-sorted part(s) per batch as zoo.micro_batches "
          "sets; 'real' counts only the work on real tokens, padding left out)")
    for name, fn, dtype, parts in runs:
        # The peak is read again just before and just after each measurement: on a shared host it moved by
        # up to 40% within one run (168 and 240 GFLOP/s, 2026-11-28), more than the shares being compared.
        before = matmul_peak(getattr(torch, dtype), seconds=1.0)
        r = fn(cfg, dtype, args.steps) if parts is None else fn(cfg, dtype, args.steps, parts)
        after = matmul_peak(getattr(torch, dtype), seconds=1.0)
        low, high = sorted((before, after))
        pipeline = dtype == used and parts in (None, micro) and fn is not bench_pretrain_default_malloc
        real = (f"; real {100 * r['useful_flops'] / ((low + high) / 2):4.1f}% ({100 * r['padding']:.0f}% padding)"
                if "useful_flops" in r else "")
        print(f"{name:27s} {dtype:9s} {r['tokens_per_s']:9.0f} tokens/s  {r['step_ms']:6.0f} ms/step  "
              f"{r['flops'] / 1e9:6.1f} GFLOP/s = {100 * r['flops'] / ((low + high) / 2):5.1f}% of the {dtype} "
              f"peak read around it ({low / 1e9:.0f}-{high / 1e9:.0f} GFLOP/s: "
              f"{100 * r['flops'] / high:.1f}-{100 * r['flops'] / low:.1f}%){real}"
              f"{'  <- the pipeline' if pipeline else ''}")
    print(f"\nreading models as the detector stages do ({used}, 6 models x 3 passes x 120 prompts):")
    reading = bench_reading(cfg, used)
    slowest = min(reading.values())
    for label, rate in reading.items():
        print(f"  {label:54s} {rate:7.0f} prompts/s  ({rate / slowest:4.2f}x)")
    timings = stage_timings(Path("."))
    print("\nlast pipeline run, per stage (runs/timings/):" if timings else
          "\nno pipeline run recorded yet (runs/timings/ is written by `make reproduce` or `dvc repro`)")
    width = max((len(t["stage"]) for t in timings), default=12)
    for t in timings:
        workers = f" + workers of {t['worker_peak_rss_mb']:.0f} MB" if t.get("worker_peak_rss_mb") else ""
        print(f"  {t['stage']:{width}s} {t['seconds']:8.1f} s   peak memory {t['peak_rss_mb']:7.0f} MB{workers}   "
              f"({t['finished']})")
    if timings:
        print(f"  {'total':{width}s} {sum(t['seconds'] for t in timings):8.1f} s   "
              f"peak memory {max(t['peak_rss_mb'] for t in timings):7.0f} MB")
        print("  (python stages only: the papermill notebooks and DVC's own work are not in runs/timings/)")
    print(f"\nthis benchmark's own peak memory: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
