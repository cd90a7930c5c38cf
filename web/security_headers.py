"""Security headers on every response, set in this one place.

The Content-Security-Policy allows only papersift's own files: scripts (site.js, trends.js,
library.js and the vendored KaTeX and Chart.js) come from static/, pages have no inline
script and no inline event handlers, and data for scripts travels in
`<script type="application/json">` blocks, which are data, not code. Style attributes are
allowed (`style-src-attr`) because KaTeX sets a few on the math it renders; <style> blocks
and stylesheets from elsewhere are not. `frame-ancestors 'none'` (and X-Frame-Options for
older browsers) stops other sites from framing papersift to trick clicks.

HSTS is sent only when PAPERSIFT_BASE_URL is https: sent over plain http it would break a
site that has no certificate.
"""

from __future__ import annotations

from flask import Flask, Response

CSP = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "style-src-attr 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))
HSTS = "max-age=31536000"        # a year


def security_headers(https: bool) -> dict[str, str]:
    headers = {
        "Content-Security-Policy": CSP,
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "strict-origin-when-cross-origin",
    }
    if https:
        headers["Strict-Transport-Security"] = HSTS
    return headers


def init_app(app: Flask) -> None:
    headers = security_headers(app.config["SETTINGS"].base_url.startswith("https://"))

    def add_headers(response: Response) -> Response:
        for name, value in headers.items():
            response.headers.setdefault(name, value)
        return response

    app.after_request(add_headers)
