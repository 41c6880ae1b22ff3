"""The report page: what it holds, its figures, and the self-contained HTML it is written as.

A :class:`Page` is a title, text sections and figures; :func:`render` writes it as one
HTML document with its images inlined as base64 data, so it opens offline.
"""

from __future__ import annotations

import base64
import html
import io
import json
from collections.abc import Callable
from dataclasses import dataclass

from matplotlib.figure import Figure

__all__ = ["Figurespec", "Page", "flatten", "png", "render", "table"]

DPI = 100


@dataclass
class Figurespec:
    """One figure of a report: file stem, heading, caption and how to draw it."""

    name: str
    title: str
    caption: str
    draw: Callable[[], Figure]


@dataclass
class Page:
    """Everything one report page shows."""

    title: str
    subtitle: str
    sections: list[tuple[str, str, str]]
    figures: list[Figurespec]
    manifest: dict


def png(figure: Figure) -> bytes:
    """A figure as PNG bytes."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def table(header: list[str] | None, rows: list[list[str]]) -> str:
    """An HTML table of escaped text; ``header=None`` for a key-value table."""
    head = "" if header is None else \
        "<thead><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in header) + "</tr></thead>"
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table>{head}<tbody>{body}</tbody></table>"


def flatten(data, prefix: str = "") -> list[tuple[str, str]]:
    """Dotted key paths and values of nested scenario data (lists of named items by name)."""
    if isinstance(data, dict):
        return [pair for key, value in data.items() for pair in flatten(value, f"{prefix}{key}.")]
    if isinstance(data, list) and all(isinstance(v, dict) and "name" in v for v in data):
        return [(prefix.rstrip("."), ", ".join(v["name"] for v in data))]
    return [(prefix.rstrip("."), json.dumps(data) if isinstance(data, (list, dict)) else str(data))]


STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0 auto;
       max-width: 1150px; padding: 1rem 2rem 3rem; color: #222; line-height: 1.45; }
h1 { margin-bottom: 0.2rem; } .sub { color: #555; margin-top: 0; }
nav a { margin-right: 1rem; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; font-size: 0.92rem; }
th, td { border-bottom: 1px solid #ddd; padding: 0.3rem 0.8rem; text-align: left; vertical-align: top; }
td:nth-child(n+2) { font-variant-numeric: tabular-nums; }
figure { margin: 1.5rem 0 2.5rem; } figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { color: #444; font-size: 0.95rem; max-width: 60rem; }
pre { background: #f6f8fa; padding: 1rem; overflow-x: auto; font-size: 0.8rem; }
"""


def render(page: Page, figures: list[tuple[Figurespec, bytes]]) -> str:
    """The page as one self-contained HTML document, its figures' PNGs inlined."""
    title, subtitle, sections, manifest = page.title, page.subtitle, page.sections, page.manifest
    nav = [(sid, heading) for sid, heading, _ in sections] + [("plots", "Plots"), ("manifest", "Manifest")]
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{html.escape(title)}</h1><p class=\"sub\">{html.escape(subtitle)}</p>",
        "<nav>" + "".join(f'<a href="#{sid}">{html.escape(h)}</a>' for sid, h in nav) + "</nav>",
    ]
    for sid, heading, body in sections:
        parts.append(f'<section id="{sid}"><h2>{html.escape(heading)}</h2>{body}</section>')
    parts.append('<section id="plots"><h2>Plots</h2>')
    for spec, image in figures:
        data = base64.b64encode(image).decode("ascii")
        parts.append(f'<figure id="fig-{spec.name}"><h3>{html.escape(spec.title)}</h3>'
                     f'<img src="data:image/png;base64,{data}" alt="{html.escape(spec.title)}">'
                     f"<figcaption>{html.escape(spec.caption)}</figcaption></figure>")
    parts.append("</section>")
    parts.append('<section id="manifest"><h2>Manifest</h2><details><summary>manifest.json</summary>'
                 f"<pre>{html.escape(json.dumps(manifest, indent=2, default=str))}</pre></details></section>")
    parts.append("</body></html>")
    return "\n".join(parts)
