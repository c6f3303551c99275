"""An operator's own documents: generic JSON exports, verbatim ids, and the language of tables."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.config.tenants import Tenant
from knowledge.documents import Document, DocumentError
from knowledge.loaders import LoadResult, load_path
from knowledge.loaders.ids import operator_doc_id
from knowledge.loaders.language import detect_language, with_default_language

LONG_EN = ("You can move money between your accounts at any time from the app. Transfers between your "
           "own accounts arrive instantly and never cost anything, even at weekends.")


def reasons(result: LoadResult) -> list[tuple[str, str]]:
    return [(Path(source).name, reason) for source, reason in result.skipped]


def test_a_list_of_documents_keeps_every_field_and_the_operators_ids(tmp_path):
    (tmp_path / "export.json").write_text(json.dumps([
        {"id": "doc_bank_accounts_(general)_001", "title": "Bank accounts", "content": LONG_EN,
         "url": "https://bank.example/help/accounts", "language": "en-GB", "updated_at": "2026-05-01",
         "tags": ["accounts", "transfers"]},
        {"id": 42, "title": "Cards", "body": "<h2>Lost card</h2><p>Freeze it in the app.</p><script>x()</script>",
         "lang": "en"},
        {"title": "No id", "text": "Plain text without an id.", "category": "Misc"},
    ]))
    result = load_path(tmp_path)
    assert result.skipped == []
    accounts, cards, no_id = result.documents
    assert accounts.doc_id == "doc_bank_accounts_(general)_001"  # verbatim, not slugged
    assert (accounts.title, accounts.body, accounts.url, accounts.language, accounts.updated, accounts.category) == (
        "Bank accounts", LONG_EN, "https://bank.example/help/accounts", "en", "2026-05-01", "accounts, transfers")
    assert cards.doc_id == "42" and cards.body == "## Lost card\n\nFreeze it in the app."  # HTML rendered
    assert no_id.doc_id == "export/3" and no_id.category == "Misc"
    assert {d.source for d in result.documents} == {str(tmp_path / "export.json")}


def test_one_document_per_file_and_wrapped_lists_load(tmp_path):
    (tmp_path / "single.json").write_text(json.dumps({"id": "KB-7", "title": "Fees", "html": "<p>No fees.</p>"}))
    (tmp_path / "wrapped.json").write_text(json.dumps({"articles": [{"title": "Limits", "content": "Daily 500."}]}))
    result = load_path(tmp_path)
    assert [(d.doc_id, d.body) for d in result.documents] == [("KB-7", "No fees."), ("wrapped/1", "Daily 500.")]


def test_json_that_is_not_documents_is_refused_naming_the_first_bad_entry(tmp_path):
    (tmp_path / "numbers.json").write_text("[1, 2, 3]")
    (tmp_path / "config.json").write_text(json.dumps({"theme": "dark", "retries": 3}))
    (tmp_path / "scalar.json").write_text('"hello"')
    (tmp_path / "no-text.json").write_text(json.dumps([{"id": "a", "title": "T", "content": ""}]))
    result = load_path(tmp_path)
    assert result.documents == []
    expected = ('expected documents such as {"id", "title", "content"} (one object or a list) '
                'or FAQ pairs {"question", "answer"}')
    assert dict(reasons(result)) == {
        "config.json": f"the JSON object has no text field (keys: theme, retries); {expected}",
        "no-text.json": f"the JSON has no document (entry 1: no text in any of content, body, text, html "
                        f"(keys: id, title, content)); {expected}",
        "numbers.json": f"the JSON has no document (entry 1: a int, not an object); {expected}",
        "scalar.json": f"the JSON is a str; {expected}",
    }


def test_bad_and_duplicate_ids_skip_only_their_entry_with_a_reason(tmp_path):
    (tmp_path / "a.json").write_text(json.dumps([
        {"id": "same", "content": "First."}, {"id": "same", "content": "Second."},
        {"id": "bad\u0007id", "content": "Bell."}, {"id": "", "content": "Empty."}, {"id": "ok", "content": "Fine."},
    ]))
    (tmp_path / "b.md").write_text("---\nid: ok\n---\nAnother document claims the same id.\n")
    result = load_path(tmp_path)
    assert [d.doc_id for d in result.documents] == ["same", "ok"]
    assert reasons(result) == [
        ("a.json", "entry 2: the id 'same' is already taken by entry 1"),
        ("a.json", "entry 3: the id 'bad\\x07id' holds the control character U+0007"),
        ("a.json", "entry 4: the id is empty"),
        ("b.md", "a.json already has the id 'ok'; give one of the two another id"),
    ]


@pytest.mark.parametrize(("value", "problem"), [
    ("x" * 201, "201 characters long"), (" padded", "starts or ends with a space"), ("a//b", "empty"),
    ("../up", "'..'"), (["list"], "must be text"), ("zero\u200bwidth", r"U\+200B"),
])
def test_operator_ids_are_checked(value, problem):
    with pytest.raises(DocumentError, match=problem):
        operator_doc_id(value)


def test_front_matter_id_is_kept_verbatim(tmp_path):
    (tmp_path / "Refunds.md").write_text("---\nid: Refunds_(EU)\n---\n# Refunds\n\nWithin 30 days.\n")
    assert [d.doc_id for d in load_path(tmp_path).documents] == ["Refunds_(EU)"]


def test_article_links_percent_encode_an_operators_id():
    tenant = Tenant(id="bank", name="Bank", widget={"secret": "s" * 32})
    assert tenant.article_url("doc_bank_accounts_(general)_001") == "/kb/bank/doc_bank_accounts_%28general%29_001"
    assert tenant.article_url("billing/refund-policy") == "/kb/bank/billing/refund-policy"


TABLE_EN = ("| Plan | Monthly fee | Transfers | ATM |\n| Basic | 0,00 € | 5 | 2 |\n| Plus | 4,99 € | 20 | 5 |\n"
            "| Premium | 9,99 € | illimité | illimité |")


def test_a_table_only_document_is_not_given_a_guessed_language(tmp_path):
    assert detect_language(TABLE_EN) is None
    assert detect_language("Fees\n\nSee below.\n\n" + TABLE_EN) is None  # too little prose to tell
    assert detect_language(LONG_EN + "\n\n" + TABLE_EN) == "en"  # the prose decides, not the table
    (tmp_path / "fees.md").write_text("---\ntitle: Fees\n---\n" + TABLE_EN + "\n")
    (tmp_path / "frais.md").write_text("---\ntitle: Frais\nlanguage: fr\n---\n" + TABLE_EN + "\n")
    fees, frais = with_default_language(load_path(tmp_path).documents, "en")
    assert (fees.language, frais.language) == ("en", "fr")  # the tenant's default; a declared one wins


def test_the_default_language_fills_only_missing_languages():
    documents = [Document("a", "A", "x", "a.md"), Document("b", "B", "y", "b.md", language="de")]
    assert [d.language for d in with_default_language(documents, "es-ES")] == ["es", "de"]
    assert [d.language for d in with_default_language(documents, None)] == [None, "de"]
