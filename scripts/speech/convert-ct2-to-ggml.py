#!/usr/bin/env python3
"""Converts a CTranslate2 Whisper model (faster-whisper layout) to whisper.cpp's ggml format, f16.

    python3 scripts/speech/convert-ct2-to-ggml.py CT2_DIR FOR_TESTS_GGML OUTPUT

CT2_DIR holds model.bin (CTranslate2 binary format, spec "WhisperSpec"), vocabulary.txt and
config.json, e.g. Systran/faster-whisper-base. FOR_TESTS_GGML is whisper.cpp's
models/for-tests-ggml-<size>.bin: a ggml header with no weights, from which the mel filters are
taken (its hparams and token order are checked against the CTranslate2 model; the token bytes
come from vocabulary.txt, see below). OUTPUT is written
atomically (OUTPUT.partial, then renamed).

Pure Python (no numpy): f16 matrices are copied byte for byte, 1-D tensors, conv biases and
positional embeddings are widened to f32 exactly (as convert-pt-to-ggml.py stores them), so the
output is bit-for-bit deterministic. CTranslate2 fuses attention projections: self-attention
linear_0 is [q; k; v] and cross-attention linear_1 is [k; v] (rows); they are split into
whisper's separate query/key/value tensors. Whisper's key projections have no bias: the fused
key-bias slice must be all zeros and is dropped.
"""
import json
import math
import os
import struct
import sys

GGML_MAGIC = 0x67676D6C
# CTranslate2 DataType ids (include/ctranslate2/types.h)
CT2_FLOAT32, CT2_INT8, CT2_INT16, CT2_INT32, CT2_FLOAT16, CT2_BFLOAT16 = 0, 1, 2, 3, 4, 5
CT2_ITEMSIZE = {CT2_FLOAT32: 4, CT2_INT8: 1, CT2_INT16: 2, CT2_INT32: 4, CT2_FLOAT16: 2, CT2_BFLOAT16: 2}
GGML_F32, GGML_F16 = 0, 1


def fail(msg):
    sys.exit("convert-ct2-to-ggml: error: " + msg)


class Var:
    def __init__(self, shape, dtype, data):
        self.shape, self.dtype, self.data = shape, dtype, data

    def scalar(self):
        fmt = {CT2_INT8: "<b", CT2_INT16: "<h", CT2_INT32: "<i", CT2_FLOAT32: "<f"}[self.dtype]
        return struct.unpack(fmt, self.data)[0]


def read_ct2(path):
    """Parses CTranslate2's model.bin: version, spec name, revision, variables, aliases."""
    with open(path, "rb") as f:
        buf = memoryview(f.read())
    pos = 0

    def take(fmt):
        nonlocal pos
        vals = struct.unpack_from("<" + fmt, buf, pos)
        pos += struct.calcsize("<" + fmt)
        return vals

    def string():
        nonlocal pos
        (n,) = take("H")
        s = bytes(buf[pos:pos + n])
        pos += n
        if not s.endswith(b"\0"):
            fail("bad string in model.bin")
        return s[:-1].decode("utf-8")

    (version,) = take("I")
    if version < 5 or version > 6:
        fail(f"unsupported CTranslate2 binary version {version} (expected 5 or 6)")
    spec = string()
    (revision,) = take("I")
    if spec != "WhisperSpec":
        fail(f"model.bin holds a {spec!r}, not a WhisperSpec")
    (count,) = take("I")
    variables = {}
    for _ in range(count):
        name = string()
        (rank,) = take("B")
        shape = take(f"{rank}I") if rank else ()
        (dtype,) = take("B")
        (nbytes,) = take("I")
        if dtype not in CT2_ITEMSIZE:
            fail(f"{name}: unknown dtype id {dtype}")
        if nbytes != math.prod(shape) * CT2_ITEMSIZE[dtype]:
            fail(f"{name}: {nbytes} bytes for shape {shape} and dtype {dtype}")
        variables[name] = Var(shape, dtype, buf[pos:pos + nbytes])
        pos += nbytes
    (n_alias,) = take("I")
    for _ in range(n_alias):
        alias, target = string(), string()
        variables.setdefault(alias, variables[target])
    if pos != len(buf):
        fail(f"{len(buf) - pos} trailing bytes in model.bin (truncated or wrongly concatenated?)")
    return revision, variables


