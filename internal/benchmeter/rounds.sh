#!/usr/bin/env bash
# rounds.sh [N] — the targets' benchmarks in N interleaved rounds (10 if not
# given): each round runs bare Rego (rules BenchmarkEval/Parallel), the
# pipeline (engine BenchmarkPipeline), the stream end to end (engine/stream
# BenchmarkEndToEnd) and POST /v1/preauth at 64 callers (cmd/qorovul
# BenchmarkPreauth), 20,000 each, one after the other. Ratios are taken
# within a round, so that the virtual machine's drift from minute to minute
# (up to a third) falls on both sides of each ratio; the medians over the
# rounds come last. See BENCHMARKS.md.
set -euo pipefail

rounds=${1:-10}
case $rounds in
'' | *[!0-9]* | 0)
	echo "usage: $0 [ROUNDS]  (a positive number; 10 if not given)" >&2
	exit 2
	;;
esac
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT

echo "building the test binaries in $bin" >&2
(cd "$root" &&
	go test -c -o "$bin/rules.test" ./rules &&
	go test -c -o "$bin/engine.test" ./engine &&
	go test -c -o "$bin/stream.test" ./engine/stream &&
	go test -c -o "$bin/cmd.test" ./cmd/qorovul)

# bench DIR BINARY PATTERN UNIT prints the value reported with UNIT by the
# one benchmark PATTERN names, run from the package's directory.
bench() {
	local out v
	out=$(cd "$root/$1" && "$bin/$2" -test.run '^$' -test.bench "$3" -test.benchtime 20000x -test.benchmem)
	v=$(awk -v unit="$4" '/^Benchmark/ { for (i = 3; i <= NF; i++) if ($i == unit) print $(i - 1) }' <<<"$out")
	if [ -z "$v" ]; then
		printf '%s\n' "$out" >&2
		echo "$2 $3: no $4 in the output above" >&2
		exit 1
	fi
	echo "$v"
}

{
	echo "round time bare_evals/s pipeline_events/s pipeline% stream_events/s stream% preauth_p99_ms"
	for r in $(seq "$rounds"); do
		t=$(date -u +%H:%M:%S)
		b=$(bench rules rules.test 'BenchmarkEval/Parallel$' evals/s)
		p=$(bench engine engine.test 'BenchmarkPipeline$' events/s)
		s=$(bench engine/stream stream.test 'BenchmarkEndToEnd$' events/s)
		q=$(bench cmd/qorovul cmd.test 'BenchmarkPreauth$' p99-ms)
		awk -v r="$r" -v t="$t" -v b="$b" -v p="$p" -v s="$s" -v q="$q" \
			'BEGIN { printf "%d %s %.0f %.0f %.1f %.0f %.1f %.2f\n", r, t, b, p, 100 * p / b, s, 100 * s / b, q }'
		echo "round $r of $rounds done" >&2
	done
} | tee "$bin/rounds.txt" | column -t

# The median, the lowest and the highest of each column over the rounds.
echo
for col in 3 4 5 6 7 8; do
	name=$(awk -v c="$col" 'NR == 1 { print $c }' "$bin/rounds.txt")
	awk -v c="$col" 'NR > 1 { print $c }' "$bin/rounds.txt" | sort -g | awk -v name="$name" '
		{ v[NR] = $1 }
		END {
			m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			printf "%-18s median %-9s (%s to %s)\n", name, m, v[1], v[NR]
		}'
done
