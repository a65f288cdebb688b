#!/usr/bin/env python3
"""Tabulates the runs of scripts/search-experiment.sh (one folder per budget, one sub-folder per strategy and seed)
as the Markdown tables of docs/SEARCH.md: accuracy after calibration (validation, as the search saw it, and test),
after the same QAT (test), memory utilisation, evaluations and wall time; mean and spread (sample standard deviation)
over seeds. Usage: search_report.py RUN_DIR"""
import json, os, statistics, sys
from collections import defaultdict

def load(path):
    try:
        with open(path) as f: return json.load(f)
    except (OSError, ValueError): return None

def stat(values, scale=100.0, digits=2):
    values = [v * scale for v in values if v is not None]
    if not values: return "-"
    if len(values) == 1: return f"{values[0]:.{digits}f}"
    return f"{statistics.mean(values):.{digits}f} ± {statistics.stdev(values):.{digits}f}"

def main(root):
    order = ["uniform", "rule", "random", "greedy", "exact", "ddpg"]
    for budget in sorted(os.listdir(root)):
        bdir = os.path.join(root, budget)
        if not os.path.isdir(bdir): continue
        runs = defaultdict(list)
        for run in sorted(os.listdir(bdir)):
            s = load(os.path.join(bdir, run, "summary.json"))
            if s is None: continue
            runs[s["strategy"]].append((s, load(os.path.join(bdir, run, "test.json")), load(os.path.join(bdir, run, "qat-test.json"))))
        if not runs: continue
        first = next(iter(runs.values()))[0][0]
        print(f"### Budget `{budget}`: {first['device']} (usable {first['usableFlashBytes']:,} B FLASH / {first['usableRamBytes']:,} B RAM, reserves {first['flashReserveBytes']} / {first['ramReserveBytes']} B)\n")
        print(f"Float accuracy: validation {first['floatAccuracy']*100:.2f} %" + "".join(
            f", test {t['floatAccuracy']*100:.2f} %" for _, t, _ in runs.get('rule', [])[:1] if t) + ".\n")
        print("| strategy | seeds | val acc, calibrated (%) | test acc, calibrated (%) | test acc after QAT (%) | FLASH use (%) | RAM use (%) | evaluations | wall time (s) |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for name in order + sorted(set(runs) - set(order)):
            rows = runs.get(name)
            if not rows: continue
            S = [r[0] for r in rows]
            print(f"| {name} | {len(rows)} | {stat([s['accuracy'] for s in S])} | {stat([t['accuracy'] if t else None for _, t, _ in rows])} "
                  f"| {stat([q['accuracy'] if q else None for _, _, q in rows])} | {stat([s['flashUtilisation'] for s in S], digits=1)} "
                  f"| {stat([s['ramUtilisation'] for s in S], digits=1)} | {stat([s['evaluations'] for s in S], 1, 0)} | {stat([s['wallSeconds'] for s in S], 1, 0)} |")
        print()

if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "runs/search-experiment")