def read_ggml_header(path):
    """Reads hparams, mel filters and vocabulary of a weightless whisper.cpp ggml file."""
    with open(path, "rb") as f:
        buf = f.read()
    pos = 0

    def i32():
        nonlocal pos
        (v,) = struct.unpack_from("<i", buf, pos)
        pos += 4
        return v

    if i32() != GGML_MAGIC:
        fail(f"{path} is not a ggml whisper file (bad magic)")
    hparams = [i32() for _ in range(11)]
    n_mel, n_fft = i32(), i32()
    filters = buf[pos:pos + 4 * n_mel * n_fft]
    pos += 4 * n_mel * n_fft
    n_vocab = i32()
    tokens = []
    for _ in range(n_vocab):
        n = i32()
        tokens.append(buf[pos:pos + n])
        pos += n
    if pos != len(buf):
        fail(f"{path} has weights or trailing data ({len(buf) - pos} bytes); expected a for-tests header")
    return hparams, n_mel, n_fft, filters, tokens


def gpt2_byte_decoder():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {chr(c): b for b, c in zip(bs, cs)}


def f16_to_f32(data):
    n = len(data) // 2
    return struct.pack(f"<{n}f", *struct.unpack(f"<{n}e", data))


def f32_to_f16(data):
    n = len(data) // 4
    return struct.pack(f"<{n}e", *struct.unpack(f"<{n}f", data))


