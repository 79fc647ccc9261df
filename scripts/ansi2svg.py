#!/usr/bin/env python3
"""Converts a terminal capture with ANSI colours (``tmux capture-pane -e -p``)
into an SVG picture: a monospace grid on a dark background.

Understands the SGR sequences a terminal program and tmux emit: reset, bold,
dim, italic, underline, reverse, strike, the 16 basic colours (30-37, 90-97
and their backgrounds), 256 colours (38;5;N / 48;5;N) and truecolor
(38;2;R;G;B / 48;2;R;G;B). Other escape sequences are skipped. Wide
characters take two cells; box-drawing characters are drawn as lines so that
pane borders join up whatever font the viewer has.

Usage: ansi2svg.py [--cols N] [--rows N] [--title TEXT] [IN [OUT]]
(stdin and stdout by default). Only the Python standard library is used.
"""

import argparse
import re
import sys
import unicodedata
from html import escape

# A dark theme: default colours and the 16 basic ones (xterm-like, softened).
DEFAULT_FG = "#d4d4d4"
DEFAULT_BG = "#1e1e1e"
BASIC = [
    "#000000", "#cd3131", "#0dbc79", "#e5e510",
    "#2472c8", "#bc3fbc", "#11a8cd", "#e5e5e5",
    "#666666", "#f14c4c", "#23d18b", "#f5f543",
    "#3b8eea", "#d670d6", "#29b8db", "#ffffff",
]

FONT_SIZE = 14.0
CELL_W = FONT_SIZE * 0.6  # DejaVu Sans Mono and most monospace fonts
CELL_H = FONT_SIZE * 1.25
PAD = 12.0
FONTS = "'DejaVu Sans Mono', 'Menlo', 'Consolas', 'Liberation Mono', monospace"

SGR = re.compile(r"\x1b\[([0-9;:]*)m")
# Any other CSI, OSC (e.g. hyperlinks), charset or keypad sequence.
OTHER_ESC = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)?|[()][A-Za-z0-9]|[=>78])")


