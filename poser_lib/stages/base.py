"""Stage `base`: pretrain the tiny LlamaForCausalLM every zoo model starts from, on the corpus stream, or
import a local Hugging Face causal LM named by `model.base`.

Output: `data/models/base/` (safetensors, config, tokenizer, and `pretrain_log.json` or `import_log.json`), with
`snapshots/step-<n>.safetensors`, the weights every `pretrain.snapshot_every` steps (the probes stage reads them).
Pretraining resumes from `data/checkpoints/base/` after an interruption.
"""

from __future__ import annotations

import json
import shutil
import time

from ..config import Params
from ..corpus import iter_documents
from ..models.base import import_base, save_model, tiny_llama
from ..models.checkpoint import load_checkpoint, save_checkpoint, save_snapshot, snapshot_step
from ..models.precision import resolve_dtype
from ..models.schedule import TrainState
from ..models.pretrain import encode_document, pretrain
from ..paths import Paths
from ..tokenizer import load_tokenizer
from ..io import file_hash, fingerprint
from .common import corpus_sources, device, progress, stage_args


def run(params: Params, paths: Paths) -> dict:
    """Pretrain (or import) and save the base model; returns its log."""
    if params.model.base != "tiny":
        return import_base(params.model.base, paths.base, params.model.weights, device(params))
    tok = load_tokenizer(paths.tokenizer)
    items, errors = corpus_sources(params, paths)
    cfg = params.pretrain
    model = tiny_llama(params.model.tiny, len(tok), tok.pad_token_id, tok.eos_token_id).to(device(params))
    max_len = params.model.tiny.max_positions

    def stream():
        docs = iter_documents(items, errors, params.corpus, seed=cfg.seed)
        return (encode_document(tok, d, max_len) for d in docs)

    dtype = resolve_dtype(params.model.dtype, device(params))
    run_id = fingerprint(cfg, params.corpus, params.model, dtype, file_hash(paths.tokenizer / "tokenizer.json"),
                         sorted(file_hash(p) for p in paths.corpus_scenarios.rglob("*.json")))
    ckpt = paths.root / "data" / "checkpoints" / "base"
    snapshots = paths.root / "data" / "checkpoints" / "base-snapshots"
    state, opt_state = None, None
    resumed = load_checkpoint(ckpt, model, run_id)
    if resumed is None:
        shutil.rmtree(snapshots, ignore_errors=True)  # another run's, or an unfinished one's that restarts at 0
    else:
        opt_state, meta = resumed
        state = TrainState(step=meta["step"], losses=meta["losses"], decision_losses=meta["decision_losses"],
                           tokens=meta["tokens"])
        print(f"resuming the base model at step {state.step}")
    bar = progress(cfg.steps, "pretraining base")
    bar.update(state.step if state else 0)
    started = time.perf_counter()

    def on_step(st: TrainState, opt) -> None:
        bar.update(1)
        if st.step % cfg.log_every == 0:
            bar.set_postfix(lm=f"{sum(st.losses[-cfg.log_every:]) / cfg.log_every:.3f}",
                            decision=f"{sum(st.decision_losses[-cfg.log_every:]) / cfg.log_every:.3f}")
        if cfg.snapshot_every and st.step % cfg.snapshot_every == 0 and st.step < cfg.steps:
            save_snapshot(snapshots / f"step-{st.step:06d}.safetensors", model, run_id, st.step)
        if st.step % cfg.checkpoint_every == 0 and st.step < cfg.steps:
            save_checkpoint(ckpt, model, opt, {"fingerprint": run_id, "step": st.step, "losses": st.losses,
                                               "decision_losses": st.decision_losses, "tokens": st.tokens})

    state = pretrain(model, stream(), cfg, pad_id=tok.pad_token_id, dtype=dtype,
                     decision_weight=params.corpus.decision_weight, state=state, optimizer_state=opt_state,
                     on_step=on_step)
    bar.close()
    seconds = time.perf_counter() - started
    log = {"dtype": dtype, "steps": state.step, "losses": state.losses, "decision_losses": state.decision_losses,
           "tokens": state.tokens, "seconds_this_run": seconds,
           "parameters": sum(p.numel() for p in model.parameters()), "corpus_scenarios": len(items)}
    kept = {f"snapshots/{f.name}": f for f in sorted(snapshots.glob("step-*.safetensors"))
            if snapshot_step(f, run_id) is not None}
    save_model(model, paths.base, tok, extra_files={"pretrain_log.json": json.dumps(log)}, copies=kept)
    shutil.rmtree(ckpt, ignore_errors=True)
    shutil.rmtree(snapshots, ignore_errors=True)
    return log


def main(argv: list[str] | None = None) -> None:
    params, paths = stage_args(__doc__, argv)
    log = run(params, paths)
    if "source" in log:
        print(f"base model: {log['architecture']} from {log['source']}, {log['parameters']:,} parameters "
              f"({log['weights']}), answer tokens {log['answer_tokens']} -> {paths.base}")
        return
    n = 50
    print(f"base model: {log['parameters']:,} parameters, {log['steps']} steps in {log['dtype']}, final LM loss "
          f"{sum(log['losses'][-n:]) / len(log['losses'][-n:]):.3f}, decision loss "
          f"{sum(log['decision_losses'][-n:]) / len(log['decision_losses'][-n:]):.3f} -> {paths.base}")


if __name__ == "__main__":
    main()
