#!/usr/bin/env python3
"""Scores `make bench-ocr`: Balcão's OCR pipeline against the tesseract command line on the same images.

  report.py --testset DIR --cli-dir DIR --balcao ocr-balcao.json --out bench-results/ocr.json [--mode reordered]

--testset: make_testset.py's folder (manifest.json, images/, truth/).
--cli-dir: what bench-ocr.sh's anchor loop left: times.tsv (image, exit code, start, end: $EPOCHREALTIME before
           and after each `tesseract IMAGE stdout -l por` process) and <image>.txt (its stdout). Written back as
           ocr-cli.json beside --out, in OCRBenchmark's format.
--balcao:  OCRBenchmark's output, [{"image", "text", "seconds"}]. An image it left out scores as empty text
           (CER 1) and fails the speed goal.
--mode:    which CER the goals and the first table use: "reordered" (default) or "strict"; both are computed and
           written (see cer.py for why reading order is taken out by default).

Per variant and for clean / degraded (every other variant) pages: mean CER of each tool over its images, and
seconds per page (mean wall seconds per image). Speed = images / total seconds over the whole set.
Goals: clean CER <= the CLI's; degraded CER <= 0.75 x the CLI's; pages/s >= 0.9 x the CLI's.
"""
import argparse
import json
import os
import platform
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cer import scores  # noqa: E402

VARIANTS = ["clean", "rotate", "turn90", "turn180", "jpeg30", "blur", "noise", "perspective"]


def load(p):
    with open(p, encoding="utf-8") as f:
        return json.load(f)


