# nbrun - run literate ML notebooks written in YAML over compiled C kernels.
#
#   make                 build ./nbrun
#   make check           build and run every test (unit + end to end) under
#                        AddressSanitizer and UBSan, and check docs/kernels.md
#   make docs            regenerate docs/kernels.md from the kernel table
#   make bench           benchmarks against the reference implementations (docs/benchmarks.md)
#   make gallery         redraw docs/gallery/*.png and docs/gallery.md (the golden images)
#   make install PREFIX=/usr/local
#   make clean

PREFIX ?= /usr/local
CC ?= cc
PKG_CONFIG ?= pkg-config
PKGS = yaml-0.1 cairo cairo-pdf cairo-svg cairo-png pangocairo fontconfig libisal md4c zlib
# OpenBLAS and LAPACKE: headers at build time, opened with dlopen at run time (runner/blas.h)
BLAS_PKGS = lapacke openblas

PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) $(BLAS_PKGS))
PKG_LIBS := $(shell $(PKG_CONFIG) --libs $(PKGS))
CHECK_CFLAGS := $(shell $(PKG_CONFIG) --cflags check 2>/dev/null)
CHECK_LIBS := $(shell $(PKG_CONFIG) --libs check 2>/dev/null)

WARN = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wno-missing-field-initializers
CFLAGS ?= -O2 -g
ALL_CFLAGS = -std=c17 -D_DEFAULT_SOURCE $(WARN) $(CFLAGS) $(PKG_CFLAGS) -MMD -MP
LIBS = $(PKG_LIBS) -lgif -lhyphen -lm -ldl -pthread
SAN = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

# English hyphenation patterns (Debian's hyphen-en-us), compiled into nbrun as libhyphen's
# automaton by tools/hyphen_table; without the file the reports are not hyphenated
HYPHEN_DICT ?= /usr/share/hyphen/hyph_en_US.dic

SRCS = $(filter-out runner/main.c,$(wildcard runner/*.c)) $(wildcard cells/*.c)
OBJS = $(SRCS:%.c=build/rel/%.o) build/rel/gen/hyphen_table.o
SAN_OBJS = $(SRCS:%.c=build/san/%.o) build/san/gen/hyphen_table.o
UNIT_SRCS = $(wildcard tests/unit/check_*.c)
UNIT_BINS = $(UNIT_SRCS:tests/unit/%.c=build/san/tests/%)

.PHONY: all check unit e2e docs docs-check install clean bench gallery
all: nbrun

nbrun: build/rel/runner/main.o build/rel/libnbrun.a
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LIBS)

build/rel/libnbrun.a: $(OBJS)
	rm -f $@ && ar rcs $@ $^

build/rel/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

build/tools/hyphen_table: tools/hyphen_table.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< -lhyphen

build/gen/hyphen_table.c: build/tools/hyphen_table $(wildcard $(HYPHEN_DICT))
	@mkdir -p $(dir $@)
	build/tools/hyphen_table $(HYPHEN_DICT) > $@.tmp && mv $@.tmp $@

build/rel/gen/hyphen_table.o: build/gen/hyphen_table.c runner/hyphen_table.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Irunner -c -o $@ $<

build/san/gen/hyphen_table.o: build/gen/hyphen_table.c runner/hyphen_table.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(SAN) -O1 -Irunner -c -o $@ $<

# the sanitizer build used by the tests
build/san/nbrun: build/san/runner/main.o build/san/libnbrun.a
	$(CC) $(ALL_CFLAGS) $(SAN) -o $@ $^ $(LIBS)

build/san/libnbrun.a: $(SAN_OBJS)
	rm -f $@ && ar rcs $@ $^

build/san/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(SAN) -O1 -c -o $@ $<

build/san/tests/%: tests/unit/%.c tests/unit/testutil.h build/san/libnbrun.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(SAN) $(CHECK_CFLAGS) -Irunner -DNB_HYPHEN_DICT='"$(HYPHEN_DICT)"' -o $@ $< build/san/libnbrun.a $(CHECK_LIBS) $(LIBS)

export ASAN_OPTIONS = allocator_may_return_null=1:detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS = print_stacktrace=1:halt_on_error=1
export LSAN_OPTIONS = suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0

check: nbrun build/san/nbrun build/rel/tests/pngdiff $(UNIT_BINS)
	@$(MAKE) --no-print-directory docs-check
	@$(MAKE) --no-print-directory unit
	@$(MAKE) --no-print-directory e2e

unit: $(UNIT_BINS)
	@set -e; fail=0; for t in $(UNIT_BINS); do \
	  CK_VERBOSITY=normal NBRUN_TESTDATA=$(CURDIR)/tests $$t || fail=1; done; exit $$fail

build/rel/tests/pngdiff: tests/pngdiff.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $$($(PKG_CONFIG) --cflags libpng) -o $@ $< $$($(PKG_CONFIG) --libs libpng) -lm

e2e: nbrun build/san/nbrun build/rel/tests/pngdiff
	@PNGDIFF=$(CURDIR)/build/rel/tests/pngdiff sh tests/run-e2e.sh $(CURDIR)/build/san/nbrun $(CURDIR)/nbrun

docs: nbrun
	./nbrun --catalogue > docs/kernels.md

docs-check: nbrun
	@./nbrun --catalogue | diff -u docs/kernels.md - > /dev/null || \
	  { echo "docs/kernels.md is stale: run 'make docs' and commit it" >&2; \
	    ./nbrun --catalogue | diff -u docs/kernels.md - | head -20 >&2; exit 1; }
	@echo "docs: docs/kernels.md matches the kernel table"

gallery: nbrun
	sh tools/gallery.sh ./nbrun

# timings side by side with the alternatives; writes docs/benchmarks.md (not a test)
bench: nbrun
	sh bench/run.sh

install: nbrun
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/doc/nbrun
	install -m 755 nbrun $(DESTDIR)$(PREFIX)/bin/nbrun
	install -m 644 README.md docs/*.md $(DESTDIR)$(PREFIX)/share/doc/nbrun/

clean:
	rm -rf build nbrun

-include $(OBJS:.o=.d) $(SAN_OBJS:.o=.d) build/rel/runner/main.d build/san/runner/main.d
