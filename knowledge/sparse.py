"""BM25 sparse vectors through fastembed, with stemming for the text's language.

Token ids are hashes of stemmed words, so documents in different languages share one
sparse space; the inverse document frequency is applied by Qdrant at query time
(`Modifier.IDF`). The stop-word lists are kept here, so nothing is downloaded.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from functools import cache
from pathlib import Path

from qdrant_client import models

LANGUAGES = {"en": "english", "es": "spanish", "de": "german", "fr": "french", "it": "italian",
             "pt": "portuguese", "nl": "dutch"}
AVERAGE_CHUNK_WORDS = 150.0  # fixed, so stored vectors stay valid as the corpus grows

STOPWORDS: dict[str, frozenset[str]] = {
    "english": frozenset("""a about above after again against all am an and any are as at be because been
        before being below between both but by can could did do does doing down during each few for
        from further had has have having he her here hers herself him himself his how i if in into is
        it its itself just me more most my myself no nor not of off on once only or other our ours
        ourselves out over own same she should so some such than that the their theirs them
        themselves then there these they this those through to too under until up very was we were
        what when where which while who whom why will with would you your yours yourself yourselves
        please hi hello thanks""".split()),
    "spanish": frozenset("""a al algo algunas algunos ante antes como con contra cual cuando de del desde
        donde durante e el ella ellas ellos en entre era eres es esa esas ese eso esos esta estas
        este esto estos fue fueron ha han hasta hay la las le les lo los me mi mis mucho muy nada ni
        no nos nosotros o os otra otras otro otros para pero poco por porque que quien se sea ser si
        sido sin sobre su sus también te tengo ti tu tus un una uno unos usted ustedes y ya yo hola
        gracias""".split()),
    "german": frozenset("""aber alle als also am an auch auf aus bei bin bis bist da damit dann das dass
        dem den denn der des die dies diese dieser dieses doch dort du durch ein eine einem einen
        einer eines er es etwas euch für hab habe haben hat hatte ich ihm ihn ihr ihre im in ist ja
        jede jedem jeden jeder kann kein keine mein meine mich mir mit muss nach nicht nichts noch nun
        nur ob oder ohne sehr sein seine sich sie sind so soll über um und uns unser unter vom von
        vor war waren was weil wenn wer wie wir wird wo zu zum zur hallo danke bitte""".split()),
    "french": frozenset("""a au aux avec ce ces c cela celle celui dans de des du elle elles en est et
        eu il ils j je la le les leur leurs lui ma mais me mes moi mon même ne ni nos notre nous on ou
        où par pas pour qu que quel quelle qui sa sans se ses si son sont sur ta te tes toi ton tu un
        une vos votre vous y été être avoir ai as avez ont suis es sommes êtes bonjour merci""".split()),
}


def stem_language(code: str | None) -> str:
    """The fastembed/Snowball language name for an ISO 639-1 code (English by default)."""
    return LANGUAGES.get((code or "en").lower()[:2], "english")


@cache
def _empty_model_dir() -> str:
    # fastembed's BM25 needs a model folder but reads nothing from it when stopwords are given
    folder = Path(tempfile.gettempdir()) / "frontline-bm25"
    folder.mkdir(exist_ok=True)
    return str(folder)


@cache
def _model(language: str):  # type: ignore[no-untyped-def]
    from fastembed import SparseTextEmbedding

    return SparseTextEmbedding("Qdrant/bm25", specific_model_path=_empty_model_dir(),
                               language=language, avg_len=AVERAGE_CHUNK_WORDS,
                               stopwords=set(STOPWORDS.get(language, ())))


def _convert(embedding) -> models.SparseVector:  # type: ignore[no-untyped-def]
    return models.SparseVector(indices=embedding.indices.tolist(), values=embedding.values.tolist())


def embed_documents(texts: Sequence[str], language: str | None) -> list[models.SparseVector]:
    model = _model(stem_language(language))
    return [_convert(e) for e in model.embed(list(texts))]


def embed_query(text: str, language: str | None) -> models.SparseVector:
    model = _model(stem_language(language))
    return _convert(next(iter(model.query_embed(text))))
