#!/usr/bin/env bash
# Makes NotoSansSC-GBK.otf, the card's default font, from Debian's Noto Sans CJK:
# face 2 of NotoSansCJK-Regular.ttc (Noto Sans CJK SC), cut down to
#   ASCII + every GBK-encodable character + CJK symbols and punctuation (U+3000-303F)
#   + half/full-width forms (U+FF00-FFEF) + a few symbols the face has (✓ • ▪).
# ✗ (U+2717) is not in the face, so the renderer draws both check marks as vector lines.
# OpenType layout features are kept. Licence: SIL OFL 1.1 (OFL.txt beside this file).
#
# Needs: apt-get install -y fonts-noto-cjk; pip install fonttools  (made with fonttools 4.68.0)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=${1:-/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 - "$work/unicodes.txt" <<'PY'
import sys
cps = set(range(0x20, 0x7F))
for cp in range(0x80, 0x10000):
    if 0xD800 <= cp <= 0xDFFF:
        continue
    try:
        chr(cp).encode("gbk")
        cps.add(cp)
    except UnicodeEncodeError:
        pass
cps.update(range(0x3000, 0x3040))
cps.update(range(0xFF00, 0xFFF0))
cps.update([0x2713, 0x2022, 0x25AA])
with open(sys.argv[1], "w") as f:
    f.write(",".join("U+%04X" % cp for cp in sorted(cps)))
PY

pyftsubset "$src" --font-number=2 \
  --unicodes-file="$work/unicodes.txt" \
  --layout-features='*' --name-IDs='*' --name-languages='*' --notdef-outline \
  --output-file="$here/NotoSansSC-GBK.otf"
ls -l "$here/NotoSansSC-GBK.otf"
