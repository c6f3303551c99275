"""Sentiment and frustration of a customer turn, from transparent signals.

Not a model on purpose: the result must explain itself in the decision trace and to the agent
("why was this escalated?"), run in microseconds, and behave the same tomorrow. Each signal
has a named weight and a strength in [0, 1]; frustration combines them as a noisy-OR:

    frustration = 1 - Π (1 - weight_i × strength_i)

so it stays in [0, 1], every extra signal (or a stronger one) raises it and never lowers it,
and no single signal can reach 1 alone. The score (negative = upset) is then

    score = positivity × (1 - frustration) - frustration

where positivity comes from positive words and emoji: thanks can soften a complaint but never
hide one. Lexicons are small, curated, and matched on lower-cased, accent-stripped text, so
"inútil" and "inutil", "unverschämt" and "UNVERSCHÄMT" read the same.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

Label = Literal["negative", "neutral", "positive"]

# Signal weights: the frustration one signal at full strength adds on its own.
NEGATIVE_WORDS = 0.45  # full strength at two hits; one word alone is mild ("disappointed")
PROFANITY = 0.5  # swearing at a support desk is rarely happy
ALL_CAPS = 0.3  # shouting amplifies, but some people just type in caps
EXCLAMATIONS = 0.15  # "!!!" / "???" alone is weak: it is also enthusiasm or confusion
REPETITION = 0.35  # saying it again means the last answer did not land
REPEATED_FAILURES = 0.6  # the assistant failing in a row is the strongest predictor of escalation
THREAT_TO_LEAVE = 0.6  # churn risk: a person should see it
LEGAL_THREAT = 0.7  # lawyers and regulators: a person must see it

_WEIGHTS = {  # also the order signals are reported in
    "negative_words": NEGATIVE_WORDS, "profanity": PROFANITY, "all_caps": ALL_CAPS, "exclamations": EXCLAMATIONS,
    "repetition": REPETITION, "repeated_failures": REPEATED_FAILURES, "threat_to_leave": THREAT_TO_LEAVE,
    "legal_threat": LEGAL_THREAT,
}

NEGATIVE_WORDS_FULL_AT = 2
FAILURES_MIN = 2  # one miss is a rephrase; two in a row is a pattern
FAILURES_FULL_AT = 4
POSITIVE_STEP = 0.5  # positivity per positive word: 1 word 0.5, 2 words 0.75, ...
CAPS_MIN_LETTERS = 12  # "OK", "GDPR", "BW-10234" are not shouting
CAPS_RATIO = 0.7
REPEAT_LOOKBACK = 5  # recent customer messages compared with this one
REPEAT_CONTAINED = 0.85  # share of an earlier message's words that come back ("where is my order" again)
REPEAT_SIMILARITY = 0.5  # Jaccard overlap, so a short message buried in a long new one does not count
REPEAT_MIN_TOKENS = 3
NEGATION_WINDOW = 3  # a negator up to 3 tokens before flips a word: "not very good"
LABEL_THRESHOLD = 0.2  # |score| below this is neutral

_NEGATIVE = (
    "angry", "furious", "terrible", "awful", "horrible", "useless", "ridicul*", "worst", "unacceptable",
    "scam*", "pathetic", "disgust*", "incompetent", "frustrat*", "disappoint*", "annoy*", "hate", "bad",
    "nightmare", "ripoff", "outrage*", "joke", "waste",
    "inutil*", "vergonzos*", "verguenza", "pesim*", "enfadad*", "enojad*", "cabread*", "harto", "harta",
    "estafa*", "indignante", "inaceptable", "decepcion*", "lamentable", "desastre*", "furios*", "molest*",
    "escandal*",
    "schrecklich*", "unverschamt*", "unverschaemt*", "nutzlos*", "katastroph*", "wutend", "wuetend", "sauer",
    "argerlich", "aergerlich", "frech", "enttausch*", "enttaeusch*", "lacherlich*", "laecherlich*",
    "unmoglich", "betrug*", "abzocke*", "mies", "miserabel", "inakzeptabel", "unzumutbar", "frustrier*",
    "schlecht*", "schlimm*",
    "nul", "nulle", "nuls", "inadmissible", "honteu*", "honte", "scandal*", "inacceptable", "arnaque*",
    "furieu*", "enerve*", "decu", "decue", "decevant*", "insupportable", "agace*", "marre", "mauvais*",
    "pire", "deplorable", "minable",
)
_POSITIVE = (
    "thanks", "thank", "thx", "great", "perfect", "awesome", "excellent", "helpful", "love", "appreciat*",
    "wonderful", "amazing", "fantastic", "brilliant", "good", "nice",
    "gracias", "genial", "perfecto", "perfecta", "excelente", "estupendo", "maravilloso", "fantastico",
    "amable", "util",
    "danke", "dankeschon", "super", "toll", "prima", "perfekt", "klasse", "hilfreich", "wunderbar", "gut",
    "spitze",
    "merci", "parfait", "parfaite", "top", "formidable", "bravo", "sympa", "impeccable", "utile",
)
_GRATITUDE = frozenset({"thanks", "thank", "thx", "gracias", "danke", "dankeschon", "merci"})  # "no thanks" is polite
_PROFANITY = (
    "fuck*", "shit*", "crap", "crappy", "damn*", "wtf", "bullshit", "mierda", "joder", "jodid*", "puta*", "puto",
    "cono", "carajo", "cabron*", "scheiss*", "verdammt*", "kacke", "arschloch*", "merde*", "putain", "bordel",
    "chier", "connard*", "foutu*",
)
_FALSE_FRIENDS = {"de": frozenset({"bad"})}  # German "Bad" is a bathroom
_NEGATORS = frozenset({
    "not", "no", "never", "dont", "doesnt", "didnt", "isnt", "wasnt", "cant", "cannot", "wont", "hardly",
    "nunca", "nada", "ni", "tampoco", "sin", "nicht", "kein", "keine", "keinen", "keiner", "keinem", "nie",
    "niemals", "ohne", "pas", "jamais", "rien", "aucun", "aucune", "sans", "ne",
})
_NEGATIVE_EMOJI = frozenset("😡🤬😠😤👎💩🙄😒😞😢😭")
_POSITIVE_EMOJI = frozenset("🙂😊😀😃😄😁👍🙏❤♥💯🎉😍🥰")

# Complaints that are phrases, each counted as one negative word (and removed before word matching,
# so "thanks for nothing" is not also a thank-you).
_COMPLAINTS = re.compile(r"\b(?:" + "|".join([
    r"does ?n'?t work\w*", r"does not work\w*", r"(?:is ?n'?t |is not |not )working", r"still (?:not|waiting)",
    r"fed up", r"sick of", r"rip off", r"waste of (?:time|money)", r"thanks for nothing",
    r"no funciona\w*", r"sigue sin funcionar", r"sigo esperando", r"sin respuesta", r"gracias por nada",
    r"funktioniert (?:immer noch )?nicht", r"geht (?:immer noch )?nicht", r"klappt nicht", r"immer noch (?:nicht|kein)",
    r"warte immer noch", r"danke fur nichts",
    r"(?:ne )?(?:marche|fonctionne) (?:toujours )?pas", r"toujours (?:pas|rien)", r"j'attends toujours",
    r"merci pour rien",
]) + r")\b")
_THREAT_TO_LEAVE = re.compile(r"\b(?:" + "|".join([
    r"i(?:'ll| will|'m going to| am going to|'m gonna| am gonna)\s+(?:cancel|leave|quit|switch)",
    r"(?:i'm|i am|im)\s+(?:cancell?ing|leaving|quitting|switching|done with you)",
    r"cancel(?:l?ing)?\s+my\s+(?:subscription|account|membership|contract|plan)", r"close my account",
    r"switch(?:ing)?\s+to\s+(?:a |an |another |your )?(?:competitor|competition|provider|company)",
    r"tak(?:e|ing) my business elsewhere", r"never (?:buy|order|shop)(?:ing)? (?:from you|here|with you) again",
    r"me doy de baja", r"dar(?:me)? de baja", r"voy a cancelar", r"cancelo mi",
    r"cancelar mi (?:suscripcion|cuenta|contrato)",
    r"(?:me cambio|me paso|me voy|cambiarme|pasarme) a (?:la |otra )?(?:competencia|compania|empresa)",
    r"no (?:vuelvo|volvere) a comprar",
    r"ich kundige", r"kundige ich", r"werde\b(?:\s+\w+){0,3}\s+kundigen", r"zur konkurrenz", r"wechse?le zu",
    r"anbieter wechseln", r"nie wieder bei (?:euch|ihnen)",
    r"je (?:vais )?resilie[rz]?", r"resilier mon (?:abonnement|contrat|compte)", r"je (?:vais )?me desabonne[r]?",
    r"(?:chez|a) la concurrence", r"aller voir ailleurs", r"je vais partir",
    r"je vais annuler mon (?:abonnement|contrat|compte)",
]) + r")\b")
_LEGAL_THREAT = re.compile(r"\b(?:" + "|".join([
    r"lawyers?", r"attorneys?", r"lawsuit", r"legal action", r"sue (?:you|u|them|your|the|this)", r"suing",
    r"(?:to|in) court", r"small claims", r"gdpr", r"consumer protection", r"ombudsman", r"trading standards",
    r"abogad[oa]s?", r"demandar\w*", r"denunci(?:a|ar|are)", r"acciones? legales?", r"tribunal(?:es)?",
    r"proteccion (?:al|del) consumidor", r"oficina de consumo", r"rgpd", r"lopd", r"facua",
    r"\w*anwalt\w*", r"verklag\w*", r"klage", r"rechtliche schritte", r"vor gericht", r"gerichtlich\w*",
    r"verbraucherzentrale", r"verbraucherschutz\w*", r"dsgvo", r"schlichtungsstelle",
    r"avocats?", r"en justice", r"poursuites", r"porter plainte", r"plainte", r"tribunaux", r"cnil",
    r"protection des consommateurs", r"association de consommateurs", r"que choisir", r"dgccrf", r"mediateur",
]) + r")\b")
_TOKEN = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
_PUNCT_RUN = re.compile(r"[!?¡¿]{2,}")
_CLAUSE_END = re.compile(r"[.,;:!?¡¿()\n]+")


@dataclass(frozen=True)
class Sentiment:
    score: float  # [-1, 1]; negative = upset
    frustration: float  # [0, 1]
    signals: list[str]  # the frustration signals that fired, in a fixed order
    label: Label

    def as_trace(self) -> dict[str, object]:
        return {"score": round(self.score, 3), "frustration": round(self.frustration, 3),
                "signals": list(self.signals), "label": self.label}


def assess(text: str, history: Sequence[str] = (), *, failures: int = 0,
           language: str | None = None) -> Sentiment:
    """Read the customer's mood from `text`, their recent messages and the assistant's misses.

    `history` holds the customer's previous messages, oldest first; `failures` counts the
    assistant turns in a row that did not help; `language` only switches off false friends.
    """
    folded = _fold(text)
    strengths: dict[str, float] = {}
    negative, positive = _word_hits(folded, language)
    negative += sum(ch in _NEGATIVE_EMOJI for ch in text)
    positive += sum(ch in _POSITIVE_EMOJI for ch in text)
    tokens = _TOKEN.findall(folded)
    profanity = sum(_lexicon_hit(t, _PROFANITY) for t in tokens)
    if negative:
        strengths["negative_words"] = min(1.0, negative / NEGATIVE_WORDS_FULL_AT)
    if profanity:
        strengths["profanity"] = 1.0
    if _THREAT_TO_LEAVE.search(folded):
        strengths["threat_to_leave"] = 1.0
    if _LEGAL_THREAT.search(folded):
        strengths["legal_threat"] = 1.0
    if not (positive and not strengths):  # shouting "THANK YOU!!!" is enthusiasm, not anger
        if _is_shouting(text):
            strengths["all_caps"] = 1.0
        if any(_is_emphatic(run) for run in _PUNCT_RUN.findall(text)):
            strengths["exclamations"] = 1.0
    if _repeats(tokens, history):
        strengths["repetition"] = 1.0
    if failures >= FAILURES_MIN:
        strengths["repeated_failures"] = min(failures, FAILURES_FULL_AT) / FAILURES_FULL_AT
    calm = 1.0
    for signal, strength in strengths.items():
        calm *= 1.0 - _WEIGHTS[signal] * strength
    frustration = 1.0 - calm
    positivity = 1.0 - (1.0 - POSITIVE_STEP) ** positive
    score = max(-1.0, min(1.0, positivity * (1.0 - frustration) - frustration))
    label: Label = "negative" if score <= -LABEL_THRESHOLD else "positive" if score >= LABEL_THRESHOLD else "neutral"
    return Sentiment(score, frustration, [s for s in _WEIGHTS if s in strengths], label)


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.replace("\u2019", "'"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def _lexicon_hit(token: str, lexicon: tuple[str, ...]) -> bool:
    return any(token.startswith(entry[:-1]) if entry.endswith("*") else token == entry for entry in lexicon)


def _word_hits(folded: str, language: str | None) -> tuple[int, int]:
    """(negative, positive) counts; a negated positive word counts as negative, a negated negative as neither."""
    negative = len(_COMPLAINTS.findall(folded))
    ignored = _FALSE_FRIENDS.get(language or "", frozenset())
    positive = 0
    for clause in _CLAUSE_END.split(_COMPLAINTS.sub(" ", folded)):  # "No problem, great job": no negation
        tokens = _TOKEN.findall(clause)
        for i, token in enumerate(tokens):
            if token in ignored:
                continue
            before = tokens[max(0, i - NEGATION_WINDOW):i]
            negated = any(t in _NEGATORS or t.endswith("n't") or t.startswith("n'") for t in before)
            if _lexicon_hit(token, _NEGATIVE):
                negative += not negated
            elif _lexicon_hit(token, _POSITIVE):
                if negated and token not in _GRATITUDE:
                    negative += 1
                else:
                    positive += 1
    return negative, positive


def _is_shouting(text: str) -> bool:
    upper = sum(ch.isupper() for ch in text)
    cased = upper + sum(ch.islower() for ch in text)
    return cased >= CAPS_MIN_LETTERS and upper / cased >= CAPS_RATIO


def _is_emphatic(run: str) -> bool:
    """ "!!", "?!" and "???" are emphatic; a doubled "??" is just a question."""
    bangs = sum(ch in "!¡" for ch in run)
    return bangs >= 2 or (bangs >= 1 and len(run) > bangs) or len(run) >= 3


def _repeats(tokens: list[str], history: Sequence[str]) -> bool:
    """Whether this message nearly repeats one of the customer's recent messages.

    Almost all of the earlier message's words must come back ("where is my invoice" does not
    repeat "where is my order"), and they must be most of the new message too.
    """
    current = set(tokens)
    if len(current) < REPEAT_MIN_TOKENS:
        return False
    for previous in history[-REPEAT_LOOKBACK:]:
        earlier = set(_TOKEN.findall(_fold(previous)))
        if len(earlier) < REPEAT_MIN_TOKENS:
            continue
        shared = len(current & earlier)
        if shared / len(earlier) >= REPEAT_CONTAINED and shared / len(current | earlier) >= REPEAT_SIMILARITY:
            return True
    return False
