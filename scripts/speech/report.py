#!/usr/bin/env python3
"""Scores `make bench-speech`: Balcão's voice-note path against faster-whisper on the same clips and model.

  report.py --manifest M --run KEY=RESULT.json [--run ...] --out bench-results/speech.json [--wall-seconds S]

--manifest: make_clips.py's manifest.json (testset.json beside it is copied into the output).
--run:      one engine run each. KEY is one of
              balcao-1t, balcao-2t            SpeechBenchmark (or fake_balcao_speech.py), 1 and 2 threads
              fw-int8-1t, fw-float32-1t, fw-int8-2t   faster_whisper_run.py
            RESULT.json has {"engine", "threads", "load_seconds", "peak_rss_mb", "clips": [{"id", "transcript",
            "seconds", ...}]}. When RESULT.proc.json (measure.py's record of the process) is beside it, its peak RSS
            is used too: peak MB = the larger of the program's own figure and the kernel's.
A clip a run left out scores as an empty transcript, and that run's speed figures are not counted (n/a).

Figures per run: WER and WER with accents folded (wer.py: errors over reference words, summed over clips), per
source (audioeval: the real-format clips; espeak: the synthesized ones), real-time factor (sum of per-clip seconds /
sum of audio seconds), total seconds, load seconds, peak MB.
Goals (from the issue), Balcão on 1 thread unless said:
  WER <= faster-whisper's on the same model + 1 point (the better of its int8 and float32 runs, 1 thread)
  speed >= 1.0 x faster-whisper int8 on 1 thread (ratio of total seconds over all clips; > 1 = Balcão faster)
  a ~30 s note (the slowest of the 25-35 s clips) transcribed in <= 5 s
  peak memory <= 400 MB (the larger of Balcão's 1- and 2-thread runs)
"""
import argparse
import json
import os
import platform
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wer import counts, normalize, rate  # noqa: E402

KEYS = ["balcao-1t", "balcao-2t", "fw-int8-1t", "fw-float32-1t", "fw-int8-2t"]
SOURCES = ["audioeval", "espeak"]
BANDS = [("< 10 s", 0, 10), ("10-25 s", 10, 25), ("25-35 s", 25, 35), ("> 35 s", 35, 1e9)]
THIRTY = (25.0, 35.0)
GOAL_WER_POINTS = 1.0
GOAL_SPEED_RATIO = 1.0
GOAL_THIRTY_SECONDS = 5.0
GOAL_PEAK_MB = 400.0
BUSY_LOAD = 0.5  # a 1-minute load average above this before or after the runs is reported as a busy machine


def load(p):
    with open(p, encoding="utf-8") as f:
        return json.load(f)


def label(key, r):
    threads = r.get("threads")
    t = f"{threads} thread{'s' if threads != 1 else ''}"
    if r.get("engine") == "balcao":
        if r.get("fake"):
            return f"Balcão FAKE ({r.get('fake_engine', 'stand-in')}), {t}"
        return f"Balcão (whisper.cpp), {t}"
    return f"faster-whisper {r.get('compute_type')}, {t}"


def fmt(x, spec, suffix=""):
    return "n/a" if x is None or x != x else format(x, spec) + suffix


