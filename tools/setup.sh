#!/bin/sh
# Install the Debian packages that nbrun needs (apt-get; sudo when not root).
#
#   sh tools/setup.sh          what building and running nbrun needs
#   sh tools/setup.sh --test   also what `make check` needs
#
# Packages already installed are left alone, so a second run is quick.
set -eu
PKGS="gcc make pkg-config libc6-dev libyaml-dev liblapacke-dev libopenblas-dev libcairo2-dev libisal-dev zlib1g-dev libgif-dev libmd4c-dev libhyphen-dev hyphen-en-us libpango1.0-dev libfontconfig-dev
fonts-dejavu-core fonts-dejavu-extra"
if [ "${1:-}" = "--test" ]; then
	# Check for the unit tests; libpng for tests/pngdiff; numpy to load --save-state output, poppler's
	# pdftotext, pdffonts, pdfimages and pdftoppm to read the PDF reports in the
	# end-to-end tests, and qpdf to check their structure
	PKGS="$PKGS check libpng-dev python3-numpy poppler-utils qpdf"
fi
missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
if [ -z "$missing" ]; then
	echo "setup: all packages present"
	exit 0
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then
	SUDO=sudo
fi
echo "setup: installing$missing"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing > /dev/null
echo "setup: done"
