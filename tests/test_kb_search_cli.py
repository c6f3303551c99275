"""`frontline kb search` in-process: the hits it prints, and the models it loads."""

from __future__ import annotations

import json

from knowledge import embedder as embedders
from tests.support.cli import frontline


def test_an_english_question_is_answered_without_the_multilingual_model(data_dir, tmp_path, capsys,
                                                                       monkeypatch):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "returns.md").write_text("---\ntitle: Returning a product\n---\n## Steps\n\n"
                                     "You can return any product within 30 days of delivery.\n")
    (docs / "invoices.md").write_text("---\ntitle: Download invoices\n---\n## Steps\n\n"
                                      "Open Billing, then Invoices, and choose Download PDF.\n")
    code, _, err = frontline(capsys, "kb", "ingest", str(docs), "--tenant", "demo")
    assert code == 0, err

    opened: list[str] = []
    real = embedders.open_embedder
    monkeypatch.setattr("app.cli.kb_search.open_embedder",
                        lambda folder, name=embedders.DEFAULT_MODEL: opened.append(name) or real(folder, name))
    code, out, err = frontline(capsys, "kb", "search", "how many days do I have to send something back?",
                               "--tenant", "demo", "--limit", "2", "--json")
    assert code == 0, err
    hits = json.loads(out)
    assert hits[0]["title"] == "Returning a product" and "30 days" in hits[0]["text"]
    assert opened == [embedders.DEFAULT_MODEL]

    code, out, _ = frontline(capsys, "kb", "search", "download a PDF invoice", "--tenant", "demo")
    assert code == 0 and out.startswith("1. Download invoices")
