"""Keep passwords out of everything the toolkit shows: output, logs, errors, cards, reports.

Storage URLs carry passwords (``postgresql://user:PASSWORD@host/db``). Every place that
shows a URL, or a message that may quote one (a driver's error, a log line), passes it
through :func:`mask_secrets` first; the CLI's log formatter and error printer do so for
every line as a last line of defence.
"""

from __future__ import annotations

import re

MASK = "***"
# scheme://user:password@host: up to the last '@' before the host, so that a raw '@' in a password
# (it should be percent-encoded, but people forget) is masked too.
_URL_PASSWORD = re.compile(r"(?P<head>\b[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]*:)(?P<password>[^\s/]+)@")


def mask_secrets(text: str, *secrets: str | None) -> str:
    """``text`` with URL passwords (and each of ``secrets`` anywhere) replaced by ``***``.

    Example:
        >>> mask_secrets("cannot open postgresql+psycopg://ann:s3cret@db:5432/automl")
        'cannot open postgresql+psycopg://ann:***@db:5432/automl'
    """
    masked = _URL_PASSWORD.sub(rf"\g<head>{MASK}@", text)
    for secret in secrets:
        if secret:
            masked = masked.replace(secret, MASK)
    return masked


def url_password(url: str) -> str | None:
    """The password part of ``url``, or ``None`` (to scrub it from messages that quote it decoded)."""
    found = _URL_PASSWORD.search(url)
    return found.group("password") if found else None
