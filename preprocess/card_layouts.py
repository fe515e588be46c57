"""Card sizes and artwork-window positions, as fractions of the straightened card.

Why these numbers (no network here, so they come from layout templates in public card-making
code, cross-checked against each other, then pulled in by ~0.3% of the card per side so the
crop does not catch the frame line):

* Yu-Gi-Oh! cards are 59 x 86 mm (not 63 x 88). Card generators that draw on an 813 x 1185
  canvas (the same 0.686 aspect) place the normal (non-Pendulum) art at x=99..100, y=218..219,
  614..616 px square, i.e. x 0.123-0.878, y 0.185-0.703; EdoEx uses a similar box. The window
  is square. Pendulum cards use a wider, shorter box: use `--layout=custom`.
* Magic cards are 63 x 88 mm. For the modern (M15, 2014+) frame, CardConjurer-based
  templates use art bounds x 0.0767, y 0.1129, w 0.8476, h 0.4429 (x 0.077-0.924,
  y 0.113-0.556); an independent MTG processor uses top 0.112, height 0.446, width 0.856.
  Older frames (pre-2003) and full-art/borderless cards differ: use `--layout=custom`.
* Border widths (dark outer border, share of the card width) are estimates: about 2 mm of
  59 mm for Yu-Gi-Oh! and 2.8 mm of 63 mm for a black-bordered Magic card. The detector only
  uses them to prefer a quad with a dark rim and to widen the border's inner edge to the card
  when the table has the border's colour; a few tenths of a mm off does not matter.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CardLayout:
    """Physical card size (mm), art window (x0, y0, x1, y1 as fractions of the card) and the
    dark outer border's width as a share of the card width (0: no border to look for)."""

    name: str
    width_mm: float
    height_mm: float
    art_box: tuple[float, float, float, float]
    border: float = 0.0

    @property
    def aspect(self) -> float:
        """Width / height of the card."""
        return self.width_mm / self.height_mm


YUGIOH = CardLayout("yugioh", 59.0, 86.0, (0.126, 0.188, 0.875, 0.700), border=0.035)
MAGIC = CardLayout("magic", 63.0, 88.0, (0.080, 0.116, 0.920, 0.553), border=0.045)
LAYOUTS = {layout.name: layout for layout in (YUGIOH, MAGIC)}


def parse_box(text: str) -> tuple[float, float, float, float]:
    """Parse `x0,y0,x1,y1` fractions (0 <= x0 < x1 <= 1, same for y); raise ValueError."""
    parts = text.split(",")
    if len(parts) != 4:
        raise ValueError("expected four comma-separated fractions x0,y0,x1,y1")
    try:
        x0, y0, x1, y1 = (float(p) for p in parts)
    except ValueError as err:
        raise ValueError("expected four comma-separated fractions x0,y0,x1,y1") from err
    if not (0.0 <= x0 < x1 <= 1.0 and 0.0 <= y0 < y1 <= 1.0):
        raise ValueError("need 0 <= x0 < x1 <= 1 and 0 <= y0 < y1 <= 1")
    return (x0, y0, x1, y1)


def card_pixel_size(layout: CardLayout, card_width: int) -> tuple[int, int]:
    """(width, height) in pixels of the straightened card for a given width."""
    return card_width, round(card_width / layout.aspect)


def art_pixel_box(layout: CardLayout, card_width: int) -> tuple[int, int, int, int]:
    """The art window as integer pixel bounds (x0, y0, x1, y1) on the straightened card."""
    width, height = card_pixel_size(layout, card_width)
    x0, y0, x1, y1 = layout.art_box
    return (round(x0 * width), round(y0 * height), round(x1 * width), round(y1 * height))
