"""Security headers over real HTTP: a CSP that allows Chainlit's own page (its inline script by
hash) and framing only by the server's and the tenants' origins; nosniff, Referrer-Policy and
X-Frame-Options everywhere; cookies without Secure on plain http."""

from __future__ import annotations

import base64
import hashlib
import re

import httpx


def policy_of(response: httpx.Response) -> dict[str, str]:
    directives = [part.strip().split(" ", 1) for part in response.headers["content-security-policy"].split(";")]
    return {name: value for name, value in directives}


async def test_pages_carry_a_policy_that_allows_their_own_inline_scripts_only(server):
    async with httpx.AsyncClient(base_url=server.url) as http:
        page = await http.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    policy = policy_of(page)
    inline = re.findall(r"<script>(.*?)</script>", page.text, re.DOTALL)
    assert inline, "Chainlit's page has inline scripts; the policy must name each by hash"
    for script in inline:
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in policy["script-src"]
    assert "'unsafe-inline'" not in policy["script-src"] and "'unsafe-eval'" not in policy["script-src"]
    assert policy["img-src"] == "'self' data: blob:"  # no remote images, whatever a message contains
    assert policy["object-src"] == "'none'"
    assert policy["frame-ancestors"].split() == ["'self'", *sorted({
        f"http://127.0.0.1:{server.port}", f"http://localhost:{server.port}"})]
    for response in (page,):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "same-origin"
        assert response.headers["x-frame-options"] == "SAMEORIGIN"


async def test_api_answers_carry_the_headers_and_plain_http_cookies_are_not_secure(server):
    async with httpx.AsyncClient(base_url=server.url) as http:
        health = await http.get("/healthz")
        session = await http.post("/api/widget/session", json={"tenant": "demo"},
                                  headers={"X-Forwarded-Proto": "https"})  # from no trusted proxy: ignored
    for response in (health, session):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "same-origin"
    assert "secure" not in session.headers["set-cookie"].lower()
    assert "strict-transport-security" not in session.headers
