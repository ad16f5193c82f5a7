"""The paper club's rules, without Discord: who wins a tied vote, what a poll can hold and
what waits for the next one, what members may nominate, when reminders fall across a
daylight-saving change, which questions about the group the club's takeaways answer, and
which of a model's discussion questions the paper bears out."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.schedule import day_before
from rag.club import Club
from rag.club.discussion import FEWEST, discussion, offline_questions
from rag.club.notes import notes_for
from rag.club.poll import MAX_ANSWERS, answer_texts, short_title, winner
from rag.club.records import MAX_MINE, MAX_WAITING
from rag.errors import InputError
from rag.records import Database
from rag.search.question import Question

UTC = dt.timezone.utc
NOW = dt.datetime(2024, 6, 3, 4, 0, tzinfo=UTC)
GUILD = 7


@pytest.fixture
def club(tmp_path) -> Club:
    return Club(Database(tmp_path / "paperbot.sqlite"))


def nominate_all(club: Club, papers, users=range(1, 100)) -> None:
    """Each paper nominated in order, MAX_MINE per member."""
    for n, paper in enumerate(papers):
        club.nominate(GUILD, paper.arxiv_id, paper.title, list(users)[n // MAX_MINE], None, NOW)


def held(club: Club, paper, takeaways: list[str], guild: int = GUILD, meets=dt.datetime(2024, 6, 13, 12, tzinfo=UTC)):
    """A session on `paper` that has met, with its takeaways."""
    club.nominate(guild, paper.arxiv_id, paper.title, 1, None, NOW)
    session = club.open_session(guild, 99, "en", "Asia/Taipei", now=NOW, closes=NOW, meets=meets)
    session = club.poll_ended(club.poll_posted(session, 1000 + session.id), [1])
    session = club.thread_posted(club.announced(session, 2000 + session.id),
                                 f"https://discord.com/channels/{guild}/{2000 + session.id}")
    for n, text in enumerate(takeaways):
        club.add_takeaway(session.id, 10 + n, text, meets)
    return club.meeting_held(session, "sent")


# -- the vote ----------------------------------------------------------------------------------
def test_the_most_votes_win_and_a_tie_goes_to_the_paper_nominated_first():
    assert winner([1, 4, 2]) == winner([1, 4, 2]) and not winner([1, 4, 2]).tie and winner([1, 4, 2]).index == 1
    tied = winner([2, 3, 0, 3])
    assert (tied.index, tied.votes, tied.tied, tied.total, tied.tie) == (1, 3, (3,), 8, True)
    nobody = winner([0, 0, 0])  # no votes: every answer ties, the first nominated goes first
    assert (nobody.index, nobody.votes, nobody.tied) == (0, 0, (1, 2))
    with pytest.raises(ValueError):
        winner([])


def test_every_seed_title_fits_a_poll_answer_and_twins_stay_apart(seed_papers):
    texts = answer_texts([p.title for p in seed_papers], [p.arxiv_id for p in seed_papers])
    assert all(1 <= len(text) <= 55 for text in texts)
    assert short_title("HippoRAG: Neurobiologically Inspired Long-Term Memory for Large Language Models") == \
        "HippoRAG: Neurobiologically Inspired Long-Term Memory…"
    twins = answer_texts(["Attention Is All You Need, Again and Again and Again, Revisited"] * 2,
                         ["2401.00001", "2401.00002"])
    assert len(set(twins)) == 2 and twins[0].endswith("· 2401.00001") and all(len(t) <= 55 for t in twins)


def test_a_vote_takes_the_first_ten_nominations_and_the_rest_wait_for_the_next(club, seed_papers):
    nominate_all(club, seed_papers[:12])
    session = club.open_session(GUILD, 99, "en", "UTC", now=NOW, closes=NOW, meets=NOW)
    ballot = club.on_ballot(session.id)
    assert len(ballot) == MAX_ANSWERS and [n.answer for n in ballot] == list(range(1, 11))
    assert [n.arxiv_id for n in ballot] == [p.arxiv_id for p in seed_papers[:10]]  # in nomination order
    assert [n.arxiv_id for n in club.waiting(GUILD)] == [p.arxiv_id for p in seed_papers[10:12]]

    counts = [0] * 10
    counts[4] = counts[7] = 3  # a tie between the 5th and the 8th nominated
    session = club.poll_ended(club.poll_posted(session, 555), counts)
    assert session.tie and club.nomination(session.winner).arxiv_id == seed_papers[4].arxiv_id
    nxt = club.open_session(GUILD, 99, "en", "UTC", now=NOW, closes=NOW, meets=NOW)
    assert [n.arxiv_id for n in club.on_ballot(nxt.id)] == [p.arxiv_id for p in seed_papers[10:12]]
    assert club.open_session(GUILD, 99, "en", "UTC", now=NOW, closes=NOW, meets=NOW) is None  # nothing left


def test_what_a_member_may_nominate(club, seed_papers):
    paper = seed_papers[0]
    _, place = club.nominate(GUILD, paper.arxiv_id, paper.title, 1, "  a   good\nread ", NOW)
    assert place == 1 and club.waiting(GUILD)[0].reason == "a good read"
    with pytest.raises(InputError) as again:
        club.nominate(GUILD, paper.arxiv_id, paper.title, 2, None, NOW)
    assert again.value.code == "club_already" and again.value.params["user_id"] == 1
    club.nominate(GUILD + 1, paper.arxiv_id, paper.title, 2, None, NOW)  # another server has its own club
    for p in seed_papers[1:MAX_MINE]:
        club.nominate(GUILD, p.arxiv_id, p.title, 1, None, NOW)
    with pytest.raises(InputError) as mine:
        club.nominate(GUILD, seed_papers[MAX_MINE].arxiv_id, "x", 1, None, NOW)
    assert mine.value.code == "club_mine_full"
    nominate_all(club, seed_papers[MAX_MINE:MAX_WAITING], users=range(10, 100))
    with pytest.raises(InputError) as full:
        club.nominate(GUILD, seed_papers[MAX_WAITING].arxiv_id, "x", 99, None, NOW)
    assert full.value.code == "club_full" and len(club.waiting(GUILD)) == MAX_WAITING


def test_a_session_whose_poll_was_deleted_gives_its_nominations_back(club, seed_papers):
    nominate_all(club, seed_papers[:3])
    session = club.open_session(GUILD, 99, "en", "UTC", now=NOW, closes=NOW, meets=NOW)
    club.nominate(GUILD, seed_papers[1].arxiv_id, seed_papers[1].title, 50, None, NOW)  # again, meanwhile
    club.cancel(session, "poll deleted")
    # the paper nominated again meanwhile keeps that later nomination's place
    assert [n.arxiv_id for n in club.waiting(GUILD)] == [seed_papers[i].arxiv_id for i in (0, 2, 1)]
    assert club.upcoming(GUILD) is None and club.session(session.id).cancelled == "poll deleted"


def test_forgetting_a_member_keeps_the_sessions_but_not_them(club, seed_papers):
    session = held(club, seed_papers[16], ["one", "two"])
    club.nominate(GUILD, seed_papers[1].arxiv_id, seed_papers[1].title, 10, None, NOW)
    club.toggle_reminder(session.id, 10)
    assert club.forget(10) == {"takeaways": 1, "nominations": 1}
    assert club.takeaways(session.id) == ["two"] and club.to_remind(session.id) == [] and 10 not in club.attended(
        session.id)
    assert club.history(GUILD)[0]["arxiv_id"] == seed_papers[16].arxiv_id


# -- the reminders' times ----------------------------------------------------------------------
def test_a_day_before_is_the_same_local_time_across_a_daylight_saving_change():
    # Sunday 10 March 2024, 19:00 in New York (EDT, UTC-4) is 23:00 UTC; Saturday 19:00 was EST (UTC-5).
    meets = dt.datetime(2024, 3, 10, 23, 0, tzinfo=UTC)
    assert day_before(meets, "America/New_York") == dt.datetime(2024, 3, 10, 0, 0, tzinfo=UTC)  # 23 hours
    taipei = dt.datetime(2024, 6, 13, 12, 0, tzinfo=UTC)  # Thursday 20:00 in Taipei
    assert day_before(taipei, "Asia/Taipei") == dt.datetime(2024, 6, 12, 12, 0, tzinfo=UTC)


# -- what /ask gets from the club ---------------------------------------------------------------
def test_a_question_about_the_group_gets_the_sessions_it_is_about(club, seed_papers):
    hippo = next(p for p in seed_papers if p.arxiv_id == "2405.14831")
    lora = next(p for p in seed_papers if p.arxiv_id == "2405.09673")
    held(club, hippo, ["PPR over the knowledge graph does multi-hop in one step", "Cheaper than IRCoT"])
    held(club, lora, ["LoRA forgets less but also learns less on code"], meets=dt.datetime(2024, 6, 20, 12, tzinfo=UTC))
    held(club, hippo, ["another server's view"], guild=GUILD + 1)

    (source,) = notes_for(club, Question("What did we conclude about HippoRAG?"), [], str(GUILD))
    assert source.arxiv_id == "club-1" and source.url == f"https://discord.com/channels/{GUILD}/2001"
    assert source.title == f"Paper club, 2024-06-13: {hippo.title}"
    assert source.summary == "PPR over the knowledge graph does multi-hop in one step.\nCheaper than IRCoT."
    assert notes_for(club, Question("What is HippoRAG?"), [hippo], str(GUILD)) == []  # not about the group
    (zh,) = notes_for(club, Question("我們讀書會對 HippoRAG 的結論是什麼？"), [], str(GUILD))
    assert zh.title == f"讀書會 2024-06-13：{hippo.title}"
    (cn,) = notes_for(club, Question("我们读书会对 HippoRAG 的结论是什么？"), [], str(GUILD))
    assert cn.title.startswith("读书会 2024-06-13：")
    # found through the paper retrieval found, or through the takeaways' own words
    (by_hit,) = notes_for(club, Question("what did we say about forgetting during fine-tuning?"), [lora],
                          str(GUILD))
    assert by_hit.arxiv_id == "club-2"
    (latest,) = notes_for(club, Question("what did we discuss last time?"), [], str(GUILD))
    assert latest.arxiv_id == "club-2"
    everywhere = notes_for(club, Question("What did we conclude about HippoRAG?"), [], "")  # the command line
    assert {s.arxiv_id for s in everywhere} == {"club-1", "club-3"}


# -- the discussion's questions ------------------------------------------------------------------
def hippo_of(seed_papers):
    return next(p for p in seed_papers if p.arxiv_id == "2405.14831")


async def offload(fn, *args):
    return fn(*args)


def test_without_a_model_the_questions_quote_the_papers_own_problem_method_and_results(seed_papers):
    zh = offline_questions(hippo_of(seed_papers), "zh")
    assert 3 <= len(zh) <= 5 and zh[1].startswith("論文的做法：「本研究提出了一種新型檢索框架 HippoRAG")
    assert offline_questions(hippo_of(seed_papers), "zh-CN")[1].startswith("论文的做法：")


async def test_a_models_questions_are_kept_only_when_the_paper_bears_them_out(seed_papers, llm_server, tmp_path):
    from conftest import llm_config
    from peers.llm_server import reply, status
    from rag.models.chat import make_llm
    from rag.models.usage import BOT

    llm = make_llm(llm_config(tmp_path, llm_server))
    llm_server.script(reply(
        "Here are questions for the club:\n"
        "1. How does HippoRAG use the knowledge graph and Personalized PageRank to retrieve across passages? [1]\n"
        "2. Why is single-step retrieval cheaper than iterative methods like IRCoT?\n"
        "3. How would HippoRAG handle the stock market in 1850 using quantum computers?\n"
        "4. Does HippoRAG beat the state of the art by 50% on GSM8K?"), status(500), status(500), status(500))
    try:
        asked = await discussion(hippo_of(seed_papers), "en", llm, BOT, offload)
        assert asked.mode == "llm" and asked.model == "test-model" and asked.dropped == 2
        assert asked.questions[:2] == [
            "How does HippoRAG use the knowledge graph and Personalized PageRank to retrieve across passages?",
            "Why is single-step retrieval cheaper than iterative methods like IRCoT?"]
        assert len(asked.questions) == FEWEST and asked.questions[2].startswith("The paper's problem: “")
        assert "1850" not in str(asked.questions) and "GSM8K" not in str(asked.questions)
        prompt = llm_server.last_chat()
        assert "<paper>" in prompt[-1]["content"] and "English" in prompt[0]["content"]

        failed = await discussion(hippo_of(seed_papers), "zh", llm, BOT, offload)  # the model is down
        assert failed.mode == "offline" and failed.questions == offline_questions(hippo_of(seed_papers), "zh")
    finally:
        await llm.client.close()


async def test_a_models_answer_from_the_notes_is_checked_and_cited_to_the_session(club, seed_papers, seeded_kb,
                                                                                 llm_server, tmp_path):
    from conftest import llm_config
    from peers.llm_server import reply
    from rag.answers.operations import Answerer
    from rag.models.chat import make_llm

    held(club, hippo_of(seed_papers), ["Personalized PageRank over the knowledge graph lets one retrieval step "
                                       "answer multi-hop questions", "We will try it on our own wiki first"])
    llm = make_llm(llm_config(tmp_path, llm_server))
    answerer = Answerer(seeded_kb, llm, notes=lambda question, papers, guild: notes_for(club, question, papers, guild))
    llm_server.script(reply("The club concluded that personalized PageRank over the knowledge graph lets one "
                            "retrieval step answer multi-hop questions [1]. The group also decided the moon is made "
                            "of cheese [1]."))
    try:
        answer = await answerer.ask("What did our reading group conclude about HippoRAG?")
    finally:
        await llm.client.close()
    sources = llm_server.last_chat()[-1]["content"]
    assert 'arxiv="club-1"' in sources and "We will try it on our own wiki first" in sources
    assert answer.mode == "llm" and answer.citations[0].arxiv_id == "club-1"
    assert answer.citations[0].url == f"https://discord.com/channels/{GUILD}/2001"
    assert "cheese" not in answer.text and "Left out 1 statement" in answer.notice  # checked like every claim