def main():
    if len(sys.argv) != 4:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        sys.exit(2)
    ct2_dir, header_path, out_path = sys.argv[1:]

    revision, v = read_ct2(os.path.join(ct2_dir, "model.bin"))

    def var(name):
        if name not in v:
            fail(f"model.bin has no variable {name}")
        return v[name]

    n_enc = sum(1 for k in v if k.startswith("encoder/layer_") and k.endswith("/self_attention/linear_0/weight"))
    n_dec = sum(1 for k in v if k.startswith("decoder/layer_") and k.endswith("/self_attention/linear_0/weight"))
    n_vocab, n_state = var("decoder/embeddings/weight").shape
    n_audio_ctx = var("encoder/position_encodings/encodings").shape[0]
    n_text_ctx = var("decoder/position_encodings/encodings").shape[0]
    n_mels = var("encoder/conv1/weight").shape[1]
    n_audio_head = var("encoder/num_heads").scalar()
    n_text_head = var("decoder/num_heads").scalar()
    hparams = [n_vocab, n_audio_ctx, n_state, n_audio_head, n_enc, n_text_ctx, n_state, n_text_head, n_dec, n_mels, 1]

    # Header pieces from whisper.cpp's for-tests file, checked against the model.
    h_hparams, n_mel, n_fft, filters, tokens = read_ggml_header(header_path)
    if h_hparams[:10] != hparams[:10]:
        fail(f"{header_path} is for another model size: hparams {h_hparams[:10]} != model {hparams[:10]}")
    if n_mel != n_mels:
        fail(f"mel filters have {n_mel} bands, model wants {n_mels}")
    with open(os.path.join(ct2_dir, "vocabulary.txt"), encoding="utf-8") as f:
        vocabulary = f.read().split("\n")
    if vocabulary and vocabulary[-1] == "":
        vocabulary.pop()
    if len(vocabulary) != n_vocab:
        fail(f"vocabulary.txt has {len(vocabulary)} entries, the embedding {n_vocab}")
    # The ggml vocabulary holds the raw bytes of the first len(tokens) (50257) byte-level BPE tokens;
    # whisper.cpp derives the special tokens itself. They are taken from vocabulary.txt: the for-tests
    # file stores the 1476 tokens that are not valid UTF-8 on their own as U+FFFD (lossy), which
    # would garble byte-fallback output (accents split across tokens, emoji, CJK). It is still used
    # to check the order: each of its tokens must equal the lossy UTF-8 reading of ours.
    dec = gpt2_byte_decoder()
    vocab_bytes = []
    for i, tok in enumerate(tokens):
        want = vocabulary[i]
        if want.startswith("<|") and want.endswith("|>"):
            fail(f"vocabulary.txt has a special token {want!r} at {i}, inside the byte-level range")
        try:
            raw = bytes(dec[c] for c in want)
        except KeyError:
            fail(f"vocabulary.txt token {i} {want!r} is not byte-level BPE")
        if tok != raw and tok != raw.decode("utf-8", "replace").encode("utf-8"):
            fail(f"vocabulary mismatch at token {i}: header {tok!r}, vocabulary.txt {want!r}")
        vocab_bytes.append(raw)
    if not vocabulary[len(tokens)].startswith("<|endoftext|>"):
        fail(f"vocabulary.txt token {len(tokens)} is {vocabulary[len(tokens)]!r}, expected <|endoftext|>")
    with open(os.path.join(ct2_dir, "config.json"), encoding="utf-8") as f:
        config = json.load(f)
    n_lang = len(config.get("lang_ids", []))
    if n_lang != n_vocab - 51765 - 1:
        fail(f"config.json lists {n_lang} languages; whisper.cpp derives {n_vocab - 51766} from n_vocab")

    out = []  # (name, ggml_type, ne (ggml order: fastest first), bytes)

    def emit(name, shape, dtype, data, force_f32=False):
        if dtype not in (CT2_FLOAT16, CT2_FLOAT32):
            fail(f"{name}: expected a float tensor, got dtype {dtype}")
        if force_f32 or len(shape) < 2:
            data, gtype = (f16_to_f32(data) if dtype == CT2_FLOAT16 else bytes(data)), GGML_F32
        else:
            data, gtype = (bytes(data) if dtype == CT2_FLOAT16 else f32_to_f16(data)), GGML_F16
        out.append((name, gtype, tuple(reversed(shape)), data))

    def copy(dst, src, **kw):
        x = var(src)
        emit(dst, x.shape, x.dtype, x.data, **kw)

    def split_rows(src, parts):
        """Splits a fused [rows, cols] weight (and its bias) into equal row blocks."""
        w, b = var(src + "/weight"), var(src + "/bias")
        rows, cols = w.shape
        if rows % parts or b.shape != (rows,):
            fail(f"{src}: cannot split shape {w.shape} into {parts}")
        r = rows // parts
        isz, bsz = CT2_ITEMSIZE[w.dtype], CT2_ITEMSIZE[b.dtype]
        ws = [(w.data[i * r * cols * isz:(i + 1) * r * cols * isz]) for i in range(parts)]
        bs = [(b.data[i * r * bsz:(i + 1) * r * bsz]) for i in range(parts)]
        return w, b, r, cols, ws, bs

    def zero_bias(name, dtype, data):
        fmt = "e" if dtype == CT2_FLOAT16 else "f"
        vals = struct.unpack(f"<{len(data) // CT2_ITEMSIZE[dtype]}{fmt}", data)
        if any(x != 0.0 for x in vals):
            fail(f"{name}: the key bias slice is not zero (max |x| = {max(abs(x) for x in vals)}); whisper has no key bias")

    def attention(dst, src, fused_qkv):
        if fused_qkv:  # self-attention: linear_0 = [q; k; v], linear_1 = out
            w, b, r, cols, ws, bs = split_rows(src + "/linear_0", 3)
            q, k, vv, out_src = (ws[0], bs[0]), (ws[1], bs[1]), (ws[2], bs[2]), src + "/linear_1"
        else:  # cross-attention: linear_0 = q, linear_1 = [k; v], linear_2 = out
            qw, qb = var(src + "/linear_0/weight"), var(src + "/linear_0/bias")
            w, b, r, cols, ws, bs = split_rows(src + "/linear_1", 2)
            if qw.shape != (r, cols):
                fail(f"{src}: query shape {qw.shape} != ({r}, {cols})")
            q, k, vv, out_src = (qw.data, qb.data), (ws[0], bs[0]), (ws[1], bs[1]), src + "/linear_2"
        zero_bias(dst + ".key.bias", b.dtype, k[1])
        emit(dst + ".query.weight", (r, cols), w.dtype, q[0])
        emit(dst + ".query.bias", (r,), b.dtype, q[1])
        emit(dst + ".key.weight", (r, cols), w.dtype, k[0])
        emit(dst + ".value.weight", (r, cols), w.dtype, vv[0])
        emit(dst + ".value.bias", (r,), b.dtype, vv[1])
        copy(dst + ".out.weight", out_src + "/weight")
        copy(dst + ".out.bias", out_src + "/bias")

    def norm(dst, src):
        copy(dst + ".weight", src + "/gamma")
        copy(dst + ".bias", src + "/beta")

    def mlp(dst, src):
        copy(dst + "mlp.0.weight", src + "/linear_0/weight")
        copy(dst + "mlp.0.bias", src + "/linear_0/bias")
        copy(dst + "mlp.2.weight", src + "/linear_1/weight")
        copy(dst + "mlp.2.bias", src + "/linear_1/bias")
        norm(dst + "mlp_ln", src + "/layer_norm")

    # Same order as OpenAI's state_dict (convert-pt-to-ggml.py); whisper.cpp looks tensors up by name.
    copy("encoder.positional_embedding", "encoder/position_encodings/encodings", force_f32=True)
    for i in (1, 2):
        copy(f"encoder.conv{i}.weight", f"encoder/conv{i}/weight")
        b = var(f"encoder/conv{i}/bias")
        emit(f"encoder.conv{i}.bias", (b.shape[0], 1), b.dtype, b.data, force_f32=True)
    for i in range(n_enc):
        p, s = f"encoder.blocks.{i}.", f"encoder/layer_{i}"
        attention(p + "attn", s + "/self_attention", True)
        norm(p + "attn_ln", s + "/self_attention/layer_norm")
        mlp(p, s + "/ffn")
    norm("encoder.ln_post", "encoder/layer_norm")
    copy("decoder.positional_embedding", "decoder/position_encodings/encodings", force_f32=True)
    copy("decoder.token_embedding.weight", "decoder/embeddings/weight")
    for i in range(n_dec):
        p, s = f"decoder.blocks.{i}.", f"decoder/layer_{i}"
        attention(p + "attn", s + "/self_attention", True)
        norm(p + "attn_ln", s + "/self_attention/layer_norm")
        attention(p + "cross_attn", s + "/attention", False)
        norm(p + "cross_attn_ln", s + "/attention/layer_norm")
        mlp(p, s + "/ffn")
    norm("decoder.ln", "decoder/layer_norm")

    tmp = out_path + ".partial"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<i", GGML_MAGIC))
        f.write(struct.pack("<11i", *hparams))
        f.write(struct.pack("<ii", n_mel, n_fft))
        f.write(filters)
        f.write(struct.pack("<i", len(vocab_bytes)))
        for tok in vocab_bytes:
            f.write(struct.pack("<i", len(tok)))
            f.write(tok)
        for name, gtype, ne, data in out:
            nb = name.encode("utf-8")
            f.write(struct.pack("<iii", len(ne), len(nb), gtype))
            f.write(struct.pack(f"<{len(ne)}i", *ne))
            f.write(nb)
            f.write(data)
    os.replace(tmp, out_path)
    n_params = sum(math.prod(ne) for _, _, ne, _ in out)
    print(f"convert-ct2-to-ggml: wrote {out_path}: {len(out)} tensors, {n_params} parameters, "
          f"{n_enc}+{n_dec} layers, n_vocab {n_vocab}, {n_lang} languages (CTranslate2 spec revision {revision})",
          file=sys.stderr)


if __name__ == "__main__":
    main()
