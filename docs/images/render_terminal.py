"""Render a tmux capture of the terminal to a PNG (how docs/images/demo-terminal.png was made).

    tmux new-session -d -s demo -x 160 -y 50 "brand-monitor demo --model DIR; sleep 600"
    tmux capture-pane -t demo -p -S - -E - > capture.txt        # once the demo printed "Done:"
    python docs/images/render_terminal.py capture.txt docs/images/demo-terminal.png --lines 1-42,56-61,86-93,105-107

``--lines`` picks excerpts (1-based, inclusive); a gap between them is drawn as a dim "· · ·". Pillow draws
left to right only, so pick excerpts without right-to-left text. Emoji the font lacks become coloured marks.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"
SIZE = 15
BACKGROUND, FOREGROUND, DIM = (24, 26, 33), (220, 223, 228), (120, 126, 140)
# Emoji in our messages, as a glyph DejaVu has and the colour it is drawn in.
MARKS = {
    "🔴": ("●", (231, 76, 60)),
    "🟡": ("●", (241, 196, 15)),
    "⚪": ("●", (236, 240, 241)),
    "🚨": ("⚠", (231, 76, 60)),
    "⏳": ("⌛", (241, 196, 15)),
    "⏰": ("⏰", (241, 196, 15)),
    "💤": ("z", (120, 126, 140)),
    "💬": ("✉", (52, 152, 219)),
}


def pick(lines: list[str], spec: str | None) -> list[str | None]:
    """The chosen excerpts, ``None`` between two of them."""
    if not spec:
        return list(lines)
    out: list[str | None] = []
    for n, part in enumerate(spec.split(",")):
        start, _, end = part.partition("-")
        if n:
            out.append(None)
        out.extend(lines[int(start) - 1 : int(end or start)])
    return out


def render(lines: list[str | None], path: Path) -> None:
    """Draw ``lines`` as a terminal would, one cell per character."""
    font = ImageFont.truetype(FONT, SIZE)
    cell_w = round(font.getlength("M"))
    cell_h = SIZE + 5
    width = max(len(line or "") for line in lines) * cell_w + 32
    image = Image.new("RGB", (width, len(lines) * cell_h + 24), BACKGROUND)
    draw = ImageDraw.Draw(image)
    for row, line in enumerate(lines):
        y = 12 + row * cell_h
        if line is None:
            draw.text((16, y), "· · ·", font=font, fill=DIM)
            continue
        colour = DIM if line.startswith("──") else FOREGROUND
        for col, char in enumerate(line):
            glyph, fill = MARKS.get(char, (char, colour))
            draw.text((16 + col * cell_w, y), glyph, font=font, fill=fill)
    image.save(path, optimize=True)


def main() -> None:
    """Command line: capture file in, PNG out."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("capture", type=Path)
    parser.add_argument("output", type=Path)
    parser.add_argument("--lines", help="excerpts to keep, e.g. 1-45,84-95")
    args = parser.parse_args()
    lines = args.capture.read_text(encoding="utf-8").rstrip("\n").splitlines()
    render(pick(lines, args.lines), args.output)


if __name__ == "__main__":
    main()
