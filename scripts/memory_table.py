#!/usr/bin/env python3
"""Regenerate the MobileNetV1 memory table of docs/MEMORY.md from `mixbit analyze --json` (standard library only).

For widths 0.5/0.75/1.0 and resolutions 128/160/192/224 (3 input channels, 1000 classes) on the 2 MB / 512 kB budget
(board stm32h743) it reports parameters, uniform 8-bit FLASH and peak RAM, whether 8-bit fits, and the rule-based
policy's FLASH, peak RAM and bit histogram.

  python3 scripts/memory_table.py            # print the table
  python3 scripts/memory_table.py --write    # also replace the table between the markers in docs/MEMORY.md
"""
import json
import os
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
CLI = os.path.join(ROOT, "src", "MixBit.Cli", "bin", "Release", "net10.0", "MixBit.Cli.dll")
DOC = os.path.join(ROOT, "docs", "MEMORY.md")
BEGIN, END = "<!-- memory-table:begin -->", "<!-- memory-table:end -->"
WIDTHS = ["0.5", "0.75", "1.0"]
RESOLUTIONS = ["128", "160", "192", "224"]


def kib(n):
    """1 kB = 1024 B, 1 MB = 1024 kB, as in the datasheets."""
    return f"{n / 1048576:.2f} MB ({n:,} B)" if n >= 1048576 else f"{n / 1024:.0f} kB ({n:,} B)"


def analyze(width, resolution):
    out = subprocess.run(
        ["dotnet", CLI, "analyze", "--arch", "mobilenet_v1", "--width", width, "--resolution", resolution,
         "--input-channels", "3", "--classes", "1000", "--board", "stm32h743", "--json"],
        check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def row(r, width, resolution):
    e8, rb = r["uniform8Bit"], r["ruleBased"]
    cells = [f"{width}", resolution, f"{r['parameters'] / 1e6:.2f} M", kib(e8["flashBytes"]), kib(e8["peakRamBytes"]),
             "yes" if e8["fits"] else "no (" + ", ".join(k for k, ok in (("FLASH", e8["flashFits"]), ("RAM", e8["ramFits"])) if not ok) + ")"]
    if rb["feasible"]:
        f, h = rb["footprint"], rb["histogram"]
        cells += [kib(f["flashBytes"]), kib(f["peakRamBytes"]),
                  f"{h['weights8']}/{h['weights4']}/{h['weights2']}", f"{h['activations8']}/{h['activations4']}/{h['activations2']}",
                  "yes" if f["fits"] else "no"]
    else:
        cells += ["infeasible", "", "", "", "no"]
    return "| " + " | ".join(cells) + " |"


def main():
    subprocess.run(["dotnet", "build", os.path.join(ROOT, "src", "MixBit.Cli"), "-c", "Release", "-v", "q", "-nologo"],
                   check=True, stdout=subprocess.DEVNULL)
    lines = ["| width | resolution | params | 8-bit FLASH | 8-bit peak RAM | 8-bit fits? | rule-based FLASH | rule-based peak RAM | "
             "weights 8/4/2 bits | activations 8/4/2 bits | rule-based fits? |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for w in WIDTHS:
        for res in RESOLUTIONS:
            lines.append(row(analyze(w, res), w, res))
    table = "\n".join(lines)
    print(table)
    if "--write" in sys.argv:
        text = open(DOC, encoding="utf-8").read()
        start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
        tmp = DOC + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text[:start] + "\n" + table + "\n" + text[end:])
        os.replace(tmp, DOC)


if __name__ == "__main__":
    main()
