"""The web server's access log without secrets or children's data.

Survey links (/evaluatie/enquete/<token>/) and password-reset links
(/wachtwoord-instellen/<uid>/<token>/) carry a secret in the path: whoever reads the log could
answer the survey or set the password. Query strings carry what users typed into searches (a
child's name, a BSN). So the log keeps the path with the secret replaced by `***`, and no query
string at all, also in the Referer. gunicorn.conf.py installs RedactingLogger.
"""

import re
from typing import Any

from gunicorn.glogging import Logger  # type: ignore[import-untyped]

REDACTED = "***"
SECRET_PATHS = [
    # evaluation/urls.py: enquete/<str:token>/ (not the fixed enquete/bedankt/ page)
    re.compile(r"(/enquete/)(?!bedankt/)[^/?#]+"),
    # bip/urls.py: wachtwoord-instellen/<uidb64>/<token>/ (not .../klaar/)
    re.compile(r"(/wachtwoord-instellen/)(?!klaar/)[^/?#]+/[^/?#]+"),
]


def redact_url(url: str) -> str:
    """`url` (a path, or a full URL as in a Referer) without its query string and with the
    secrets in survey and password-reset paths replaced by ***."""
    if not url or url == "-":
        return url
    path, query_mark, _query = url.partition("?")
    path = path.partition("#")[0]
    for pattern in SECRET_PATHS:
        path = pattern.sub(lambda match: match.group(1) + REDACTED, path)
    return path + (f"?{REDACTED}" if query_mark else "")


class RedactingLogger(Logger):
    """gunicorn's logger with the URL atoms of the access log redacted (redact_url)."""

    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> dict:
        atoms: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        method, _, rest = atoms["r"].partition(" ")
        uri, _, protocol = rest.rpartition(" ")
        atoms["r"] = f"{method} {redact_url(uri)} {protocol}"
        atoms["q"] = REDACTED if atoms["q"] else ""
        for key in ("U", "f", "{referer}i", "{raw_uri}e", "{path_info}e", "{http_referer}e"):
            if isinstance(atoms.get(key), str):
                atoms[key] = redact_url(atoms[key])
        if atoms.get("{query_string}e"):
            atoms["{query_string}e"] = REDACTED
        return atoms