def read_cli(cli_dir):
    """{image: {"text", "seconds", "ok"}} from the anchor loop's files."""
    out = {}
    with open(os.path.join(cli_dir, "times.tsv"), encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            image, rc, t0, t1 = line.rstrip("\n").split("\t")
            secs = float(t1.replace(",", ".")) - float(t0.replace(",", "."))  # $EPOCHREALTIME follows LC_NUMERIC
            try:
                text = open(os.path.join(cli_dir, image + ".txt"), encoding="utf-8", errors="replace").read()
            except OSError:
                text = ""
            out[image] = {"text": text if rc == "0" else "", "seconds": secs, "ok": rc == "0"}
    return out


def read_balcao(path):
    out = {}
    for r in load(path):
        out[os.path.normpath(r["image"])] = {"text": r.get("text") or "", "seconds": float(r.get("seconds") or 0.0),
                                             "ok": r.get("text") is not None}
    return out


def mean(xs):
    xs = list(xs)
    return sum(xs) / len(xs) if xs else float("nan")


def summarize(rows, tool, mode):
    return {"images": len(rows),
            "cer": mean(r[tool]["cer_" + mode] for r in rows),
            "cer_strict": mean(r[tool]["cer_strict"] for r in rows),
            "cer_reordered": mean(r[tool]["cer_reordered"] for r in rows),
            "seconds_per_page": mean(r[tool]["seconds"] for r in rows if r[tool]["seconds"] is not None)}


def fmt(x, spec):
    return "n/a" if x != x else format(x, spec)  # NaN


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--testset", required=True)
    ap.add_argument("--cli-dir", required=True)
    ap.add_argument("--balcao", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--mode", choices=["reordered", "strict"], default="reordered")
    ap.add_argument("--wall-seconds", type=float, help="the whole run's wall time, recorded in the JSON")
    a = ap.parse_args()

    manifest = load(os.path.join(a.testset, "manifest.json"))
    testset_info = load(os.path.join(a.testset, "testset.json"))
    cli = read_cli(a.cli_dir)
    balcao = read_balcao(a.balcao)
    out_dir = os.path.dirname(os.path.abspath(a.out))
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "ocr-cli.json"), "w", encoding="utf-8") as f:
        json.dump([{"image": e["image"], "text": cli.get(e["image"], {}).get("text", ""),
                    "seconds": cli.get(e["image"], {}).get("seconds")} for e in manifest], f, ensure_ascii=False,
                  indent=1)

    truths = {}
    rows, missing = [], {"cli": [], "balcao": []}
    for e in manifest:
        if e["truth"] not in truths:
            truths[e["truth"]] = open(os.path.join(a.testset, e["truth"]), encoding="utf-8").read()
        ref = truths[e["truth"]]
        row = {"image": e["image"], "page": e["page"], "variant": e["variant"], "params": e.get("params")}
        for tool, got in (("cli", cli), ("balcao", balcao)):
            r = got.get(os.path.normpath(e["image"])) or got.get(e["image"])
            if r is None:
                missing[tool].append(e["image"])
                r = {"text": "", "seconds": None, "ok": False}
            s = scores(ref, r["text"])
            row[tool] = {"cer_strict": round(s["cer_strict"], 6), "cer_reordered": round(s["cer_reordered"], 6),
                         "seconds": None if r["seconds"] is None else round(r["seconds"], 4), "ok": r["ok"],
                         "chars": len(r["text"])}
            row["reference_chars"] = s["reference_chars"]
        rows.append(row)

    groups = [(v, [r for r in rows if r["variant"] == v]) for v in VARIANTS]
    groups = [(v, g) for v, g in groups if g]
    groups.append(("degraded (all)", [r for r in rows if r["variant"] != "clean"]))
    groups.append(("all", rows))
    summary = {name: {tool: summarize(g, tool, a.mode) for tool in ("cli", "balcao")} for name, g in groups}

    label = {"reordered": "CER, lines in reference order", "strict": "CER, strict"}
    print(f"\n## OCR: Balcão vs tesseract CLI (-l por, default options, a process per image), "
          f"{len(rows)} images of {testset_info.get('pages')} pages at {testset_info['config']['dpi']} dpi\n")
    print(f"{label[a.mode]} (mean over images); s/page = mean wall seconds per image\n")
    print("| variant | images | CLI CER | Balcão CER | CLI s/page | Balcão s/page |")
    print("|---|---|---|---|---|---|")
    for name, _ in groups:
        c, b = summary[name]["cli"], summary[name]["balcao"]
        print(f"| {name} | {c['images']} | {fmt(c['cer'], '.4f')} | {fmt(b['cer'], '.4f')} | "
              f"{fmt(c['seconds_per_page'], '.2f')} | {fmt(b['seconds_per_page'], '.2f')} |")
    other = "strict" if a.mode == "reordered" else "reordered"
    print(f"\nFor reference, {label[other]}:\n")
    print("| variant | CLI CER | Balcão CER |")
    print("|---|---|---|")
    for name, _ in groups:
        c, b = summary[name]["cli"], summary[name]["balcao"]
        print(f"| {name} | {fmt(c['cer_' + other], '.4f')} | {fmt(b['cer_' + other], '.4f')} |")

    n = len(rows)
    c_s = sum(r["cli"]["seconds"] or 0.0 for r in rows)
    b_s = sum(r["balcao"]["seconds"] or 0.0 for r in rows)
    c_rate = n / c_s if c_s else 0.0
    b_rate = n / b_s if b_s and not missing["balcao"] else 0.0
    ratio = b_rate / c_rate if c_rate else 0.0
    print(f"\nspeed: tesseract CLI {c_rate:.3f} pages/s ({c_s:.1f} s), Balcão {b_rate:.3f} pages/s ({b_s:.1f} s)"
          + (f"; Balcão left out {len(missing['balcao'])} images (scored as empty, speed not counted)"
             if missing["balcao"] else ""))
    if missing["cli"]:
        print(f"tesseract CLI has no result for {len(missing['cli'])} images", file=sys.stderr)

    cc, bc = summary["clean"]["cli"]["cer"], summary["clean"]["balcao"]["cer"]
    cd, bd = summary["degraded (all)"]["cli"]["cer"], summary["degraded (all)"]["balcao"]["cer"]
    goals = [{"goal": f"clean-page CER ({a.mode}) <= tesseract CLI's", "measured": round(bc, 4),
              "target": round(cc, 4), "met": bc <= cc},
             {"goal": f"degraded-page CER ({a.mode}) <= 0.75 x tesseract CLI's", "measured": round(bd, 4),
              "target": round(0.75 * cd, 4), "met": bd <= 0.75 * cd},
             {"goal": "pages/s >= 0.9 x tesseract CLI's (wall, same run)", "measured": round(ratio, 3),
              "target": 0.9, "met": ratio >= 0.9}]
    print("\n| goal | measured | target | met |")
    print("|---|---|---|---|")
    for g in goals:
        cmp = "<=" if "CER" in g["goal"] else ">="
        unit = "x" if "pages/s" in g["goal"] else ""
        print(f"| {g['goal']} | {g['measured']}{unit} | {cmp} {g['target']}{unit} | {'yes' if g['met'] else 'NO'} |")

    try:
        load_avg = os.getloadavg()
    except OSError:
        load_avg = None
    json.dump({"benchmark": "ocr", "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
               "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "loadavg": load_avg},
               "testset": testset_info, "cer_mode": a.mode, "wall_seconds": a.wall_seconds,
               "summary": summary,
               "speed": {"images": n, "cli": {"seconds": c_s, "pages_per_second": c_rate},
                         "balcao": {"seconds": b_s, "pages_per_second": b_rate}, "ratio": ratio},
               "missing": missing, "images": rows, "goals": goals},
              open(a.out, "w", encoding="utf-8"), ensure_ascii=False, indent=1)
    print(f"\nwrote {a.out}")


if __name__ == "__main__":
    main()
