"""The everyday words of a consultation and the standard words a case's author keys facts in (拉屎 for 大便).

The table is data, in ``everyday_words.yaml`` beside this module, so that a blind set's new words are reviewed as
data. It is read once, at first use; a duplicate word, a bad regular expression or a malformed entry fails loudly
with the file's name, because a silently shortened table would change what every simulated patient answers.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from workbench.errors import ConfigError

TABLE_FILE = Path(__file__).with_name("everyday_words.yaml")


class _NoDuplicateKeys(yaml.SafeLoader):
    """A safe loader that refuses a key given twice: PyYAML would keep the last, and drop an entry unseen."""


def _mapping(loader: _NoDuplicateKeys, node: yaml.MappingNode) -> dict[Any, Any]:
    keys = [loader.construct_object(k) for k, _ in node.value]
    twice = sorted({k for k in keys if keys.count(k) > 1})
    if twice:
        raise yaml.constructor.ConstructorError(None, None, f"given more than once: {', '.join(map(str, twice))}",
                                                node.start_mark)
    return loader.construct_mapping(node)


_NoDuplicateKeys.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)

Table = tuple[tuple[tuple[str, tuple[str, ...]], ...], tuple[tuple[re.Pattern[str], tuple[str, ...]], ...]]


def _standard_words(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or not all(isinstance(w, str) and w for w in value):
        raise ConfigError(f"{where}: the standard words must be a non-empty list of words")
    return tuple(value)


def read_table(path: Path) -> Table:
    """The (word, standard words) and (pattern, standard words) pairs of ``path``, in file order."""
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_NoDuplicateKeys)
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: not valid YAML: {e}") from None
    if not isinstance(data, dict) or set(data) != {"words", "patterns"}:
        raise ConfigError(f"{path}: expected exactly the sections 'words' and 'patterns'")
    words, patterns = data["words"], data["patterns"]
    if not isinstance(words, dict) or not isinstance(patterns, list):
        raise ConfigError(f"{path}: 'words' must map words to lists, 'patterns' must be a list")
    word_pairs = []
    for word, standard in words.items():
        if not isinstance(word, str) or not word:
            raise ConfigError(f"{path}: words: {word!r} is not a word")
        word_pairs.append((word, _standard_words(standard, f"{path}: words: {word}")))
    pattern_pairs = []
    for n, entry in enumerate(patterns, 1):
        if not isinstance(entry, dict) or set(entry) != {"match", "means"} or not isinstance(entry["match"], str):
            raise ConfigError(f"{path}: patterns: entry {n} must have exactly 'match' (a regular expression) "
                              "and 'means'")
        try:
            compiled = re.compile(entry["match"])
        except re.error as e:
            raise ConfigError(f"{path}: patterns: entry {n} ({entry['match']!r}): {e}") from None
        pattern_pairs.append((compiled, _standard_words(entry["means"], f"{path}: patterns: entry {n}")))
    return tuple(word_pairs), tuple(pattern_pairs)


@lru_cache(maxsize=1)
def table() -> Table:
    """The project's table, read at first use."""
    return read_table(TABLE_FILE)


def with_standard_words(text: str) -> str:
    """``text`` followed by the standard words its everyday words stand for (itself when it has none)."""
    words, patterns = table()
    found = [w for colloquial, standard in words if colloquial in text for w in standard]
    found += [w for pattern, standard in patterns if pattern.search(text) for w in standard]
    return text + ("，" + "，".join(found) if found else "")


def sources(text: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """What :func:`with_standard_words` found in ``text``: each everyday word or pattern match, with its standard words."""
    words, patterns = table()
    found = [(colloquial, standard) for colloquial, standard in words if colloquial in text]
    found += [(m.group(0), standard) for pattern, standard in patterns for m in pattern.finditer(text)]
    return tuple(found)
