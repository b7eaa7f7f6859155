#!/usr/bin/env bash
# Builds dist/balcao_<version>_<arch>.deb (`make deb`).
#
#   bash scripts/build-deb.sh
#
# A release binary with the Swift runtime linked in (--static-swift-stdlib), stripped, built in its own scratch path
# (.build-deb, so `make test`'s debug build is not disturbed); the embedding model (scripts/fetch-model.sh, checked by
# SHA-256); /etc/balcao/balcao.toml from Resources/balcao.toml with the installed paths; the systemd unit; Depends:
# from dpkg-shlibdeps. Environment: SCRATCH (default .build-deb), JOBS (default nproc), BALCAO_MODEL_DIR (where the
# model is fetched to and read from, default balcao-data/models), BALCAO_DEB_BINARY (package this binary instead of
# building one).
set -euo pipefail
cd "$(dirname "$0")/.."

die() { echo "build-deb: error: $*" >&2; exit 1; }
log() { echo "build-deb: $*" >&2; }

SCRATCH="${SCRATCH:-.build-deb}"
JOBS="${JOBS:-$(nproc)}"
MODEL_DIR="${BALCAO_MODEL_DIR:-balcao-data/models}"
MODEL=e5-small-q4.bin
MODEL_SHA256=1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f
SPEECH_MODEL=whisper-base-multilingual-q8_0.bin
SPEECH_MODEL_SHA256=ec154a9d64ef691e5035f8502ea31ea3594a6fa00f9fd8f240fe213bf7d25e01

