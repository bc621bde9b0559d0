"""Building blocks of the self-contained HTML reports (evaluation and champion/challenger).

One stylesheet and one set of cell formatters, so every report the toolkit
writes looks and reads the same. Plots arrive as base64 PNG strings; nothing is
loaded from the network, so a page can be mailed, archived or opened offline.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

from automl.evaluation._result import Estimate

CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0 auto;max-width:1080px;padding:24px;
color:#1d2733;line-height:1.45}
h1{margin-bottom:4px}h2{margin-top:36px;border-bottom:1px solid #d8dee4;padding-bottom:4px}
.meta{color:#57606a}.why{background:#f6f8fa;border-left:4px solid #9aa5b1;padding:8px 12px;margin:8px 0}
table{border-collapse:collapse;margin:8px 0 12px 0;font-size:14px}th,td{border:1px solid #d8dee4;padding:4px 8px;text-align:left}
th{background:#f6f8fa}td.num{text-align:right;font-variant-numeric:tabular-nums}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:13px;font-weight:600;color:#fff}
.pass{background:#2da44e}.fail{background:#cf222e}.skipped{background:#8c959f}.warn{background:#bf8700}
.PROMOTE{background:#2da44e}.REJECT{background:#cf222e}.HOLD{background:#bf8700}
img{max-width:100%;height:auto;display:block;margin:8px 0;border:1px solid #eaeef2}
.flag{color:#cf222e;font-weight:600}
"""


def escape(value: Any) -> str:
    return html.escape(str(value))


def num(value: float | None, digits: int = 4) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, int):
        return f"{value:,}"
    if value == 0:  # also -0.0, which would print as "-0"
        return "0"
    return f"{value:.{digits}g}"


def pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}%"


def estimate(value: Estimate) -> str:
    if value.value is None:
        return "n/a"
    if value.ci_low is None or value.ci_high is None:
        return num(value.value)
    return f"{num(value.value)} [{num(value.ci_low)}, {num(value.ci_high)}]"


def badge(status: str) -> str:
    return f'<span class="badge {escape(status)}">{escape(status)}</span>'


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], numeric: Sequence[int] = ()) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>"
        + "".join(f'<td class="num">{cell}</td>' if i in numeric else f"<td>{cell}</td>" for i, cell in enumerate(row))
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def image(data: str, alt: str) -> str:
    return f'<img src="data:image/png;base64,{data}" alt="{escape(alt)}">'


def page(title: str, body: str) -> str:
    """A whole HTML document around ``body``."""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{CSS}</style></head>"
        f"<body>{body}</body></html>\n"
    )
