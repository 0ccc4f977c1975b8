"""The everyday-word table the simulated patient reads: its file loads, and a broken entry fails loudly."""

from __future__ import annotations

import pytest

from workbench.errors import ConfigError
from workbench.simulate.everyday_words import TABLE_FILE, read_table, table, with_standard_words


def test_the_project_table_loads_and_stands_words_for_standard_ones():
    words, patterns = table()
    assert len(words) > 500 and len(patterns) > 50
    assert with_standard_words("拉屎费劲吗") == "拉屎费劲吗，大便，排便，费力，困难"
    assert "血尿" in with_standard_words("尿里没见过血吧")  # a pattern: words between
    assert with_standard_words("谢谢医生") == "谢谢医生"


def write(tmp_path, text):
    path = tmp_path / "words.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_word_given_twice_is_refused_not_silently_dropped(tmp_path):
    path = write(tmp_path, "words:\n  使劲: [费力]\n  散步: [走路]\n  使劲: [用力]\npatterns: []\n")
    with pytest.raises(ConfigError, match="given more than once: 使劲"):
        read_table(path)


@pytest.mark.parametrize("text, message", [
    ("words: {}\npatterns:\n  - {match: '尿[里', means: [血尿]}\n", "entry 1 .*尿\\[里"),
    ("words:\n  拉屎: 大便\npatterns: []\n", "拉屎: the standard words must be a non-empty list"),
    ("words:\n  拉屎: []\npatterns: []\n", "拉屎: the standard words must be a non-empty list"),
    ("words: {}\npatterns:\n  - {match: 'MC'}\n", "entry 1 must have exactly 'match'"),
    ("words: {}\n", "exactly the sections 'words' and 'patterns'"),
    ("words: [拉屎]\npatterns: []\n", "'words' must map words to lists"),
    ("words: {拉屎: [大便]\n", "not valid YAML"),
])
def test_a_malformed_table_names_the_file_and_the_entry(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError, match=message) as caught:
        read_table(path)
    assert str(path) in str(caught.value)


def test_the_table_keeps_file_order(tmp_path):
    # the standard words are appended in file order: the matcher's clause checks read the appended text
    words, patterns = read_table(write(tmp_path, "words:\n  b: [B]\n  a: [A]\npatterns:\n  - {match: x, means: [X]}\n"))
    assert [w for w, _ in words] == ["b", "a"] and patterns[0][1] == ("X",)
    assert TABLE_FILE.name == "everyday_words.yaml" and TABLE_FILE.is_file()
