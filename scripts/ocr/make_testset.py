#!/usr/bin/env python3
"""Builds the OCR test set of `make bench-ocr` from the corpus's Portuguese text-layer PDFs.

  make_testset.py OUT_DIR [--corpus ../shared/corpus] [--pages 12] [--seed 20240601] [--lang pt-PT]

Picks the corpus PDFs whose manifest `lang` starts with --lang (default pt-PT: the ptlaw_* Diário da República
files; `--lang pt` adds the pt-BR qd_* ones), leaving out hostile (encrypted with a user password, corrupt, image-only)
and derived files and any that `pdftotext` cannot read. It takes about --pages pages spread round-robin over those
files (skipping pages with less than MIN_CHARS characters of text, pages that draw raster images, and pages
thick with dot leaders: see MAX_LEADER_FRACTION), rasterizes each with `pdftoppm -r 300 -gray -png` and takes
its ground truth from the text layer (`pdftotext -f N -l N`, not -layout).
Each clean page then gets degraded copies (see VARIANTS and the functions below), all drawn from a fixed seed, so
the set is the same on every machine with the same poppler.

Writes OUT_DIR/images/, OUT_DIR/truth/, OUT_DIR/manifest.json (a list of {"image", "truth", "page", "variant",
"params"}, paths relative to OUT_DIR) and OUT_DIR/testset.json (generator version and options). Does nothing when
testset.json matches this generator's version and options and every file of manifest.json is there.
Needs Pillow and numpy (bench-ocr.sh installs them into .venv-bench).
"""
import argparse
import hashlib
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile

import numpy as np
from PIL import Image, ImageFilter

GENERATOR_VERSION = 2
DPI = 300
MIN_CHARS = 1000  # non-whitespace characters of text a page needs to be picked (skips cover pages, near-empty ones)
# Pages whose text is more than this fraction dot leaders (". . . ." in tables of contents, price lists, forms) are
# skipped: the text layer spaces the dots as the typesetter did, OCR reads them as "......" or letters, and those
# few lines would outweigh the rest of the page in CER.
MAX_LEADER_FRACTION = 0.01
LEADER = re.compile(r"(?:\.[ \t]?){4,}")
VARIANTS = ["clean", "rotate", "turn90", "turn180", "jpeg30", "blur", "noise", "perspective"]
LIGATURES = {"\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl", "\ufb05": "st",
             "\ufb06": "st"}


def default_corpus():
    return os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared",
                                         "corpus"))


def run(cmd):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)


def page_count(pdf):
    r = run(["pdfinfo", pdf])
    if r.returncode != 0:
        return 0
    for line in r.stdout.decode("utf-8", "replace").splitlines():
        if line.startswith("Pages:"):
            return int(line.split()[1])
    return 0


def has_images(pdf, n):
    """Whether the page draws any raster image: text in a picture (a map's place names, a logo) is on the image OCR
    reads but not in the text layer, so OCR would be charged for reading it."""
    r = run(["pdfimages", "-list", "-f", str(n), "-l", str(n), pdf])
    return r.returncode != 0 or len(r.stdout.decode("utf-8", "replace").strip().splitlines()) > 2


def leader_fraction(text):
    chars = len("".join(text.split()))
    return sum(len("".join(m.group().split())) for m in LEADER.finditer(text)) / chars if chars else 0.0


def page_text(pdf, n):
    r = run(["pdftotext", "-enc", "UTF-8", "-f", str(n), "-l", str(n), pdf, "-"])
    if r.returncode != 0:
        return None
    text = r.stdout.decode("utf-8", "replace").replace("\f", "\n")
    # Ligature code points are a text-layer artefact (the page shows the two letters); OCR reads the letters.
    for k, v in LIGATURES.items():
        text = text.replace(k, v)
    return text


def pick_files(corpus, lang):
    """Corpus PDFs in lang that pdftotext reads, sorted by name."""
    manifest = json.load(open(os.path.join(corpus, "manifest.json"), encoding="utf-8"))
    out = []
    for e in manifest:
        if e.get("kind") != "pdf" or not (e.get("lang") or "").startswith(lang):
            continue
        if e.get("hostile") or e.get("derived_from") or e.get("password"):
            continue
        path = os.path.join(corpus, e["file"])
        if not os.path.isfile(path):
            continue
        r = run(["pdftotext", "-l", "1", path, "-"])
        if r.returncode != 0 or not r.stdout.strip():
            print(f"make_testset: skipping {e['file']} (pdftotext cannot read it)", file=sys.stderr)
            continue
        out.append(path)
    return sorted(out)


def pick_pages(files, want, seed):
    """[(pdf, page number, text)] round-robin over files, each file's pages in a seeded order."""
    queues = []
    for f in files:
        order = list(range(1, page_count(f) + 1))
        random.Random(f"{seed}:{os.path.basename(f)}").shuffle(order)
        queues.append([f, order])
    picked = []
    while len(picked) < want and any(q[1] for q in queues):
        for q in queues:
            if len(picked) >= want:
                break
            while q[1]:
                n = q[1].pop(0)
                text = page_text(q[0], n)
                if (text is not None and len("".join(text.split())) >= MIN_CHARS
                        and leader_fraction(text) <= MAX_LEADER_FRACTION and not has_images(q[0], n)):
                    picked.append((q[0], n, text))
                    break
    return picked


