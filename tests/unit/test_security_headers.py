"""The served pages' security headers (issue 11): one definition, ``hosting/security-headers.json``, read
by the local page server and to be sent by the AWS hosting; and pages that can live under its CSP - no
inline script, no inline event handler, no ``javascript:`` URL in any page of ``web/`` (present or added)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
HEADERS = json.loads((ROOT / "hosting" / "security-headers.json").read_text())["headers"]
# The pages' sources and, once built (scripts/buildtools/web_build.py), the pages as served from web/dist/.
PAGES = sorted(p for p in (ROOT / "web").rglob("*.html") if "node_modules" not in p.parts)


def test_the_header_set_is_complete():
    csp = dict(part.strip().split(" ", 1) for part in HEADERS["Content-Security-Policy"].split(";"))
    assert csp["script-src"] == "'self'" and csp["default-src"] == "'self'"
    assert csp["frame-ancestors"] == "'none'" and csp["object-src"] == "'none'"
    assert "unsafe-inline" not in HEADERS["Content-Security-Policy"]
    assert "unsafe-eval" not in HEADERS["Content-Security-Policy"]
    assert HEADERS["X-Content-Type-Options"] == "nosniff"
    assert HEADERS["Referrer-Policy"] == "no-referrer"  # the paid page's URL carries the order id
    assert HEADERS["X-Frame-Options"] == "DENY"


def test_the_local_server_sends_exactly_this_set():
    from devstack.web import WEB_ROOT, LocalPages

    pages = LocalPages(WEB_ROOT, lambda: "http://127.0.0.1:9")
    status, headers, _ = pages.serve("GET", "/", "", {}, lambda: None)
    assert status == 200
    assert {k: v for k, v in headers if k in HEADERS} == HEADERS


def test_the_aws_hosting_sends_exactly_this_set():
    """CloudFront's ResponseHeadersPolicy (template.yaml ``WebSecurityHeaders``) on every cache behaviour
    of the site: the same headers and values as the local gateway, so the CSP tested locally is the one
    deployed."""
    from devstack.template import load_template

    resources = load_template()["Resources"]
    config = resources["WebSecurityHeaders"]["Properties"]["ResponseHeadersPolicyConfig"]
    sec = config["SecurityHeadersConfig"]
    hsts = sec["StrictTransportSecurity"]
    sent = {
        "Content-Security-Policy": sec["ContentSecurityPolicy"]["ContentSecurityPolicy"],
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": sec["ReferrerPolicy"]["ReferrerPolicy"],
        "X-Frame-Options": sec["FrameOptions"]["FrameOption"],
        "Strict-Transport-Security": f"max-age={hsts['AccessControlMaxAgeSec']}"
        + ("; includeSubDomains" if hsts.get("IncludeSubdomains") else ""),
        **{item["Header"]: item["Value"] for item in config["CustomHeadersConfig"]["Items"]},
    }
    assert sent == HEADERS
    assert all(v.get("Override") is True for k, v in sec.items() if isinstance(v, dict))
    site = resources["WebDistribution"]["Properties"]["DistributionConfig"]
    behaviours = [site["DefaultCacheBehavior"], *site.get("CacheBehaviors", [])]
    assert all(b["ResponseHeadersPolicyId"] == {"Ref": "WebSecurityHeaders"} for b in behaviours)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_inline_script_in_pages(page):
    html = page.read_text()
    for tag in re.findall(r"<script\b[^>]*>", html, re.I):
        assert re.search(r"\bsrc\s*=", tag), f"inline <script> in {page.name}: {tag}"
    assert not re.search(r"\son[a-z]+\s*=", html, re.I), f"inline event handler in {page.name}"
    assert "javascript:" not in html.lower(), f"javascript: URL in {page.name}"
    assert not re.search(r"<style\b|\sstyle\s*=", html, re.I), f"inline style in {page.name} (style-src 'self')"


def test_nul_or_control_character_in_a_path_is_no_file():
    from devstack.web import WEB_ROOT, LocalPages

    pages = LocalPages(WEB_ROOT, lambda: "http://127.0.0.1:9")
    for path in ("/index.html%00.js", "/index.html\x00.js", "/%0aindex.html"):
        assert pages.static(path) is None
