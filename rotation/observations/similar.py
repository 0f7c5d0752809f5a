"""Similar problems already reported, suggested while an author types, so they can add a "me too" instead of
filing the same thing twice.

Matching is plain word overlap weighted by how rare each word is among the candidates (a word every
observation uses says little), with title words counting double. It runs in Python over a bounded set of
recent observations, preferring the author's process area and its neighbours, so it needs no search engine.
"""
from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

import sqlalchemy as sa

from rotation.extensions import db
from rotation.observations.models import KIND_LABELS, SUBMITTED, TRIAGED, Observation, Second
from rotation.process_map.models import ProcessArea
from rotation.process_map.tree import SEPARATOR

# How many recent observations are compared with what is typed.
CANDIDATES = 300
# Below this similarity (0 to 1) a match is noise: unrelated text suggests nothing.
THRESHOLD = 0.18
# Matches in the same area rank above equally good ones in a neighbouring area, and those above the rest.
SAME_AREA, NEIGHBOUR_AREA, OTHER_AREA = 0, 1, 2
AREA_WEIGHTS = {SAME_AREA: 1.0, NEIGHBOUR_AREA: 0.85, OTHER_AREA: 0.7}
TITLE_WEIGHT = 2.0

STOP_WORDS = frozenset([
    "a", "about", "above", "after", "again", "against", "all", "also", "am", "an", "and", "any", "are", "aren",
    "around", "as", "at", "be", "because", "been", "before", "being", "below", "between", "both", "but", "by",
    "can", "cannot", "could", "couldn", "did", "didn", "do", "does", "doesn", "doing", "don", "down", "during",
    "each", "even", "ever", "every", "few", "for", "from", "further", "get", "gets", "got", "had", "hadn", "has",
    "hasn", "have", "haven", "having", "he", "her", "here", "hers", "herself", "him", "himself", "his", "how",
    "however", "i", "if", "in", "into", "is", "isn", "it", "its", "itself", "just", "let", "like", "made", "make",
    "many", "may", "me", "might", "more", "most", "much", "must", "mustn", "my", "myself", "need", "needs", "no",
    "nor", "not", "now", "of", "off", "on", "once", "one", "only", "or", "other", "ought", "our", "ours",
    "ourselves", "out", "over", "own", "same", "say", "said", "says", "she", "should", "shouldn", "so", "some",
    "such", "than", "that", "the", "their", "theirs", "them", "themselves", "then", "there", "these", "they",
    "this", "those", "through", "thus", "to", "too", "under", "until", "up", "upon", "us", "very", "was", "wasn",
    "way", "we", "were", "weren", "what", "when", "where", "which", "while", "who", "whom", "why", "will", "with",
    "without", "won", "would", "wouldn", "yes", "yet", "you", "your", "yours", "yourself", "yourselves",
])

_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
# Words nearly every observation uses. They count as if they were in ``PRIOR`` more candidates than they
# are, so that while there are still few observations a shared "customer" and "wait" is not a match.
EVERYDAY_WORDS = [
    "customer", "customers", "client", "call", "calls", "called", "caller", "agent", "agents", "order", "orders",
    "wait", "waited", "waiting", "time", "times", "day", "days", "week", "weeks", "hour", "hours", "minute",
    "minutes", "shift", "shifts", "team", "people", "person", "problem", "problems", "issue", "issues", "help",
    "helped", "work", "worked", "working", "use", "used", "using", "take", "took", "ask", "asked", "tell", "told",
    "system", "process", "because", "again", "long", "still", "new", "first", "see", "saw", "seen", "know", "knew",
    "want", "wanted", "come", "came", "give", "gave", "keep", "kept", "try", "tried", "happen", "happened", "thing",
    "things", "lot", "often", "always", "never", "today", "yesterday",
]
PRIOR = 10


@dataclass(frozen=True)
class Match:
    """An observation that looks like what is being typed."""

    id: int
    title: str
    area: str
    kind: str
    seconds: int
    score: float


@dataclass(frozen=True)
class Candidate:
    """What the ranking needs of one observation."""

    id: int
    title: str
    text: str
    tier: int = OTHER_AREA
    version: datetime | None = None  # when it last changed: what its cached terms are kept by


