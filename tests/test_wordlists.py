"""The word lists a researcher edits (rag/claims.txt, rag/contradictions.txt): what an
entry matches, and a mistake reported with its file and line."""

import re

import pytest

from rag.text.wordlists import Table


def table(tmp_path, text: str) -> Table:
    path = tmp_path / "cues.txt"
    path.write_text(text, encoding="utf-8")
    return Table(path)


def test_english_cues_are_whole_words_and_chinese_ones_match_anywhere(tmp_path):
    t = table(tmp_path, "# up\n[up]\ngains?\nimprov\\w*\n提升\n\n[opposites]\nopen | 開源 = closed[- ]source | 閉源\n")
    up = re.compile(t.cues("up"), re.IGNORECASE)
    assert [m[0] for m in up.finditer("Gains again; it improves 效果提升了")] == ["Gains", "improves", "提升"]
    [(open_, closed)] = t.pairs("opposites")
    assert re.search(open_, "an open model") and not re.search(open_, "reopened")
    assert re.search(closed, "a closed-source model") and re.search(closed, "閉源模型")
    t.finish()


def test_shared_tables_load_and_every_section_is_read():
    import rag.claims.attribution
    import rag.claims.contradictions

    assert "negation" in rag.claims.contradictions.CHECKS and "members" in rag.claims.attribution.CHECKS


VALID = "[up]\nmore\n[opposites]\nearly = late\n[dimensions]\nspeed = fast\n[stop]\nthe\n"


def read_all(t: Table) -> None:
    t.cues("up")
    t.pairs("opposites")
    t.pairs("dimensions", named=True)
    t.words("stop")
    t.finish()


@pytest.mark.parametrize("mistake, line, says", [
    (("more", "incr(ease"), 2, "not a regular expression"),
    (("more", "\n# why\n(more|higher)"), 4, "(?:...)"),
    (("more", "s?"), 2, "empty text"),
    (("[up]", "higher\n[up]"), 1, "before any [section]"),
    (("[stop]", "[up]\nless\n[stop]"), 7, "twice"),
    (("[stop]", "[upp]\nless\n[stop]"), 7, "unknown section [upp]"),
    (("early = late", "early | late"), 4, "left = right"),
    (("early = late\n", ""), 3, "no entries"),
    (("speed =", "fast speed ="), 6, "plain name"),
    (("the", "the a"), 8, "single lower-case words"),
    (("the", "The"), 8, "single lower-case words"),
])
def test_a_mistake_is_reported_with_its_file_and_line(tmp_path, mistake, line, says):
    read_all(table(tmp_path, VALID))
    with pytest.raises(ValueError) as error:
        read_all(table(tmp_path, VALID.replace(*mistake)))
    assert str(error.value).startswith(f"cues.txt:{line}: ") and says in str(error.value)


def test_a_misspelt_section_is_named_beside_the_one_missing(tmp_path):
    with pytest.raises(ValueError, match=r"^cues.txt: no \[opposites\] section; the file has \[up\], \[opposite\]"):
        read_all(table(tmp_path, VALID.replace("[opposites]", "[opposite]")))
