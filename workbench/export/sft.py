"""SFT in TRL's conversational format: ``{"messages": [system?, user, assistant, ..., assistant]}``.

The last assistant message is the selected target; metadata goes in a separate ``metadata`` key.
"""

from __future__ import annotations

from pathlib import Path

from workbench.export._json import dumpb
from workbench.export.context import WRITE_BUFFER, ExportContext, FormatResult


def write(ctx: ExportContext, out_dir: Path) -> FormatResult:
    """``train.jsonl`` with one conversation per selected target (a repeat of an earlier history and target
    left out, see :attr:`ExportContext.training_targets`)."""
    path = out_dir / "train.jsonl"
    res = FormatResult([path], 0)
    rows = ctx.selected_rows
    rows.count_into(res)
    selected = ctx.training_targets
    with path.open("wb", buffering=WRITE_BUFFER) as f:
        # The cached prompt is a JSON array; splice the reply in rather than re-encoding the history.
        for s, meta, prompt in zip(selected, rows.metadata_json, ctx.prompts([s.candidate for s in selected]),
                                   strict=True):
            f.write(b"".join((b'{"messages":', prompt[:-1], b"," if len(prompt) > 2 else b"",
                              b'{"role":"assistant","content":', dumpb(s.target), b'}],"metadata":', meta, b"}\n")))
    return res