def stem(word: str) -> str:
    """A crude stem, enough to match "refunds", "refunded" and "refunding" with "refund" (and "damaged",
    "shipped", "boxes" with "damage", "ship", "box")."""
    for suffix in ("ing", "ed", "es", "s"):
        if not word.endswith(suffix) or len(word) - len(suffix) < 3:
            continue
        if suffix == "s" and word.endswith(("ss", "us", "is")):
            break
        if suffix == "es" and not word.endswith(("ches", "shes", "xes", "sses", "zes")):
            continue  # "leaves" loses only its "s" below; "boxes" and "processes" lose "es" here
        word = word[: -len(suffix)]
        if suffix in ("ing", "ed") and len(word) > 3 and word[-1] == word[-2] and word[-1] not in "aeioulsfz":
            word = word[:-1]  # "shipped" -> "ship", but "missed" -> "miss"
        break
    if len(word) > 3 and word.endswith("e"):
        word = word[:-1]  # "damage", "damaged" and "damages" meet at "damag"
    return word


@lru_cache(maxsize=20_000)
def _term(word: str) -> str | None:
    word = word.replace("’", "'").split("'")[0]  # "customer's" -> "customer", "didn't" -> "didn"
    if len(word) < 3 or word in STOP_WORDS:
        return None
    return stem(word)


def terms(text: str) -> frozenset[str]:
    """The distinct meaningful words of ``text``: lower-cased, 3+ letters, no stop words, stemmed."""
    found = {_term(word) for word in set(_WORD.findall(text.lower()))}
    return frozenset(term for term in found if term is not None)


_DOCUMENTS: dict[tuple[int, datetime], tuple[frozenset[str], frozenset[str]]] = {}
_DOCUMENTS_KEPT = 5_000


def _document(candidate: Candidate) -> tuple[frozenset[str], frozenset[str]]:
    """A candidate's title terms and the rest of its terms. Kept per observation and version, as the same
    observations come back on every keystroke."""
    key = (candidate.id, candidate.version) if candidate.version is not None else None
    if key is not None and key in _DOCUMENTS:
        return _DOCUMENTS[key]
    title_terms = terms(candidate.title)
    document = title_terms, terms(candidate.text) - title_terms
    if key is not None:
        if len(_DOCUMENTS) >= _DOCUMENTS_KEPT:
            _DOCUMENTS.clear()
        _DOCUMENTS[key] = document
    return document


_EVERYDAY = frozenset(term for term in map(_term, EVERYDAY_WORDS) if term)


def rank(title: str, text: str, candidates: Sequence[Candidate], *, limit: int = 5) -> list[tuple[Candidate, float]]:
    """The candidates most like ``title`` and ``text``, best first, each with its weighted score.

    Both sides are sets of terms weighted by rarity among the candidates (inverse document frequency, with
    everyday words counted as common from the start), candidate title terms doubled; the score is their
    cosine similarity, times the candidate's area weight. Candidates scoring under ``THRESHOLD`` before the
    area weight are left out.
    """
    query = terms(f"{title}\n{text}")
    if not query or not candidates:
        return []
    documents = [_document(candidate) for candidate in candidates]
    shared = [(query & title_terms, query & body_terms) for title_terms, body_terms in documents]
    frequency: Counter[str] = Counter()
    for shared_title, shared_body in shared:
        frequency.update(shared_title)
        frequency.update(shared_body)
    count = len(documents) + PRIOR
    # A query word no candidate uses is as rare as it gets: it makes the query less like all of them.
    weights = {term: math.log(1 + count / max(frequency[term] + (PRIOR if term in _EVERYDAY else 0), 1))
               for term in query}
    query_norm = math.sqrt(sum(weight * weight for weight in weights.values()))
    # A candidate's words that the query lacks count as fairly rare ones: looking up how rare each one is
    # would cost more than the ranking is worth.
    other_weight = math.log(1 + count / 2) ** 2
    scored = []
    for candidate, (title_terms, body_terms), (shared_title, shared_body) in zip(candidates, documents, shared,
                                                                                 strict=False):
        if len(shared_title) + len(shared_body) < min(2, len(query)):
            continue
        in_title = sum(weights[term] ** 2 for term in shared_title) * TITLE_WEIGHT ** 2
        in_body = sum(weights[term] ** 2 for term in shared_body)
        others = ((len(title_terms) - len(shared_title)) * TITLE_WEIGHT ** 2
                  + len(body_terms) - len(shared_body)) * other_weight
        similarity = (in_title / TITLE_WEIGHT + in_body) / (query_norm * math.sqrt(in_title + in_body + others))
        if similarity >= THRESHOLD:
            scored.append((candidate, similarity * AREA_WEIGHTS[candidate.tier]))
    scored.sort(key=lambda item: (-item[1], item[0].tier, -item[0].id))
    return scored[:limit]


