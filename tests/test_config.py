"""params.yaml is read into typed configs that name the key of every bad value."""

from pathlib import Path

import pytest
import yaml

from poser_lib.config import ConfigError, load_params
from poser_lib.config_loader import merge

ROOT = Path(__file__).resolve().parent.parent


def write(tmp_path, data) -> Path:
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.fixture()
def raw():
    return yaml.safe_load((ROOT / "params.yaml").read_text())


def test_project_params_load():
    params = load_params(ROOT / "params.yaml")
    assert params.zoo.steps > 0 and params.scenarios.variants == 6


def test_smoke_overlay_is_valid(raw, tmp_path):
    overlay = yaml.safe_load((ROOT / "params.smoke.yaml").read_text())
    assert load_params(write(tmp_path, merge(raw, overlay))).scenarios.variants == 2


@pytest.mark.parametrize("edit, key", [
    (lambda d: d.__setitem__("typo_section", {}), "typo_section"),
    (lambda d: d["zoo"].__setitem__("learning_rate", 1e-3), "zoo.learning_rate"),
    (lambda d: d["model"]["tiny"].__setitem__("hidden", 4), "model.tiny.hidden"),
])
def test_unknown_keys_are_named(raw, tmp_path, edit, key):
    edit(raw)
    with pytest.raises(ConfigError, match=rf"unknown key {key}\b"):
        load_params(write(tmp_path, raw))


@pytest.mark.parametrize("section, key, value, message", [
    ("zoo", "lr", -1.0, r"zoo\.lr: must be > 0"),
    ("zoo", "steps", "ten", r"zoo\.steps: expected an integer"),
    ("zoo", "method", "adam", r"zoo\.method: 'adam' is not one of"),
    ("zoo", "target_prob", 1.5, r"zoo\.target_prob: must be <= 1"),
    ("zoo", "micro_batches", 5, r"zoo\.micro_batches: 5 does not divide batch_size 32"),
    ("gate", "faker_min_poor", True, r"gate\.faker_min_poor: expected a number"),
    ("probes", "min_oversight", 1.5, r"probes\.min_oversight: must be <= 1"),
    ("scenarios", "test_fraction", 0.0, r"scenarios\.test_fraction: must be > 0"),
    ("benchmark", "development_variants", [0, 9], r"benchmark\.development_variants: variant 9"),
    ("model", "weights", "bfloat16", r"model\.weights: the tiny default is pretrained with float32"),
    ("model", "weights", "int8", r"model\.weights: 'int8' is not one of"),
    ("model", "dtype", "float16", r"model\.dtype: 'float16' is not one of"),
    ("model", "base", " ", r"model\.base: empty"),
    ("ensemble", "C", 0.0, r"ensemble\.C: must be > 0"),
    ("report", "max_confound", 0.3, r"report\.max_confound: must be >= 0\.5"),
    ("model", "workers", -1, r"model\.workers: must be >= 0"),
    ("controls", "untempered", ["colder"], r"controls\.untempered: colder is not a configured strategy"),
])
def test_bad_values_are_named(raw, tmp_path, section, key, value, message):
    raw[section][key] = value
    with pytest.raises(ConfigError, match=message):
        load_params(write(tmp_path, raw))


def test_missing_poser_dir_is_named(raw, tmp_path):
    raw["data"] = {"source": "poser", "poser_dir": None}
    with pytest.raises(ConfigError, match=r"data\.poser_dir: required"):
        load_params(write(tmp_path, raw))


def test_yaml_exponent_without_dot_is_a_number(raw, tmp_path):
    raw["zoo"]["lr"] = "5e-4"  # PyYAML reads 5e-4 as a string
    assert load_params(write(tmp_path, raw)).zoo.lr == pytest.approx(5e-4)


def test_error_names_the_file(tmp_path):
    path = tmp_path / "params.yaml"
    path.write_text("zoo: [unclosed")
    with pytest.raises(ConfigError, match=str(path)):
        load_params(path)
