"""Checkpoint folders as users have them: sharded or ``.bin`` weights load as the single file does, and a
damaged, unreadable or misnamed one is refused with the file named and the fix (audit s43), for both
BianQue-1.0 (transformers' T5) and BianQue-2.0 (the native ChatGLM), without failing the other columns.
Built from the demo checkpoints; loaded through the real loaders."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from workbench.config import ModelSource
from workbench.errors import ModelLoadError
from workbench.models import bianque_v1, bianque_v2

REPO = Path(__file__).resolve().parents[1]
AGAIN = "copy or download it again"


def _source(path: Path | str) -> ModelSource:
    return ModelSource(path=str(path), device="cpu", dtype="float32")


def _t5_sharded(demo_models, tmp_path: Path, name: str) -> Path:
    """The demo T5 as transformers shards it (4 safetensors files and their index)."""
    from transformers import T5ForConditionalGeneration

    folder = Path(shutil.copytree(demo_models.v1_path, tmp_path / name))
    (folder / "model.safetensors").unlink()
    T5ForConditionalGeneration.from_pretrained(demo_models.v1_path).save_pretrained(folder, max_shard_size="1MB")
    assert (folder / "model.safetensors.index.json").is_file()
    return folder


def _truncate(path: Path, keep: int | None = None) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2 if keep is None else keep])


def _greedy_t5(folder: Path) -> list[int]:
    """The first greedy tokens of the workbench's T5 for a fixed prompt."""
    source = _source(folder)
    loaded = bianque_v1.load_model(source, bianque_v1.load_tokenizer(source))
    ids = loaded.tokenizer("病人：我最近经常失眠\\n医生：", return_tensors="pt")
    out = loaded.model.generate(**ids, do_sample=False, max_new_tokens=12, num_beams=1)
    return out[0].tolist()


