# Shared helpers of the benchmark and scoring scripts; `source scripts/lib.sh` from the repository root.

# release_binary PRODUCT [PREBUILT]: prints the path of PRODUCT's release binary, building it unless PREBUILT (a path)
# is given. SWIFT_BUILD_FLAGS (e.g. "--scratch-path .build-bench") is passed to swift build.
release_binary() {
  local product="$1" prebuilt="${2:-}" bin
  if [[ -n "$prebuilt" ]]; then
    bin="$prebuilt"
  else
    echo "building $product (release)" >&2
    # shellcheck disable=SC2086
    swift build -c release --product "$product" ${SWIFT_BUILD_FLAGS:-} >&2
    # shellcheck disable=SC2086
    bin="$(swift build -c release --show-bin-path ${SWIFT_BUILD_FLAGS:-})/$product"
  fi
  [[ -x "$bin" ]] || { echo "$product not found at $bin" >&2; return 1; }
  echo "$bin"
}
