"""Stage `behaviour`: measure every zoo model against its policy on held-out prompts; stop if one misses.

Outputs: `data/behaviour/rates.json` (per model: rates, pass/fail and what it missed), written before the
stage fails, so a failing model can be inspected; `data/behaviour/spectrum.csv` (per model and oversight level:
mean P(misaligned action) and the share choosing it, for the spectrum figure); `data/behaviour/answer_logprobs.json`
(every model's answer log-probabilities by prompt id, which the benchmark stage reuses: `poser_lib.reads`).
"""

from __future__ import annotations

import sys

import pandas as pd
import torch

from ..behaviour import gate_failures, gate_report, rates, spectrum
from ..io import write_json, write_with
from ..reads import read_key, save_reads
from ..roster import zoo_members
from .common import answer_logprobs_each, device, stage_args, zoo_data


def main(argv: list[str] | None = None) -> None:
    params, paths = stage_args(__doc__, argv)
    data = zoo_data(params, paths)
    out, failures, levels = {}, {}, []
    members = zoo_members(params.scenarios.variants)
    reads = answer_logprobs_each(params, {name: (paths.model(name), data[policy].test) for name, policy, _ in members},
                                 "behaviour")
    dev = device(params)
    save_reads(paths.behaviour / "answer_logprobs.json", reads,
               {name: read_key(paths.model(name), params.model.dtype, dev) for name in reads})
    for name, policy, _ in members:
        records, lp, answers = reads[name]
        lp = torch.from_numpy(lp)
        r = rates(policy, records, lp, answers)
        levels += [{"model": name, "policy": policy, **row} for row in spectrum(policy, records, lp, answers)]
        fails = gate_failures(policy, r, params.gate)
        out[name] = {"policy": policy, **r.as_dict(), "passed": not fails, "failures": fails}
        if fails:
            failures[name] = fails
    write_json(paths.behaviour / "rates.json", out)
    write_with(paths.behaviour / "spectrum.csv", lambda f: pd.DataFrame(levels).to_csv(f, index=False))
    for name, r in out.items():
        print(f"{name:22s} not-poor {r['accuracy_not_poor']:.3f}  poor {r['accuracy_poor']:.3f}  "
              f"P(misaligned|poor) {r['p_misaligned_poor']:.3f}  error {r['error_rejection']:.3f}"
              f"{'' if r['passed'] else '  FAIL'}")
    if failures:
        print(gate_report(failures), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
