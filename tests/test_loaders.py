"""Knowledge loaders: every format to one Document shape, and every bad input to a reason.

Files are written to tmp_path; URLs and sitemaps are tested in test_loaders_web.py.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter

import knowledge.loaders
from knowledge.documents import MAX_DOCUMENT_BYTES, Document, DocumentError
from knowledge.loaders import LoadResult, load_folder, load_path
from knowledge.loaders.ids import url_doc_id
from knowledge.loaders.markdown import load_markdown

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def load_one(path: Path) -> Document:
    result = load_path(path)
    assert result.skipped == [] and len(result.documents) == 1, result
    return result.documents[0]


def reasons(result: LoadResult) -> dict[str, str]:
    return {Path(source).name: reason for source, reason in result.skipped}


def make_pdf(pages: list[list[str]], title: str | None = None) -> bytes:
    """A minimal valid PDF: one text line per entry ("" is a blank line), xref offsets computed."""
    objects = ["<< /Type /Catalog /Pages 2 0 R >>", "", "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    kids = []
    for lines in pages:
        ops = ["BT", "/F1 12 Tf", "14 TL", "72 720 Td"]
        for line in lines:
            escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
            ops.append(f"({escaped}) Tj T*")
        stream = "\n".join([*ops, "ET"])
        objects.append(f"<< /Length {len(stream.encode('latin-1'))} >>\nstream\n{stream}\nendstream")
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {len(objects)} 0 R "
                       "/Resources << /Font << /F1 3 0 R >> >> >>")
        kids.append(f"{len(objects)} 0 R")
    objects[1] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(kids)} >>"
    if title:
        objects.append(f"<< /Title ({title}) >>")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{offset:010d} 00000 n \n" for offset in offsets).encode()
    info = f" /Info {len(objects)} 0 R" if title else ""
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R{info} >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


WARRANTY_PDF = [
    ["Warranty guide", "",
     "Every Brightwave device has a two-year warranty that covers defects",
     "in materials and workmanship from the day of delivery.", "",
     "How to claim", "",
     "- Open the Brightwave app.", "- Choose Support, then Warranty claim.", "",
     "1"],
    ["We answer every claim within five business days.", "", "2"],
]

ARTICLE_HTML = """<!doctype html>
<html lang="en-US"><head><meta charset="utf-8"><title>Reset your password | Acme Help</title>
<style>body { color: red }</style><script>var tracking = "SCRIPT TEXT";</script></head>
<body>
<header class="site-header"><a href="/">Acme</a><nav><ul><li><a href="/">NAV HOME</a></li></ul></nav></header>
<div id="cookie-banner">COOKIE NOTICE: we use cookies. <button>Accept</button></div>
<main>
 <nav class="breadcrumbs"><a href="/">Help</a> &gt; BREADCRUMB</nav>
 <article>
  <header><h1>Reset your  password</h1></header>
  <p>If you forgot your password, set a new one from the <a href="/signin">sign-in page</a>.</p>
  <h2>Steps</h2>
  <ol><li>Open the <strong>sign-in</strong> page.</li>
      <li>Choose <em>Forgot password</em>.<ul><li>Check your spam folder.</li></ul></li></ol>
  <h3>Requirements</h3>
  <p>Passwords need at least<br>10 characters.</p>
  <h4>Plans</h4>
  <table><tr><th>Plan</th><th>Price</th></tr><tr><td>Basic</td><td>$5</td></tr></table>
  <form><label>SEARCH FORM</label><input name="q"></form>
 </article>
 <aside>RELATED ARTICLES</aside>