def score_run(key, path, manifest):
    r = load(path)
    proc_path = path[:-5] + ".proc.json" if path.endswith(".json") else path + ".proc.json"
    proc = load(proc_path) if os.path.isfile(proc_path) else None
    by_id = {c["id"]: c for c in r.get("clips", [])}
    rows, missing = [], []
    for e in manifest:
        c = by_id.get(e["id"])
        if c is None:
            missing.append(e["id"])
            c = {"transcript": "", "seconds": None}
        hyp = c.get("transcript") or ""
        ed, n = counts(e["reference"], hyp)
        edf, _ = counts(e["reference"], hyp, folded=True)
        hyp_words = len(normalize(hyp))
        row = {"transcript": hyp, "seconds": c.get("seconds"), "edits": ed, "edits_folded": edf, "words": n,
               "hyp_words": hyp_words, "wer": round(rate(ed, n), 4),
               "empty": hyp_words == 0 < n, "runaway": hyp_words > 2 * n + 5}
        for extra in ("decode_seconds", "transcribe_seconds", "error"):
            if c.get(extra) is not None:
                row[extra] = c[extra]
        rows.append(row)

    def wer_of(idx, folded=False, capped=False):
        if capped:  # each clip's errors capped at its reference words: one runaway clip cannot outweigh the rest
            e = sum(min(rows[i]["edits"], rows[i]["words"]) for i in idx)
        else:
            e = sum(rows[i]["edits_folded" if folded else "edits"] for i in idx)
        return rate(e, sum(rows[i]["words"] for i in idx))

    all_idx = range(len(manifest))
    total = None if missing else sum(x["seconds"] or 0.0 for x in rows)
    audio = sum(e["seconds"] for e in manifest)
    self_mb = r.get("peak_rss_mb")
    ext_mb = proc.get("peak_rss_mb") if proc else None
    peaks = [x for x in (self_mb, ext_mb) if isinstance(x, (int, float))]
    decode = None
    if not missing and all("decode_seconds" in x for x in rows):
        decode = sum(x["decode_seconds"] for x in rows)
    summary = {
        "label": label(key, r), "engine": r.get("engine"), "fake": bool(r.get("fake")),
        "compute_type": r.get("compute_type"), "threads": r.get("threads"),
        "wer": wer_of(all_idx), "wer_folded": wer_of(all_idx, True), "wer_capped": wer_of(all_idx, capped=True),
        "empty_clips": [manifest[i]["id"] for i in all_idx if rows[i]["empty"]],
        "runaway_clips": [manifest[i]["id"] for i in all_idx if rows[i]["runaway"]],
        "wer_by_source": {s: {"clips": len(ix), "wer": wer_of(ix), "wer_folded": wer_of(ix, True)}
                          for s in SOURCES for ix in [[i for i, e in enumerate(manifest) if e["source"] == s]] if ix},
        "total_seconds": total, "audio_seconds": audio, "rtf": None if total is None else total / audio,
        "decode_seconds": decode, "load_seconds": r.get("load_seconds"), "warmup_seconds": r.get("warmup_seconds"),
        "peak_rss_mb": max(peaks) if peaks else None, "peak_rss_mb_self": self_mb, "peak_rss_mb_process": ext_mb,
        "process": proc, "versions": r.get("versions"), "options": r.get("options"), "missing": missing,
        "seconds_per_clip_by_length": {},
    }
    for name, lo, hi in BANDS:
        ix = [i for i, e in enumerate(manifest) if lo <= e["seconds"] < hi]
        secs = [rows[i]["seconds"] for i in ix if rows[i]["seconds"] is not None]
        summary["seconds_per_clip_by_length"][name] = {
            "clips": len(ix), "mean_seconds": sum(secs) / len(secs) if secs and len(secs) == len(ix) else None,
            "max_seconds": max(secs) if secs and len(secs) == len(ix) else None}
    return summary, rows