# Tools: dpkg-dev (dpkg-shlibdeps, dpkg-parsechangelog), binutils (strip).
for tool in dpkg-shlibdeps:dpkg-dev dpkg-parsechangelog:dpkg-dev strip:binutils; do
  command -v "${tool%%:*}" >/dev/null && continue
  log "installing ${tool#*:}"
  sudo_cmd=(); [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${tool#*:}" >/dev/null \
    || { "${sudo_cmd[@]}" apt-get update -qq && DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${tool#*:}" >/dev/null; }
done

version="$(sed -n 's/.*static let current = "\(.*\)".*/\1/p' Sources/BalcaoApp/BalcaoVersion.swift)"
[[ -n "$version" ]] || die "no version in Sources/BalcaoApp/BalcaoVersion.swift"
changelog_version="$(dpkg-parsechangelog -l packaging/debian/changelog -SVersion)"
[[ "$version" == "$changelog_version" ]] \
  || die "BalcaoVersion.current is $version but packaging/debian/changelog starts with $changelog_version: add a changelog entry"
arch="$(dpkg --print-architecture)"
# Reproducible timestamps: every file gets the date of the changelog entry.
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-$(dpkg-parsechangelog -l packaging/debian/changelog -STimestamp)}"

# 1. The release binary (whisper.cpp, which Debian does not package, is linked in statically).
if [[ -n "${BALCAO_DEB_BINARY:-}" ]]; then
  binary="$BALCAO_DEB_BINARY"
else
  bash scripts/fetch-whisper.sh
  log "building balcao $version (release, static Swift runtime) in $SCRATCH"
  start=$(date +%s)
  swift build -c release --product balcao --static-swift-stdlib --scratch-path "$SCRATCH" -j "$JOBS" \
    -Xswiftc -gnone -Xcc -D_FORTIFY_SOURCE=2 -Xlinker -z -Xlinker relro -Xlinker -z -Xlinker now
  binary="$(swift build -c release --scratch-path "$SCRATCH" --show-bin-path)/balcao"
  log "release build took $(( $(date +%s) - start )) s"
fi
[[ -x "$binary" ]] || die "no binary at $binary"

# 2. The models: embeddings, and speech (whisper.cpp's format, converted and quantized by fetch-speech-model.sh).
bash scripts/fetch-model.sh "$MODEL_DIR"
bash scripts/fetch-speech-model.sh "$MODEL_DIR"

# 3. The tree.
root="$SCRATCH/deb-root"
rm -rf "$root"
mkdir -p "$root/DEBIAN"
install -D -m 0755 "$binary" "$root/usr/bin/balcao"
strip --remove-section=.comment --remove-section=.note --strip-unneeded "$root/usr/bin/balcao"
"$root/usr/bin/balcao" --version >/dev/null || die "the stripped binary does not run"

if [[ -d Resources/web ]]; then
  mkdir -p "$root/usr/share/balcao"
  cp -r Resources/web "$root/usr/share/balcao/web"
fi

install -D -m 0644 "$MODEL_DIR/$MODEL" "$root/usr/share/balcao/models/$MODEL"
got="$(sha256sum "$root/usr/share/balcao/models/$MODEL" | awk '{print $1}')"
[[ "$got" == "$MODEL_SHA256" ]] || die "$MODEL has SHA-256 $got, expected $MODEL_SHA256"
# The daemon's checksum cache (see ModelVerification.swift), so that it need not hash 70 MB at every start: dpkg
# restores the mtime it is keyed on, and the directory is read-only for the service.
touch -d "@$SOURCE_DATE_EPOCH" "$root/usr/share/balcao/models/$MODEL"
printf 'sha256=%s size=%s mtime=%s.000000\n' "$MODEL_SHA256" "$(stat -c %s "$root/usr/share/balcao/models/$MODEL")" "$SOURCE_DATE_EPOCH" \
  >"$root/usr/share/balcao/models/$MODEL.verified"

install -D -m 0644 "$MODEL_DIR/$SPEECH_MODEL" "$root/usr/share/balcao/models/$SPEECH_MODEL"
got="$(sha256sum "$root/usr/share/balcao/models/$SPEECH_MODEL" | awk '{print $1}')"
[[ "$got" == "$SPEECH_MODEL_SHA256" ]] || die "$SPEECH_MODEL has SHA-256 $got, expected $SPEECH_MODEL_SHA256"

# /etc/balcao/balcao.toml: the example with the installed paths.
mkdir -p "$root/etc/balcao"
{
  cat packaging/balcao.toml.header
  sed -n '/^\[server\]/,$p' Resources/balcao.toml \
    | sed -e 's|^data_dir = "./balcao-data" *#.*|data_dir = "/var/lib/balcao"  # database, originals, vector index (the unit'"'"'s StateDirectory)|'
} >"$root/etc/balcao/balcao.toml"
grep -q '^data_dir = "/var/lib/balcao"' "$root/etc/balcao/balcao.toml" \
  || die "Resources/balcao.toml has no data_dir line this script recognizes: update scripts/build-deb.sh"
chmod 0644 "$root/etc/balcao/balcao.toml"

install -D -m 0644 systemd/balcao.service "$root/lib/systemd/system/balcao.service"

doc="$root/usr/share/doc/balcao"
install -D -m 0644 packaging/debian/copyright "$doc/copyright"
install -m 0644 packaging/debian/README.Debian "$doc/README.Debian"
gzip -9n <packaging/debian/changelog >"$doc/changelog.gz"
install -D -m 0644 packaging/nginx-balcao.conf "$doc/examples/nginx-balcao.conf"
mkdir -p "$root/usr/share/man/man1"
gzip -9n <packaging/balcao.1 >"$root/usr/share/man/man1/balcao.1.gz"
if [[ -f packaging/lintian-overrides ]]; then
  install -D -m 0644 packaging/lintian-overrides "$root/usr/share/lintian/overrides/balcao"
fi

# 4. Control files.
shlib_dir="$(mktemp -d)"
trap 'rm -rf "$shlib_dir"' EXIT
mkdir -p "$shlib_dir/debian"
printf 'Source: balcao\n\nPackage: balcao\nArchitecture: any\n' >"$shlib_dir/debian/control"
binary_abs="$(cd "$root/usr/bin" && pwd)/balcao"
shlibs="$(cd "$shlib_dir" && dpkg-shlibdeps -O -e "$binary_abs" | sed -n 's/^shlibs:Depends=//p')" || die "dpkg-shlibdeps failed"
[[ -n "$shlibs" ]] || die "dpkg-shlibdeps found no dependencies"
# The OCR engine and the audio decoders (libopusfile, libspeexdsp) come in through the shared libraries above; the OCR
# language data does not. The speech engine is linked in and its model is in the package.
depends="$shlibs, tesseract-ocr-por, tesseract-ocr-eng, tesseract-ocr-osd, adduser, ca-certificates"
find "$root" -path "$root/DEBIAN" -prune -o -type d -exec chmod 0755 {} +
find "$root/usr/share" "$root/lib" -type f -exec chmod 0644 {} +
installed_size="$(du -s -k --apparent-size --exclude=DEBIAN "$root" | awk '{print $1}')"
sed -e "s|@VERSION@|$version|" -e "s|@ARCH@|$arch|" -e "s|@DEPENDS@|$depends|" -e "s|@INSTALLED_SIZE@|$installed_size|" \
  packaging/debian/control.in >"$root/DEBIAN/control"
install -m 0644 packaging/debian/conffiles "$root/DEBIAN/conffiles"
for script in postinst prerm postrm; do install -m 0755 "packaging/debian/$script" "$root/DEBIAN/$script"; done
(cd "$root" && find . -path ./DEBIAN -prune -o -path ./etc -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z | xargs -0 md5sum) \
  >"$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/md5sums"

# 5. The package.
find "$root" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
mkdir -p dist
deb="dist/balcao_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Zgzip --build "$root" "$deb" >/dev/null
log "built $deb ($(du -h "$deb" | cut -f1)); Depends: $depends"
echo "$deb"
