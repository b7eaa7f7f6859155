#!/usr/bin/env python3
"""Score Balcão's extractor on the shared corpus the way ../shared/corpus/measure.py scores its tools.

Input: the JSON written by `ExtractBenchmark score` (per file: pages of text or an error, per password mode).
Output: a table on stdout and bench-results/extract-score.json with raw figures and
        goals: [{"goal", "measured", "target", "met"}].

The metric functions (tokens, f1, seqsim, prec_rec, accent_recall, garbage_stats, load_gt) are imported from
measure.py itself, so the numbers are comparable with results.md. pdftotext is scored in the same run for reference.
"""
import argparse
import json
import os
import shutil
import sys
import time
import unicodedata


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--raw", required=True, help="JSON written by ExtractBenchmark score")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    corpus = os.path.abspath(a.corpus)
    sys.path.insert(0, corpus)
    import measure  # noqa: E402  (the corpus's own scoring code)
    if shutil.which("pandoc"):
        measure.PANDOC = shutil.which("pandoc")

    manifest = json.load(open(os.path.join(corpus, "manifest.json")))
    raw = json.load(open(a.raw))

    rows = []  # one per (tool, file, gt)
    hostile = []
    failures = []
    txt_rows = []
    pdftotext_runs = {}

    for e in manifest:
        f = e["file"]
        r = raw.get(f)
        if r is None:
            failures.append(f"{f}: not run")
            continue
        kind = e["kind"]
        if kind == "txt":
            data = open(os.path.join(corpus, f), "rb").read()
            truth = data.decode(e["true_encoding"])
            if "mojibake" in (e.get("hostile") or "") and e.get("derived_from"):
                # The right answer for already-mojibake input is the repaired text (the file it was derived from).
                src = next(x for x in manifest if x["file"] == e["derived_from"])
                truth = open(os.path.join(corpus, src["file"]), "rb").read().decode(src["true_encoding"])
            dec = r.get("decoded") or {}
            text = dec.get("text")
            norm = lambda s: s.lstrip("\ufeff").replace("\r\n", "\n")  # noqa: E731
            exact = text is not None and norm(text) == norm(truth)
            sim = measure.seqsim(list(text or ""), list(truth)) if text is not None else 0.0
            txt_rows.append({"file": f, "true": e["true_encoding"], "detected": dec.get("encoding"), "exact": exact,
                             "charsim": sim, "seconds": dec.get("seconds")})
            continue

        pw_mode = "pw" if (e.get("password") and kind == "pdf") else "nopw"
        res = r.get(pw_mode) or r.get("nopw")
        if e.get("hostile") or "cmap" in f:
            entry = {"file": f, "hostile": e.get("hostile") or e.get("features"),
                     "nopw": outcome(r.get("nopw"))}
            if e.get("password"):
                entry["pw"] = outcome(r.get("pw"))
                entry["wrongpw"] = outcome(r.get("wrongpw"))
            entry["expected"], entry["met"] = expected_outcome(e, r)
            hostile.append(entry)
        if not res or not res.get("ok"):
            if not e.get("hostile") and "cmap" not in f:
                failures.append(f"{f}: {res.get('error') if res else 'missing'}: {res.get('reason') if res else ''}")
            continue
        gts = []
        for g in load_gts(measure, e):
            gts.append(g)
        if not gts:
            continue
        tools = [("balcao", res["pages"])]
        if kind == "pdf":
            try:
                pages, _ = measure.pdf_extract("pdftotext", os.path.join(corpus, f), e.get("password"))
                tools.append(("pdftotext", pages))
            except Exception as ex:  # noqa: BLE001
                pdftotext_runs[f] = str(ex)
        for tool, pages in tools:
            for g in gts:
                sel = pages if g["pages"] is None else [pages[i] for i in g["pages"] if i < len(pages)]
                out = "\n".join(sel)
                gt_tok = measure.tokens(g["text"])
                out_tok = measure.tokens(out)
                P, R = measure.prec_rec(out_tok, gt_tok)
                leak = None
                if f.startswith("pdf/ptlaw") and not measure._DR_HEADER.search(g["text"]):
                    leak = bool(measure._DR_HEADER.search(unicodedata.normalize("NFKC", out)))
                rows.append({"tool": tool, "file": f, "kind": kind, "gt": g["label"], "ref": g["ref"], "P": P, "R": R,
                             "F1": measure.f1(out_tok, gt_tok), "Seq": measure.seqsim(out_tok, gt_tok),
                             "AccR": measure.accent_recall(out_tok, gt_tok), "hdr_leak": leak,
                             **measure.garbage_stats(out)})

    def grp(tool, pred):
        rr = [x for x in rows if x["tool"] == tool and pred(x)]
        return {"n": len(rr), "F1": measure.mean([x["F1"] for x in rr]), "Seq": measure.mean([x["Seq"] for x in rr]),
                "P": measure.mean([x["P"] for x in rr]), "R": measure.mean([x["R"] for x in rr]),
                "AccR": measure.mean([x["AccR"] for x in rr if x["AccR"] is not None]),
                "hdr_leak": sum(1 for x in rr if x["hdr_leak"]), "ctrl": sum(x["ctrl"] for x in rr),
                "ligatures": sum(x["ligatures"] for x in rr), "eol_hyphens": sum(x["eol_hyphens"] for x in rr)}

    groups = {
        "pdf: pt_law (pt-PT, 2-col)": lambda x: x["file"].startswith("pdf/ptlaw"),
        "pdf: docling md (docling-biased)": lambda x: x["kind"] == "pdf" and "docling_" in x["file"] and not x["ref"],
        "pdf: other GT (qd_fake_table)": lambda x: x["kind"] == "pdf" and "qd_" in x["file"] and not x["ref"],
        "pdf: Tika reference (not GT)": lambda x: x["kind"] == "pdf" and x["ref"],
        "docx: pandoc native": lambda x: x["kind"] == "docx" and "pandoc_" in x["file"],
        "docx: docling md (docling-biased)": lambda x: x["kind"] == "docx" and "docling_" in x["file"],
        "docx: other (qd expected text)": lambda x: x["kind"] == "docx" and "qd_" in x["file"],
    }
    summary = {}
    for name, pred in groups.items():
        summary[name] = {t: grp(t, pred) for t in ("balcao", "pdftotext") if grp(t, pred)["n"]}

    txt_exact = sum(1 for x in txt_rows if x["exact"])
    hostile_ok = all(h["met"] for h in hostile)
    pt = summary["pdf: pt_law (pt-PT, 2-col)"].get("balcao", {})
    pandoc = summary["docx: pandoc native"].get("balcao", {})
    hostile_met = sum(1 for h in hostile if h["met"])
    goals = [
        {"goal": "pt_law F1 (Portuguese two-column pages)", "measured": rnd(pt.get("F1")), "target": 0.99,
         "met": (pt.get("F1") or 0) >= 0.99},
        {"goal": "pt_law Seq (reading order)", "measured": rnd(pt.get("Seq")), "target": 0.90,
         "met": (pt.get("Seq") or 0) >= 0.90},
        {"goal": "pandoc DOCX F1", "measured": rnd(pandoc.get("F1")), "target": 0.98,
         "met": (pandoc.get("F1") or 0) >= 0.98},
        {"goal": "TXT files decoded exactly (of %d)" % len(txt_rows), "measured": txt_exact, "target": 14,
         "met": txt_exact >= 14},
        {"goal": "hostile files ending in a clear state, no crash or hang (of %d)" % len(hostile),
         "measured": hostile_met, "target": len(hostile), "met": hostile_ok},
        {"goal": "non-hostile corpus files extracted without error", "measured": len(failures), "target": 0,
         "met": not failures},
    ]

    # ---- print
    print("\n## Extraction quality (scored with measure.py's metrics)\n")
    print("| group | tool | n | P | R | F1 | Seq | AccR | header leaks |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, per in summary.items():
        for t, s in per.items():
            print(f"| {name} | {t} | {s['n']} | {fmt(s['P'])} | {fmt(s['R'])} | {fmt(s['F1'])} | {fmt(s['Seq'])} | "
                  f"{fmt(s['AccR'])} | {s['hdr_leak']} |")
    print("\n### per document (balcao F1 / Seq vs pdftotext)\n")
    print("| document | gt | balcao | pdftotext |")
    print("|---|---|---|---|")
    for x in [x for x in rows if x["tool"] == "balcao"]:
        p = next((y for y in rows if y["tool"] == "pdftotext" and y["file"] == x["file"] and y["gt"] == x["gt"]), None)
        print(f"| {os.path.basename(x['file'])} | {x['gt']} | {x['F1']:.3f} / {x['Seq']:.3f} | "
              + (f"{p['F1']:.3f} / {p['Seq']:.3f}" if p else "-") + " |")
    print("\n### TXT\n")
    print("| file | true | detected | exact | char-sim |")
    print("|---|---|---|---|---|")
    for x in txt_rows:
        print(f"| {os.path.basename(x['file'])} | {x['true']} | {x['detected']} | {'OK' if x['exact'] else 'x'} | "
              f"{x['charsim']:.3f} |")
    print("\n### Hostile files\n")
    print("| file | hostile | outcome | with password | wrong password | expected | met |")
    print("|---|---|---|---|---|---|---|")
    for h in hostile:
        print(f"| {os.path.basename(h['file'])} | {h['hostile']} | {h['nopw']} | {h.get('pw', '-')} | "
              f"{h.get('wrongpw', '-')} | {h['expected']} | {'yes' if h['met'] else 'NO'} |")
    if failures:
        print("\nFailures on non-hostile files:")
        for x in failures:
            print(f"- {x}")
    print("\n### Goals\n")
    print("| goal | measured | target | met |")
    print("|---|---|---|---|")
    for g in goals:
        op = "<=" if g["target"] == 0 else ">="
        print(f"| {g['goal']} | {g['measured']} | {op} {g['target']} | {'yes' if g['met'] else 'NO'} |")

    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    json.dump({"benchmark": "extract-score", "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
               "summary": summary, "rows": rows, "txt": txt_rows, "hostile": hostile, "failures": failures,
               "goals": goals}, open(a.out, "w"), indent=1, ensure_ascii=False)
    print(f"\nwrote {a.out}")


def load_gts(measure, e):
    out = []
    try:
        out = measure.load_gt(e)
    except Exception as ex:  # noqa: BLE001  (a ground-truth format whose converter is missing)
        print(f"warning: ground truth for {e['file']} skipped: {type(ex).__name__}: {ex}", file=sys.stderr)
    return out


def outcome(res):
    if not res:
        return "-"
    if res.get("ok"):
        chars = sum(len(p.strip()) for p in res.get("pages", []))
        return f"text ({chars} chars)"
    return res.get("error", "?")


def expected_outcome(e, r):
    """What a clear state looks like for each hostile file, and whether the run matches it."""
    h = (e.get("hostile") or "").lower()
    f = e["file"]
    nopw = r.get("nopw") or {}
    err = nopw.get("error")
    ok = nopw.get("ok")
    if "encrypted" in h and e["kind"] == "pdf":
        pw = r.get("pw") or {}
        wrong = r.get("wrongpw") or {}
        return ("password_protected; text with the password; password_protected with a wrong one",
                err == "password_protected" and pw.get("ok") is True and wrong.get("error") == "password_protected")
    if "password-protected" in h:
        return "password_protected", err == "password_protected"
    if "scanned" in h:
        return "needs_ocr", err == "needs_ocr"
    if "cmap" in f:
        return "unreadable (garbage text layer)", err == "unreadable"
    if "corrupted zlib" in h:
        return "text", ok is True
    if "truncated" in h and e["kind"] == "pdf":
        return "unreadable or malformed", err in ("unreadable", "malformed")
    if "truncated" in h or "malformed" in h:
        return "malformed", err == "malformed"
    if "wrong format" in h and f.endswith(".docx"):
        return "text (read as PDF)", ok is True and nopw.get("format") == "pdf"
    if "wrong format" in h:
        return "unsupported_format", err == "unsupported_format"
    if "empty" in h:
        return "an error (empty file)", ok is not True and err is not None
    if "mojibake" in h:
        return "text", ok is True
    return "no crash", nopw != {}


def fmt(x):
    return "-" if x is None else f"{x:.3f}"


def rnd(x):
    return None if x is None else round(x, 4)


if __name__ == "__main__":
    main()
