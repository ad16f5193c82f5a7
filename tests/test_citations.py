"""The marker check every answer goes through last: markers to sources that exist, numbered
as the user sees the links."""

import pytest

from rag.claims.citations import check_citations, cited_numbers


@pytest.fixture(scope="module")
def three(seed_papers):
    return seed_papers[:3]


def test_markers_are_renumbered_by_first_use_and_the_cited_papers_follow(three):
    text, cited = check_citations("B [2]. A [1]. B again [2][3].", three, {p.arxiv_id for p in three})
    assert text == "B [1]. A [2]. B again [1][3]."
    assert cited == [three[1], three[0], three[2]]


def test_without_renumbering_the_numbers_stay_those_of_the_sources(three):
    """The digest appends a listing numbered as the sources were given: the model's markers
    must keep those numbers, or [2] in the overview and [2] in the listing differ."""
    text, cited = check_citations("C [3]. A [1]. Nothing [9].", three, {p.arxiv_id for p in three}, renumber=False)
    assert text == "C [3]. A [1]. Nothing."
    assert cited == [three[0], three[2]]


def test_markers_to_nothing_and_unknown_arxiv_ids_vanish(three):
    text, cited = check_citations("See arXiv:2501.00001 and [7], or [1, 9].", three, {p.arxiv_id for p in three})
    assert text == "See and, or [1]."
    assert cited == [three[0]]


def test_cited_numbers_reads_groups_and_lists():
    assert cited_numbers("a [1] b [2][3] c [4, 5] d [6，7]") == {1, 2, 3, 4, 5, 6, 7}
