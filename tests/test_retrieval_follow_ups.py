"""Follow-up questions and section choice: a follow-up is searched with what the customer said
before (knowledge/context.py), a new topic is not dragged back to the old one, and a section
about the opposite action is not quoted (knowledge/opposites.py); on the real embedder and
Qdrant index over the demo help center, and through the engine in grounded mode."""

from __future__ import annotations

import json

import pytest
import pytest_asyncio

from app.config.settings import Settings
from app.services import build_services
from knowledge.context import FEATURES, ContextFusion, context_query
from knowledge.index import Hit, KnowledgeIndex
from knowledge.loaders import load_folder
from knowledge.opposites import asked_sides
from knowledge.rerank import Reranker
from knowledge.retrieval import Retriever
from knowledge.sections import choose_sections
from tests.support.engine import Chat, fixed_clock
from tests.support.server import PROJECT_ROOT

TURN_ON = "How to turn on two-factor authentication for Brightwave"
TURN_OFF = "Turning off two-factor authentication"


def hit(point: str, doc: str, heading: str | None, text: str = "x") -> Hit:
    return Hit(doc_id=doc, title="Article", heading=heading, text=text, url=f"/kb/{doc}", score=0.0,
               point_id=point, similarity=0.5, heading_path=(heading,) if heading else (), language="en")


def test_the_context_query_keeps_the_latest_turns_and_cuts_a_wall_of_text():
    assert context_query("and if I'm abroad?", ["hello", "how do I renew my licence?"], turns=1) == \
        "how do I renew my licence? and if I'm abroad?"
    assert context_query("why?", ["x" * 1000]) == "x" * 300 + " why?"
    assert context_query("why?", []) == "why?"


def test_opposite_actions_are_read_per_language_and_only_sections_move():
    assert asked_sides("how do I turn on 2FA", "en") == {"switch": 0}
    assert asked_sides(TURN_OFF, "en") == {"switch": 1}
    assert asked_sides("¿Cómo desactivo la verificación en dos pasos?", "es") == {"switch": 1}
    assert asked_sides("Wie aktiviere ich die Zwei-Faktor-Authentifizierung?", "de") == {"switch": 0}
    assert asked_sides("turn it on or off?", "en") == {}  # both sides asked: nothing to prefer
    hits = [hit("a", "2fa", TURN_OFF), hit("b", "plans", "Compare"), hit("c", "2fa", TURN_ON), hit("d", "2fa", None)]
    moved = choose_sections("how do I turn on 2FA", hits, "en")
    assert [h.point_id for h in moved] == ["c", "b", "d", "a"]  # the other article keeps its place
    assert [h.point_id for h in choose_sections("how do I see 2FA codes", hits, "en")] == ["a", "b", "c", "d"]
    intro_first = [hit("d", "2fa", None), hit("c", "2fa", TURN_ON)]  # the section naming the action asked leads
    assert [h.point_id for h in choose_sections("how do I enable 2FA", intro_first, "en")] == ["c", "d"]


def test_a_how_question_gets_the_steps_not_the_article_introduction():
    intro = hit("i", "returns", None, "You can return any device within 30 days of delivery.")
    steps = hit("s", "returns", "How to return a product", "1. Open **Orders**.\n2. Select **Return**.")
    note = hit("n", "returns", "Refund timing", "Refunds reach your card in 5 days.")
    other = hit("o", "shipping", None, "We ship to 30 countries.")
    hits = [intro, other, note, steps]
    chosen = choose_sections("how does returning a product work?", hits, "en")
    assert [h.point_id for h in chosen] == ["s", "o", "i", "n"]  # the other article keeps its place
    assert [h.point_id for h in choose_sections("¿Cómo devuelvo un producto?", hits, "es")][0] == "s"
    # not a "how" question, or no section with steps among the hits: the order stands
    assert choose_sections("can I return an opened device?", hits, "en") == hits
    assert choose_sections("how long do refunds take?", [intro, other, note], "en") == [intro, other, note]


