"""KTO in TRL's unpaired format: ``{"prompt": [...], "completion": [assistant], "label": bool}``.

Every in-scope rated candidate (turn-type filter applied) gives one row; ``label`` is True when its
overall score is >= ``filters.kto_cut`` and no selected annotator flagged it unsafe. Score minima and
the safety exclusion are *not* applied here: low-rated and unsafe replies are the negative examples.
Corrected replies (if ``use_corrections``) are added as positive rows.
"""

from __future__ import annotations

from pathlib import Path

from workbench.export._json import dumpb
from workbench.export.context import ExportContext, FormatResult
from workbench.export.selection import type_ok


def write(ctx: ExportContext, out_dir: Path) -> FormatResult:
    """``train.jsonl`` of labelled completions."""
    path = out_dir / "train.jsonl"
    res = FormatResult([path], 0)
    f_ = ctx.filters
    cut = f_.kto_cut
    n_pos = 0
    with path.open("wb") as f:
        for group in ctx.groups.values():
            seen: set[str] = set()
            for c, s in group:
                if not type_ok(s, f_):
                    continue
                base = {"dialogue_id": c.dialogue_id, "turn_index": c.turn_index, "generation_id": c.generation_id,
                        "dataset": c.dataset, "column": c.column, "model": c.model, "turn_type": s.turn_type,
                        "questioning": s.questioning, "suggestion": s.suggestion, "n_ratings": s.n_ratings,
                        "agreement": s.agreement}
                rows = []
                if s.overall is not None:
                    label = s.overall >= cut and not s.safety_flagged
                    rows.append((c.output, label, "rated", list(s.annotators)))
                if f_.use_corrections:
                    for a, text, _ in s.corrections:
                        if text not in seen:
                            seen.add(text)
                            rows.append((text, True, "corrected", [a]))
                for text, label, source, who in rows:
                    meta = {**base, "target_source": source, "annotators": who}
                    res.count(c.model, s.turn_type, source)
                    n_pos += label
                    f.write(b'{"prompt":' + ctx.prompt_json(c) + b',"completion":'
                            + dumpb([{"role": "assistant", "content": text}]) + b',"label":'
                            + (b"true" if label else b"false") + b',"metadata":' + dumpb(meta) + b"}\n")
    res.notes.append(f"{n_pos} desirable / {res.rows - n_pos} undesirable (threshold {cut})")
    return res
