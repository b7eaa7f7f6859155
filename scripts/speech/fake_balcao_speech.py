#!/usr/bin/env python3
"""Stand-in for SpeechBenchmark, to try scripts/bench-speech.sh before the real one exists:

  BENCH_SPEECH_FAKE=1 bash scripts/bench-speech.sh

Speaks SpeechBenchmark's interface: `--manifest M --model PATH --threads N --output F` reads M (make_clips.py's
manifest; "file" relative to M's folder unless absolute) and writes F as
  {"engine": "balcao", "threads", "load_seconds", "peak_rss_mb",
   "clips": [{"id", "transcript", "seconds", "decode_seconds", "transcribe_seconds"}]}
with seconds = decode_seconds + transcribe_seconds for each clip, plus "fake": true.

It does not use --model (the whisper.cpp file; it need not exist): it runs faster-whisper int8 on the CTranslate2
copy of the same weights (--ct2-dir, default .build-whisper/ct2-base), decoding each OGG/Opus clip to 16 kHz with
faster-whisper's own decoder (PyAV) as its "decode + resample" step and transcribing the array as its "transcribe"
step. So its figures are the anchor's again, give or take the machine's noise: nothing to beat with.
"""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from faster_whisper_run import (check_threads, load_manifest, load_model, peak_rss_mb, progress,  # noqa: E402
                                transcribe, versions)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--manifest", required=True)
    ap.add_argument("--model", required=True, help="ignored (the real SpeechBenchmark's whisper.cpp model)")
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--output", required=True)
    ap.add_argument("--ct2-dir", default=os.path.join(ROOT, ".build-whisper", "ct2-base"))
    ap.add_argument("--compute-type", default="int8")
    a = ap.parse_args()
    check_threads(a.threads)
    from faster_whisper.audio import decode_audio

    entries = load_manifest(a.manifest)
    t0 = time.perf_counter()
    model = load_model(a.ct2_dir, a.compute_type, a.threads)
    load_seconds = time.perf_counter() - t0
    warmup_seconds = None
    if entries:  # the same untimed first pass as the anchor's
        t0 = time.perf_counter()
        transcribe(model, decode_audio(entries[0]["path"], sampling_rate=16000))
        warmup_seconds = time.perf_counter() - t0

    clips = []
    for i, e in enumerate(entries, 1):
        t0 = time.perf_counter()
        audio = decode_audio(e["path"], sampling_rate=16000)
        t1 = time.perf_counter()
        text = transcribe(model, audio)
        t2 = time.perf_counter()
        clips.append({"id": e["id"], "transcript": text, "seconds": round(t2 - t0, 5),
                      "decode_seconds": round(t1 - t0, 5), "transcribe_seconds": round(t2 - t1, 5)})
        progress(f"fake Balcão {a.threads}t", i, len(entries))

    out = {"engine": "balcao", "fake": True, "fake_engine": f"faster-whisper {a.compute_type}",
           "threads": a.threads, "model": a.model, "load_seconds": round(load_seconds, 4),
           "warmup_seconds": None if warmup_seconds is None else round(warmup_seconds, 4),
           "peak_rss_mb": round(peak_rss_mb(), 1), "versions": versions(), "clips": clips}
    with open(a.output, "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main()
