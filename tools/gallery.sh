#!/bin/sh
# Regenerate the gallery: docs/gallery/<name>.png from docs/gallery/<name>.yaml, and
# docs/gallery.md showing each notebook's figure cell beside its picture.
#
#   sh tools/gallery.sh [NBRUN]      (make gallery)
#
# The pictures double as the golden images of the visual regression test
# (tests/run-e2e.sh compares fresh renders with them).
set -eu
cd "$(dirname "$0")/.."
NBRUN=${1:-./nbrun}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
OUT=docs/gallery.md
{
	echo "# Gallery"
	echo
	echo "<!-- Written by \`make gallery\` (tools/gallery.sh) from docs/gallery/*.yaml; do not edit. -->"
	echo
	echo "One small notebook per kind of figure. Each picture is what \`nbrun\` draws from the cell"
	echo "shown above it; the notebooks are in [gallery/](gallery/), and \`make check\` compares fresh"
	echo "renders with these pictures."
	for nb in docs/gallery/*.yaml; do
		name=$(basename "$nb" .yaml)
		"$NBRUN" -q --formats=png -o "$TMP" "$nb"
		cp "$TMP/$name/figures/$name.png" "docs/gallery/$name.png"
		title=$(sed -n 's/^title: //p' "$nb")
		echo
		echo "## $title"
		echo
		echo '```yaml'
		# the figure cell: from its id line to the end of the notebook
		sed -n "/^  - id: $name\$/,\$p" "$nb" | sed 's/^  //'
		echo '```'
		echo
		echo "![$title](gallery/$name.png)"
	done
} > "$OUT"
echo "gallery: wrote $OUT and $(ls docs/gallery/*.png | wc -l) pictures"