def color_256(n):
    """The xterm 256-colour palette."""
    if n < 16:
        return BASIC[n]
    if n < 232:
        n -= 16
        levels = [0, 95, 135, 175, 215, 255]
        r, g, b = levels[n // 36], levels[(n // 6) % 6], levels[n % 6]
        return "#%02x%02x%02x" % (r, g, b)
    v = 8 + 10 * (n - 232)
    return "#%02x%02x%02x" % (v, v, v)


class Style:
    __slots__ = ("fg", "bg", "bold", "dim", "italic", "underline", "reverse", "strike")

    def __init__(self):
        self.reset()

    def reset(self):
        self.fg = None  # None: the default colour
        self.bg = None
        self.bold = self.dim = self.italic = False
        self.underline = self.reverse = self.strike = False

    def copy(self):
        s = Style()
        for k in Style.__slots__:
            setattr(s, k, getattr(self, k))
        return s

    def key(self):
        return tuple(getattr(self, k) for k in Style.__slots__)

    def apply(self, params):
        """Applies one SGR parameter list."""
        codes = []
        for group in (params or "0").split(";"):
            parts = group.split(":")
            # ITU form 38:2:<colourspace>:R:G:B — drop the colour space id.
            if len(parts) == 6 and parts[:2] in (["38", "2"], ["48", "2"]):
                del parts[2]
            codes.extend(int(x) if x.isdigit() else 0 for x in parts)
        i = 0
        while i < len(codes):
            c = codes[i]
            if c == 0:
                self.reset()
            elif c == 1:
                self.bold = True
            elif c == 2:
                self.dim = True
            elif c == 3:
                self.italic = True
            elif c in (4, 21):
                self.underline = True
            elif c == 7:
                self.reverse = True
            elif c == 9:
                self.strike = True
            elif c == 22:
                self.bold = self.dim = False
            elif c == 23:
                self.italic = False
            elif c == 24:
                self.underline = False
            elif c == 27:
                self.reverse = False
            elif c == 29:
                self.strike = False
            elif 30 <= c <= 37:
                self.fg = BASIC[c - 30]
            elif 90 <= c <= 97:
                self.fg = BASIC[c - 90 + 8]
            elif 40 <= c <= 47:
                self.bg = BASIC[c - 40]
            elif 100 <= c <= 107:
                self.bg = BASIC[c - 100 + 8]
            elif c == 39:
                self.fg = None
            elif c == 49:
                self.bg = None
            elif c in (38, 48):
                colour, used = None, 0
                if i + 2 < len(codes) and codes[i + 1] == 5:
                    colour, used = color_256(codes[i + 2] % 256), 2
                elif i + 4 < len(codes) and codes[i + 1] == 2:
                    r, g, b = (min(255, x) for x in codes[i + 2:i + 5])
                    colour, used = "#%02x%02x%02x" % (r, g, b), 4
                if colour is not None:
                    if c == 38:
                        self.fg = colour
                    else:
                        self.bg = colour
                i += used
            i += 1

    def colours(self):
        """(foreground, background) as drawn, reverse video applied."""
        fg = self.fg or DEFAULT_FG
        bg = self.bg or DEFAULT_BG
        if self.reverse:
            fg, bg = bg, fg
        return fg, bg


def char_width(ch):
    if unicodedata.combining(ch):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def parse(text):
    """The capture as rows of cells: (char, style) with wide chars taking two
    cells (the second is None)."""
    rows = []
    style = Style()
    for line in text.split("\n"):
        cells = []
        pos = 0
        while pos < len(line):
            if line[pos] == "\x1b":
                m = SGR.match(line, pos)
                if m:
                    # A new object: cells already read keep their style.
                    style = style.copy()
                    style.apply(m.group(1))
                    pos = m.end()
                    continue
                m = OTHER_ESC.match(line, pos)
                pos = m.end() if m else pos + 1
                continue
            ch = line[pos]
            pos += 1
            if ch == "\t":
                for _ in range(8 - len(cells) % 8):
                    cells.append((" ", style))
                continue
            if ord(ch) < 32 or ch == "\x7f":
                continue
            w = char_width(ch)
            if w == 0:
                if cells:
                    c, s = cells[-1]
                    cells[-1] = (c + ch, s)
                continue
            cells.append((ch, style))
            if w == 2:
                cells.append((None, style))
        rows.append(cells)
    while rows and not rows[-1]:
        rows.pop()
    return rows


# Box-drawing characters drawn as lines (so borders join across rows):
# which of left, right, up, down each one reaches.
BOX = {
    "─": "lr", "━": "lr", "│": "ud", "┃": "ud",
    "┌": "rd", "┐": "ld", "└": "ru", "┘": "lu",
    "╭": "rd", "╮": "ld", "╰": "ru", "╯": "lu",
    "┏": "rd", "┓": "ld", "┗": "ru", "┛": "lu",
    "├": "udr", "┤": "udl", "┬": "lrd", "┴": "lru", "┼": "lrud",
    "┣": "udr", "┫": "udl", "┳": "lrd", "┻": "lru", "╋": "lrud",
}
HEAVY = set("━┃┏┓┗┛┣┫┳┻╋")


def box_path(ch, x, y):
    """SVG path data for a box-drawing character in the cell at (x, y)."""
    cx, cy = x + CELL_W / 2, y + CELL_H / 2
    ends = {
        "l": (x, cy), "r": (x + CELL_W, cy),
        "u": (cx, y), "d": (cx, y + CELL_H),
    }
    return " ".join(
        "M%.1f %.1fL%.1f %.1f" % (cx, cy, ends[d][0], ends[d][1]) for d in BOX[ch]
    )


def text_attrs(style):
    attrs = ['fill="%s"' % style.colours()[0]]
    if style.bold:
        attrs.append('font-weight="bold"')
    if style.italic:
        attrs.append('font-style="italic"')
    if style.dim:
        attrs.append('fill-opacity="0.6"')
    deco = [d for d, on in (("underline", style.underline), ("line-through", style.strike)) if on]
    if deco:
        attrs.append('text-decoration="%s"' % " ".join(deco))
    return " ".join(attrs)


def render(rows, cols=None, nrows=None, title=None):
    cols = cols or max((len(r) for r in rows), default=1)
    nrows = nrows or len(rows)
    top = PAD + (CELL_H + 8 if title else 0)
    width = 2 * PAD + cols * CELL_W
    height = top + PAD + nrows * CELL_H
    out = [
        '<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" '
        'viewBox="0 0 %.1f %.1f" font-family="%s" font-size="%.0f">'
        % (width, height, width, height, escape(FONTS), FONT_SIZE),
        '<rect width="100%%" height="100%%" rx="8" fill="%s"/>' % DEFAULT_BG,
    ]
    if title:
        out.append(
            '<text x="%.1f" y="%.1f" fill="#8a8a8a" font-size="%.0f">%s</text>'
            % (PAD, PAD + CELL_H * 0.8, FONT_SIZE * 0.9, escape(title))
        )
    backgrounds = []
    lines = []
    texts = []
    for y, cells in enumerate(rows[:nrows]):
        cells = cells[:cols]
        ty = top + y * CELL_H
        # Backgrounds: runs of one non-default colour.
        x = 0
        while x < len(cells):
            bg = cells[x][1].colours()[1]
            end = x
            while end < len(cells) and cells[end][1].colours()[1] == bg:
                end += 1
            if bg != DEFAULT_BG:
                backgrounds.append(
                    '<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"/>'
                    % (PAD + x * CELL_W, ty, (end - x) * CELL_W + 0.4, CELL_H + 0.4, bg)
                )
            x = end
        # Text: runs of one style, cut at spaces; each piece starts on its
        # cell and is stretched to exactly its cells (textLength), so the
        # grid holds even where a fallback font is wider or narrower.
        x = 0
        while x < len(cells):
            style = cells[x][1]
            end = x
            while end < len(cells) and cells[end][1].key() == style.key():
                end += 1
            attrs = text_attrs(style)
            i = x
            while i < end:
                ch = cells[i][0]
                if ch == " ":
                    i += 1
                    continue
                if ch in BOX:
                    width = 1.6 if (style.bold or ch in HEAVY) else 1.0
                    lines.append(
                        '<path d="%s" stroke="%s" stroke-width="%.1f"/>'
                        % (box_path(ch, PAD + i * CELL_W, ty), style.colours()[0], width)
                    )
                    i += 1
                    continue
                j = i
                while j < end and cells[j][0] != " " and cells[j][0] not in BOX:
                    j += 1
                word = "".join(c for c, _ in cells[i:j] if c is not None)
                fit = ""
                if j - i > 1:
                    fit = ' textLength="%.1f" lengthAdjust="spacingAndGlyphs"' % ((j - i) * CELL_W)
                texts.append(
                    '<text x="%.1f" y="%.1f"%s %s>%s</text>'
                    % (PAD + i * CELL_W, ty + CELL_H * 0.78, fit, attrs, escape(word))
                )
                i = j
            x = end

    out.append('<g shape-rendering="crispEdges">')
    out.extend(backgrounds)
    out.append("</g>")
    out.append('<g stroke-linecap="square" fill="none">')
    out.extend(lines)
    out.append("</g>")
    out.append("<g>")
    out.extend(texts)
    out.append("</g>")
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("input", nargs="?", help="capture file (default: stdin)")
    ap.add_argument("output", nargs="?", help="SVG file (default: stdout)")
    ap.add_argument("--cols", type=int, help="terminal width in cells (default: longest line)")
    ap.add_argument("--rows", type=int, help="terminal height in cells (default: lines read)")
    ap.add_argument("--title", help="a caption above the terminal")
    args = ap.parse_args()
    if args.input:
        with open(args.input, encoding="utf-8", errors="replace") as f:
            text = f.read()
    else:
        text = sys.stdin.read()
    svg = render(parse(text), args.cols, args.rows, args.title)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(svg)
    else:
        sys.stdout.write(svg)


if __name__ == "__main__":
    main()
