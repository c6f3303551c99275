"""One tenant collection's vectors held in memory for ranking, next to Qdrant.

Qdrant stays the store of record (payloads, persistence, the server path), but ranking a
question there costs a round trip per ranking and, embedded, a pure-Python walk over every
point: 750 ms at 10,000 paragraph-long chunks, most of it BM25. Here the dense vectors are
one matrix per vector name (a matrix product ranks them all) and BM25 is an inverted index
(knowledge/postings.py), so a question costs milliseconds; only the payloads of the final
hits are fetched from Qdrant.

The index keeps it current: every point it writes or deletes goes here too, and a
collection it has not seen in this process is read back from Qdrant once, on first use.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from knowledge.postings import Postings

log = logging.getLogger(__name__)

_GROWTH = 1024
# Payloads of recent hits kept in memory: every question reads its ~30 candidates' payloads, and
# the embedded Qdrant copies each one it returns (~10 ms a question); a write drops the point's.
PAYLOAD_MEMORY = 4096


@dataclass(frozen=True)
class Ranked:
    """A point as one ranking scored it, with the dense similarity the engine thresholds on."""

    point_id: str
    score: float
    similarity: float
    language: str | None


class ResidentCollection:
    """The dense matrices and BM25 postings of one tenant's collection. Rows are appended;
    a removed or replaced point's row is masked, and rows are compacted when the masked ones
    outnumber the live ones."""

    def __init__(self, tenant: str, dense_names: Sequence[str], sparse_name: str) -> None:
        self.tenant = tenant
        self._dense_names = tuple(dense_names)
        self._sparse_name = sparse_name
        self._ids: list[str] = []
        self._docs: list[str] = []
        self._languages: list[str | None] = []
        self._row: dict[str, int] = {}
        self._alive = np.zeros(0, dtype=bool)
        self._dense: dict[str, np.ndarray] = {}
        self._has_dense: dict[str, np.ndarray] = {}  # rows holding each dense vector (a new point may not yet)
        self._postings = Postings()
        self._payloads: OrderedDict[str, Mapping[str, object]] = OrderedDict()  # recent hits' payloads

    def __len__(self) -> int:
        return len(self._row)

    # -- writes --------------------------------------------------------------------------

    def put(self, point_id: str, vectors: Mapping[str, object], payload: Mapping[str, object]) -> None:
        """Add a point, or replace the one with this id."""
        point_id = str(point_id)
        self.remove([point_id])
        if payload.get("tenant") != self.tenant:  # defence in depth: never rank another tenant's point
            log.error("point %s of tenant %s found in %s's index", point_id, payload.get("tenant"), self.tenant)
            return
        row = len(self._ids)
        self._grow(row + 1)
        for present in self._has_dense.values():
            present[row] = False  # a row may be reused after compaction
        self._ids.append(point_id)
        self._docs.append(str(payload.get("doc_id", "")))
        language = payload.get("language")
        self._languages.append(str(language) if language is not None else None)
        for name in self._dense_names:
            vector = vectors.get(name)
            if vector is not None:
                self._put_dense(name, row, np.asarray(vector, dtype=np.float32))
        sparse = vectors.get(self._sparse_name)
        if sparse is not None:
            self._postings.add(row, sparse.indices, sparse.values)  # type: ignore[attr-defined]
        self._alive[row] = True
        self._row[point_id] = row

    def add_dense(self, point_id: str, vectors: Mapping[str, object]) -> None:
        """Dense vectors for a point already here (they are computed after its words)."""
        row = self._row.get(str(point_id))
        if row is not None:
            for name in self._dense_names:
                vector = vectors.get(name)
                if vector is not None:
                    self._put_dense(name, row, np.asarray(vector, dtype=np.float32))

    def without_dense(self, point_ids: Iterable[str], name: str) -> list[str]:
        """Those of these points that are here but still lack the dense vector `name`."""
        has = self._has_dense.get(name)
        missing = []
        for pid in point_ids:
            row = self._row.get(pid)
            if row is not None and (has is None or not has[row]):
                missing.append(pid)
        return missing

    def remove(self, point_ids: Iterable[str]) -> None:
        for point_id in point_ids:
            self._payloads.pop(str(point_id), None)
            row = self._row.pop(str(point_id), None)
            if row is not None:
                self._alive[row] = False
                self._postings.remove(row)
        if len(self._ids) - len(self._row) > max(_GROWTH, len(self._row)):
            self._compact()

    # -- the payloads of recent hits -------------------------------------------------------

    def rows(self, point_ids: Iterable[str]) -> dict[str, int | None]:
        """Each point's current row: a point written again gets a new one."""
        return {pid: self._row.get(pid) for pid in point_ids}

    def remembered_payloads(self, point_ids: Iterable[str]) -> dict[str, Mapping[str, object]]:
        """The payloads of these points that are remembered (and still current)."""
        found = {}
        for pid in point_ids:
            payload = self._payloads.get(pid)
            if payload is not None:
                self._payloads.move_to_end(pid)
                found[pid] = payload
        return found

    def remember_payloads(self, payloads: Mapping[str, Mapping[str, object]], rows: Mapping[str, int | None]) -> None:
        """Keep payloads read from Qdrant for points whose row has not changed since `rows` was
        taken (a point rewritten while its payload was being read keeps nothing stale)."""
        for pid, payload in payloads.items():
            row = rows.get(pid)
            if row is not None and self._row.get(pid) == row:
                self._payloads[pid] = payload
                self._payloads.move_to_end(pid)
        while len(self._payloads) > PAYLOAD_MEMORY:
            self._payloads.popitem(last=False)

    def remove_document(self, doc_id: str, keep: Iterable[str] = ()) -> None:
        """Mask a document's points, except `keep`."""
        spared = {str(k) for k in keep}
        self.remove([pid for pid, row in list(self._row.items())
                     if self._docs[row] == doc_id and pid not in spared])

    def _put_dense(self, name: str, row: int, vector: np.ndarray) -> None:
        matrix = self._dense.get(name)
        if matrix is None:
            matrix = self._dense[name] = np.zeros((self._alive.shape[0], vector.shape[0]), dtype=np.float32)
            self._has_dense[name] = np.zeros(self._alive.shape[0], dtype=bool)
        norm = float(np.linalg.norm(vector))
        matrix[row] = vector / norm if norm > 0 else vector  # Qdrant normalizes for cosine too
        self._has_dense[name][row] = True

    def _grow(self, rows: int) -> None:
        capacity = self._alive.shape[0]
        if rows <= capacity:
            return
        capacity = max(rows, capacity * 2, _GROWTH)
        self._alive = np.concatenate([self._alive, np.zeros(capacity - self._alive.shape[0], dtype=bool)])
        for name, matrix in self._dense.items():
            grown = np.zeros((capacity, matrix.shape[1]), dtype=np.float32)
            grown[:matrix.shape[0]] = matrix
            self._dense[name] = grown
            present = np.zeros(capacity, dtype=bool)
            present[:self._has_dense[name].shape[0]] = self._has_dense[name]
            self._has_dense[name] = present

    def _compact(self) -> None:
        live = sorted(self._row.values())
        renumber = {old: new for new, old in enumerate(live)}
        self._ids = [self._ids[row] for row in live]
        self._docs = [self._docs[row] for row in live]
        self._languages = [self._languages[row] for row in live]
        self._row = {pid: new for new, pid in enumerate(self._ids)}
        index = np.asarray(live, dtype=np.int64)
        self._dense = {name: matrix[index].copy() for name, matrix in self._dense.items()}
        self._has_dense = {name: present[index].copy() for name, present in self._has_dense.items()}
        self._alive = np.ones(len(live), dtype=bool)
        self._postings.compact(renumber)

    # -- ranking -------------------------------------------------------------------------

    def rank_dense(self, query: np.ndarray, dense_name: str, title_name: str, title_weight: float,
                   limit: int) -> list[Ranked]:
        """The `limit` nearest points by the chunk vector, ordered by title-blended similarity."""
        size = len(self._ids)
        matrix = self._dense.get(dense_name)
        if matrix is None or size == 0:
            return []
        scores = matrix[:size] @ query
        ranked_rows = self._alive[:size] & self._has_dense[dense_name][:size]
        rows = self._top(np.where(ranked_rows, scores, -np.inf), limit)
        similarity = self._blended(rows, scores[rows], query, title_name, title_weight)
        ranked = [Ranked(self._ids[row], sim, sim, self._languages[row])
                  for row, sim in zip(rows, similarity, strict=True)]
        ranked.sort(key=lambda r: r.similarity, reverse=True)
        return ranked

    def rank_sparse(self, tokens: Sequence[int], weights: Sequence[float], query: np.ndarray,
                    dense_name: str, title_name: str, title_weight: float, limit: int) -> list[Ranked]:
        """The `limit` best BM25 matches (only points sharing a word with the question)."""
        size = len(self._ids)
        if size == 0 or not tokens:
            return []
        scores = self._postings.scores(tokens, weights, size)
        scores = np.where(self._alive[:size] & ~np.isnan(scores), scores, -np.inf)
        matrix = self._dense.get(dense_name)
        rows = self._top(scores, limit)
        # a chunk whose dense vectors are still being computed has a zero row: similarity 0
        raw = matrix[rows] @ query if matrix is not None else np.zeros(len(rows))
        similarity = self._blended(rows, raw, query, title_name, title_weight)
        return [Ranked(self._ids[row], float(scores[row]), sim, self._languages[row])
                for row, sim in zip(rows, similarity, strict=True)]

    def _blended(self, rows: list[int], raw: np.ndarray, query: np.ndarray, title_name: str,
                 title_weight: float) -> list[float]:
        """Each row's similarity: its chunk's, blended with its article title's."""
        title = self._dense.get(title_name)
        if title is None or not rows:
            return [float(x) for x in raw]
        return [float(x) for x in blend(raw, title[rows] @ query, title_weight)]

    @staticmethod
    def _top(scores: np.ndarray, limit: int) -> list[int]:
        """Rows of the `limit` highest finite scores, best first (earlier rows win ties)."""
        finite = int(np.isfinite(scores).sum())
        if finite == 0:
            return []
        limit = min(limit, finite)
        if limit < scores.shape[0]:
            picked = np.argpartition(-scores, limit - 1)[:limit]
        else:
            picked = np.arange(scores.shape[0])
        picked = picked[np.isfinite(scores[picked])]
        order = np.lexsort((picked, -scores[picked]))
        return [int(row) for row in picked[order]]


def blend(chunk: np.ndarray | float, title: np.ndarray | float, title_weight: float) -> np.ndarray | float:
    """A chunk's similarity blended with its article title's: the dense score every ranking uses."""
    return (1 - title_weight) * chunk + title_weight * title
