"""The retrieval pipeline: multi-part questions split and merged, reranking, and its wiring into
every answer path; on the real embedder and Qdrant index over the demo help center."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import pytest_asyncio

from app.config.settings import Settings
from app.services import build_services
from knowledge.index import Hit, KnowledgeIndex
from knowledge.loaders import load_folder
from knowledge.questions import asks_for_steps, split_question
from knowledge.rerank import FEATURES, Reranker, features
from knowledge.retrieval import CANDIDATES, PartHit, Retriever, hit_part, merge_parts
from tests.support.engine import Chat, fixed_clock
from tests.support.server import PROJECT_ROOT


@pytest.mark.parametrize(("text", "language", "parts"), [
    ("how do I change my email and also download last month's invoice?", "en",
     ["how do I change my email", "download last month's invoice?"]),
    ("How do I reset my password? And how do I turn on two-factor authentication?", "en",
     ["How do I reset my password?", "how do I turn on two-factor authentication?"]),
    ("how do I track my order, and what do I do if it arrives damaged?", "en",
     ["how do I track my order", "what do I do if it arrives damaged?"]),
    ("¿Cómo cambio mi contraseña y también descargo mi factura?", "es",
     ["¿Cómo cambio mi contraseña", "descargo mi factura?"]),
    ("Wie kann ich mein Abo kündigen und außerdem meine Daten exportieren?", "de",
     ["Wie kann ich mein Abo kündigen", "meine Daten exportieren?"]),
    ("Comment changer mon adresse e-mail et aussi télécharger ma facture ?", "fr",
     ["Comment changer mon adresse e-mail", "télécharger ma facture ?"]),
])
def test_a_message_asking_two_things_is_split_into_its_questions(text, language, parts):
    assert split_question(text, language) == parts


@pytest.mark.parametrize("text", [
    "how do I change my email and password?",  # one question about two things
    "Can I also get a refund?",  # "also" inside one question: the piece before it is too short
    "What is this? I am confused.",
    "Hi? how do I reset my password",
    "My insurance ended so what should i do",
])
def test_a_single_question_is_left_whole(text):
    assert split_question(text, "en") == [text]


def test_a_language_without_its_own_words_uses_english_and_procedures_are_recognised():
    assert split_question("reset my password and also track my order", "xx") == ["reset my password",
                                                                                  "track my order"]
    assert asks_for_steps("How do I pair the plug?") and asks_for_steps("Wie verbinde ich den Hub?", "de")
    assert not asks_for_steps("What does Open mean on an invoice?")


def hit(point: str, doc: str, text: str, *, heading: str | None = "Section", similarity: float = 0.5,
        title: str = "Article") -> Hit:
    return Hit(doc_id=doc, title=title, heading=heading, text=text, url=f"/kb/{doc}", score=0.0, point_id=point,
               similarity=similarity, heading_path=(heading,) if heading else ())


def test_features_see_headings_titles_lists_and_the_article_around_a_passage():
    hits = [hit("a", "one", "Some text about plugs.", heading="Billing", similarity=0.6),
            hit("b", "two", "Do this:\n\n1. Open the app.\n2. Tap Pair.", heading="How to pair a Smart Plug",
                similarity=0.5),
            hit("c", "two", "More about plugs.", heading=None, similarity=0.4)]
    rows = dict(zip(FEATURES, features("How do I pair my smart plug?", hits, "en").T, strict=True))
    assert list(rows["heading_coverage"]) == [0.0, 1.0, 0.0]
    assert list(rows["steps_for_how"]) == [0.0, 1.0, 0.0]
    assert list(rows["intro"]) == [0.0, 0.0, 1.0]
    assert list(rows["doc_share"]) == pytest.approx([1 / 3, 2 / 3, 2 / 3])
    assert rows["similarity_gap"][0] == 0.0 and rows["similarity_gap"][2] == pytest.approx(-0.2)
    assert list(features("what is it?", hits[:1], "en")[:, FEATURES.index("steps_for_how")]) == [0.0]


def test_the_reranker_orders_by_its_weights_and_rejects_bad_weight_files(tmp_path):
    hits = [hit("a", "one", "x", heading="Billing"), hit("b", "two", "x", heading="Pair a Smart Plug")]
    by_heading = Reranker(tuple(1.0 if name == "heading_coverage" else 0.0 for name in FEATURES))
    assert [h.point_id for h in by_heading.rerank("pair plug", hits)] == ["b", "a"]
    with pytest.raises(ValueError, match="needs 11 weights"):
        Reranker((1.0,))
    broken = tmp_path / "weights.json"
    broken.write_text(json.dumps({"weights": {"similarity": 1.0}}))
    with pytest.raises(ValueError, match=str(broken)):
        Reranker.from_file(broken)
    shipped = Reranker.from_file()  # the committed, fitted weights load
    assert len(shipped.weights) == len(FEATURES) and any(shipped.weights)


def test_merging_parts_puts_each_parts_best_first_and_each_passage_once():
    first = [hit("a", "one", "x"), hit("b", "one", "x"), hit("c", "two", "x")]
    second = [hit("c", "two", "x"), hit("d", "three", "x")]
    assert [h.point_id for h in merge_parts([first, second], 4)] == ["a", "c", "b", "d"]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def demo_index(tmp_path_factory, embedder, vector_cache):
    index = await KnowledgeIndex.open(embedder, path=tmp_path_factory.mktemp("retrieval") / "qdrant",
                                      vector_cache=vector_cache)  # the run's shared help-center vectors
    documents, _ = load_folder(PROJECT_ROOT / "demo" / "helpcenter")
    await index.sync("demo", documents, {d.doc_id: f"/kb/{d.doc_id}" for d in documents}, origin="demo")
    yield index
    await index.close()


@pytest.mark.asyncio(loop_scope="module")
async def test_each_part_of_a_two_part_question_gets_its_own_article_in_the_first_hits(demo_index):
    retriever = Retriever(demo_index, Reranker.from_file())
    question = "how do I change my email and also download last month's invoice?"
    hits = await retriever.search("demo", question, limit=5, language="en")
    assert len(hits) == 5 and len({h.point_id for h in hits}) == 5
    assert [(h.doc_id, hit_part(h)) for h in hits[:2]] == [("change-your-email-address", 0),
                                                           ("download-your-invoices", 1)]
    assert isinstance(hits[1], PartHit) and hits[1].question == "download last month's invoice?"
    whole = await Retriever(demo_index, Reranker.from_file(), split=False).search("demo", question, limit=5)
    assert not any(isinstance(h, PartHit) for h in whole)


@pytest.mark.asyncio(loop_scope="module")
async def test_the_retriever_is_the_index_for_everything_but_search(demo_index):
    retriever = Retriever(demo_index)
    assert retriever.index is demo_index
    assert await retriever.count("demo") == await demo_index.count("demo") > 0
    assert retriever.fingerprint == demo_index.fingerprint
    assert await retriever.search("demo", "   ") == []
    # a question naming no action and no procedure: no section is moved, the order is the index's
    plain = await retriever.search("demo", "clamp sensor calibration", limit=3, language="en")
    assert [h.point_id for h in plain] == [h.point_id for h in await demo_index.search(
        "demo", "clamp sensor calibration", limit=3, language="en")]


@pytest.mark.asyncio(loop_scope="module")
async def test_reranking_reorders_the_candidates_without_losing_or_inventing_any(demo_index):
    question = "what does Open mean on an invoice?"
    candidates = await demo_index.search("demo", question, CANDIDATES, language="en")
    reranked = await Retriever(demo_index, Reranker.from_file()).search("demo", question, CANDIDATES, language="en")
    assert sorted(h.point_id for h in reranked) == sorted(h.point_id for h in candidates)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def services(tmp_path_factory: pytest.TempPathFactory):
    settings = Settings(data_dir=tmp_path_factory.mktemp("retrieval-services") / "data")
    async with build_services(settings, clock=fixed_clock()) as built:
        yield built


@pytest.mark.asyncio(loop_scope="module")
async def test_a_customers_two_part_question_is_answered_part_by_part_through_the_engine(services):
    assert isinstance(services.knowledge, Retriever)
    reply, trace = await Chat(services).say(
        "How do I connect the hub to my wifi? And how do I calibrate the clamp sensor?")
    assert "(/kb/demo/wifi-pairing#" in reply  # the first part's article, with a section
    assert "How to calibrate a Brightwave Clamp Sensor](/kb/demo/inaccurate-readings#" in reply
    assert 'And about "how do I calibrate the clamp sensor?"' in reply
    calibrate = (Path(PROJECT_ROOT) / "demo/helpcenter/inaccurate-readings.md").read_text()
    steps = calibrate.split("## How to calibrate a Brightwave Clamp Sensor")[1].split("##")[0]
    for line in (line.strip() for line in steps.splitlines()):
        if line[:2] in {f"{n}." for n in range(1, 10)}:
            assert f"> {line}" in reply  # every step quoted, not just the introduction