# ------------------------------------------------------------------------------------- formats that load
def test_sharded_and_bin_t5_checkpoints_load_as_the_single_file(demo_models, tmp_path):
    """The weight-file check accepts what transformers writes: shards with their index, ``.bin``, ``.bin`` shards."""
    from safetensors.torch import load_file

    reference = _greedy_t5(demo_models.v1_path)
    sharded = _t5_sharded(demo_models, tmp_path, "shards")
    state = load_file(str(demo_models.v1_path / "model.safetensors"))
    single_bin = Path(shutil.copytree(demo_models.v1_path, tmp_path / "bin"))
    (single_bin / "model.safetensors").unlink()
    torch.save(state, single_bin / "pytorch_model.bin")
    sharded_bin = Path(shutil.copytree(demo_models.v1_path, tmp_path / "bin shards"))
    (sharded_bin / "model.safetensors").unlink()
    keys = sorted(state)
    weight_map = {}
    for i, part in enumerate((keys[: len(keys) // 2], keys[len(keys) // 2:])):
        name = f"pytorch_model-{i + 1:05d}-of-00002.bin"
        torch.save({k: state[k] for k in part}, sharded_bin / name)
        weight_map.update(dict.fromkeys(part, name))
    (sharded_bin / "pytorch_model.bin.index.json").write_text(json.dumps({"metadata": {}, "weight_map": weight_map}))
    for folder in (sharded, single_bin, sharded_bin):
        assert _greedy_t5(folder) == reference, folder.name


# ------------------------------------------------------------------------------------- damaged weight files
def test_a_truncated_t5_shard_is_named_and_the_other_columns_still_reply(services, demo_models, tmp_path):
    """transformers said "Error while deserializing header: incomplete metadata" about the folder: which of the
    shards was cut short (an interrupted download) was left to guess. Through the generation service."""
    from workbench.config import V1Column
    from workbench.dialogue import Dialogue
    from workbench.generation import Job
    from workbench.models.registry import build_backend
    from workbench.store.dialogues import create_dialogue

    folder = _t5_sharded(demo_models, tmp_path, "BianQue 1 分片")
    shard = folder / "model-00002-of-00004.safetensors"
    _truncate(shard)
    broken = build_backend(V1Column(name="Cut", backend="bianque-v1", model={"path": str(folder), "device": "cpu"}),
                           services.pool, {})
    good = services.backends["BianQue-1.0"]
    dialogue = Dialogue.of([("patient", "你好"), ("doctor", "你好，请问有什么可以帮您？"), ("patient", "头疼")])
    with services.store.session() as s:
        did = create_dialogue(s, dialogue.turns).id
    jobs = [Job("Cut", broken, dialogue, 1), Job("BianQue-1.0", good, dialogue, 1)]
    finals = {u.column: u for u in services.generations.run_many(jobs, {"Cut": (did, 3), "BianQue-1.0": (did, 3)})
              if u.final}
    assert finals["Cut"].status == "error"
    assert f"{shard} is truncated: it holds {shard.stat().st_size} bytes" in finals["Cut"].error
    assert finals["Cut"].error.endswith(AGAIN)
    assert finals["BianQue-1.0"].status == "ok" and finals["BianQue-1.0"].text


def _chatglm_bin(demo_models, tmp_path: Path, name: str) -> Path:
    from workbench.chatglm.loading import load_model, save_model

    folder = tmp_path / name
    folder.mkdir()
    for keep in ("ice_text.model", "tokenizer_config.json"):
        shutil.copy(demo_models.v2_path / keep, folder / keep)
    save_model(load_model(demo_models.v2_path, dtype="float32"), folder, safe_serialization=False)
    return folder


@pytest.mark.parametrize("damage", ["safetensors header", "bin archive"])
def test_a_damaged_chatglm_weight_file_is_named_with_the_fix(demo_models, tmp_path, damage):
    """A safetensors file cut inside its header failed with a bare JSONDecodeError, and a cut ``.bin`` with
    torch's zip error, both about the folder."""
    if damage == "safetensors header":
        folder = Path(shutil.copytree(demo_models.v2_path, tmp_path / "cut header"))
        damaged = folder / "model.safetensors"
        _truncate(damaged, keep=100)
    else:
        folder = _chatglm_bin(demo_models, tmp_path, "cut bin")
        damaged = folder / "pytorch_model.bin"
        _truncate(damaged)
    source = _source(folder)
    with pytest.raises(ModelLoadError) as caught:
        bianque_v2.load_model(source, bianque_v2.load_tokenizer(source))
    assert str(caught.value).startswith(f"{damaged} is truncated")
    assert str(caught.value).endswith(AGAIN)


def test_a_chatglm_shard_cut_short_is_refused_before_any_tensor_is_read(demo_models, tmp_path, monkeypatch):
    """The last shard's damage used to surface only once every shard before it was read (minutes at 12 GB)."""
    from workbench.chatglm import loading

    folder = tmp_path / "shards"
    loading.save_model(loading.load_model(demo_models.v2_path, dtype="float32"), folder, max_shard_bytes=500_000)
    last = sorted(folder.glob("model-*.safetensors"))[-1]
    _truncate(last)
    read: list[str] = []
    original = loading._SafetensorsSource.read_into

    def counting(self, dest):  # a probe, not a stand-in: the real read still runs
        read.append(self.name)
        return original(self, dest)

    monkeypatch.setattr(loading._SafetensorsSource, "read_into", counting)
    with pytest.raises(ModelLoadError, match=rf"^{last} is truncated: .*{AGAIN}$"):
        loading.load_model(folder, dtype="float32")
    assert read == []


_UNREADABLE = """
import sys
from workbench.config import ModelSource
from workbench.errors import ModelLoadError
from workbench.models import bianque_v1, bianque_v2
for case in sys.argv[1:]:
    module, path = case.split(":", 1)
    loader = bianque_v1 if module == "v1" else bianque_v2
    source = ModelSource(path=path, device="cpu", dtype="float32")
    try:
        loader.load_model(source, loader.load_tokenizer(source))
        print(module, "LOADED")
    except ModelLoadError as e:
        print(module, e)
"""


def test_unreadable_files_and_folders_are_named_as_such(demo_models, tmp_path):
    """transformers reported a T5 weight file without read permission as "No such file or directory", and an
    unreadable spiece.model as a tiktoken file that needs tiktoken installed; a folder that cannot be listed
    failed with a bare PermissionError about a file in it."""
    originals = {"v1": demo_models.v1_path, "v2": demo_models.v2_path}
    unreadable = {("v1", "weights"): "model.safetensors", ("v2", "weights"): "model.safetensors",
                  ("v1", "tokenizer"): "spiece.model", ("v1", "folder"): "", ("v2", "folder"): ""}
    cases, expected = [], []
    for (module, what), name in unreadable.items():
        folder = Path(shutil.copytree(originals[module], tmp_path / f"{module} {what}"))
        target = folder / name if name else folder
        target.chmod(0)
        cases.append(f"{module}:{folder}")
        expected.append(f"{module} cannot read {target}: permission denied (make it readable by the user who runs "
                        "the workbench)")
    command = [sys.executable, "-c", _UNREADABLE, *cases]
    if os.geteuid() == 0:  # root reads any file: drop the capability that lets it, as an ordinary user lacks it
        if not shutil.which("setpriv"):
            pytest.skip("running as root without setpriv: an unreadable file cannot be made")
        caps = "-dac_override,-dac_read_search"
        command = ["setpriv", "--bounding-set", caps, "--inh-caps", caps, "--", *command]
    env = {**os.environ, "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1"}
    try:
        out = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120, check=True).stdout
    finally:
        for case in cases:  # let pytest clean tmp_path up
            Path(case.split(":", 1)[1]).chmod(0o755)
    assert out.splitlines() == expected


# ------------------------------------------------------------------------------------- misnamed folders
@pytest.mark.parametrize("backend", [bianque_v1, bianque_v2], ids=["bianque-v1", "bianque-v2"])
def test_a_weight_file_named_instead_of_its_folder_says_so(demo_models, backend):
    """A file path was looked up on the hub ("not found on the hub", or "Repo id must be in the form...")."""
    folder = demo_models.v1_path if backend is bianque_v1 else demo_models.v2_path
    with pytest.raises(ModelLoadError) as caught:
        backend.load_model(_source(folder / "model.safetensors"), None)
    assert str(caught.value) == (f"{folder / 'model.safetensors'} is a file, not a checkpoint folder: set the model "
                                 f"path to the folder that holds it ({folder})")


def test_a_t5_folder_without_config_json_says_so(demo_models, tmp_path):
    """It read as "holds a model of type None (config.json)", a config.json that is not there."""
    folder = Path(shutil.copytree(demo_models.v1_path, tmp_path / "no-config"))
    (folder / "config.json").unlink()
    source = _source(folder)
    with pytest.raises(ModelLoadError) as caught:
        bianque_v1.load_model(source, bianque_v1.load_tokenizer(source))
    assert str(caught.value) == f"no config.json in {folder}"


def test_a_chatglm_column_on_another_models_config_names_its_type(demo_models, tmp_path):
    """With a ChatGLM tokenizer beside a T5's config and weights, the native loader built a 6B-sized model and
    failed on "unexpected checkpoint key 'decoder.block...'", without the folder or what it holds."""
    folder = Path(shutil.copytree(demo_models.v1_path, tmp_path / "t5 with ice_text"))
    for name in ("ice_text.model", "tokenizer_config.json"):
        shutil.copy(demo_models.v2_path / name, folder / name)
    source = _source(folder)
    with pytest.raises(ModelLoadError) as caught:
        bianque_v2.load_model(source, bianque_v2.load_tokenizer(source))
    assert str(caught.value) == (f"{folder} holds a model of type 't5' (config.json), not ChatGLM-6B: use a "
                                 "ChatGLM-6B checkpoint such as BianQue-2")


def test_a_single_file_beside_a_stale_index_is_what_loads_and_is_fingerprinted(demo_models, tmp_path):
    """transformers loads model.safetensors before an index; the workbench read the index first: a folder
    re-saved over old shards was refused for "missing shard files" (or fingerprinted by weights it did not
    load), and the native ChatGLM loaded the old shards."""
    from workbench.checkpoints import weights_fingerprint

    reference = _greedy_t5(demo_models.v1_path)
    for which in ("v1", "v2"):
        original = demo_models.v1_path if which == "v1" else demo_models.v2_path
        folder = Path(shutil.copytree(original, tmp_path / which))
        index = {"metadata": {}, "weight_map": {"shared.weight": "model-00001-of-00002.safetensors"}}
        (folder / "model.safetensors.index.json").write_text(json.dumps(index))
        source = _source(folder)
        if which == "v1":
            assert _greedy_t5(folder) == reference
        else:
            from workbench.chatglm.loading import load_model

            loaded = bianque_v2.load_model(source, bianque_v2.load_tokenizer(source))
            assert loaded.revision == weights_fingerprint(folder)
            expected = load_model(original, dtype="float32").transformer.word_embeddings.weight
            assert torch.equal(loaded.model.transformer.word_embeddings.weight, expected)


class _Payload:
    """What a malicious ``.bin`` holds: unpickling it would call os.system."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch '{self.marker}'",))


@pytest.mark.parametrize("backend", [bianque_v1, bianque_v2], ids=["bianque-v1", "bianque-v2"])
def test_a_bin_that_would_run_code_is_refused_without_torchs_advice_to_run_it(demo_models, tmp_path, backend):
    """torch.load(weights_only=True) refused it (nothing ran), but the message passed on torch's advice to
    load it again with weights_only=False, which the workbench cannot do and which would run the code."""
    import pickle

    original = demo_models.v1_path if backend is bianque_v1 else demo_models.v2_path
    folder = Path(shutil.copytree(original, tmp_path / "pickled"))
    (folder / "model.safetensors").unlink()
    marker = tmp_path / "ran"
    with open(folder / "pytorch_model.bin", "wb") as fh:
        pickle.dump({"shared.weight": _Payload(marker)}, fh)
    source = _source(folder)
    with pytest.raises(ModelLoadError) as caught:
        backend.load_model(source, backend.load_tokenizer(source))
    assert str(caught.value) == (f"{folder / 'pytorch_model.bin'} holds Python objects besides tensors, which the "
                                 "workbench does not unpickle (they could run code): use the checkpoint's safetensors "
                                 "files, or convert it with a tool you trust")
    assert not marker.exists()