def similar_observations(text: str, *, area_id: int | None, exclude_id: int | None, viewer_person_id: int,
                         limit: int = 5, title: str = "") -> list[Match]:
    """Submitted or triaged observations by other people that look like ``title`` and ``text``, best first.

    The most recent ``CANDIDATES`` are compared, taken first from ``area_id``, then from the rest of its
    parent's subtree, then from anywhere; a match in the same area outranks an equally good one elsewhere.
    Two queries: the process map, then the candidates with their "me too" counts.
    """
    if not terms(f"{title}\n{text}"):
        return []
    areas = {row.id: row for row in db.session.execute(
        sa.select(ProcessArea.id, ProcessArea.parent_id, ProcessArea.name))}
    neighbours = _neighbours(areas, area_id)
    seconds = (sa.select(sa.func.count(Second.id)).where(Second.observation_id == Observation.id)
               .correlate(Observation).scalar_subquery())
    statement = (
        sa.select(Observation.id, Observation.title, Observation.what_happened, Observation.contact_driver,
                  Observation.area_id, Observation.kind, Observation.updated_at, seconds.label("seconds"))
        .where(Observation.status.in_((SUBMITTED, TRIAGED)), Observation.author_id != viewer_person_id)
        .limit(CANDIDATES))
    if area_id in areas:
        tier = sa.case((Observation.area_id == area_id, SAME_AREA),
                       (Observation.area_id.in_(neighbours), NEIGHBOUR_AREA), else_=OTHER_AREA)
        statement = statement.add_columns(tier.label("tier")).order_by(tier)
    statement = statement.order_by(Observation.submitted_at.desc(), Observation.id.desc())
    if exclude_id is not None:
        statement = statement.where(Observation.id != exclude_id)
    rows = {row.id: row for row in db.session.execute(statement)}
    candidates = [Candidate(row.id, row.title or "", f"{row.what_happened or ''}\n{row.contact_driver or ''}",
                            getattr(row, "tier", OTHER_AREA), row.updated_at) for row in rows.values()]
    return [Match(id=candidate.id, title=candidate.title, area=_path(areas, rows[candidate.id].area_id),
                  kind=KIND_LABELS.get(rows[candidate.id].kind or "", ""), seconds=rows[candidate.id].seconds,
                  score=round(score, 3))
            for candidate, score in rank(title, text, candidates, limit=limit)]


def _neighbours(areas: dict, area_id: int | None) -> list[int]:
    """The rest of the subtree of the area's parent (or of the area itself, at the top of the map)."""
    if area_id is None or area_id not in areas:
        return []
    root: int = areas[area_id].parent_id if areas[area_id].parent_id in areas else area_id
    children: dict[int | None, list[int]] = {}
    for row in areas.values():
        children.setdefault(row.parent_id, []).append(row.id)
    found: set[int] = set()
    waiting = [root]
    while waiting:
        current = waiting.pop()
        if current not in found:
            found.add(current)
            waiting.extend(children.get(current, ()))
    found.discard(area_id)
    return sorted(found)


def _path(areas: dict, area_id: int | None) -> str:
    names: list[str] = []
    seen: set[int] = set()
    while area_id is not None and area_id in areas and area_id not in seen:
        seen.add(area_id)
        names.append(areas[area_id].name)
        area_id = areas[area_id].parent_id
    return SEPARATOR.join(reversed(names))
