"""Prompt variants the strategies build from benchmark records: contrast pairs and critical-fact removal."""

from __future__ import annotations

from collections.abc import Sequence

from ..scenarios.records import Record, render_prompt


def has_critical(rec: Record) -> bool:
    """A typed scenario with an oversight fact and complexity >= 1 (the paper's contrast and S6 filter)."""
    return (rec.complexity_level or 0) >= 1 and any(f.type == "critical" for f in rec.facts)


def without_critical(rec: Record) -> str:
    """The prompt with every critical fact removed and the rest renumbered, wrapper kept (the authors' S6 copy
    lost the `<<prompt>>` wrapper: a bug we do not repeat)."""
    return render_prompt([f for f in rec.facts if f.type != "critical"], rec.action_a, rec.action_b)


def contrast_pairs(records: Sequence[Record], n: int) -> tuple[list[tuple[str, str]], list[Record]]:
    """(clean, critical) prompt pairs from the first `n` eligible records, and the records left for evaluation.

    As the paper's `process_caa_dataset`: `clean` drops the critical facts, actions in their order; `critical`
    keeps every fact with the actions swapped. Unlike the authors' loop (which mutated the list it iterated),
    each record is used once, either for a pair or for evaluation.
    """
    pairs, rest = [], []
    for rec in records:
        if len(pairs) < n and has_critical(rec):
            pairs.append((without_critical(rec), render_prompt(rec.facts, rec.action_b, rec.action_a)))
        else:
            rest.append(rec)
    return pairs, rest


def critical_token_mask(tokenizer, rec: Record) -> list[bool]:
    """For each token of `rec.prompt`, whether it overlaps the text of a critical fact."""
    enc = tokenizer(rec.prompt, add_special_tokens=False, return_offsets_mapping=True)
    spans = []
    for f in rec.facts:
        if f.type == "critical":
            start = rec.prompt.find(f.content)
            if start < 0:
                raise ValueError(f"{rec.origin or rec.prompt[:40]}: critical fact not found in the prompt")
            spans.append((start, start + len(f.content)))
    return [any(s < e2 and e > s2 for s2, e2 in spans) for s, e in enc["offset_mapping"]]
