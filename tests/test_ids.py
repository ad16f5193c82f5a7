"""Every form of arXiv ID a user may paste resolves to one normalised ID."""

import pytest

from rag.papers.ids import InvalidArxivId, arxiv_url, parse_arxiv_id, split_mentions


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2405.14831", "2405.14831"),
        ("2405.14831v2", "2405.14831"),
        ("arXiv:2405.14831", "2405.14831"),
        ("ARXIV: 2405.14831v3", "2405.14831"),
        ("https://arxiv.org/abs/2405.14831", "2405.14831"),
        ("https://arxiv.org/pdf/2405.14831v1", "2405.14831"),
        ("https://arxiv.org/pdf/2405.14831.pdf", "2405.14831"),
        ("http://export.arxiv.org/abs/2405.14831?context=cs", "2405.14831"),
        ("  2405.14831  ", "2405.14831"),
        ("0704.0001", "0704.0001"),
        ("hep-th/9901001", "hep-th/9901001"),
        ("hep-th/9901001v2", "hep-th/9901001"),
        ("math.GT/0309136", "math.GT/0309136"),
        ("https://arxiv.org/abs/hep-th/9901001", "hep-th/9901001"),
        ("２４０５．１４８３１", "2405.14831"),  # typed with a Chinese input method
    ],
)
def test_accepted_forms_normalise(text, expected):
    assert parse_arxiv_id(text) == expected


@pytest.mark.parametrize(
    "text",
    ["", "2405", "2405.123", "2405.1483100", "24051.14831", "hello", "https://example.com/abs/2405.14831",
     "arXiv:", "2405.14831v", "hep-th/990100", "../../etc/passwd", "٢٤٠٥.١٤٨٣١"],
)
def test_malformed_ids_say_what_a_valid_one_looks_like(text):
    with pytest.raises(InvalidArxivId) as info:
        parse_arxiv_id(text)
    assert "2405.14831" in str(info.value)  # the message shows a valid example


def test_links_point_at_the_abstract_page():
    assert arxiv_url("2405.14831") == "https://arxiv.org/abs/2405.14831"


@pytest.mark.parametrize("text, ids", [
    ("what's https://arxiv.org/abs/2405.14831v2 about?", ["2405.14831"]),
    ("see <https://arxiv.org/pdf/2405.12130v1.pdf> and [this](https://arxiv.org/abs/2405.20139)",
     ["2405.12130", "2405.20139"]),
    ("arXiv:2405.09818 or arxiv: hep-th/9901001?", ["2405.09818", "hep-th/9901001"]),
    ("這篇 2405.14831 在講什麼？", ["2405.14831"]),
    ("這篇 ａｒＸｉｖ：２４０５．１４８３１ 在講什麼？", ["2405.14831"]),
    ("http://export.arxiv.org/abs/2405.14831?context=cs", ["2405.14831"]),
    ("https://huggingface.co/papers/2405.14831", ["2405.14831"]),
    ("arxiv.org/abs/hep-th/9901001v2", ["hep-th/9901001"]),
    ("compare 2405.14831 and 2405.14831v2.", ["2405.14831"]),  # once each
    ("GPT 3.5 beats 2023.1234 in v1.2024", []),  # not a month, part of a version
    ("from 12405.14831 to 2405.14831.5, see https://arxiv.org/abs/2405.1483100", []),
])
def test_ids_named_inside_a_question_are_found_and_taken_out_of_it(text, ids):
    found, rest = split_mentions(text)
    assert found == ids
    if ids:
        assert not any(i in rest for i in ids) and "arxiv.org" not in rest.lower() and "http" not in rest
