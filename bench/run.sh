#!/usr/bin/env bash
# bench/run.sh [N]: time mailroot against the read floor and its peers on
# the same generated corpus, in one run, and write bench/RESULTS.md.
#
#   bash bench/run.sh 20000        # the issue-6 benchmark (about 15-25 min on 2 cores)
#   bash bench/run.sh 200          # a quick check that everything works
#
# Environment:
#   RUNS=3            runs per tool and corpus (medians are reported)
#   SECTIONS="main workers scale huge tiny"   which parts to run
#   SCALE_NS="1000 10000 100000"  corpus sizes for the cost-against-size table
#   SCALE_MIX=0.1     -scale for those corpora (attachments 10x smaller, to fit disk and time)
#   HUGE=1GiB         size of the single huge message
#   TINY_NS="20000 200000"        file counts for the tiny-file memory test
#   OUT=bench         where RESULTS.md and results/*.tsv go
#   WORK=/tmp/...     scratch dir for binaries and corpora (default: mktemp under TMPDIR)
#   KEEP=1            keep WORK (corpora) afterwards
#   APPEND=1          keep earlier results of the sections not in SECTIONS
#
# Needs: go, bash, find, xargs, cat. python3 is optional (its row is skipped
# with a note if absent); only its standard library is used.
set -euo pipefail

N=${1:-20000}
RUNS=${RUNS:-3}
SECTIONS=${SECTIONS:-"main workers scale huge tiny"}
SCALE_NS=${SCALE_NS:-"1000 10000 100000"}
SCALE_MIX=${SCALE_MIX:-0.1}
HUGE=${HUGE:-1GiB}
TINY_NS=${TINY_NS:-"20000 200000"}

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
OUT=${OUT:-$HERE}
RES=$OUT/results
WORK=${WORK:-$(mktemp -d "${TMPDIR:-/tmp}/mailroot-bench.XXXXXX")}
BIN=$WORK/bin
LOG=$WORK/tools.log
NPROC=$(nproc)

cleanup() {
	if [[ "${KEEP:-}" != 1 ]]; then
		rm -rf "$WORK"
	else
		echo "kept $WORK"
	fi
}
trap cleanup EXIT

has() { [[ " $SECTIONS " == *" $1 "* ]]; }
say() { printf '%s %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

mkdir -p "$BIN" "$RES"
: > "$LOG"
# APPEND=1 keeps the results of sections not run this time (rerun one
# section after a scanner change); otherwise every result is replaced.
if [[ "${APPEND:-}" == 1 && -f "$RES/runs.tsv" ]]; then
	pat=""
	for s in $SECTIONS; do
		case $s in
		main) pat+="|main" ;;
		workers) pat+="|workers" ;;
		scale) pat+="|scale-.*" ;;
		huge) pat+="|huge" ;;
		tiny) pat+="|tiny-.*" ;;
		esac
	done
	for f in runs corpora; do
		grep -Ev "^(${pat#|})"$'\t' "$RES/$f.tsv" > "$RES/$f.keep" || true
		mv "$RES/$f.keep" "$RES/$f.tsv"
	done
	if has main; then rm -f "$RES/crosscheck.txt"; fi
	cp "$RES/meta.tsv" "$WORK/meta.prev" 2> /dev/null || true
else
	: > "$RES/runs.tsv"
	: > "$RES/corpora.tsv"
	rm -f "$RES/crosscheck.txt"
fi

# ---- build everything from this checkout ----
say "building into $BIN"
# MAILROOT_REV=HEAD (or any commit) builds mailroot from that commit instead
# of the working tree; a working tree that does not build (someone's edit in
# progress) falls back to HEAD, and RESULTS.md says which was measured.
MAILROOT_SRC="working tree"
build_rev() {
	rm -rf "$WORK/src"
	mkdir -p "$WORK/src"
	(cd "$ROOT" && git archive "$1") | tar -x -C "$WORK/src"
	(cd "$WORK/src" && go build -o "$BIN/mailroot" ./cmd/mailroot && go build -o "$BIN/gen" ./fixtures/gen) 2>> "$LOG" || return 1
	MAILROOT_SRC="commit $(cd "$ROOT" && git rev-parse --short "$1")"
}
if [[ -n "${MAILROOT_REV:-}" ]]; then
	build_rev "$MAILROOT_REV" || { say "commit $MAILROOT_REV does not build (see $LOG)"; exit 1; }