def thirty_second(manifest, rows):
    """(max seconds, [(id, audio s, s)]) of a run over the 25-35 s clips; None when one is missing."""
    ix = [i for i, e in enumerate(manifest) if THIRTY[0] <= e["seconds"] <= THIRTY[1]]
    per = [(manifest[i]["id"], manifest[i]["seconds"], rows[i]["seconds"]) for i in ix]
    if not per or any(s is None for _, _, s in per):
        return None, per
    return max(s for _, _, s in per), per


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--manifest", required=True)
    ap.add_argument("--run", action="append", default=[], metavar="KEY=RESULT.json")
    ap.add_argument("--out", required=True)
    ap.add_argument("--wall-seconds", type=float)
    ap.add_argument("--load-start", default="", help="/proc/loadavg's three figures before the runs")
    a = ap.parse_args()

    manifest = load(a.manifest)
    testset_path = os.path.join(os.path.dirname(os.path.abspath(a.manifest)), "testset.json")
    testset = load(testset_path) if os.path.isfile(testset_path) else None
    runs, rows = {}, {}
    for spec in a.run:
        key, _, path = spec.partition("=")
        if key not in KEYS:
            sys.exit(f"report: unknown run key {key} (one of {', '.join(KEYS)})")
        if not os.path.isfile(path):
            print(f"report: no result for {key} at {path}", file=sys.stderr)
            continue
        runs[key], rows[key] = score_run(key, path, manifest)
    order = [k for k in KEYS if k in runs]
    audio = sum(e["seconds"] for e in manifest)
    counts_by_source = {s: sum(1 for e in manifest if e["source"] == s) for s in SOURCES}

    print(f"\n## Voice notes: Balcão vs faster-whisper, same Whisper base model, {len(manifest)} OGG/Opus clips "
          f"({audio:.0f} s of audio: {counts_by_source['audioeval']} audioeval, {counts_by_source['espeak']} "
          f"espeak-ng pt-BR)\n")
    if testset and len(manifest) < testset.get("clips", 0):
        print(f"**A subset: {len(manifest)} of the test set's {testset['clips']} clips.**\n")
    if any(runs[k]["fake"] for k in order):
        print("**Balcão's rows come from the FAKE stand-in (scripts/speech/fake_balcao_speech.py), not from "
              "SpeechBenchmark.**\n")
    print("WER over all clips (errors / reference words); folded: accents ignored; capped: each clip's errors capped at "
          "its reference words (a runaway repetition counts as 100 %, not more); empty / runaway: clips with no "
          "output / with more than twice the reference's words; RTF = seconds / audio seconds; total s = sum of "
          "per-clip wall seconds (decode + resample + transcribe; model load apart)\n")
    print("| engine / config | WER % | WER folded % | WER capped % | empty / runaway | RTF | total s | load s | peak MB |")
    print("|---|---|---|---|---|---|---|---|---|")
    for k in order:
        s = runs[k]
        print(f"| {s['label']} | {fmt(100 * s['wer'], '.1f')} | {fmt(100 * s['wer_folded'], '.1f')} | "
              f"{fmt(100 * s['wer_capped'], '.1f')} | {len(s['empty_clips'])} / {len(s['runaway_clips'])} | "
              f"{fmt(s['rtf'], '.3f')} | {fmt(s['total_seconds'], '.1f')} | {fmt(s['load_seconds'], '.2f')} | "
              f"{fmt(s['peak_rss_mb'], '.0f')} |")

    print("\nWER % by source (audioeval: pytest-audioeval's real-format Portuguese clips; espeak: synthesized)\n")
    print("| engine / config | " + " | ".join(f"{src} ({counts_by_source[src]})" for src in SOURCES
                                             if counts_by_source[src]) + " |")
    print("|---|" + "---|" * sum(1 for src in SOURCES if counts_by_source[src]))
    for k in order:
        ws = runs[k]["wer_by_source"]
        print(f"| {runs[k]['label']} | " + " | ".join(
            f"{fmt(100 * ws[src]['wer'], '.1f')} (folded {fmt(100 * ws[src]['wer_folded'], '.1f')})"
            for src in SOURCES if src in ws) + " |")

    print("\nMean seconds per clip by clip length (Whisper pads every clip to a 30 s window)\n")
    print("| engine / config | " + " | ".join(f"{n} ({runs[order[0]]['seconds_per_clip_by_length'][n]['clips']})"
                                             for n, _, _ in BANDS) + " |" if order else "")
    print("|---|" + "---|" * len(BANDS))
    for k in order:
        b = runs[k]["seconds_per_clip_by_length"]
        print(f"| {runs[k]['label']} | " + " | ".join(fmt(b[n]["mean_seconds"], ".2f") for n, _, _ in BANDS) + " |")

    for k in order:
        s = runs[k]
        if s["engine"] == "balcao" and s["decode_seconds"] is not None and s["total_seconds"]:
            print(f"\n{s['label']}: decode + resample {s['decode_seconds']:.2f} s of {s['total_seconds']:.1f} s "
                  f"({100 * s['decode_seconds'] / s['total_seconds']:.1f} %)", end="")
    print()
    for k in order:
        if runs[k]["missing"]:
            print(f"{runs[k]['label']}: no result for {len(runs[k]['missing'])} clips (scored as empty, speed n/a)")

    # The ~30 s notes.
    thirty = {}
    for k in ("balcao-1t", "balcao-2t", "fw-int8-1t", "fw-int8-2t"):
        if k in runs:
            worst, per = thirty_second(manifest, rows[k])
            thirty[k] = {"max_seconds": worst, "clips": [{"id": i, "audio_seconds": au, "seconds": s}
                                                         for i, au, s in per]}
    if thirty:
        print(f"\n~30 s notes ({THIRTY[0]:.0f}-{THIRTY[1]:.0f} s clips): slowest transcription, seconds\n")
        print("| engine / config | " + " | ".join(f"{c['id']} ({c['audio_seconds']:.1f} s)"
                                                 for c in next(iter(thirty.values()))["clips"]) + " | max |")
        print("|---|" + "---|" * (len(next(iter(thirty.values()))["clips"]) + 1))
        for k, t in thirty.items():
            print(f"| {runs[k]['label']} | " + " | ".join(fmt(c["seconds"], ".2f") for c in t["clips"]) +
                  f" | {fmt(t['max_seconds'], '.2f')} |")

    # What the real-format clips came out as.
    shown = [k for k in ("balcao-1t", "fw-int8-1t", "fw-float32-1t") if k in runs]
    print("\nTranscripts of the audioeval clips\n")
    print("| clip | reference | " + " | ".join(runs[k]["label"] for k in shown) + " |")
    print("|---|---|" + "---|" * len(shown))
    for i, e in enumerate(manifest):
        if e["source"] == "audioeval":
            cells = [rows[k][i]["transcript"].replace("|", "\\|") or "(empty)" for k in shown]
            print(f"| {e['id']} | {e['reference']} | " + " | ".join(cells) + " |")

    # Goals.
    b1, f8, f32 = runs.get("balcao-1t"), runs.get("fw-int8-1t"), runs.get("fw-float32-1t")
    goals, units = [], []
    anchors = [x for x in (f8, f32) if x]
    if b1 and anchors:
        best = min(anchors, key=lambda x: x["wer"])
        target = 100 * best["wer"] + GOAL_WER_POINTS
        goals.append({"goal": f"WER <= faster-whisper's on the same model + {GOAL_WER_POINTS:g} point "
                              f"(best of int8/float32, 1 thread: {best['label']})",
                      "measured": round(100 * b1["wer"], 2), "target": round(target, 2),
                      "met": 100 * b1["wer"] <= target + 1e-9})
        units.append("%")
    if b1 and f8:
        ratio = (f8["total_seconds"] / b1["total_seconds"]) if b1["total_seconds"] and f8["total_seconds"] else None
        goals.append({"goal": "speed >= 1.0 x faster-whisper int8 on 1 thread (its total s / Balcão's total s, "
                              "1 thread)", "measured": None if ratio is None else round(ratio, 3),
                      "target": GOAL_SPEED_RATIO, "met": ratio is not None and ratio >= GOAL_SPEED_RATIO})
        units.append("x")
    if "balcao-1t" in thirty:
        # The daemon's reader child loads the model for each note: its load time counts too.
        worst = thirty["balcao-1t"]["max_seconds"]
        if worst is not None and b1 and b1.get("load_seconds") is not None:
            worst += b1["load_seconds"]
        goals.append({"goal": f"~30 s note transcribed in <= {GOAL_THIRTY_SECONDS:g} s (slowest "
                              f"{THIRTY[0]:.0f}-{THIRTY[1]:.0f} s clip plus the model's load, 1 thread)",
                      "measured": None if worst is None else round(worst, 3), "target": GOAL_THIRTY_SECONDS,
                      "met": worst is not None and worst <= GOAL_THIRTY_SECONDS})
        units.append("s")
    balcao_peaks = [runs[k]["peak_rss_mb"] for k in ("balcao-1t", "balcao-2t") if k in runs]
    if balcao_peaks:
        peak = None if None in balcao_peaks else max(balcao_peaks)
        goals.append({"goal": f"peak memory <= {GOAL_PEAK_MB:g} MB (Balcão's process, 1 and 2 threads)",
                      "measured": peak, "target": GOAL_PEAK_MB, "met": peak is not None and peak <= GOAL_PEAK_MB})
        units.append("MB")
    print("\n| goal | measured | target | met |")
    print("|---|---|---|---|")
    for g, unit in zip(goals, units):
        cmp = ">=" if unit == "x" else "<="
        print(f"| {g['goal']} | {fmt(g['measured'], '.0f' if unit == 'MB' else '.2f', ' ' + unit if unit == 'MB' else unit)} | {cmp} "
              f"{g['target']:g}{' ' + unit if unit == 'MB' else unit} | {'yes' if g['met'] else 'NO'} |")
    if "balcao-2t" in thirty and thirty["balcao-2t"]["max_seconds"] is not None:
        print(f"\n(2 threads: slowest ~30 s note {thirty['balcao-2t']['max_seconds']:.2f} s)")

    try:
        load_avg = list(os.getloadavg())
    except OSError:
        load_avg = None
    try:
        load_start = [float(x) for x in a.load_start.split()] or None
    except ValueError:
        load_start = None
    busy = [x[0] for x in (load_start, load_avg) if x and x[0] > BUSY_LOAD]
    if busy:
        print(f"\nwarning: the machine was busy (1-minute load {max(busy):.1f} before or after the runs, "
              f"{os.cpu_count()} CPUs): the speed figures are noisy, run again on a quiet machine to judge the goals")
    cpu_model = None
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            cpu_model = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), None)
    except OSError:
        pass
    clips = []
    for i, e in enumerate(manifest):
        clips.append({"id": e["id"], "source": e["source"], "audio_seconds": e["seconds"],
                      "reference": e["reference"], "runs": {k: rows[k][i] for k in order}})
    out = {"benchmark": "speech", "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
           "machine": {"cpus": os.cpu_count(), "cpu": cpu_model, "platform": platform.platform(),
                       "loadavg_start": load_start, "loadavg_end": load_avg, "busy": bool(busy)},
           "testset": testset, "wall_seconds": a.wall_seconds, "audio_seconds": audio,
           "runs": runs, "thirty_second_notes": thirty, "clips": clips, "goals": goals}
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    with open(a.out, "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=1)
    print(f"\nwrote {a.out}")


if __name__ == "__main__":
    main()
