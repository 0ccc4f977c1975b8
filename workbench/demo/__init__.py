"""Build the tiny offline demo checkpoints that ``launch.py --demo`` runs.

Two models of the real architectures, trained briefly on the shipped demo dialogues
(``workbench/data/demo_dialogues.jsonl``) so a newcomer sees readable replies without any download:

* **v1**: a tiny T5 with a locally trained SentencePiece ``spiece.model``, loadable exactly like
  BianQue-1.0 (``T5Tokenizer`` / ``T5ForConditionalGeneration.from_pretrained``). It learns only the
  doctor turns that are *questions*, on the escaped prompt the app sends, so it mostly asks.
* **v2**: a tiny native ChatGLM-6B (v1 architecture, ``workbench.chatglm``) with an
  ``ice_text.model`` in the ChatGLM id layout. It learns only the *advice* turns, on the unescaped
  prompt, so it mostly advises.

Both are cached under ``cache_dir/v1`` and ``cache_dir/v2``, each with a stamp that hashes the corpus,
:data:`DEMO_RECIPE_VERSION` and the hyperparameters; a stale or half-written cache is rebuilt. Folders are
built in a temporary directory and renamed into place, so a killed build never leaves a broken cache.

``python -m workbench.demo [--force] [--cache DIR]`` builds and prints the paths and timing.
"""

from __future__ import annotations

from workbench.demo.cache import ensure_demo_models, is_fresh, read_stamp, recipe_hash
from workbench.demo.corpus import (
    DemoDialogue,
    eval_prompts,
    history_variants,
    is_question,
    load_corpus,
    parse_corpus,
    split_corpus,
    v1_pairs,
    v2_pairs,
)
from workbench.demo.recipe import (
    CORPUS_PATH,
    DEMO_CACHE_DEFAULT,
    DEMO_RECIPE_VERSION,
    STAMP_NAME,
    DemoBuildError,
    DemoModels,
    DemoRecipe,
    GLMRecipe,
    T5Recipe,
)

__all__ = [
    "CORPUS_PATH",
    "DEMO_CACHE_DEFAULT",
    "DEMO_RECIPE_VERSION",
    "STAMP_NAME",
    "DemoBuildError",
    "DemoDialogue",
    "DemoModels",
    "DemoRecipe",
    "GLMRecipe",
    "T5Recipe",
    "ensure_demo_models",
    "eval_prompts",
    "history_variants",
    "is_fresh",
    "is_question",
    "load_corpus",
    "parse_corpus",
    "read_stamp",
    "recipe_hash",
    "split_corpus",
    "v1_pairs",
    "v2_pairs",
]