elif ! (cd "$ROOT" && go build -o "$BIN/mailroot" ./cmd/mailroot && go build -o "$BIN/gen" ./fixtures/gen) 2>> "$LOG"; then
	say "the working tree does not build; measuring the newest commit that does"
	built=""
	for rev in $(cd "$ROOT" && git log --format=%h -20); do
		if build_rev "$rev"; then
			built=$rev
			break
		fi
	done
	[[ -n "$built" ]] || { say "none of the last 20 commits builds cmd/mailroot (see $LOG)"; exit 1; }
	say "measuring commit $built"
fi
(cd "$HERE" && go build -o "$BIN/" ./enmime ./gomessage ./rusage ./report ./crosscheck ./readall)

PY=$(command -v python3 || true)
PYNOTE=""
if [[ -z "$PY" ]]; then
	PYNOTE="python3 not found: the Python email row is skipped"
	say "$PYNOTE"
fi

# ---- machine description ----
{
	printf 'date (UTC)\t%s\n' "$(date -u '+%Y-%m-%d %H:%M')"
	printf 'args\t%s\n' "$N"
	printf 'runs per tool\t%s\n' "$RUNS"
	printf 'nproc\t%s\n' "$NPROC"
	printf 'CPU\t%s\n' "$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//' || echo unknown)"
	printf 'memory\t%s\n' "$(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo 2>/dev/null || echo unknown)"
	printf 'load average at start\t%s\n' "$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)"
	printf 'kernel\t%s\n' "$(uname -sr)"
	printf 'go\t%s\n' "$(go version | cut -d' ' -f3-)"
	printf 'python\t%s\n' "$(if [[ -n "$PY" ]]; then "$PY" --version 2>&1; else echo "absent ($PYNOTE)"; fi)"
	printf 'peers\t%s\n' "$(cd "$HERE" && go list -m -f '{{.Path}} {{.Version}}' github.com/jhillyerd/enmime/v2 github.com/emersion/go-message | paste -sd, - | sed 's/,/, /g')"
	if [[ "$MAILROOT_SRC" == "working tree" ]]; then
		printf 'mailroot built from\t%s\n' "working tree at $(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo unknown)$(cd "$ROOT" && git diff --quiet HEAD -- mime cmd queue 2>/dev/null || echo ' plus uncommitted changes in mime/cmd/queue')"
	else
		printf 'mailroot built from\t%s\n' "$MAILROOT_SRC"
	fi
	if [[ "${APPEND:-}" == 1 ]]; then
		printf 'sections run on this date\t%s (the others kept from %s)\n' "$SECTIONS" "$(grep -m1 '^date' "$WORK/meta.prev" 2> /dev/null | cut -f2 || echo 'an earlier run')"
	fi
} > "$RES/meta.tsv"

report() {
	"$BIN/report" "$RES" > "$OUT/RESULTS.md.tmp"
	if [[ -s "$RES/crosscheck.txt" ]]; then
		{
			echo "## Planted defects found (mailroot, main corpus)"
			echo
			cat "$RES/crosscheck.txt"
			echo
		} >> "$OUT/RESULTS.md.tmp"
	fi
	mv "$OUT/RESULTS.md.tmp" "$OUT/RESULTS.md"
}

# need BYTES: fail early when the scratch disk cannot hold a corpus.
need() {
	local avail
	avail=$(df -Pk "$WORK" | awk 'NR==2 {printf "%.0f", $4 * 1024}')
	if (( avail < $1 )); then
		say "not enough space in $WORK: need $(( $1 / 1000000 )) MB, have $(( avail / 1000000 )) MB; use a smaller N or set WORK/TMPDIR elsewhere"
		exit 1
	fi
}

# gen GROUP DESC GEN-ARGS...: generate a corpus into $WORK/GROUP, record it
# and read it once so that every timed run is cache-hot.
gen() {
	local group=$1 desc=$2
	shift 2
	local dir=$WORK/$group
	rm -rf "$dir"
	say "generating $group: gen $*"
	"$BIN/gen" -seed 1 -out "$dir" -manifest "$WORK/$group.tsv" "$@" 2>> "$LOG"
	local files bytes messages
	files=$(find "$dir" -type f | wc -l)
	messages=$(find "$dir" -type f ! -iname '*.BDR' ! -iname '*.BDP' | wc -l)
	bytes=$(find "$dir" -type f -printf '%s\n' | awk '{s += $1} END {printf "%.0f", s}')
	printf '%s\t%s\t%s\t%s\t%s\n' "$group" "$messages" "$files" "$bytes" "$desc" >> "$RES/corpora.tsv"
	find "$dir" -type f -print0 | xargs -0 cat > /dev/null
}

