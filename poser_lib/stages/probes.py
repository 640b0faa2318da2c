"""Stage `probes`: what the base model represents before any fine-tuning, read by linear probes.

On held-out intersecting prompts (from every policy's test.json, never in the corpus), one probe per layer at
the answer position reads (a) whether oversight is poor and (b) which letter is the aligned action. The
layer is chosen on validation prompts; accuracy is reported on test prompts.
The same probes are read at every weight snapshot the base stage kept (`pretrain.snapshot_every`): when in
pretraining the base came to represent each concept (`curve`).
Output: `metrics/base_probes.json`, written first; then the stage fails, naming the probe, when either reads below
`probes.min_oversight` / `probes.min_aligned_action`: a base that does not represent oversight or the aligned action
is not the kind of base the organisms and the detectors that read those concepts assume.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from safetensors.torch import load_file

from ..io import write_json
from ..models.base import load_model
from ..models.checkpoint import snapshot_step
from ..models.scoring import last_token_hidden
from ..paths import Paths
from ..probes import LayerProbes, fit_probes, probe_labels, probe_prompts, probe_shortfalls
from ..tokenizer import encode_records, load_tokenizer
from .common import device, stage_args, zoo_data


def curve_point(step: int, readings: dict[str, LayerProbes]) -> dict:
    """One point of the pretraining curve: each probe's reported accuracy and its accuracy at every layer."""
    return {"step": step, **{name: res.accuracy for name, res in readings.items()},
            **{f"{name}_per_layer": res.test_accuracy for name, res in readings.items()}}


def pretraining_curve(paths: Paths, model, read: Callable[[], dict[str, LayerProbes]],
                      final: dict[str, LayerProbes]) -> list[dict]:
    """Probe accuracies (best layer, chosen on validation) at every snapshot the base stage kept, then at the end of
    pretraining; [] for a base with neither (an imported one). Loads each snapshot into `model` in turn."""
    log_file = paths.base / "pretrain_log.json"
    if not log_file.is_file():
        return []
    curve = []
    for snap in sorted((paths.base / "snapshots").glob("step-*.safetensors")):
        step = snapshot_step(snap)
        if step is None:
            raise SystemExit(f"probes: {snap} has no step in its metadata: not a snapshot the base stage wrote")
        model.load_state_dict(load_file(str(snap)))
        curve.append(curve_point(step, read()))
        print(f"  at step {step}: " + ", ".join(f"{name} {curve[-1][name]:.3f}" for name in final))
    return curve + [curve_point(json.loads(log_file.read_text(encoding="utf-8"))["steps"], final)]


def main(argv: list[str] | None = None) -> None:
    params, paths = stage_args(__doc__, argv)
    cfg = params.probes
    chosen = probe_prompts(zoo_data(params, paths), cfg)
    tok = load_tokenizer(paths.base)
    records, encoded = encode_records(tok, [r for r, _ in chosen], params.tokenizer.max_prompt_tokens)
    model = load_model(paths.base, device(params))
    targets = probe_labels(chosen, records)

    def read() -> dict[str, LayerProbes]:
        return fit_probes(last_token_hidden(model, encoded, tok.pad_token_id, params.model.dtype).numpy(), targets, cfg)

    out = {}
    final = read()
    for name, res in final.items():
        out[name] = res.as_dict()
        print(f"probe {name}: {res.accuracy:.3f} at layer {res.best_layer} (chance {res.chance:.3f}); "
              f"per layer {' '.join(f'{a:.2f}' for a in res.test_accuracy)}")
    out["prompts"] = len(records)
    out["curve"] = pretraining_curve(paths, model, read, final)
    write_json(paths.metrics / "base_probes.json", out)
    missed = probe_shortfalls({name: out[name]["accuracy"] for name in targets},
                              {"oversight": cfg.min_oversight, "aligned_action": cfg.min_aligned_action})
    if missed:
        raise SystemExit(f"probes: the base at {paths.base} does not represent what the organisms need: "
                         f"{'; '.join(missed)} (metrics/base_probes.json has every layer). Pretrain it longer "
                         f"(pretrain.steps) or set the minimums to 0 to go on with it.")


if __name__ == "__main__":
    main()