def test_fusion_weights_are_fitted_and_a_bad_file_is_named(tmp_path):
    shipped = ContextFusion.from_file()
    assert len(shipped.weights) == len(FEATURES) and any(shipped.weights) and shipped.turns >= 1
    broken = tmp_path / "weights.json"
    broken.write_text(json.dumps({"weights": {"latest_rank": 1.0}}))
    with pytest.raises(ValueError, match=str(broken)):
        ContextFusion.from_file(broken)
    with pytest.raises(ValueError, match=f"needs {len(FEATURES)} weights"):
        ContextFusion((1.0,))


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def retriever(tmp_path_factory, embedder, vector_cache):
    index = await KnowledgeIndex.open(embedder, path=tmp_path_factory.mktemp("follow-ups") / "qdrant",
                                      vector_cache=vector_cache)
    documents, _ = load_folder(PROJECT_ROOT / "demo" / "helpcenter")
    await index.sync("demo", documents, {d.doc_id: f"/kb/{d.doc_id}" for d in documents}, origin="demo")
    yield Retriever(index, Reranker.from_file(), context=ContextFusion.from_file())
    await index.close()


async def top_doc(retriever: Retriever, text: str, earlier: list[str]) -> str:
    return (await retriever.search("demo", text, limit=5, language="en", earlier=earlier))[0].doc_id


@pytest.mark.asyncio(loop_scope="module")
async def test_a_follow_up_finds_the_article_the_earlier_turn_was_about(retriever):
    earlier = ["can I put my subscription on hold for a while?"]
    follow_up = "who is allowed to do that?"
    assert await top_doc(retriever, follow_up, []) != "pause-your-subscription"  # alone, it names nothing
    assert await top_doc(retriever, follow_up, earlier) == "pause-your-subscription"


@pytest.mark.asyncio(loop_scope="module")
async def test_a_new_topic_is_not_dragged_back_to_the_old_one(retriever):
    earlier = ["can I put my subscription on hold for a while?", "who is allowed to do that?"]
    assert await top_doc(retriever, "how do I track my order?", earlier) == "track-your-order"
    alone = await retriever.search("demo", "how do I track my order?", limit=5, language="en")
    assert alone == await retriever.search("demo", "how do I track my order?", limit=5, language="en", earlier=[])


@pytest.mark.asyncio(loop_scope="module")
async def test_turning_on_does_not_quote_the_turning_off_section_and_turning_off_does(retriever):
    def sections(hits: list[Hit]) -> list[str | None]:
        return [h.heading for h in hits if h.doc_id == "set-up-two-factor-authentication"]
    on = await retriever.search("demo", "how do I turn on 2FA", limit=30, language="en")
    off = await retriever.search("demo", "how do I turn off 2FA", limit=30, language="en")
    assert on[0].doc_id == off[0].doc_id == "set-up-two-factor-authentication"
    assert on[0].heading == TURN_ON and sections(on).index(TURN_OFF) > 0
    assert off[0].heading == TURN_OFF


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def services(tmp_path_factory: pytest.TempPathFactory):
    settings = Settings(data_dir=tmp_path_factory.mktemp("follow-up-services") / "data")
    async with build_services(settings, clock=fixed_clock()) as built:
        yield built


@pytest.mark.asyncio(loop_scope="module")
async def test_a_conversations_follow_up_is_answered_from_the_article_it_follows_in_grounded_mode(services):
    assert isinstance(services.knowledge, Retriever) and services.knowledge.context is not None
    chat = Chat(services)
    first, _ = await chat.say("can I put my subscription on hold for a while?")
    assert "(/kb/demo/pause-your-subscription" in first
    reply, trace = await chat.say("who is allowed to do that?")
    assert "(/kb/demo/pause-your-subscription#" in reply
    assert trace["mode"] != "llm"
    alone, _ = await Chat(services).say("who is allowed to do that?")  # a new conversation: no context
    assert "(/kb/demo/pause-your-subscription" not in alone