# measure GROUP TOOL RUN CMD...: one timed run; output is discarded.
measure() {
	local group=$1 tool=$2 run=$3
	shift 3
	"$BIN/rusage" -o "$RES/runs.tsv" -p "$group"$'\t'"$tool"$'\t'"$run" -- "$@" > /dev/null 2>> "$LOG"
	say "  $group $tool run $run: $(tail -n1 "$RES/runs.tsv" | cut -f4-)"
}

# run_tool GROUP TOOL RUN: one timed run of TOOL over the group's corpus
# (the workers group reuses the main corpus).
run_tool() {
	local group=$1 tool=$2 run=$3 dir="$WORK/${1/#workers/main}/vsi 1"
	case $tool in
	floor) measure "$group" "$tool" "$run" bash -c 'find "$1" -type f -print0 | xargs -0 -P "$2" -n 1000 cat' _ "$dir" "$NPROC" ;;
	readall) measure "$group" "$tool" "$run" "$BIN/readall" -workers "$NPROC" "$dir" ;;
	python-email) measure "$group" "$tool" "$run" "$PY" "$HERE/py_email_scan.py" -j "$NPROC" "$dir" ;;
	enmime) measure "$group" "$tool" "$run" "$BIN/enmime" -workers "$NPROC" "$dir" ;;
	go-message) measure "$group" "$tool" "$run" "$BIN/gomessage" -workers "$NPROC" "$dir" ;;
	mailroot) measure "$group" "$tool" "$run" "$BIN/mailroot" scan --dry-run --json "$dir" ;;
	mailroot-w1) measure "$group" "$tool" "$run" "$BIN/mailroot" scan --dry-run --json --workers 1 "$dir" ;;
	mailroot-w2) measure "$group" "$tool" "$run" "$BIN/mailroot" scan --dry-run --json --workers 2 "$dir" ;;
	esac
}

# rounds GROUP TOOL...: RUNS rounds, tools interleaved so that load from
# other jobs spreads over all of them.
rounds() {
	local group=$1
	shift
	local r t
	for ((r = 1; r <= RUNS; r++)); do
		for t in "$@"; do
			run_tool "$group" "$t" "$r"
		done
	done
}

drop() { [[ "${KEEP:-}" == 1 ]] || rm -rf "${WORK:?}/$1" "$WORK/$1.tsv"; }

# ---- 1. peers on the N-message corpus, and 2. workers ----
if has main || has workers; then
	need $(( N * 150000 + 200000000 ))
	gen main "fixtures/gen -n $N (a quarter with 100 KB-5 MB base64 attachments, 1% planted defects)" -n "$N"
	cp "$RES/corpora.tsv" "$RES/corpora.tmp"
	awk -F'\t' -v OFS='\t' '$1 == "main" {$1 = "workers"; print}' "$RES/corpora.tmp" >> "$RES/corpora.tsv"
	rm -f "$RES/corpora.tmp"
	if has main; then
		tools=(floor readall)
		[[ -n "$PY" ]] && tools+=(python-email)
		tools+=(enmime go-message mailroot)
		rounds main "${tools[@]}"
		# Not timed: do the planted defects show up in mailroot's findings?
		set +e
		"$BIN/mailroot" scan --dry-run --json "$WORK/main/vsi 1" > "$WORK/main.jsonl" 2>> "$LOG"
		set -e
		"$BIN/crosscheck" -manifest "$WORK/main.tsv" -root "$WORK/main" "$WORK/main.jsonl" > "$RES/crosscheck.txt" || true
		report
	fi
	if has workers; then
		rounds workers mailroot-w1 mailroot-w2
		report
	fi
	drop main
fi

# ---- 3. cost against corpus size ----
if has scale; then
	for n in $SCALE_NS; do
		g=scale-$((n / 1000))k
		need $(( n * 40000 + 100000000 ))
		gen "$g" "fixtures/gen -scale $SCALE_MIX (attachments 10-500 KB, else the same mix)" -n "$n" -scale "$SCALE_MIX"
		rounds "$g" floor readall mailroot
		report
		drop "$g"
	done
fi

# ---- 4. memory: one huge message, many tiny files ----
if has huge; then
	need $(( 1200000000 ))
	gen huge "one message of $HUGE (fixtures/gen -huge $HUGE)" -huge "$HUGE"
	rounds huge floor readall mailroot
	report
	drop huge
fi
if has tiny; then
	set -- $TINY_NS
	for g in tiny-small tiny-large; do
		n=$1
		shift
		need $(( n * 5000 + 100000000 ))
		gen "$g" "$n tiny one-part messages (fixtures/gen -tiny -n $n)" -tiny -n "$n"
		rounds "$g" floor readall mailroot
		report
		drop "$g"
	done
fi

report
say "wrote $OUT/RESULTS.md"
grep -i "error\|panic" "$LOG" | head -5 >&2 || true
