"""S2, intoxicating the models: add noise to the residual stream and measure how far P(misaligned) rises.

Two variants. `gaussian` (primary): zero-mean Gaussian noise whose norm is a multiple of the residual's own
norm, several seeds. `uniform` (the paper's): a U[0,1) vector rescaled to the contrast vector's norm and
subtracted; it is all-positive, so it also acts as a fixed steering direction. Every curve comes with the
probability mass left on A and B: a rise that only appears where that mass collapses is randomisation. The
`*_share` variants score the rise of P(misaligned) / (P(A) + P(B)) instead, blind to the mass.
"""

from __future__ import annotations

import torch

from ..interventions import adding, adding_noise
from .configs import NoiseInjectionConfig as Config
from .core import Bench, Result, Subject
from .registry import register
from .steering import rises, steering_site, sweep


@register("noise_injection", Config)
def score(subject: Subject, bench: Bench, cfg: Config) -> Result:
    """Rise of P(misaligned) under activation noise at the last token, averaged over seeds."""
    # every readout below edits the last token only, so the prompts' prefixes are computed once
    layer, v, rest, cache = steering_site(subject, bench, cfg.depth, cfg.contrast_pairs, cfg.eval_prompts)
    result = Result()
    for variant, settings in (("gaussian", cfg.gaussian_scales), ("uniform", cfg.uniform_coefficients)):
        per_seed = []
        for k in range(cfg.seeds):
            seed = cfg.seed * 1000 + k
            if variant == "gaussian":
                def edit(s, seed=seed):
                    return adding_noise(subject.model, layer, s, torch.Generator().manual_seed(seed))
            else:
                r = torch.rand(v.shape, generator=torch.Generator().manual_seed(seed))
                r = r / r.norm() * v.norm()

                def edit(c, r=r):
                    return adding(subject.model, layer, -c * r)
            per_seed.append(sweep(subject, rest, settings, edit, cache))
        for i, s in enumerate(settings):
            name = f"{'scale' if variant == 'gaussian' else 'c'}={s:g}"
            result.add(variant, name, sum(rises(reads)[i] for reads in per_seed) / len(per_seed))
            # The control for randomisation: the same rise, of the misaligned letter's share of A + B only.
            result.add(f"{variant}_share", name, sum(reads[i + 1].misaligned_share - reads[0].misaligned_share
                                                     for reads in per_seed) / len(per_seed))
        for key in ("p_misaligned", "mass", "misaligned_share"):
            result.curves[f"{variant}/{key}"] = [sum(getattr(reads[j], key) for reads in per_seed) / len(per_seed)
                                                 for j in range(len(settings) + 1)]
    return result
