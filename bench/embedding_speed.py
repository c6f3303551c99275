"""How fast the bundled MiniLM embeds a question, a follow-up's context query and passages.

Compares, on this machine, the published file run as it was before (its int8 weights turned
back into float32 before each product, `weights.onnx`; one text on two threads, passages in
padded batches on two threads) with how Frontline runs it now (`model.onnx`: the same weights
multiplied as int8, knowledge/int8_matmul.py; each text its own call on one thread, a batch's
texts spread over one worker per core). Passages are doc2dial's help pages cut into 150-word
pieces (../shared/eval/doc2dial); questions are bench/data/demo_questions.jsonl. Also prints
how close the two give the same vectors.

    uv run python bench/embedding_speed.py [--passages 192] [--repeat 30]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.config.settings import Settings
from knowledge.embedder import MiniLMEmbedder
from knowledge.model_files import BUNDLES, DEFAULT_MODEL

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "eval" / "doc2dial" / "derived_corpus.jsonl"


def session(path: Path, threads: int):  # type: ignore[no-untyped-def]
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


class FloatProducts:
    """The previous way: float products, padded batches of up to 4,096 tokens, two threads."""

    def __init__(self, folder: Path, tokenizer) -> None:  # type: ignore[no-untyped-def]
        self.session, self.tokenizer = session(folder / "weights.onnx", min(os.cpu_count() or 1, 4)), tokenizer

    def embed(self, texts: list[str]) -> np.ndarray:
        encodings = self.tokenizer.encode_batch(texts)
        out = np.empty((len(texts), 384), dtype=np.float32)
        for batch in self.batches([len(e.ids) for e in encodings]):
            width = max(len(encodings[i].ids) for i in batch)
            ids = np.zeros((len(batch), width), dtype=np.int64)
            mask = np.zeros_like(ids)
            for row, i in enumerate(batch):
                ids[row, :len(encodings[i].ids)] = encodings[i].ids
                mask[row, :len(encodings[i].ids)] = 1
            hidden = self.session.run(None, {"input_ids": ids, "attention_mask": mask,
                                             "token_type_ids": np.zeros_like(ids)})[0]
            weights = mask[:, :, None].astype(np.float32)
            out[batch] = (hidden * weights).sum(axis=1) / weights.sum(axis=1)
        return out / np.linalg.norm(out, axis=1, keepdims=True)

    @staticmethod
    def batches(lengths: list[int], budget: int = 4096, most: int = 64) -> list[list[int]]:
        """Shortest first; each batch padded to at most `budget` tokens."""
        batches: list[list[int]] = [[]]
        for i in sorted(range(len(lengths)), key=lengths.__getitem__):
            if batches[-1] and ((len(batches[-1]) + 1) * lengths[i] > budget or len(batches[-1]) == most):
                batches.append([])
            batches[-1].append(i)
        return [b for b in batches if b]


def median_ms(embed, texts: list[str], repeat: int) -> float:  # type: ignore[no-untyped-def]
    timings = []
    for i in range(repeat):
        text = texts[i % len(texts)]
        started = time.perf_counter()
        embed([text])
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def passages_per_second(embed, passages: list[str]) -> float:  # type: ignore[no-untyped-def]
    embed(passages[:8])
    started = time.perf_counter()
    embed(passages)
    return len(passages) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, default=192)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    model_dir = Settings().model_dir
    now = MiniLMEmbedder(model_dir)
    before = FloatProducts(model_dir / BUNDLES[DEFAULT_MODEL].folder, now._tokenizer)
    questions = [json.loads(line)["question"] for line in (ROOT / "bench" / "data" / "demo_questions.jsonl")
                 .read_text().splitlines() if line.strip()]
    contexts = [" ".join(questions[i:i + 5]) for i in range(len(questions) - 5)]  # 4 earlier turns + the latest
    passages = []
    for line in CORPUS.read_text().splitlines():
        words = json.loads(line)["text"].split()
        passages += [" ".join(words[i:i + 150]) for i in range(0, len(words), 150)]
    passages = passages[:args.passages]
    print(f"cpus {os.cpu_count()}  load {os.getloadavg()[0]:.2f}  {len(passages)} passages, "
          f"{statistics.mean(len(e.ids) for e in now._tokenizer.encode_batch(passages)):.0f} tokens on average")
    for name, embed in (("float products, as before", before.embed), ("int8 products, as served", now.embed)):
        print(f"{name}:")
        print(f"  a question                       {median_ms(embed, questions, args.repeat):6.2f} ms (p50)")
        print(f"  a follow-up's context query      {median_ms(embed, contexts, args.repeat):6.2f} ms (p50)")
        print(f"  passages                         {passages_per_second(embed, passages):6.1f} passages/s")
    sample = questions + passages[:64]
    ours, theirs = now.embed(sample), before.embed(sample)
    cosine = (ours * theirs).sum(axis=1)
    print(f"same vectors? cosine int8 vs float products: min {cosine.min():.4f}  mean {cosine.mean():.4f} "
          f"over {len(cosine)} questions and passages")


if __name__ == "__main__":
    main()
