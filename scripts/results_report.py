#!/usr/bin/env python3
"""Tabulates scripts/results-experiment.sh's runs as the tables of docs/RESULTS.md: per budget, every model's float,
uniform 8-bit (reference), best uniform, rule-based, exact and DDPG accuracy (test set, after calibration and after
the same QAT; mean ± sample standard deviation over seeds) and memory utilisation; then k-means weights against
uniform mixed precision at the same weight memory. Usage: results_report.py RESULTS_DIR"""
import json, os, statistics, sys

MODELS = ["mobilenet_v1", "mobilenet_v2", "mnasnet"]
BUDGETS = [("flash-only", "FLASH-only budget"), ("flash-ram", "FLASH+RAM budget")]

def load(*parts):
    try:
        with open(os.path.join(*parts)) as f: return json.load(f)
    except (OSError, ValueError): return None

def pct(values, digits=2):
    values = [v * 100 for v in values if v is not None]
    if not values: return "-"
    if len(values) == 1: return f"{values[0]:.{digits}f}"
    return f"{statistics.mean(values):.{digits}f} ± {statistics.stdev(values):.{digits}f}"

def runs(bdir, strategy):
    """(summary, calibrated test, QAT test) of every seed of STRATEGY in BDIR."""
    found = []
    if not os.path.isdir(bdir): return found
    for run in sorted(os.listdir(bdir)):
        if not run.startswith(strategy + "-s"): continue
        s = load(bdir, run, "summary.json")
        if s: found.append((s, load(bdir, run, "test.json"), load(bdir, run, "qat-test.json")))
    return found

def bits_label(summary):
    """The uniform width of a uniform policy (activations that cannot change memory keep 8 bits)."""
    return f"{max(l['weightBits'] for l in summary['policy'])}-bit"

def cal(rs): return pct([t["accuracy"] if t else None for _, t, _ in rs])
def qat(rs): return pct([q["accuracy"] if q else None for _, _, q in rs])
def use(rs, key): return pct([s[key] for s, _, _ in rs], 1)

def budget_tables(root, key, title):
    print(f"### {title}\n")
    print("| model | usable FLASH / RAM (B) | float | uniform 8-bit (does not fit) | best uniform | best uniform after QAT "
          "| rule-based | rule-based after QAT | exact (proxy) | exact after QAT | DDPG | DDPG after QAT | DDPG seeds |")
    print("|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    memory = []
    for m in MODELS:
        bdir = os.path.join(root, m, key)
        u, r, e, d = (runs(bdir, s) for s in ("uniform", "rule", "exact", "ddpg"))
        first = next((x[0][0] for x in (r, u, e, d) if x), None)
        if first is None: continue
        u8 = load(root, m, "uniform8-test.json")
        flt = (u8 or (r[0][1] if r and r[0][1] else {})).get("floatAccuracy")
        ulabel = f"{bits_label(u[0][0])}: {cal(u)}" if u else "-"
        print(f"| {m} | {first['usableFlashBytes']:,} / {first['usableRamBytes']:,} | {pct([flt])} | {pct([u8['accuracy'] if u8 else None])} "
              f"| {ulabel} | {qat(u)} | {cal(r)} | {qat(r)} | {cal(e)} | {qat(e)} | {cal(d)} | {qat(d)} | {len(d)} |")
        memory.append((m, first, u, r, e, d))
    print()
    print("Memory utilisation (share of the usable budget the returned policy uses; FLASH % / RAM %):\n")
    print("| model | uniform 8-bit needs (B) | best uniform | rule-based | exact | DDPG |")
    print("|---|---:|---:|---:|---:|---:|")
    for m, first, u, r, e, d in memory:
        a = load(root, m, "analyze.json")
        need = f"{a['uniform8Bit']['flashBytes']:,} / {a['uniform8Bit']['peakRamBytes']:,}" if a else "-"
        cells = [f"{use(x, 'flashUtilisation')} / {use(x, 'ramUtilisation')}" if x else "-" for x in (u, r, e, d)]
        print(f"| {m} | {need} | " + " | ".join(cells) + " |")
    print()

def kmeans_table(root):
    print("### k-means weights against uniform mixed precision at the same weight memory\n")
    rows, with_ddpg = [], False
    for m in MODELS:
        mdir = os.path.join(root, m)
        if not os.path.isdir(mdir): continue
        for k in sorted(x for x in os.listdir(mdir) if x.startswith("kmeans-w")):
            mem, km, un = load(mdir, k, "memory.json"), load(mdir, k, "kmeans-test.json"), load(mdir, k, "uniform-test.json")
            kk = load(mdir, k, "kmeans-bn-keep-test.json")
            if not mem: continue
            e, d = runs(os.path.join(mdir, k, "mixed"), "exact"), runs(os.path.join(mdir, k, "mixed"), "ddpg")
            with_ddpg |= bool(d)
            used = f"{e[0][0]['flashBytes'] - mem['parameterBytes']:,}" if e else "-"
            rows.append(((f"| {m} | {mem['bits']} | {mem['weightMemoryBytes']:,} = {mem['indexBytes']:,} + {mem['codebookBytes']:,} "
                         f"| {pct([km['accuracy'] if km else None])} | {pct([kk['accuracy'] if kk else None])} | {pct([un['accuracy'] if un else None])} | {cal(e)} | {used} |"), d))
    print("| model | k-means bits | weight memory (B): indices + codebooks | k-means (BN folded) | k-means (BN kept) "
          "| uniform at those bits | mixed precision (exact) | its weight bytes |" + (" mixed precision (DDPG) |" if with_ddpg else ""))
    print("|---|---:|---:|---:|---:|---:|---:|---:|" + ("---:|" if with_ddpg else ""))
    for row, d in rows: print(row + (f" {cal(d)} |" if with_ddpg else ""))
    print()

def main(root):
    for key, title in BUDGETS: budget_tables(root, key, title)
    kmeans_table(root)

if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "runs/results")
