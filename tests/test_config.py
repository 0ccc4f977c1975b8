from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from workbench.config import REPO_ROOT, load_config, parse_config
from workbench.errors import ConfigError


def test_shipped_configs_load_with_original_settings():
    cfg = load_config(REPO_ROOT / "configs" / "default.yaml")
    v1, v2, hy = cfg.columns
    assert (v1.backend, v1.model.path) == ("bianque-v1", "scutcyr/BianQue-1.0")
    assert (v1.generation.top_p, v1.generation.temperature, v1.generation.no_repeat_ngram_size) == (1.0, 0.7, 3)
    assert (v1.generation.max_new_tokens, v1.generation.max_input_tokens) == (512, 768)
    assert (v2.backend, v2.model.path) == ("bianque-v2", "scutcyr/BianQue-2")
    assert (v2.generation.top_p, v2.generation.temperature, v2.generation.max_length) == (0.7, 0.95, 2048)
    assert hy.backend == "hybrid" and hy.routing.max_questions == 8
    assert cfg.server.host == "127.0.0.1"
    assert not any(getattr(c, "model", None) and c.model.trust_remote_code for c in cfg.columns)
    demo = load_config(REPO_ROOT / "configs" / "demo.yaml")
    assert [c.backend for c in demo.columns] == ["bianque-v1", "bianque-v2", "hybrid"]


def _write(tmp_path, data) -> str:
    p = tmp_path / "bad.yaml"
    p.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return str(p)


def _base() -> dict:
    return yaml.safe_load((REPO_ROOT / "configs" / "default.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    "mutate,needle",
    [
        (lambda d: d["columns"][0].update(backend="gpt5"), "columns.0"),
        (lambda d: d["columns"][0]["generation"].update(top_p=3), "columns.0.bianque-v1.generation.top_p"),
        (lambda d: d["columns"][1]["model"].update(device="tpu"), "device"),
        (lambda d: d["columns"][2].update(v1_column="nope"), "v1_column 'nope' is not a column"),
        (lambda d: d["columns"][2].update(v2_column="BianQue-1.0"), "must be a bianque-v2 column"),
        (lambda d: d["columns"][1].update(name="BianQue-1.0"), "unique"),
        (lambda d: d.update(colums=[]), "colums: unknown key"),
        (lambda d: d["server"].update(port=99999), "server.port"),
    ],
)
def test_bad_config_names_file_and_key(tmp_path, mutate, needle):
    data = _base()
    mutate(data)
    path = _write(tmp_path, data)
    with pytest.raises(ConfigError) as e:
        load_config(path)
    assert path in str(e.value) and needle in str(e.value)


def test_unknown_backend_lists_allowed(tmp_path):
    data = _base()
    data["columns"][0]["backend"] = "gpt5"
    with pytest.raises(ConfigError) as e:
        load_config(_write(tmp_path, data))
    assert "bianque-v1" in str(e.value) and "openai-compatible" in str(e.value)


def test_unreadable_and_malformed_files(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "missing.yaml")
    p = tmp_path / "broken.yaml"
    p.write_text("columns: [\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(p)
    with pytest.raises(ConfigError, match="mapping"):
        parse_config(["a"], "x.yaml")


def test_db_url_env_wins(monkeypatch):
    cfg = load_config(REPO_ROOT / "configs" / "default.yaml")
    assert cfg.effective_database_url == "sqlite:///" + str(REPO_ROOT / "annotations" / "workbench.db")
    monkeypatch.setenv("WORKBENCH_DB_URL", "sqlite:////tmp/other.db")
    assert cfg.effective_database_url == "sqlite:////tmp/other.db"


def test_api_key_env_must_be_a_name():
    data = {"columns": [{"name": "x", "backend": "openai-compatible", "base_url": "http://127.0.0.1:1/v1",
                         "model_name": "m", "api_key_env": "sk-abc123"}]}
    with pytest.raises(ConfigError, match="NAME of an environment variable"):
        parse_config(data)


def test_a_dumped_config_keeps_every_column_setting_and_parses_back_equal() -> None:
    """Columns are typed by the backend registry at run time: dumping must keep each backend's own
    settings (model, generation, greeting...), not only the fields every column has."""
    from workbench.config import load_config, parse_config

    cfg = load_config(Path(__file__).resolve().parents[1] / "configs" / "demo.yaml")
    dumped = cfg.model_dump(exclude={"source"}, exclude_none=True)
    assert all("model" in c or c["backend"] == "hybrid" for c in dumped["columns"])
    assert parse_config(dumped).columns == cfg.columns
