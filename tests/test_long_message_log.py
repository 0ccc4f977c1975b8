"""A message longer than a model's input is truncated quietly: no transformers warning about indexing errors
(which said the input would break the model, while the workbench cuts it before any model sees it)."""

from __future__ import annotations

from workbench.dialogue import Dialogue, Turn


def test_planning_a_too_long_message_logs_no_tokenizer_warning(services, capfd):
    for name in ("BianQue-1.0", "BianQue-2.0", "Hybrid v1→v2"):
        backend = services.backends[name]
        capfd.readouterr()
        plan = backend.plan(Dialogue((Turn("patient", "你好"), Turn("doctor", "请讲。"),
                                      Turn("patient", "我头很痛，已经三天了。" * 400))))
        assert plan.input is not None and len(plan.input) < 4000 * 3
        out, err = capfd.readouterr()
        assert "Token indices sequence length" not in out + err, (name, err[-500:])
