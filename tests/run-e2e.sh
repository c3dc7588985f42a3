#!/bin/sh
# End-to-end tests: run real notebooks with the nbrun binary and compare
# what it writes (report.md), what it prints on stderr and its exit status
# with the expected files next to each notebook.
#
#   tests/e2e/NAME.yaml     a notebook that runs (NAME.md: the expected report,
#                           NAME.rc: the expected exit status, default 0,
#                           NAME.err: the expected stderr, optional)
#   tests/errors/NAME.yaml  a bad notebook (NAME.err and NAME.rc required)
#
# usage: tests/run-e2e.sh SANITIZER_NBRUN [RELEASE_NBRUN]
# Set UPDATE=1 to rewrite the expected files from the actual output.
set -u
NBRUN=${1:?usage: run-e2e.sh NBRUN [RELEASE_NBRUN]}
REL=${2:-}
HERE=$(cd "$(dirname "$0")" && pwd)
# the sanitizer settings of `make check`, also when the script is run by hand
: "${ASAN_OPTIONS:=allocator_may_return_null=1:detect_leaks=1}"
: "${UBSAN_OPTIONS:=print_stacktrace=1:halt_on_error=1}"
: "${LSAN_OPTIONS:=suppressions=$HERE/lsan.supp:print_suppressions=0}"
export ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS
TMP=$(mktemp -d)
trap 'chmod -R u+w "$TMP" 2>/dev/null; rm -rf "$TMP"' EXIT
pass=0
fail=0

# Timings vary between runs; everything else must match exactly.
normalise() {
	sed -e 's/[0-9][0-9]*\.[0-9][0-9]* s\b/T s/g' -e "s|$TMP|TMP|g" -e "s|$HERE/||g"
}

compare() { # name expected actual
	if [ "${UPDATE:-0}" = 1 ]; then
		cp "$3" "$2"
		return 0
	fi
	if ! diff -u "$2" "$3" > "$TMP/diff"; then
		echo "FAIL: $1: output differs from $(basename "$2")"
		head -40 "$TMP/diff"
		return 1
	fi
	return 0
}

