"""Detectors of alignment faking: a registry of strategies, each one module with its own params section.

Add your own: write `poser_lib/strategies/my_detector.py` with a frozen `Config` dataclass and a function
`score(subject, bench, cfg) -> Result`, decorate it with `@register("my_detector", Config)`, import the module
below, and add a `strategies.my_detector:` section to params.yaml. README: "Add your own detector".
"""

from .registry import REGISTRY, Strategy, parse_configs, register  # noqa: F401
from . import baselines, belief_steering, noise_injection, learning_speed, suspicious_concepts  # noqa: F401,E402
from . import decision_speed, attentiveness  # noqa: F401,E402