</main>
<footer>FOOTER © Acme 2026</footer>
</body></html>
"""

SPANISH = ("Para restablecer tu contraseña, abre la página de inicio de sesión y elige "
           "«¿Olvidaste tu contraseña?». Te enviaremos un enlace por correo electrónico.")


# --- Public API and the wrappers in knowledge.documents --------------------------------


def test_public_api_is_pinned():
    assert knowledge.loaders.__all__ == ["LoadResult", "load_folder", "load_path", "load_sources", "load_url"]


def test_demo_help_center_loads_with_ids_equal_to_file_stems():
    folder = PROJECT_ROOT / "demo" / "helpcenter"
    documents, skipped = load_folder(folder)
    assert skipped == [] and len(documents) == 33
    assert [d.doc_id for d in documents] == sorted(p.stem for p in folder.glob("*.md"))
    assert all(d.title and d.category and d.updated and d.language == "en" for d in documents)
    assert not any(d.body.startswith("# ") for d in documents)


def test_load_markdown_wrapper_raises_document_error(tmp_path):
    path = tmp_path / "Reset Password.md"
    path.write_text("# Reset your password\n\nChoose Forgot password on the sign-in page.\n")
    document = load_markdown(path)
    assert (document.doc_id, document.title) == ("reset-password", "Reset your password")
    assert document.body == "Choose Forgot password on the sign-in page."
    (tmp_path / "empty.md").write_text("---\ntitle: Empty\n---\n")
    with pytest.raises(DocumentError, match="the article has no text"):
        load_markdown(tmp_path / "empty.md")
    assert MAX_DOCUMENT_BYTES == 2_000_000


# --- Markdown -------------------------------------------------------------------------


def test_markdown_front_matter_sets_every_field(tmp_path):
    path = tmp_path / "refunds.markdown"
    path.write_text("---\ntitle: Refunds\ncategory: Billing\nupdated: 2026-03-01\nlanguage: es-ES\n"
                    "url: https://help.example.com/refunds\n---\n# Refunds\n\nIntro.\n\n## Window\n\n30 days.\n")
    document = load_one(path)
    assert document.title == "Refunds" and document.body == "Intro.\n\n## Window\n\n30 days."
    assert (document.category, document.updated, document.language, document.url) == (
        "Billing", "2026-03-01", "es", "https://help.example.com/refunds")
    assert document.source == str(path)


def test_markdown_without_front_matter_detects_its_language(tmp_path):
    path = tmp_path / "restablecer.md"
    path.write_text(f"# Restablecer tu contraseña\n\n{SPANISH}\n")
    document = load_one(path)
    assert document.title == "Restablecer tu contraseña" and document.language == "es"
    assert document.body == SPANISH


def test_language_is_none_when_it_cannot_be_detected(tmp_path):
    (tmp_path / "codes.txt").write_text("Codes\n\n12345 67890 !!!\n")
    assert load_one(tmp_path / "codes.txt").language is None


# --- HTML -----------------------------------------------------------------------------


def test_html_keeps_the_main_content_as_markdown(tmp_path):
    (tmp_path / "reset.html").write_text(ARTICLE_HTML)
    document = load_one(tmp_path / "reset.html")
    assert document.title == "Reset your password" and document.language == "en"
    assert document.body == (
        "If you forgot your password, set a new one from the sign-in page.\n\n"
        "## Steps\n\n"
        "- Open the sign-in page.\n- Choose Forgot password.\n  - Check your spam folder.\n\n"
        "### Requirements\n\n"
        "Passwords need at least\n10 characters.\n\n"
        "#### Plans\n\n"
        "Plan | Price\nBasic | $5"
    )
    for boilerplate in ("NAV", "COOKIE", "SCRIPT", "BREADCRUMB", "SEARCH FORM", "RELATED", "FOOTER", "color"):
        assert boilerplate not in document.body


def test_html_without_main_uses_the_largest_text_block(tmp_path):
    (tmp_path / "shipping.htm").write_text(
        "<html><head><title>Shipping times</title></head><body>"
        "<div class='top'><a href='/'>Home</a> | <a href='/help'>Help</a></div>"
        "<div class='layout'><div class='menu-col'><ul><li><a href='/a'>Orders</a></li></ul></div>"
        "<div class='content'><h2>Standard</h2><p>Standard shipping takes three to five business days.</p>"
        "<p>Express shipping takes two business days.</p></div></div>"
        "<div>(c) 2026 Brightwave</div></body></html>")
    document = load_one(tmp_path / "shipping.htm")
    assert document.title == "Shipping times"
    assert document.body == ("## Standard\n\nStandard shipping takes three to five business days.\n\n"
                             "Express shipping takes two business days.")


def test_html_honours_its_declared_charset(tmp_path):
    (tmp_path / "creme.html").write_bytes(
        "<html><head><meta charset='iso-8859-1'><title>Crème brûlée</title></head><body><main>"
        "<p>La crème brûlée est un dessert français très populaire. On la sert froide, avec une fine couche "
        "de sucre caramélisé au chalumeau juste avant de la servir.</p></main></body></html>".encode("latin-1"))
    document = load_one(tmp_path / "creme.html")
    assert document.title == "Crème brûlée" and "français" in document.body and document.language == "fr"


def test_html_page_with_only_boilerplate_is_skipped(tmp_path):
    (tmp_path / "shell.html").write_text("<html><head><title>App</title><script>boot()</script></head><body>"
                                         "<nav><a href='/'>Home</a></nav><footer>(c) 2026</footer></body></html>")
    assert reasons(load_path(tmp_path / "shell.html")) == {"shell.html": "the page has no main content"}


# --- PDF ------------------------------------------------------------------------------


def test_pdf_text_keeps_paragraphs_and_headings(tmp_path):
    (tmp_path / "warranty.pdf").write_bytes(make_pdf(WARRANTY_PDF, title="Brightwave warranty"))
    document = load_one(tmp_path / "warranty.pdf")
    assert document.title == "Brightwave warranty" and document.language == "en"
    assert document.body == (
        "## Warranty guide\n\n"  # a short lone line is a heading, as in plain text
        "Every Brightwave device has a two-year warranty that covers defects in materials and "
        "workmanship from the day of delivery.\n\n"
        "## How to claim\n\n"
        "- Open the Brightwave app.\n- Choose Support, then Warranty claim.\n\n"
        "We answer every claim within five business days."
    )


def test_pdf_without_a_title_in_its_metadata_takes_its_first_line(tmp_path):
    (tmp_path / "warranty.pdf").write_bytes(make_pdf(WARRANTY_PDF))
    document = load_one(tmp_path / "warranty.pdf")
    assert document.title == "Warranty guide" and document.body.startswith("Every Brightwave device")


def test_pdf_running_headers_and_page_numbers_are_dropped(tmp_path):
    pages = [["Brightwave manual", "", f"Chapter {n} explains one part of the hub in plain words.", "", f"{n}"]
             for n in range(1, 4)]
    (tmp_path / "manual.pdf").write_bytes(make_pdf(pages, title="Hub manual"))
    document = load_one(tmp_path / "manual.pdf")
    assert document.body == "\n\n".join(f"Chapter {n} explains one part of the hub in plain words."
                                         for n in range(1, 4))


def test_encrypted_pdfs_open_without_a_password_or_are_skipped(tmp_path):
    for password in ("", "secret"):
        writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf(WARRANTY_PDF))))
        writer.encrypt(user_password=password, owner_password="owner", algorithm="RC4-128")
        with (tmp_path / f"locked-{password or 'open'}.pdf").open("wb") as file:
            writer.write(file)
    result = load_path(tmp_path)
    assert [d.title for d in result.documents] == ["Warranty guide"]
    assert reasons(result) == {"locked-secret.pdf": "the PDF is password-protected"}


def test_scanned_and_corrupt_pdfs_are_skipped_with_a_reason(tmp_path):
    good = make_pdf(WARRANTY_PDF)
    (tmp_path / "scanned.pdf").write_bytes(make_pdf([[], []]))
    (tmp_path / "truncated.pdf").write_bytes(good[: len(good) // 2])
    (tmp_path / "renamed.pdf").write_bytes(b"PK\x03\x04 this is a zip file, not a PDF")
    (tmp_path / "fine.pdf").write_bytes(good)
    result = load_path(tmp_path)
    assert [d.doc_id for d in result.documents] == ["fine"]
    damaged = "the file is not a readable PDF (it may be damaged or incomplete)"
    assert reasons(result) == {"scanned.pdf": "the PDF has no extractable text (scanned image?)",
                               "truncated.pdf": damaged, "renamed.pdf": damaged}


# --- Plain text -----------------------------------------------------------------------


def test_plain_text_paragraphs_headings_and_bullets(tmp_path):
    (tmp_path / "hub-setup.txt").write_text(
        "Getting started with the hub\n\n"
        "The Brightwave hub connects your plugs and sensors\nto the app.\n\n"
        "SETUP\n\n"
        "* Plug in the hub.\n• Open the app and\n  tap Add device.\n1. Wait for the green light.\n\n"
        "Steps for later:\n\n"
        "Troubleshooting\n\n"
        "If the light blinks red, restart your router.\n")
    document = load_one(tmp_path / "hub-setup.txt")
    assert document.title == "Getting started with the hub"
    assert document.body == (
        "The Brightwave hub connects your plugs and sensors to the app.\n\n"
        "## SETUP\n\n"
        "- Plug in the hub.\n- Open the app and tap Add device.\n1. Wait for the green light.\n\n"
        "Steps for later:\n\n"
        "## Troubleshooting\n\n"
        "If the light blinks red, restart your router."
    )


def test_plain_text_with_a_long_first_line_is_titled_by_its_file_name(tmp_path):
    first = ("This file starts straight away with a long sentence about resetting the hub to its factory "
             "state, which is no title.")
    (tmp_path / "factory_reset.txt").write_text(first + "\n")
    document = load_one(tmp_path / "factory_reset.txt")
    assert (document.doc_id, document.title, document.body) == ("factory-reset", "Factory reset", first)


def test_text_in_utf8_with_bom_and_utf16_loads_and_latin1_is_refused(tmp_path):
    text = "Café opening hours\n\nThe café opens at nine every weekday morning."
    (tmp_path / "bom.txt").write_bytes(text.encode("utf-8-sig"))
    (tmp_path / "utf16.txt").write_bytes(text.replace("\n", "\r\n").encode("utf-16"))
    (tmp_path / "latin1.txt").write_bytes(text.encode("latin-1"))
    result = load_path(tmp_path)
    assert [(d.doc_id, d.title, d.body) for d in result.documents] == [
        ("bom", "Café opening hours", text.split("\n\n")[1]),
        ("utf16", "Café opening hours", text.split("\n\n")[1]),
    ]
    assert reasons(result) == {"latin1.txt": "the file is not valid UTF-8 text"}


# --- FAQ files ------------------------------------------------------------------------


def test_faq_csv_becomes_one_section_per_question(tmp_path):
    (tmp_path / "faq.csv").write_text(
        "Question,Answer,Category\n"
        'How do I reset my password?,"Open the sign-in page, then choose Forgot password.",Account\n'
        ",An answer without a question,Account\n"
        '"What does\nshipping cost?","Standard shipping is free.\n\nExpress costs 9 euros.",Account\n'
        "\n"
        "A question without an answer,,Account\n")
    result = load_path(tmp_path / "faq.csv")
    [document] = result.documents
    assert (document.doc_id, document.title, document.category) == ("faq", "FAQ", "Account")
    assert document.body == (
        "## How do I reset my password?\n\nOpen the sign-in page, then choose Forgot password.\n\n"
        "## What does shipping cost?\n\nStandard shipping is free.\n\nExpress costs 9 euros."
    )
    # Rows numbered as a spreadsheet shows them: the header is row 1, the blank line row 5.
    assert result.skipped == [(str(tmp_path / "faq.csv"),
                               "2 rows without a question or an answer skipped (rows 3, 6)")]


def test_faq_csv_accepts_short_headers_and_semicolons(tmp_path):
    (tmp_path / "orders.csv").write_bytes("q;a;url\nCan I cancel?;Yes, before it ships.;https://x.example/c\n"
                                          .encode("utf-8-sig"))
    document = load_one(tmp_path / "orders.csv")
    assert document.body == "## Can I cancel?\n\nYes, before it ships." and document.url == "https://x.example/c"


def test_faq_json_as_a_list_or_under_faqs(tmp_path):
    (tmp_path / "list.json").write_text(json.dumps([{"question": "Can I get a refund?", "answer": "Within 30 days."}]))
    (tmp_path / "billing.json").write_text(json.dumps({"title": "Billing questions", "faqs": [
        {"q": "Where are my invoices?", "a": "In Settings, under Billing.", "url": "https://x.example/invoices"},
        {"question": "Can I pay by invoice?", "answer": "Yes, on the Business plan.", "url": "https://x.example/pay"},
        "not an object", {"question": "No answer here"}, {"question": ["a list"], "answer": "x"},
    ]}))
    result = load_path(tmp_path)
    billing, listed = result.documents
    assert listed.body == "## Can I get a refund?\n\nWithin 30 days."
    assert billing.title == "Billing questions" and billing.body == (
        "## Where are my invoices?\n\nIn Settings, under Billing.\n\nMore: https://x.example/invoices\n\n"
        "## Can I pay by invoice?\n\nYes, on the Business plan.\n\nMore: https://x.example/pay")
    assert reasons(result) == {"billing.json": "3 entries without a question or an answer skipped (entries 3, 4, 5)"}


def test_faq_files_without_a_usable_pair_are_skipped(tmp_path):
    (tmp_path / "no-columns.csv").write_text("Title,Body\nHello,World\n")
    (tmp_path / "no-pairs.csv").write_text("question,answer\nOnly a question,\n")
    (tmp_path / "broken.json").write_text('[{"question": "x", "answer": "y"},\n oops]')
    (tmp_path / "shape.json").write_text('{"questions": []}')
    result = load_path(tmp_path)
    assert result.documents == []
    assert reasons(result) == {
        "no-columns.csv": "the CSV needs a question and an answer column in its header row (found: Title, Body)",
        "no-pairs.csv": "the file has no valid question and answer pair; "
                        "1 row without a question or an answer skipped (row 2)",
        "broken.json": "the file is not valid JSON (line 2, column 2)",
        "shape.json": 'the JSON object has no text field (keys: questions); expected documents such as '
                      '{"id", "title", "content"} (one object or a list) or FAQ pairs {"question", "answer"}',
    }


# --- Folders, ids and bad input -------------------------------------------------------


def test_folder_ids_are_relative_paths_in_sorted_order_without_hidden_files(tmp_path):
    (tmp_path / "Billing").mkdir()
    (tmp_path / "Billing" / "Refund Policy.md").write_text("# Refunds\n\nWithin 30 days.\n")
    (tmp_path / "Billing" / "invoices_2026.txt").write_text("Invoices\n\nMonthly.\n")
    (tmp_path / "account.md").write_text("# Account\n\nYour account.\n")
    (tmp_path / ".drafts").mkdir()
    (tmp_path / ".drafts" / "secret.md").write_text("# Draft\n\nNot published.\n")
    (tmp_path / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    first, again = load_path(tmp_path), load_path(tmp_path)
    assert first.skipped == []
    assert [d.doc_id for d in first.documents] == ["account", "billing/invoices-2026", "billing/refund-policy"]
    assert [d.content_hash for d in first.documents] == [d.content_hash for d in again.documents]


def test_two_files_with_the_same_id_keep_the_first(tmp_path):
    (tmp_path / "faq.json").write_text('[{"question": "Q?", "answer": "A."}]')
    (tmp_path / "faq.md").write_text("# FAQ\n\nSee the list.\n")
    result = load_path(tmp_path)
    assert [d.source for d in result.documents] == [str(tmp_path / "faq.json")]
    assert reasons(result) == {"faq.md": "faq.json already has the id 'faq'; rename one of the two files"}


def test_bad_files_are_skipped_with_a_reason_and_the_rest_loads(tmp_path):
    (tmp_path / "good.md").write_text("# Good\n\nUseful text about invoices.\n")
    (tmp_path / "binary.txt").write_bytes(b"\x00\x01\x02\x03 not text")
    (tmp_path / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (tmp_path / "export.zip").write_bytes(b"PK\x03\x04")
    (tmp_path / "setup.exe").write_bytes(b"MZ\x90\x00")
    (tmp_path / "notes.xyz").write_text("text")
    (tmp_path / "README").write_text("text")
    (tmp_path / "empty.txt").write_text("\n  \n")
    (tmp_path / "huge.html").write_text("<p>" + "x" * MAX_DOCUMENT_BYTES + "</p>")
    (tmp_path / "latin1.md").write_bytes("Caf\xe9 cr\xe8me".encode("latin-1"))
    (tmp_path / "bad-yaml.md").write_text("---\ntitle: [unclosed\n---\nText\n")
    (tmp_path / "corrupt.pdf").write_bytes(make_pdf(WARRANTY_PDF)[:300])
    result = load_path(tmp_path)
    assert [d.doc_id for d in result.documents] == ["good"]
    assert reasons(result) == {
        "README": "unsupported file type (the name has no extension)",
        "bad-yaml.md": "the front matter is not valid YAML",
        "binary.txt": "the file is binary, not text",
        "corrupt.pdf": "the file is not a readable PDF (it may be damaged or incomplete)",
        "empty.txt": "the article has no text",
        "export.zip": "unsupported file type .zip",
        "huge.html": f"the file is {MAX_DOCUMENT_BYTES + 7:,} bytes; the limit is 2,000,000",
        "latin1.md": "the file is not valid UTF-8 text",
        "logo.png": "unsupported file type .png",
        "notes.xyz": "unsupported file type .xyz",
        "setup.exe": "unsupported file type .exe",
    }


def test_a_single_file_is_named_by_its_slugified_stem_and_a_missing_path_is_reported(tmp_path):
    (tmp_path / "Café Hours (EU).TXT").write_text("Hours\n\nNine to five.\n")
    assert load_one(tmp_path / "Café Hours (EU).TXT").doc_id == "cafe-hours-eu"
    assert reasons(load_path(tmp_path / "nowhere")) == {"nowhere": "no such file or folder"}


def test_url_ids_are_host_and_path():
    assert url_doc_id("https://help.example.com/articles/Reset-Password.html") == \
        "help.example.com/articles/reset-password"
    assert url_doc_id("https://user:pw@help.example.com:8443/a/b/?id=5#top") == "help.example.com-8443/a/b-id-5"
    assert url_doc_id("https://help.example.com/") == "help.example.com"