run_case() { # kind file
	kind=$1
	f=$2
	name=$(basename "$f" .yaml)
	base=${f%.yaml}
	out="$TMP/out-$kind-$name"
	( cd "$HERE/.." && "$NBRUN" -q -o "$out" "tests/$kind/$name.yaml" ) > "$TMP/stdout" 2> "$TMP/stderr.raw"
	rc=$?
	normalise < "$TMP/stderr.raw" > "$TMP/stderr"
	ok=1
	want_rc=0
	[ -f "$base.rc" ] && want_rc=$(cat "$base.rc")
	if grep -q -e 'ERROR: AddressSanitizer' -e 'runtime error:' -e 'LeakSanitizer' "$TMP/stderr.raw"; then
		echo "FAIL: $kind/$name: sanitizer report"
		head -30 "$TMP/stderr.raw"
		ok=0
	fi
	if [ "${UPDATE:-0}" = 1 ]; then
		echo "$rc" > "$base.rc"
	elif [ "$rc" != "$want_rc" ]; then
		echo "FAIL: $kind/$name: exit status $rc, expected $want_rc"
		cat "$TMP/stderr.raw"
		ok=0
	fi
	if [ -f "$base.err" ] || [ "$kind" = errors ] || [ "${UPDATE:-0}" = 1 ]; then
		compare "$kind/$name" "$base.err" "$TMP/stderr" || ok=0
	fi
	if [ "$kind" = e2e ]; then
		if [ -f "$out/$name/report.md" ]; then
			compare "$kind/$name" "$base.md" "$out/$name/report.md" || ok=0
		else
			echo "FAIL: $kind/$name: no report.md written"
			ok=0
		fi
	fi
	if [ $ok = 1 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
}

for f in "$HERE"/e2e/*.yaml; do [ -e "$f" ] && run_case e2e "$f"; done
for f in "$HERE"/errors/*.yaml; do [ -e "$f" ] && run_case errors "$f"; done

# Generated bad inputs: binary garbage, very deep nesting, a file that is not there.
expect() { # name rc stderr-file-pattern command...
	name=$1; want_rc=$2; pattern=$3; shift 3
	"$@" > /dev/null 2> "$TMP/stderr"
	rc=$?
	if [ "$rc" = "$want_rc" ] && grep -q -- "$pattern" "$TMP/stderr" && \
	   ! grep -q -e 'AddressSanitizer' -e 'runtime error:' "$TMP/stderr"; then
		pass=$((pass + 1))
	else
		echo "FAIL: $name: exit $rc (expected $want_rc), stderr:"
		head -20 "$TMP/stderr"
		fail=$((fail + 1))
	fi
}
head -c 4096 /dev/urandom > "$TMP/garbage.yaml"
printf 'nbrun: 1\ncells:\n  - md: \200\201\n' > "$TMP/latin1.yaml"
expect garbage 2 'error: ' "$NBRUN" -q -o "$TMP/o" "$TMP/garbage.yaml"
expect invalid-utf8 2 'latin1.yaml:3:9: error: invalid YAML: invalid leading UTF-8 octet (byte 0x80); a notebook must be UTF-8 text' \
	"$NBRUN" -q -o "$TMP/o" "$TMP/latin1.yaml"
{ printf 'nbrun: 1\ncells:\n  - let: {a: '; head -c 200000 /dev/zero | tr '\0' '['; } > "$TMP/deep.yaml"
expect deep-nesting 2 'deep.yaml:3:.*: error: YAML nested too deeply: more than 64 levels' "$NBRUN" -q -o "$TMP/o" "$TMP/deep.yaml"
expect missing-file 2 "nbrun: error\|missing.yaml: error: cannot read notebook: No such file or directory" \
	"$NBRUN" -q -o "$TMP/o" "$TMP/missing.yaml"
expect no-args 2 'no notebook given' "$NBRUN"
expect bad-option 2 "unknown option '--frobnicate'" "$NBRUN" --frobnicate x.yaml
expect bad-set 2 "--set needs NAME=VALUE" "$NBRUN" --set novalue "$HERE/e2e/0001-basics.yaml"
: > "$TMP/file-not-dir"
expect unwritable-output 2 "cannot create the output folder '$TMP/file-not-dir/0001-basics': Not a directory" \
	"$NBRUN" -q -o "$TMP/file-not-dir" "$HERE/e2e/0001-basics.yaml"
mkdir -p "$TMP/ro"; chmod a-w "$TMP/ro"
if [ "$(id -u)" != 0 ]; then
	expect readonly-output 2 "cannot create the output folder" "$NBRUN" -q -o "$TMP/ro" "$HERE/e2e/0001-basics.yaml"
fi

# A figure file that cannot be written (a folder in its place) is an error with exit status 2,
# also when the background writer finds it.
mkdir -p "$TMP/blocked/0008-report/figures/line.png"
expect figure-unwritable 2 "nbrun: error: cannot write '$TMP/blocked/0008-report/figures/line.png': Is a directory" \
	"$NBRUN" -q -o "$TMP/blocked" "$HERE/e2e/0008-report.yaml"
mkdir -p "$TMP/blocked/0007-frames/figures/descent-frame-002.png"
expect frame-unwritable 2 "nbrun: 0007-frames: all cells ran, but some files could not be written" \
	"$NBRUN" -q -o "$TMP/blocked" "$HERE/e2e/0007-frames.yaml"
# OpenBLAS is opened when a matrix product is first wanted: one that cannot be opened (here a
# stand-in without its routines, found first on the library path) fails that cell, clearly.
mkdir -p "$TMP/fakeblas"
echo 'int nbrun_not_openblas;' > "$TMP/fakeblas/fake.c"
if ${CC:-cc} -shared -fPIC -o "$TMP/fakeblas/libopenblas.so.0" "$TMP/fakeblas/fake.c" 2> /dev/null; then
	printf 'nbrun: 1\ncells:\n  - let: {p: "ones((2, 2)) @ ones((2, 2))"}\n' > "$TMP/matmul.yaml"
	expect blas-missing 1 "matmul.yaml:3:.*linear algebra needs OpenBLAS and LAPACKE (Debian: libopenblas0, liblapacke): " \
		env LD_LIBRARY_PATH="$TMP/fakeblas" "$NBRUN" -q -o "$TMP/o" "$TMP/matmul.yaml"
fi
# A failed run must not corrupt a report written before: rerun a failing notebook
# over an existing output folder and check that only complete files are there.
"$NBRUN" -q -o "$TMP/keep" "$HERE/e2e/0001-basics.yaml" 2>/dev/null
if ls "$TMP/keep/0001-basics/" | grep -q '\.tmp'; then
	echo "FAIL: temporary files left behind"; fail=$((fail + 1))
else
	pass=$((pass + 1))
fi

# Byte-identical reruns (reports, state and figures in every format), and --save-state loading in numpy.
( cd "$HERE/.." && "$NBRUN" -q --save-state -o "$TMP/r1" tests/e2e/0001-basics.yaml tests/e2e/0006-figures.yaml tests/e2e/0007-frames.yaml && \
  "$NBRUN" -q --save-state -o "$TMP/r2" tests/e2e/0001-basics.yaml tests/e2e/0006-figures.yaml tests/e2e/0007-frames.yaml ) 2>/dev/null
if [ ! -s "$TMP/r1/0006-figures/figures/panels.svg" ] || [ ! -s "$TMP/r1/0006-figures/figures/panels.pdf" ]; then
	echo "FAIL: figures were not written"; fail=$((fail + 1)); fi
# frames: four numbered PNGs, an animated GIF of four frames, a contact sheet
fr="$TMP/r1/0007-frames/figures"
if [ -s "$fr/descent-frame-000.png" ] && [ -s "$fr/descent-frame-003.png" ] && [ ! -e "$fr/descent-frame-004.png" ] &&
   [ "$(head -c 6 "$fr/descent.gif")" = "GIF89a" ] && [ "$(head -c 4 "$fr/descent.png" | tail -c 3)" = "PNG" ]; then pass=$((pass + 1)); else
	echo "FAIL: the frames of e2e/0007-frames were not all written"; fail=$((fail + 1)); fi
if diff -r "$TMP/r1" "$TMP/r2" > /dev/null; then pass=$((pass + 1)); else
	echo "FAIL: two runs of the same notebook differ"; fail=$((fail + 1)); fi
if /usr/bin/python3 -c 'import numpy' 2>/dev/null; then
	if /usr/bin/python3 "$HERE/check_state.py" "$TMP/r1/0001-basics/state"; then pass=$((pass + 1)); else
		echo "FAIL: --save-state values do not load in numpy as expected"; fail=$((fail + 1)); fi
else
	echo "note: python3-numpy not installed; skipping the numpy load check of --save-state"
fi

# The gallery is the visual regression set: fresh renders against the committed pictures.
if [ -n "${PNGDIFF:-}" ]; then
	for f in "$HERE"/../docs/gallery/*.yaml; do
		name=$(basename "$f" .yaml)
		( cd "$HERE/.." && "$NBRUN" -q --formats=png -o "$TMP/gal" "docs/gallery/$name.yaml" ) 2> "$TMP/stderr"
		if out=$("$PNGDIFF" "$HERE/../docs/gallery/$name.png" "$TMP/gal/$name/figures/$name.png" 0.5 2>&1); then
			pass=$((pass + 1))
		else
			echo "FAIL: gallery/$name: the figure differs from docs/gallery/$name.png ($out); if the change is"
			echo "      intended, run 'make gallery' and look at the new pictures"
			cat "$TMP/stderr"
			fail=$((fail + 1))
		fi
	done
fi

# The PDF report, read back with poppler's tools.
check() { # what condition-command...  (sets no variable of its callers', such as $name)
	check_what=$1; shift
	if "$@"; then pass=$((pass + 1)); else echo "FAIL: $check_what"; fail=$((fail + 1)); fi
}
# every font embedded: pdffonts' "emb" column says yes on every font line
fonts_embedded() {
	pdffonts "$1" > "$TMP/fonts" 2>&1 && [ "$(tail -n +3 "$TMP/fonts" | wc -l)" -gt 0 ] &&
		! tail -n +3 "$TMP/fonts" | awk '{ if ($(NF-4) != "yes") bad = 1 } END { exit !bad }'
}
# no raster image in the file
no_images() { [ "$(pdfimages -list "$1" | tail -n +3 | wc -l)" = 0 ]; }
# every word inside the text block horizontally (pdftotext -bbox: page width and word boxes)
inside_margins() { # pdf margin-points
	pdftotext -bbox "$1" - | awk -v m="$2" '
		/<page / { match($0, /width="[0-9.]*"/); w = substr($0, RSTART + 7, RLENGTH - 8) }
		/<word / { match($0, /xMin="[0-9.]*"/); x0 = substr($0, RSTART + 6, RLENGTH - 7)
			   match($0, /xMax="[0-9.]*"/); x1 = substr($0, RSTART + 6, RLENGTH - 7)
			   if (x0 + 0 < m - 1 || x1 + 0 > w - m + 1) { print "outside the margins:", $0; bad = 1 } }
		END { exit bad }'
}
# the same number of pages, each alike to a fraction of a pixel at 72 dpi (RMS at most 4: the
# edges of hairlines fall on one side of a pixel or the other)
same_pages() { # a.pdf b.pdf
	rm -rf "$TMP/pa" "$TMP/pb" && mkdir "$TMP/pa" "$TMP/pb" &&
		pdftoppm -r 72 -png "$1" "$TMP/pa/p" && pdftoppm -r 72 -png "$2" "$TMP/pb/p" || return 1
	[ "$(ls "$TMP/pa" | wc -l)" = "$(ls "$TMP/pb" | wc -l)" ] || return 1
	for page in "$TMP"/pa/*.png; do
		"$PNGDIFF" "$page" "$TMP/pb/$(basename "$page")" 4 > /dev/null || return 1
	done
}
# qpdf reads the file's structure without repairing it (where qpdf is installed)
sound_pdf() { ! command -v qpdf > /dev/null || qpdf --check "$1" > /dev/null 2>&1; }
if command -v pdftotext > /dev/null; then
	pdf="$TMP/r1/0008-report/report.pdf"
	( cd "$HERE/.." && "$NBRUN" -q -o "$TMP/r1" tests/e2e/0008-report.yaml && "$NBRUN" -q -o "$TMP/r2" tests/e2e/0008-report.yaml ) 2>/dev/null
	pdftotext -layout "$pdf" "$TMP/report.txt"
	for want in "The PDF report" "Contents" "Math and tables" "strong words" "first bullet" \
		    "A quoted remark" "sample count" "keeps its indentation" "w = 0.5, sum of x = 5.500000000000001" \
		    "Figure 1. A straight line through the origin" "Date: 2026-01-15"; do
		check "report.pdf of e2e/0008-report shows '$want'" grep -q -F -- "$want" "$TMP/report.txt"
	done
	check "report.pdf: two runs give the same bytes" cmp -s "$pdf" "$TMP/r2/0008-report/report.pdf"
	# prose is hyphenated: pdftotext gives the soft hyphen (U+00AD) where a line broke inside a word
	check "report.pdf: a justified line broken inside a word, with a hyphen" \
		sh -c "pdftotext '$pdf' - | grep -q \"\$(printf '\\302\\255')\$\""
	check "report.pdf: every font embedded" fonts_embedded "$pdf"
	check "report.pdf: qpdf finds its structure sound" sound_pdf "$pdf"
	# a figure written as a PDF file is that file's page, copied in; it looks as the figure
	# replayed from its recording does (--formats=png: no PDF file to copy)
	f6="$TMP/out-e2e-0006-figures/0006-figures/report.pdf"
	( cd "$HERE/.." && "$NBRUN" -q --formats=png -o "$TMP/f6png" tests/e2e/0006-figures.yaml ) 2>/dev/null
	check "report.pdf of e2e/0006-figures: the figures are their PDF files' pages" \
		sh -c "[ \$(grep -a -c '/nbfig[0-9]* Do' '$f6') -ge 5 ] && ! grep -a -q '/nbfig[0-9]* Do' '$TMP/f6png/0006-figures/report.pdf'"
	if [ -n "${PNGDIFF:-}" ]; then
		check "report.pdf of e2e/0006-figures: copied figures look as replayed ones" \
			same_pages "$f6" "$TMP/f6png/0006-figures/report.pdf"
	fi
	check "report.pdf of e2e/0006-figures: qpdf finds its structure sound" sound_pdf "$f6"
	# a figure whose PDF file cannot be written (a folder in its way): exit 2, and the report
	# draws the figure from its recording instead, as when no PDF files are asked for
	mkdir -p "$TMP/fb/0008-report/figures/line.pdf"
	( cd "$HERE/.." && "$NBRUN" -q --formats=png,pdf -o "$TMP/fb" tests/e2e/0008-report.yaml ) 2>/dev/null
	check "report.pdf: a figure without its PDF file gives exit 2" [ $? = 2 ]
	if [ -n "${PNGDIFF:-}" ]; then
		check "report.pdf: a figure without its PDF file is drawn from its recording" \
			same_pages "$TMP/fb/0008-report/report.pdf" "$pdf"
	fi
	check "report.pdf: a line plot is vector graphics, not an image" no_images "$pdf"
	check "report.pdf: letter paper, title, authors and the notebook's date as metadata" \
		sh -c "pdfinfo '$pdf' | grep -q 'Page size: *612 x 792' && pdfinfo '$pdf' | grep -q 'Title: *The PDF report' &&
		       pdfinfo '$pdf' | grep -q 'Author: *Ada Lovelace, Alan Turing' && pdfinfo '$pdf' | grep -q 'CreationDate: .*2026'"
	check "report.pdf: an outline entry per heading" sh -c "[ \$(grep -a -c '/Title (' '$pdf') -ge 4 ]"
	check "report.pdf: nothing runs into the 25 mm margins" inside_margins "$pdf" 70.87
	check "report.pdf of e2e/0010-report-edge-cases keeps inside the margins" \
		inside_margins "$TMP/out-e2e-0010-report-edge-cases/0010-report-edge-cases/report.pdf" 56.69
	# a heading of math alone has its line in the contents, the math as plain text
	printf 'nbrun: 1\ncells:\n  - md: |\n      # One\n\n      ## $\\phi_0$\n\n      text\n' > "$TMP/mathhead.yaml"
	"$NBRUN" -q -o "$TMP/mh" "$TMP/mathhead.yaml" 2>/dev/null
	check "report.pdf: a heading of math alone is in the contents" \
		sh -c "pdftotext -layout '$TMP/mh/mathhead/report.pdf' - | grep -q '^ *ϕ₀  *1\$'"
	# code blocks: a line too long for the text is broken between two characters with no hyphen
	# added (in code it would read as a minus): a line of letters breaks at the column a line of
	# digits does, and keeps its characters.  The same block, once through nbrun's own layout
	# of printable ASCII and once through pango (a last line with a character past ASCII sends
	# it there), puts every word of the lines they share at the same place.
	letters="abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij"
	digits="0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789"
	mkdir -p "$TMP/codeA" "$TMP/codeB"
	printf 'nbrun: 1\ncells:\n  - md: |\n      ```\n      %s\n      %s\n      short line\n         indented   with  spaces   ' \
		"$letters" "$digits$digits" > "$TMP/codeA/code.yaml"
	cp "$TMP/codeA/code.yaml" "$TMP/codeB/code.yaml"
	printf '\n      ```\n' >> "$TMP/codeA/code.yaml"
	printf '\n      é\n      ```\n' >> "$TMP/codeB/code.yaml"
	"$NBRUN" -q -o "$TMP/codeA" "$TMP/codeA/code.yaml" 2>/dev/null
	"$NBRUN" -q -o "$TMP/codeB" "$TMP/codeB/code.yaml" 2>/dev/null
	pdftotext "$TMP/codeA/code/report.pdf" "$TMP/codeA.txt"
	check "report.pdf: a code line of letters broken for the width as one of digits, and whole" \
		sh -c "[ \$(sed -n 2p '$TMP/codeA.txt' | wc -c) = \$(sed -n 4p '$TMP/codeA.txt' | wc -c) ] &&
		       [ \"\$(sed -n 2,3p '$TMP/codeA.txt' | tr -d '\n')\" = '$letters' ]"
	pdftotext -bbox "$TMP/codeA/code/report.pdf" - | grep '<word' > "$TMP/codeA.words"
	pdftotext -bbox "$TMP/codeB/code/report.pdf" - | grep '<word' | grep -v '>é<' > "$TMP/codeB.words"
	check "report.pdf: a code block laid out by nbrun and by pango alike" \
		sh -c "[ \$(wc -l < '$TMP/codeA.words') -ge 10 ] && cmp -s '$TMP/codeA.words' '$TMP/codeB.words'"
	# a failed check is shown in place, and the report says where the run stopped
	pdftotext "$TMP/out-e2e-0002-failed-check/0002-failed-check/report.pdf" "$TMP/failed.txt" 2>/dev/null
	check "report.pdf of a failed run shows the error" grep -q "Error in cell" "$TMP/failed.txt"
	# without a date in the notebook, SOURCE_DATE_EPOCH gives it (86400 s = 1970-01-02)
	( cd "$HERE/.." && SOURCE_DATE_EPOCH=86400 "$NBRUN" -q -o "$TMP/sde" tests/e2e/0001-basics.yaml ) 2>/dev/null
	check "report.pdf: SOURCE_DATE_EPOCH dates a notebook without a date" \
		sh -c "pdftotext '$TMP/sde/0001-basics/report.pdf' - | grep -q 'Date: 1970-01-02'"
else
	echo "note: poppler-utils not installed; skipping the PDF report checks"
fi

# Figures do not depend on the machine's font configuration: a user's fontconfig file that
# turns antialiasing off and hinting full (it changed every figure with text when fontconfig's
# default configuration was used) leaves each figure byte for byte as it is
( cd "$HERE/.." && "$NBRUN" -q --formats=png,pdf -o "$TMP/fcA" tests/e2e/0006-figures.yaml ) 2>/dev/null
( cd "$HERE/.." && FONTCONFIG_FILE="$HERE/fixtures/fontconfig-user.conf" "$NBRUN" -q --formats=png,pdf -o "$TMP/fcB" \
	tests/e2e/0006-figures.yaml ) 2>/dev/null
check "figures: a user's fontconfig file changes none of them" \
	sh -c "[ -s '$TMP/fcA/0006-figures/figures/bowl.png' ] && diff -r '$TMP/fcA/0006-figures/figures' '$TMP/fcB/0006-figures/figures'"

# Every notebook that ships with nbrun runs, and passes its checks; its PDF report keeps
# every line inside the margins.
for f in "$HERE"/../notebooks/*.yaml; do
	name=$(basename "$f" .yaml)
	( cd "$HERE/.." && "$NBRUN" -q -o "$TMP/nb" "notebooks/$name.yaml" ) > /dev/null 2> "$TMP/stderr"
	rc=$?
	if [ $rc = 0 ] && ! grep -q -e 'AddressSanitizer' -e 'runtime error:' "$TMP/stderr"; then
		pass=$((pass + 1))
	else
		echo "FAIL: notebooks/$name.yaml: exit $rc"; head -20 "$TMP/stderr"; fail=$((fail + 1))
	fi
	if command -v pdftotext > /dev/null; then
		check "notebooks/$name: report.pdf keeps inside the 20 mm margins" inside_margins "$TMP/nb/$name/report.pdf" 56.69
		check "notebooks/$name: qpdf finds the report's structure sound" sound_pdf "$TMP/nb/$name/report.pdf"
	fi
done
if command -v pdftotext > /dev/null; then
	check "notebooks/intro_gradients: report.pdf shows the optimum" \
		sh -c "pdftotext '$TMP/nb/intro_gradients/report.pdf' - | grep -q -x 'Optimal value of b: -3.235905316463203'"
fi

# The same bytes on every run, whichever thread happens to encode which figure or frame: the
# animation notebook (both threads prepare its GIF frames) three times over.  A race between
# the threads shows as a difference in some runs, not all; this catches it often.
for i in 1 2 3; do
	( cd "$HERE/.." && "${REL:-$NBRUN}" -q -o "$TMP/same$i" notebooks/gradient_descent_animation.yaml ) 2> /dev/null
done
check "notebooks/gradient_descent_animation: three runs, the same bytes" \
	sh -c "diff -r '$TMP/same1' '$TMP/same2' > /dev/null && diff -r '$TMP/same1' '$TMP/same3' > /dev/null"

# The report is laid out on one thread while the other writes figures; pango's metrics of a
# font, computed on both at once, once broke its justified lines differently from run to run
# (in most runs of e2e/0008-report).  Five runs, one report.
for i in 1 2 3 4 5; do
	( cd "$HERE/.." && "${REL:-$NBRUN}" -q -o "$TMP/rep$i" tests/e2e/0008-report.yaml ) 2> /dev/null
done
check "report.pdf of e2e/0008-report: five runs, the same bytes" sh -c "for i in 2 3 4 5; do
	cmp -s '$TMP/rep1/0008-report/report.pdf' \"$TMP/rep\$i/0008-report/report.pdf\" || exit 1; done"

# The complete example in docs/format.md is tests/e2e/0003-format-example.yaml.
awk '/^## A complete example/{f=1} f&&/^```yaml/{p=1;next} p&&/^```/{exit} p' "$HERE/../docs/format.md" > "$TMP/doc-example.yaml"
if cmp -s "$TMP/doc-example.yaml" "$HERE/e2e/0003-format-example.yaml"; then pass=$((pass + 1)); else
	echo "FAIL: the example in docs/format.md differs from tests/e2e/0003-format-example.yaml"
	diff -u "$HERE/e2e/0003-format-example.yaml" "$TMP/doc-example.yaml" | head -20
	fail=$((fail + 1))
fi

# The release build must agree with the sanitizer build on the e2e notebooks.
if [ -n "$REL" ]; then
	for f in "$HERE"/e2e/*.yaml; do
		name=$(basename "$f" .yaml)
		( cd "$HERE/.." && "$REL" -q -o "$TMP/rel" "tests/e2e/$name.yaml" ) 2>/dev/null
		if [ -f "$TMP/rel/$name/report.md" ] && cmp -s "$TMP/rel/$name/report.md" "$HERE/e2e/$name.md"; then
			pass=$((pass + 1))
		else
			echo "FAIL: release build: e2e/$name report differs"; fail=$((fail + 1))
		fi
	done
fi

echo "e2e: $pass passed, $fail failed"
[ $fail = 0 ]
