#!/usr/bin/env python3
"""Word error rate of transcripts, as `make bench-speech` computes it.

  WER = word-level Levenshtein distance(normalized hypothesis, normalized reference) / words in normalized reference

summed over clips (errors of all clips / reference words of all clips), not averaged per clip, so a long clip
weighs as much as its words.

Normalization (both sides alike): Unicode NFC; lower case; every punctuation or symbol character (Unicode
categories P* and S*: . , ? ! ¿ ¡ « » " ' - … $ % / …) replaced by a space; runs of whitespace collapsed; the
integers 0-20 written as digits replaced by their Portuguese words ("10" -> "dez"; Whisper writes counts either
way) and "quatorze" by "catorze". Accents are kept: "você"/"voce" is an error.
The second figure, WER folded, also strips accents and cedillas (NFD, combining marks dropped): it forgives only
diacritics.

  wer.py REFERENCE HYPOTHESIS        prints both WERs with their edit counts as JSON (texts, not files)
  from wer import counts, normalize   (standard library only)
"""
import json
import sys
import unicodedata

NUMBERS = ["zero", "um", "dois", "três", "quatro", "cinco", "seis", "sete", "oito", "nove", "dez", "onze", "doze",
           "treze", "catorze", "quinze", "dezesseis", "dezessete", "dezoito", "dezenove", "vinte"]
SPELLING = {str(n): w for n, w in enumerate(NUMBERS)} | {"quatorze": "catorze"}


def fold(text):
    """text without accents and cedillas (base letters kept)."""
    return unicodedata.normalize("NFC", "".join(c for c in unicodedata.normalize("NFD", text)
                                                if not unicodedata.combining(c)))


def normalize(text, folded=False):
    """The list of words of text, normalized as the module says."""
    text = unicodedata.normalize("NFC", text).lower()
    text = "".join(" " if unicodedata.category(c)[0] in "PS" else c for c in text)
    words = [SPELLING.get(w, w) for w in text.split()]
    return [fold(w) for w in words] if folded else words


def distance(ref, hyp):
    """Word-level Levenshtein distance between two lists of words."""
    if len(ref) < len(hyp):
        ref, hyp = hyp, ref
    prev = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        cur = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r != h))
        prev = cur
    return prev[-1]


def counts(reference, hypothesis, folded=False):
    """(word edits, reference words) of one clip."""
    ref, hyp = normalize(reference, folded), normalize(hypothesis, folded)
    return distance(ref, hyp), len(ref)


def rate(edits, words):
    return (0.0 if edits == 0 else 1.0) if words == 0 else edits / words


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: wer.py REFERENCE HYPOTHESIS")
    ref, hyp = sys.argv[1], sys.argv[2]
    e, n = counts(ref, hyp)
    ef, _ = counts(ref, hyp, folded=True)
    print(json.dumps({"wer": round(rate(e, n), 6), "wer_folded": round(rate(ef, n), 6), "edits": e,
                      "edits_folded": ef, "reference_words": n}, ensure_ascii=False))


if __name__ == "__main__":
    main()
