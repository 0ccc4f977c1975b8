"""SFT in TRL's conversational format: ``{"messages": [system?, user, assistant, ..., assistant]}``.

The last assistant message is the selected target; metadata goes in a separate ``metadata`` key.
"""

from __future__ import annotations

from pathlib import Path

from workbench.export._json import dumpb
from workbench.export.context import WRITE_BUFFER, ExportContext, FormatResult


def write(ctx: ExportContext, out_dir: Path) -> FormatResult:
    """``train.jsonl`` with one conversation per selected target."""
    path = out_dir / "train.jsonl"
    res = FormatResult([path], 0)
    with path.open("wb", buffering=WRITE_BUFFER) as f:
        for s in ctx.selected:
            meta = s.metadata()
            res.count(meta["model"], meta["turn_type"], meta["target_source"])
            prompt = ctx.prompt_json(s.candidate)
            reply = dumpb({"role": "assistant", "content": s.target})
            # The cached prompt is a JSON array; splice the reply in rather than re-encoding the history.
            f.write(b"".join((b'{"messages":', prompt[:-1], b"," if len(prompt) > 2 else b"", reply,
                              b'],"metadata":', dumpb(meta), b"}\n")))
    return res