def rasterize(pdf, n, dst):
    with tempfile.TemporaryDirectory() as tmp:
        prefix = os.path.join(tmp, "p")
        r = run(["pdftoppm", "-r", str(DPI), "-gray", "-png", "-f", str(n), "-l", str(n), pdf, prefix])
        if r.returncode != 0:
            raise RuntimeError(f"pdftoppm failed on {pdf} page {n}: {r.stderr.decode('utf-8', 'replace')}")
        (png,) = [x for x in os.listdir(tmp) if x.endswith(".png")]
        shutil.move(os.path.join(tmp, png), dst)


# --- degradations: each takes the clean grayscale page and a seeded numpy Generator, returns (image, params) ---

def rotate(img, rng, page_index):
    # A skewed scan: at least 1° so the variant really needs deskewing, at most 5°, either way.
    angle = float(rng.uniform(1.0, 5.0)) * (1 if rng.random() < 0.5 else -1)
    out = img.rotate(angle, resample=Image.BICUBIC, expand=True, fillcolor=255)
    return out, {"degrees_ccw": round(angle, 3)}


def turn90(img, rng, page_index):
    # A page photographed or scanned sideways; the direction alternates over the pages so both occur.
    if page_index % 2 == 0:
        return img.transpose(Image.ROTATE_270), {"degrees_ccw": -90}
    return img.transpose(Image.ROTATE_90), {"degrees_ccw": 90}


def turn180(img, rng, page_index):
    return img.transpose(Image.ROTATE_180), {"degrees_ccw": 180}


def blur(img, rng, page_index):
    return img.filter(ImageFilter.GaussianBlur(radius=1.5)), {"gaussian_radius": 1.5}


NOISE_SIGMA = 40.0   # additive Gaussian noise, gray levels (0-255)
NOISE_SPECKLE = 0.01  # fraction of pixels set to pure black or white (dust, sensor speckle)


def noise(img, rng, page_index):
    a = np.asarray(img, dtype=np.float32)
    a = a + rng.normal(0.0, NOISE_SIGMA, a.shape).astype(np.float32)
    u = rng.random(a.shape, dtype=np.float32)
    a[u < NOISE_SPECKLE / 2] = 0.0
    a[u > 1.0 - NOISE_SPECKLE / 2] = 255.0
    return Image.fromarray(np.clip(a, 0, 255).astype(np.uint8)), {"gaussian_sigma": NOISE_SIGMA,
                                                                       "salt_pepper_fraction": NOISE_SPECKLE}


def perspective_coeffs(dst, src):
    """The 8 coefficients PIL's PERSPECTIVE transform wants: they map output points (dst) to input points (src)."""
    m, b = [], []
    for (x, y), (u, v) in zip(dst, src):
        m.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        m.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        b += [u, v]
    return np.linalg.solve(np.array(m, dtype=np.float64), np.array(b, dtype=np.float64)).tolist()


def perspective(img, rng, page_index):
    """A phone photo of the page lying on a darker desk: the page a trapezoid (the phone tilted towards the top or
    bottom edge, with some sideways jitter), light falling off across the frame, and the softness of a phone lens."""
    w, h = img.size
    margin = 0.04
    keystone = float(rng.uniform(0.03, 0.07))  # how much narrower the far edge is, per side, as a fraction of width
    far_top = rng.random() < 0.5

    def jitter():
        return float(rng.uniform(-0.012, 0.012))

    tl = [w * (margin + (keystone if far_top else 0) + jitter()), h * (margin + jitter())]
    tr = [w * (1 - margin - (keystone if far_top else 0) + jitter()), h * (margin + jitter())]
    br = [w * (1 - margin - (0 if far_top else keystone) + jitter()), h * (1 - margin + jitter())]
    bl = [w * (margin + (0 if far_top else keystone) + jitter()), h * (1 - margin + jitter())]
    dst = [tl, tr, br, bl]
    src = [[0, 0], [w, 0], [w, h], [0, h]]
    desk = int(rng.integers(70, 110))
    out = img.transform((w, h), Image.PERSPECTIVE, perspective_coeffs(dst, src), resample=Image.BICUBIC,
                        fillcolor=desk)
    # Shading: brightness falls linearly from 1 to 1-depth along a random direction, plus a mild vignette.
    depth = float(rng.uniform(0.25, 0.35))
    theta = float(rng.uniform(0, 2 * np.pi))
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    xn, yn = xs / w - 0.5, ys / h - 0.5
    lin = xn * np.cos(theta) + yn * np.sin(theta)
    lin = (lin - lin.min()) / (lin.max() - lin.min())
    shade = (1.0 - depth * lin) * (1.0 - 0.15 * (xn ** 2 + yn ** 2) / 0.5)
    a = np.asarray(out, dtype=np.float32) * shade
    out = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(radius=0.8))
    corners = [[round(x), round(y)] for x, y in dst]
    return out, {"page_corners": corners, "desk_gray": desk, "shade_depth": round(depth, 3),
                 "shade_direction_deg": round(float(np.degrees(theta)), 1), "vignette": 0.15, "blur_radius": 0.8}


