"""The page shell of the local stack's own pages (the payment stand-in's in ``web``, the sign-in's in
``local_auth``): one layout, each page with the notice that says what it stands in for."""

from __future__ import annotations

import html

Response = tuple[int, list[tuple[str, str]], bytes]


def page(status: int, title: str, body: str, *, notice: str) -> Response:
    text = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)} - Hourbank</title>
<link rel="stylesheet" href="/style.css">
</head>
<body>
<main class="checkout">
{notice}
<h1>{html.escape(title)}</h1>
{body}
</main>
</body>
</html>
"""
    return status, [("Content-Type", "text/html; charset=utf-8"), ("Cache-Control", "no-store")], text.encode()
