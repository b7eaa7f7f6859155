#!/usr/bin/env bash
# make test-tsan: the vector index's concurrency suites and the conversation (WhatsApp answering) suites under the
# thread sanitizer. Its own scratch path (.build-tsan), so the main .build is never rebuilt for it. A report from the
# sanitizer fails the run (TSAN_OPTIONS halt_on_error=1); the build and test times are printed at the end.
#   TSAN_FILTER   the swift test --filter regular expression (default below)
#   TSAN_SCRATCH  the scratch path (default .build-tsan)
set -euo pipefail
cd "$(dirname "$0")/.."
scratch="${TSAN_SCRATCH:-.build-tsan}"
filter="${TSAN_FILTER:-VectorIndexTests\.(ConcurrencyTests|ParallelBuildTests)|BalcaoAppTests\.(WhatsAppFlowTests|WhatsAppResilienceTests|TakeoverRaceTests|Conversation[A-Za-z]*Tests|Outbox[A-Za-z]*Tests|[A-Za-z]*Reconcil[A-Za-z]*Tests)|ConversationsTests}"
export TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=1 second_deadlock_stack=1 history_size=4}"

begin=$(date +%s)
swift build --build-tests --sanitize=thread --scratch-path "$scratch" -j "${JOBS:-$(nproc)}"
built=$(date +%s)
log="$scratch/tsan-test.log"
status=0
swift test --skip-build --sanitize=thread --scratch-path "$scratch" --filter "$filter" 2>&1 | tee "$log" || status=$?
done_at=$(date +%s)
warnings=$(grep -c "WARNING: ThreadSanitizer" "$log" || true)
echo "test-tsan: build $((built - begin)) s, tests $((done_at - built)) s, ThreadSanitizer warnings: $warnings (log: $log)"
[[ "$warnings" -eq 0 ]] || status=1
exit "$status"
