"""The fenced code blocks of a Markdown file, with the marker comment before each (docs/README.md).

A block is ```LANG ... ```. The line right before the opening fence may be an HTML comment:
  <!-- not-run: REASON -->   the documented-lines test does not run this block, for REASON
  <!-- run: NAME -->         a block that another test picks by NAME (tests/docs_presets_test.sh)
  <!-- fails: REASON -->     a command shown failing on purpose (a refusal): it must exit non-zero
"""
import re
from dataclasses import dataclass

MARKER = re.compile(r"^<!--\s*(not-run|run|fails):\s*(.*?)\s*-->\s*$")


@dataclass
class Block:
    file: str
    line: int        # the line of the opening fence (1-based)
    lang: str        # "" for a bare fence
    text: str        # the lines between the fences, each ending in "\n"
    marker: str = ""  # "not-run", "run", "fails" or ""
    reason: str = ""  # the marker's text


def blocks(path):
    found = []
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    i = 0
    while i < len(lines):
        m = re.match(r"^```\s*([\w+-]*)\s*$", lines[i])
        if not m:
            i += 1
            continue
        start = i
        j = i + 1
        while j < len(lines) and not lines[j].startswith("```"):
            j += 1
        marker = MARKER.match(lines[start - 1]) if start > 0 else None
        found.append(Block(path, start + 1, m.group(1), "".join(l + "\n" for l in lines[start + 1:j]),
                           marker.group(1) if marker else "", marker.group(2) if marker else ""))
        i = j + 1
    return found
