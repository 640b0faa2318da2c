"""Detectors of alignment faking: a registry of strategies, each one module with its own params section.

Add your own: write `poser_lib/strategies/my_detector.py` with a function `score(subject, bench, cfg) -> Result`
decorated with `@register("my_detector", Config)`, add its frozen `Config` dataclass to `configs.py` (under
`CONFIGS`), list the module in `MODULES` below, and add a `strategies.my_detector:` section to params.yaml.
README: "Add your own detector".

`REGISTRY` is filled on first use: importing this package (as `load_params` does, for `parse_configs`) loads
no strategy module, so no torch.
"""

from importlib import import_module

from .configs import CONFIGS, parse_configs  # noqa: F401
from .registry import Strategy, register  # noqa: F401

MODULES = ("baselines", "belief_steering", "noise_injection", "learning_speed", "suspicious_concepts",
           "decision_speed", "attentiveness")


def __getattr__(name: str):
    if name == "REGISTRY":
        for module in MODULES:
            import_module(f"{__name__}.{module}")
        from .registry import REGISTRY
        return REGISTRY
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
