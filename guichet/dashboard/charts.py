"""Bar charts drawn on the server as inline SVG (issue 12 §3): no script, no inline style (the
CSP's style-src is 'self'): the colours are SVG presentation attributes, which the classes of
guichet.css may override. Each chart has a French title and a description that reads out its
values; the page puts the table of the same values beside it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# DSFR colours: bleu France, then illustrative ones distinct enough side by side.
PALETTE = ("#000091", "#e4794a", "#009081", "#a558a0", "#c8aa39", "#3a3a3a")
TEXT = "#161616"
# The drawing's width, in the units of its text: a chart scales to its box (a phone's is about
# 360 px wide), so a width close to it keeps its text as large as written (at least 10 px on a
# 390 px screen, issue 22 §5: at 640 it was 6 px); guichet.css caps the width on a wider screen.
WIDTH = 400
LABEL_SIZE = 13
VALUE_SIZE = 12
VALUE_ROOM = 72  # right of the longest bar, for its value
LEGEND_HEIGHT = 28
LABEL_HEIGHT = 19
BAR_HEIGHT = 14
BAR_GAP = 3
GROUP_GAP = 10


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[int | float]


def number(value: int | float) -> str:
    """« 1 234 », « 45,5 » (French)."""
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.1f}".replace(",", "\u202f").replace(".", ",")
    return f"{int(value):,}".replace(",", "\u202f")


def bar_chart(
    *,
    ident: str,
    title: str,
    description: str,
    categories: Sequence[str],
    series: Sequence[Series],
    unit: str = "",
) -> SafeString:
    """Horizontal bars, one group per category (its label above it), one bar per series."""
    unit_text = f" {unit}" if unit else ""
    spoken = " ; ".join(
        f"{category} : "
        + ", ".join(
            (f"{s.name} " if len(series) > 1 else "") + number(s.values[i]) + unit_text
            for s in series
        )
        for i, category in enumerate(categories)
    )
    top = LEGEND_HEIGHT if len(series) > 1 else 4
    group = LABEL_HEIGHT + len(series) * (BAR_HEIGHT + BAR_GAP) + GROUP_GAP
    height = top + max(len(categories), 1) * group
    highest = max((value for s in series for value in s.values), default=0) or 1
    scale = (WIDTH - VALUE_ROOM) / highest
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="guichet-chart" '
        f'viewBox="0 0 {WIDTH} {height}" role="img" focusable="false" '
        f'aria-labelledby="{ident}-title" aria-describedby="{ident}-desc">',
        f'<title id="{ident}-title">{escape(title)}</title>',
        f'<desc id="{ident}-desc">{escape(description)} {escape(spoken or "Aucune donnée.")}'
        "</desc>",
    ]
    if len(series) > 1:
        x = 0
        for index, s in enumerate(series):
            colour = PALETTE[index % len(PALETTE)]
            parts.append(
                f'<rect class="guichet-chart__bar guichet-chart__bar--{index}" x="{x}" y="6" '
                f'width="12" height="12" fill="{colour}"/>'
                f'<text x="{x + 16}" y="16" font-size="{VALUE_SIZE}" fill="{TEXT}">'
                f"{escape(s.name)}</text>"
            )
            x += 16 + 7 * len(s.name) + 16
    if not categories:
        parts.append(
            f'<text x="0" y="{top + 14}" font-size="{VALUE_SIZE}" fill="{TEXT}">'
            "Aucune donnée sur la période.</text>"
        )
    y = top
    for i, category in enumerate(categories):
        parts.append(
            f'<text x="0" y="{y + 14}" font-size="{LABEL_SIZE}" font-weight="bold" '
            f'fill="{TEXT}">'
            f"{escape(category)}</text>"
        )
        y += LABEL_HEIGHT
        for index, s in enumerate(series):
            value = s.values[i]
            length = round(value * scale, 1)
            colour = PALETTE[index % len(PALETTE)]
            parts.append(
                f'<rect class="guichet-chart__bar guichet-chart__bar--{index}" x="0" y="{y}" '
                f'width="{length}" height="{BAR_HEIGHT}" fill="{colour}"/>'
                f'<text x="{length + 4}" y="{y + BAR_HEIGHT - 3}" font-size="{VALUE_SIZE}" '
                f'fill="{TEXT}">{escape(number(value) + unit_text)}</text>'
            )
            y += BAR_HEIGHT + BAR_GAP
        y += GROUP_GAP
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 — every text above is escaped
