#!/usr/bin/env python3
"""Budgets of docs/RESULTS.md for one model, from `mixbit analyze --json` of that model (the memory model is the one
source of every byte count; this script only interpolates between its figures).

  results_budgets.py budgets ANALYZE_JSON       -> "flash-only:--flash=NB,--ram=NB flash-ram:--flash=NB,--ram=NB"
  results_budgets.py uniform-policy ANALYZE_JSON BITS  -> a policy JSON with every weight at BITS, activations at 8
  results_budgets.py kmeans ANALYZE_JSON UNIFORM_ANALYZE_JSON BITS -> "--flash=NB,--ram=NB" and the memory, as JSON

The positions between uniform 2-bit and uniform 8-bit are those of docs/SEARCH.md's two budgets on the default model
(MobileNetV1 0.25): the STM32G071 net of its reserves (111,616 B usable FLASH) sits 21.5 % of the way from all-2-bit
to all-8-bit FLASH, with RAM not binding; the tight budget (128 kB / 10 kB) sits 33.9 % of the way in FLASH and
26.6 % in peak RAM. Carrying the positions over gives every model a budget that uniform 8-bit does not fit and uniform
2-bit does, as the paper chooses its budgets."""
import json, sys

FLASH_ONLY = 0.2154   # (111616 - 77687) / (235199 - 77687) on the default model
FLASH_RAM = (0.3389, 0.2660)  # (131072 - 77687) / (235199 - 77687), (10240 - 7016) / (19136 - 7016)
CODEBOOK_ENTRY_BYTES = 4  # a k-means centroid is a float32: the runtime looks it up per weight

def load(path):
    with open(path) as f: return json.load(f)

def between(low, high, position): return int(low + position * (high - low))

def budgets(a):
    u8, u2 = a["uniform8Bit"], a["all2Bit"]
    f_only = between(u2["flashBytes"], u8["flashBytes"], FLASH_ONLY)
    f_both = between(u2["flashBytes"], u8["flashBytes"], FLASH_RAM[0])
    r_both = between(u2["peakRamBytes"], u8["peakRamBytes"], FLASH_RAM[1])
    # FLASH-only: RAM is what uniform 8-bit needs, so it never binds.
    return f"flash-only:--flash={f_only},--ram={u8['peakRamBytes']} flash-ram:--flash={f_both},--ram={r_both}"

def uniform_policy(a, bits):
    layers = [{"name": r["name"], "weightBits": bits, "activationBits": 8} for r in a["rows"] if r["weightCount"] > 0]
    return {"model": a["model"], "layers": layers}

def kmeans(a, uniform, bits):
    """Weight memory of k-means weights at BITS: the packed BITS-bit indices (the memory model's uniform BITS-bit
    weight bytes) plus one codebook of 2^BITS float32 centroids per weighted layer; the per-channel parameters
    (bias, requantization) are the same for both sides and stay in the FLASH budget."""
    layers = sum(1 for r in a["rows"] if r["weightCount"] > 0)
    codebooks = layers * (1 << bits) * CODEBOOK_ENTRY_BYTES
    weights = uniform["footprint"]["weightBytes"]
    flash = weights + codebooks + uniform["footprint"]["parameterBytes"]
    return {"bits": bits, "indexBytes": weights, "codebookBytes": codebooks, "weightMemoryBytes": weights + codebooks,
            "parameterBytes": uniform["footprint"]["parameterBytes"], "flashBytes": flash,
            "options": f"--flash={flash},--ram={a['uniform8Bit']['peakRamBytes']}"}

if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "budgets": print(budgets(load(sys.argv[2])))
    elif cmd == "uniform-policy": print(json.dumps(uniform_policy(load(sys.argv[2]), int(sys.argv[3])), indent=2))
    elif cmd == "kmeans": print(json.dumps(kmeans(load(sys.argv[2]), load(sys.argv[3]), int(sys.argv[4])), indent=2))
    else: sys.exit(f"unknown command {cmd}")