DEGRADE = {"rotate": rotate, "turn90": turn90, "turn180": turn180, "blur": blur, "noise": noise,
           "perspective": perspective}


def config(a, files):
    return {"generator_version": GENERATOR_VERSION, "dpi": DPI, "pages": a.pages, "seed": a.seed, "lang": a.lang,
            "min_chars": MIN_CHARS, "max_leader_fraction": MAX_LEADER_FRACTION, "variants": VARIANTS,
            "files": [os.path.basename(f) for f in files]}


def up_to_date(out_dir, cfg):
    try:
        old = json.load(open(os.path.join(out_dir, "testset.json"), encoding="utf-8"))
        entries = json.load(open(os.path.join(out_dir, "manifest.json"), encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if old.get("config") != cfg:
        return False
    return all(os.path.isfile(os.path.join(out_dir, e[k])) for e in entries for k in ("image", "truth"))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out_dir")
    ap.add_argument("--corpus", default=default_corpus())
    ap.add_argument("--pages", type=int, default=12, help="clean pages (each gets %d degraded copies)" %
                    (len(VARIANTS) - 1))
    ap.add_argument("--seed", type=int, default=20240601)
    ap.add_argument("--lang", default="pt-PT", help="manifest lang prefix of the PDFs to use")
    a = ap.parse_args()
    corpus = os.path.abspath(a.corpus)
    if not os.path.isfile(os.path.join(corpus, "manifest.json")):
        sys.exit(f"make_testset: corpus not found at {corpus} (use --corpus)")
    files = pick_files(corpus, a.lang)
    if not files:
        sys.exit(f"make_testset: no readable PDF with lang {a.lang}* in {corpus}")
    cfg = config(a, files)
    out_dir = a.out_dir
    if up_to_date(out_dir, cfg):
        print(f"make_testset: {out_dir} is up to date", file=sys.stderr)
        return

    for sub in ("images", "truth"):
        shutil.rmtree(os.path.join(out_dir, sub), ignore_errors=True)
        os.makedirs(os.path.join(out_dir, sub))
    for name in ("manifest.json", "testset.json"):
        if os.path.exists(os.path.join(out_dir, name)):
            os.remove(os.path.join(out_dir, name))

    pages = pick_pages(files, a.pages, a.seed)
    entries = []
    for i, (pdf, n, text) in enumerate(pages):
        page_id = f"{os.path.splitext(os.path.basename(pdf))[0]}_p{n:02d}"
        truth = f"truth/{page_id}.txt"
        with open(os.path.join(out_dir, truth), "w", encoding="utf-8") as f:
            f.write(text)
        clean_rel = f"images/{page_id}_clean.png"
        rasterize(pdf, n, os.path.join(out_dir, clean_rel))
        clean = Image.open(os.path.join(out_dir, clean_rel)).convert("L")
        common = {"truth": truth, "page": page_id, "source": os.path.relpath(pdf, corpus), "page_number": n}
        entries.append({"image": clean_rel, "variant": "clean", "params": {"dpi": DPI}, **common})
        for variant in VARIANTS[1:]:
            digest = hashlib.sha256(f"{a.seed}:{page_id}:{variant}".encode()).digest()
            rng = np.random.default_rng(int.from_bytes(digest[:8], "little"))
            if variant == "jpeg30":
                rel = f"images/{page_id}_{variant}.jpg"
                clean.save(os.path.join(out_dir, rel), "JPEG", quality=30, dpi=(DPI, DPI))
                params = {"jpeg_quality": 30}
            else:
                img, params = DEGRADE[variant](clean, rng, i)
                rel = f"images/{page_id}_{variant}.png"
                img.save(os.path.join(out_dir, rel), "PNG", dpi=(DPI, DPI), compress_level=1)  # 3x faster on noise
            entries.append({"image": rel, "variant": variant, "params": params, **common})
        print(f"make_testset: {page_id} ({len(''.join(text.split()))} chars)", file=sys.stderr)

    # The manifest goes last, written whole: an interrupted run leaves no manifest and is redone.
    order = {v: k for k, v in enumerate(VARIANTS)}
    entries.sort(key=lambda e: (order[e["variant"]], e["page"]))
    for name, obj in (("testset.json", {"config": cfg, "images": len(entries), "pages": len(pages)}),
                      ("manifest.json", entries)):
        tmp = os.path.join(out_dir, name + ".tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(obj, f, ensure_ascii=False, indent=1)
        os.replace(tmp, os.path.join(out_dir, name))
    print(f"make_testset: wrote {len(entries)} images of {len(pages)} pages to {out_dir}", file=sys.stderr)


if __name__ == "__main__":
    main()
