#!/usr/bin/env bash
# Renders screenshots of the browser into screenshots/*.svg: builds vh5
# (release), runs it in a private tmux server at 120x34 on a copy of
# assets/demo.h5, drives it with keys to four states, captures each with
# colours (tmux capture-pane -e) and converts it with scripts/ansi2svg.py.
#
#   timeline-branch.svg  the timeline's branch graph, the branch version
#                        scenario-hedged selected, /market/prices in view
#   array-2d.svg         a page of /market/prices at the current version
#   diff-mode.svg        diff fix-bad-tick (A) → scenario-shock (B) on
#                        /market/prices, the shocked last 5 days highlighted
#   plot.svg             the line chart of /market/fx/eurusd (`p`), 101 days
#   blame.svg            /market/prices with blame on (`b`): each chunk in
#                        the colour of the version that wrote it
#   storage.svg          the storage view (`S`): bytes each version added
#
# Needs tmux, python3 and cargo only (scripts/setup.sh --test installs tmux).
set -euo pipefail
cd "$(dirname "$0")/.."

for tool in tmux python3 cargo; do
    command -v "$tool" >/dev/null || {
        echo "screenshots: $tool is missing (scripts/setup.sh --test installs tmux)" >&2
        exit 1
    }
done

COLS=120
ROWS=34
OUT=screenshots

echo "screenshots: building vh5 (release)" >&2
. scripts/env.sh
cargo build --release --quiet
bin="$VH5_BIN"

work="$(mktemp -d)"
sock="$work/tmux.sock"
cat >"$work/tmux.conf" <<'EOF'
set -g status off
set -g escape-time 0
EOF
t() { tmux -u -S "$sock" -f "$work/tmux.conf" "$@"; }
cleanup() {
    t kill-server 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
# The file's name shows in the status line: keep it demo.h5.
cp assets/demo.h5 "$work/demo.h5"

# Sends tmux key names; `typed TEXT` sends text literally.
keys() { t send-keys -t vh5 "$@"; }
typed() { t send-keys -t vh5 -l "$1"; }
screen() { t capture-pane -p -t vh5; }

# Waits (up to 15 s) until every given fixed string is on the screen and
# the screen has stopped changing (summaries, pages and diffs arrive in the
# background).
wait_for() {
    local deadline=$((SECONDS + 15)) prev="" cur
    while :; do
        cur="$(screen)"
        local ok=1 s
        for s in "$@"; do
            grep -qF -- "$s" <<<"$cur" || ok=0
        done
        if [ "$ok" = 1 ] && [ "$cur" = "$prev" ]; then
            return 0
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            echo "screenshots: timed out waiting for: $*" >&2
            echo "$cur" >&2
            exit 1
        fi
        prev="$cur"
        sleep 0.25
    done
}

# Waits until no "…" (a value or summary still being read) is left in the
# given screen lines (sed range, e.g. 1,16 for the top panes).
wait_loaded() {
    local deadline=$((SECONDS + 15))
    while screen | sed -n "$1p" | grep -qF '…'; do
        if [ "$SECONDS" -ge "$deadline" ]; then
            echo "screenshots: timed out waiting for lines $1 to load" >&2
            screen >&2
            exit 1
        fi
        sleep 0.2
    done
}

mkdir -p "$OUT"
snap() {
    local name="$1" title="$2"
    t capture-pane -e -p -t vh5 >"$work/$name.ansi"
    python3 scripts/ansi2svg.py --cols "$COLS" --rows "$ROWS" --title "$title" \
        "$work/$name.ansi" "$OUT/$name.svg"
    echo "screenshots: $OUT/$name.svg" >&2
}

t new-session -d -s vh5 -x "$COLS" -y "$ROWS" "$bin" "$work/demo.h5"
wait_for "initial-load" "@ eod-2025-05-30"

# 1. Timeline: select the branch version scenario-hedged (5 down), find
#    /market/prices in its tree, focus back on the timeline.
keys j j j j j
wait_for "Tree @ scenario-hedged"
keys Tab
typed "/prices"
keys Enter
wait_for "/market/prices @ scenario-hedged"
keys BTab
wait_loaded 1,34
wait_for "/market/prices @ scenario-hedged"
snap timeline-branch "vh5 assets/demo.h5 — the timeline's branch graph"

# 2. Array: the current version (g), its prices (Tab, Enter), row 40 col 5.
keys g
wait_for "Tree @ eod-2025-05-30"
keys Tab Enter :
typed "40, 5"
keys Enter
wait_for "/market/prices @ eod-2025-05-30 cursor (40, 5)"
wait_loaded 17,33
snap array-2d "vh5 — a page of /market/prices (2-D), cursor at (40, 5)"

# 3. Diff: back to the timeline (Tab), fix-bad-tick (G, k, k) marked A (m),
#    scenario-shock (k) as B; in the array (Tab x3), the last row (G).
keys Tab G k k m
wait_for "Timeline (A = fix-bad-tick)"
keys k
wait_for "diff fix-bad-tick → scenario-shock" "~ prices"
keys Tab Tab Tab G
wait_for "/market/prices @ scenario-shock cursor (59, 5)" "changed; A:"
wait_loaded 17,33
snap diff-mode "vh5 — diff fix-bad-tick → scenario-shock: the -15% shock on the last 5 days"

# 4. Plot: leave diff mode (Esc), back to the timeline (Shift-Tab x3), the
#    current version (g), search /eurusd in the tree (Tab, /eurusd, Enter),
#    open it (Enter) and plot it (p).
keys Escape
wait_for "? help"
keys BTab BTab BTab g
wait_for "Tree @ eod-2025-05-30"
keys Tab
typed "/eurusd"
keys Enter
wait_for "/market/fx/eurusd @ eod-2025-05-30"
keys Enter p
wait_for "/market/fx/eurusd @ eod-2025-05-30 cursor (0, 0)"
snap plot "vh5 — /market/fx/eurusd as a line chart (p)"

# 5. Blame: back to the table (p until it is one), the tree (2),
#    /market/prices, its values (Enter), blame on (b), row 40.
keys p p 2
typed "/prices"
keys Enter Enter b :
typed "40, 2"
keys Enter
wait_for "/market/prices @ eod-2025-05-30" "[chunk by"
wait_loaded 17,33
snap blame "vh5 — blame (b): each chunk of /market/prices in the colour of the version that wrote it"

# 6. The storage view (S).
keys S
wait_for "Storage (Esc closes)"
wait_loaded 1,34
snap storage "vh5 — the storage view (S): bytes each version added, per-dataset totals"
keys Escape

keys q
