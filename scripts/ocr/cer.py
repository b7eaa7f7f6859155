#!/usr/bin/env python3
"""Character error rate of OCR output, as `make bench-ocr` computes it.

  CER = Levenshtein distance(normalized hypothesis, normalized reference) / len(normalized reference)

Normalization: Unicode NFC, every run of whitespace (spaces, newlines, form feeds, no-break spaces…) collapsed to one
space, leading and trailing whitespace stripped. Case, accents and punctuation are kept, so "acção"/"accao" and
"Artigo"/"artigo" count as errors. Insertions count too, so CER can exceed 1 (garbage longer than the page).

Two figures:
  cer_strict     the formula above on the texts as they are (`cer`).
  cer_reordered  the same after moving the hypothesis's lines into the reference's reading order (`reorder_lines`,
                 `reordered_cer`). On the corpus's two-column pages, pdftotext (the ground truth) and tesseract
                 often walk the text blocks in different orders (header before or after the page number, a column's
                 foot before the next column's head…); strict CER charges each misplaced block twice its length,
                 which is 15-50 % on pages tesseract reads almost perfectly. Reordering only moves whole lines of
                 the hypothesis, never edits them: garbage stays garbage, missing lines stay missing, and a line
                 that runs across both columns is still wrong. It needs the hypothesis to keep the page's line breaks.

Floors that neither tool can remove (both pay them alike): the ground truth has "n.o"/"22.o" where the page prints a
superscript ordinal that OCR reads as "n.º"; pdftotext joins line-end hyphenation ("estra-/tégia" -> "estratégia")
while OCR keeps it ("estra- tégia", 2 edits).

  cer.py REFERENCE.txt HYPOTHESIS.txt     prints both CERs, distances and the reference length as JSON
  from cer import cer, reordered_cer      (needs rapidfuzz; scripts/extract/env.sh installs it in .venv-bench)
"""
import argparse
import json
import statistics
import unicodedata

from rapidfuzz.distance import Levenshtein


def normalize(text):
    return " ".join(unicodedata.normalize("NFC", text).split())


def distance(reference, hypothesis):
    """(edit distance, normalized reference length)."""
    ref, hyp = normalize(reference), normalize(hypothesis)
    return Levenshtein.distance(ref, hyp), len(ref)


def cer(reference, hypothesis):
    d, n = distance(reference, hypothesis)
    if n == 0:
        return 0.0 if d == 0 else 1.0
    return d / n


def _anchor_index(words):
    """{n: {n-gram: word index}} for the n-grams (n = 3, 2, 1) that occur once in words; unigrams of 4+ chars."""
    index = {}
    for n in (3, 2, 1):
        seen = {}
        for i in range(len(words) - n + 1):
            seen.setdefault(tuple(words[i:i + n]), []).append(i)
        index[n] = {g: v[0] for g, v in seen.items() if len(v) == 1 and (n > 1 or len(g[0]) >= 4)}
    return index


def reorder_lines(reference, hypothesis):
    """The hypothesis's non-blank lines, sorted by where they sit in the reference.

    A line's position is the median reference word index its unique word trigrams point at (its first word's index:
    each hit's index minus the trigram's offset in the line); lines with no trigram hit fall back to unique bigrams,
    then unique words of 4+ letters. A line with no hit at all (a heading like "Artigo 23.º", a short tail, garbage)
    goes with its neighbour: a continuation (starting lower-case or with punctuation) right after the previous placed
    line, anything else right before the next one. The sort is stable, so text already in order is left as it is.
    """
    index = _anchor_index(normalize(reference).split())
    lines = [line for line in hypothesis.splitlines() if line.strip()]
    keys = []
    for line in lines:
        words, key = normalize(line).split(), None
        for n in (3, 2, 1):
            hits = [index[n][tuple(words[i:i + n])] - i for i in range(len(words) - n + 1)
                    if tuple(words[i:i + n]) in index[n]]
            if hits:
                key = statistics.median(hits)
                break
        keys.append(key)
    placed = []
    for k, line in enumerate(lines):
        key = keys[k]
        if key is None:
            first = line.strip()[0]
            continuation = first.islower() or not first.isalnum()
            before, after = range(k - 1, -1, -1), range(k + 1, len(lines))
            for order in ((before, after) if continuation else (after, before)):
                key = next((keys[j] for j in order if keys[j] is not None), None)
                if key is not None:
                    break
            key = (-1 if key is None else key) + (0.5 if continuation else -0.5)
        placed.append((key, k, line))
    placed.sort(key=lambda t: (t[0], t[1]))
    return "\n".join(line for _, _, line in placed)


def reordered_cer(reference, hypothesis):
    return cer(reference, reorder_lines(reference, hypothesis))


def scores(reference, hypothesis):
    """Both CERs of one page, with the distances behind them."""
    d_strict, n = distance(reference, hypothesis)
    d_reordered, _ = distance(reference, reorder_lines(reference, hypothesis))
    rate = (lambda d: (0.0 if d == 0 else 1.0) if n == 0 else d / n)  # noqa: E731
    return {"cer_strict": rate(d_strict), "cer_reordered": rate(d_reordered), "distance_strict": d_strict,
            "distance_reordered": d_reordered, "reference_chars": n}


def main():
    ap = argparse.ArgumentParser(description="character error rate of HYPOTHESIS against REFERENCE")
    ap.add_argument("reference")
    ap.add_argument("hypothesis")
    a = ap.parse_args()
    ref = open(a.reference, encoding="utf-8", errors="replace").read()
    hyp = open(a.hypothesis, encoding="utf-8", errors="replace").read()
    s = scores(ref, hyp)
    print(json.dumps({k: round(v, 6) if isinstance(v, float) else v for k, v in s.items()}))


if __name__ == "__main__":
    main()
