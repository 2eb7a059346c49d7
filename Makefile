# libcivsearch and csearch — plain GNU make.
#   make            build/libcivsearch.a, build/libcivsearch.so(.0), build/csearch
#   make check      every test (unit suites, CLI tests, header test, Python binding)
#   make check SANITIZE=address,undefined   the same under ASan+UBSan
#   make check-all  what CI runs: check, check under ASan+UBSan, the CLI tests
#                   under valgrind, make fuzz FUZZ_SECONDS=60 (docs/reliability.md)
#   make demo       build, index corpus/ and search it
#   make deps       install what make, make demo and make check need (scripts/deps.sh)
#   make deps-all   the same and what check-all needs too (valgrind, clang)
#   make install / uninstall   honour PREFIX and DESTDIR
# demo and the check targets run the deps step first; plain make only builds,
# and stops with the command to run when a dependency is missing.

# The version is written once, in include/civsearch.h; the soname's major
# is the version's major.
VERSION   := $(shell sed -n 's/^\#define CS_VERSION_STRING "\(.*\)"$$/\1/p' include/civsearch.h)
SOMAJOR   := $(shell sed -n 's/^\#define CS_VERSION_MAJOR \([0-9][0-9]*\)$$/\1/p' include/civsearch.h)
ifeq ($(and $(VERSION),$(SOMAJOR)),)
$(error cannot read CS_VERSION_STRING and CS_VERSION_MAJOR from include/civsearch.h)
endif
PREFIX    ?= /usr/local
BINDIR    ?= $(PREFIX)/bin
LIBDIR    ?= $(PREFIX)/lib
INCDIR    ?= $(PREFIX)/include
MANDIR    ?= $(PREFIX)/share/man
LIBEXECDIR ?= $(PREFIX)/libexec
PKGDIR    ?= $(LIBDIR)/pkgconfig
CC        ?= cc
# The Python of the Python binding's build and tests: Debian's, whose modules
# (python3-cffi, python3-pytest) apt installs, before another python3 on PATH.
PYTHON    ?= $(firstword $(wildcard /usr/bin/python3) python3)
CFLAGS    ?= -O2 -g
SANITIZE  ?=

comma := ,
ifeq ($(SANITIZE),)
B := build
else
B := build/san-$(subst $(comma),-,$(SANITIZE))
SANFLAGS := -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
endif

WARN      := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS) $(SANFLAGS) -fPIC -fvisibility=hidden \
             -Iinclude -MMD -MP $(DEPS_CFLAGS)
ALL_LDFLAGS = $(LDFLAGS) $(SANFLAGS)

LIB_SRC   := $(sort $(wildcard lib/*/*.c))
CLI_SRC   := $(sort $(wildcard cli/*.c))
TEST_SRC  := $(sort $(wildcard tests/check_*.c))
BENCH_SRC := $(sort $(wildcard bench/*.c))
LIB_OBJ   := $(LIB_SRC:%.c=$(B)/obj/%.o)
CLI_OBJ   := $(CLI_SRC:%.c=$(B)/obj/%.o)
TEST_OBJ  := $(TEST_SRC:%.c=$(B)/obj/%.o)

STATIC    := $(B)/libcivsearch.a
SHARED    := $(B)/libcivsearch.so.$(VERSION)
CSEARCH   := $(B)/csearch
CHECK_BIN := $(B)/check_all
HELPER    := $(B)/csearch-extract

.PHONY: format-check FORCE all deps deps-all check check-all check-unit check-cli check-python check-valgrind check-concurrency crash-bench hostile check-header check-generated demo install uninstall clean bench-analysis
all: $(STATIC) $(SHARED) $(CSEARCH) $(HELPER) $(B)/civsearch-uninstalled.pc

# Dependencies: build/deps.mk holds their flags, written by scripts/deps.sh.
# Make remakes an included file before it runs any goal, so that is where the
# deps step happens: for the goals below deps.sh first installs what its set
# lacks (test: check and python3 too; all: valgrind and clang too), and the
# file is re-probed on every such run (rewritten only when the flags change,
# so nothing recompiles).  Other goals (make, make all, install) only probe,
# when the file is missing or older than deps.sh, and stop with the command
# to run if something is missing.
DEPS_ALL_GOALS  := deps-all check-all check-valgrind fuzz fuzz-build fuzz-replay fuzz-seeds \
                   $(addprefix fuzz-fuzz_,query analyze segment names text rtf html zip)
DEPS_TEST_GOALS := deps demo check check-unit check-cli check-concurrency hostile check-python
DEPS_SET := $(if $(filter $(DEPS_ALL_GOALS),$(MAKECMDGOALS)),all,$(if \
              $(filter $(DEPS_TEST_GOALS),$(MAKECMDGOALS)),test))
ifeq ($(filter clean uninstall,$(MAKECMDGOALS)),)
include build/deps.mk
endif
ifneq ($(DEPS_SET),)
build/deps.mk: FORCE
endif
build/deps.mk: scripts/deps.sh
	@mkdir -p build
	@CC="$(CC)" FUZZ_CC="$(FUZZ_CC)" PYTHON="$(PYTHON)" sh scripts/deps.sh $(if $(DEPS_SET),--install $(DEPS_SET)) \
	  > $@.tmp || { rm -f $@.tmp; exit 1; }
	@if cmp -s $@.tmp $@; then rm $@.tmp; else mv $@.tmp $@; fi

deps deps-all: build/deps.mk
	@echo "$@: everything is installed"

$(B)/obj/%.o: %.c build/deps.mk
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(B)/obj/tests/%.o: tests/%.c build/deps.mk
	@$(if $(CHECK_LIBS),:,echo "the unit tests need Check: run 'make deps'" >&2; exit 1)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) -Ilib -c -o $@ $<

$(STATIC): $(LIB_OBJ)
	rm -f $@
	ar rcs $@ $^

$(SHARED): $(LIB_OBJ)
	$(CC) -shared -Wl,-soname,libcivsearch.so.$(SOMAJOR) $(ALL_LDFLAGS) -o $@ $^ $(DEPS_LIBS)
	ln -sf libcivsearch.so.$(VERSION) $(B)/libcivsearch.so.$(SOMAJOR)
	ln -sf libcivsearch.so.$(SOMAJOR) $(B)/libcivsearch.so

# csearch starts often (one process per query from scripts), so it links
# libstemmer and utf8proc statically and is not position-independent:
# libstemmer's tables carry about 10,800 relocations that a PIE or the shared
# library applies at every start, touching some 80 pages.  Measured with
# `perf stat -e page-faults csearch -i IDX --count kernel`: 229 faults
# dynamic, 220 static PIE, 138 static non-PIE (docs/performance.md).  It
# parses no document (the helper does), and --as-needed keeps libxml2, libzip
# and what they load (ICU, libstdc++, libcrypto) out of it: 355 faults with
# them, 108 without.  Sanitizer builds and CSEARCH_PIE=1 (for hardened
# packaging) link the usual way.
ifeq ($(SANITIZE)$(CSEARCH_PIE),)
CSEARCH_LINK := -no-pie -Wl,--as-needed $(patsubst -l%,-Wl$(comma)-Bstatic -l% -Wl$(comma)-Bdynamic,$(filter -lutf8proc -lstemmer,$(DEPS_LIBS))) $(filter-out -lutf8proc -lstemmer,$(DEPS_LIBS))
else
CSEARCH_LINK := $(DEPS_LIBS)
endif

# The extraction helper (docs/sandbox.md): the library finds it at the
# installed libexec path, compiled into worker.o through a generated header
# (rewritten only when PREFIX or LIBEXECDIR change, so nothing else rebuilds).
$(B)/gen/helper_path.h: FORCE
	@mkdir -p $(@D)
	@echo '#define CS__HELPER_PATH "$(LIBEXECDIR)/civsearch/csearch-extract"' > $@.tmp
	@if cmp -s $@.tmp $@; then rm $@.tmp; else mv $@.tmp $@; fi
$(B)/obj/lib/extract/worker.o: $(B)/gen/helper_path.h
$(B)/obj/lib/extract/worker.o: ALL_CFLAGS += -I$(B)/gen

$(HELPER): $(B)/obj/libexec/csearch-extract.o $(STATIC)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(STATIC) $(DEPS_LIBS) $(SECCOMP_LIBS)
$(B)/obj/libexec/csearch-extract.o: ALL_CFLAGS += -Ilib $(SECCOMP_CFLAGS)

$(CSEARCH): $(CLI_OBJ) $(STATIC)
	$(CC) $(ALL_LDFLAGS) -o $@ $(CLI_OBJ) $(STATIC) $(CSEARCH_LINK)

# The unit suites also test the CLI's escaping (tests/check_escape.c).
CLI_TESTED_OBJ := $(B)/obj/cli/escape.o
$(B)/obj/tests/check_worker.o: ALL_CFLAGS += $(SECCOMP_CFLAGS)
$(CHECK_BIN): $(TEST_OBJ) $(CLI_TESTED_OBJ) $(STATIC) $(HELPER)
	$(CC) $(ALL_LDFLAGS) -o $@ $(TEST_OBJ) $(CLI_TESTED_OBJ) $(STATIC) $(DEPS_LIBS) $(CHECK_LIBS)

# The build tree's tests use the build tree's helper, and the Makefile's Python.
export CSEARCH_EXTRACT_HELPER := $(abspath $(HELPER))
export PYTHON

$(B)/bench/%: bench/%.c $(STATIC) $(HELPER)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Ilib $(ALL_LDFLAGS) -o $@ $< $(STATIC) $(DEPS_LIBS)

check: deps check-header check-generated check-unit check-cli check-python

# Generated tables are what their generators make, byte for byte.
check-generated:
	$(PYTHON) scripts/gen_crc32c.py --check

# The Python binding (python/): the cffi extension compiled against the
# static library into $(B)/python/civsearch/ beside a copy of the package,
# then its pytest suite.  Under SANITIZE the library's sanitizer runtimes are
# preloaded into the (uninstrumented) interpreter; leaks are not checked
# (CPython's own allocations would drown them).
PY_B := $(B)/python
PY_SRC := $(wildcard python/civsearch/*.py python/civsearch/*.pyi python/civsearch/py.typed)
$(PY_B)/civsearch/.built: python/build_civsearch.py $(PY_SRC) $(STATIC) build/deps.mk
	@mkdir -p $(@D)
	cp $(PY_SRC) $(@D)/
	CIVSEARCH_LDFLAGS="$(SANFLAGS)" $(PYTHON) python/build_civsearch.py --build-dir $(B) $(PY_B)
	@touch $@
PY_PRELOAD := $(if $(findstring address,$(SANITIZE)),$(shell $(CC) -print-file-name=libasan.so)) \
              $(if $(findstring undefined,$(SANITIZE)),$(shell $(CC) -print-file-name=libubsan.so))
check-python: $(PY_B)/civsearch/.built $(HELPER)
	PYTHONPATH=$(abspath $(PY_B)) $(if $(SANITIZE),LD_PRELOAD="$(strip $(PY_PRELOAD))" \
	  ASAN_OPTIONS=detect_leaks=0) $(PYTHON) -m pytest -q -p no:cacheprovider python/tests

# Sanitizer builds run 2-4x slower, and CI machines are shared: their tests
# get four times Check's per-test timeouts (still a hang detector).
check-unit: $(CHECK_BIN)
	cd tests && CK_TIMEOUT_MULTIPLIER=$${CK_TIMEOUT_MULTIPLIER:-$(if $(SANITIZE),4,1)} ../$(CHECK_BIN)

# Readers beside a committing, merging writer for CONCURRENCY_SECONDS (docs/reliability.md).
CONCURRENCY_SECONDS ?= 60
check-concurrency: $(CHECK_BIN)
	cd tests && CK_RUN_SUITE=concurrency CS_CONCURRENCY_SECONDS=$(CONCURRENCY_SECONDS) ../$(CHECK_BIN)

# kill -9 of csearch index CRASH_KILLS (100) times on the benchmark corpus (not in CI).
crash-bench: $(CSEARCH)
	CSEARCH=$(abspath $(CSEARCH)) sh scripts/crash-bench.sh $(CRASH_CORPUS)

check-cli: $(CSEARCH) $(HELPER)
	CSEARCH=$(abspath $(CSEARCH)) sh tests/cli/run.sh

# The CLI tests with csearch under valgrind memcheck (tests/cli/valgrind-csearch.sh);
# test_crash is left out: it times kill -9 against native runs.
VALGRIND_LOGS := $(abspath $(B))/valgrind
check-valgrind: build/deps.mk $(CSEARCH)
	rm -rf $(VALGRIND_LOGS) && mkdir -p $(VALGRIND_LOGS)
	CSEARCH=$(abspath tests/cli/valgrind-csearch.sh) CSEARCH_REAL=$(abspath $(CSEARCH)) \
	  VALGRIND_LOG_DIR=$(VALGRIND_LOGS) CLI_SKIP=test_crash CLI_TIMEOUT=120 sh tests/cli/run.sh || \
	  { cat $(VALGRIND_LOGS)/*.log; exit 1; }

# The big hostile inputs (200 MB line, 100,000 files, a* on the benchmark corpus...).
hostile: $(CSEARCH)
	CSEARCH=$(abspath $(CSEARCH)) sh scripts/hostile.sh $(CRASH_CORPUS)

# Everything CI runs (.ci/run), one after another.
check-all: deps-all
	$(MAKE) check
	$(MAKE) check SANITIZE=address,undefined
	$(MAKE) check-valgrind
	$(MAKE) fuzz FUZZ_SECONDS=$(FUZZ_SECONDS)

# The public header compiles alone, as C99 and as C++ (C++98 and the
# compiler's default), pedantically; and a C++ program that includes it
# links against the library (its declarations are extern "C") and agrees on
# the version.
HEADER_WARN := -Wall -Wextra -Wpedantic -Werror
# Files clang-format (.clang-format) would change, with the count of lines.
# Advice, not part of make check: aligned comment columns and hand-wrapped
# conditions read better kept; new files should pass it.
format-check:
	@command -v clang-format >/dev/null || { echo "format-check: clang-format not installed (apt-get install clang-format)"; exit 2; }
	@bad=0; for f in $(LIB_SRC) $(CLI_SRC) $(wildcard lib/*/*.h cli/*.h include/*.h); do \
	  n=$$(clang-format "$$f" | diff "$$f" - | grep -c '^>'); \
	  [ "$$n" -eq 0 ] || { echo "$$f: $$n lines"; bad=1; }; done; [ $$bad -eq 0 ]

check-header: build/deps.mk $(STATIC)
	$(CC) -std=c99 $(HEADER_WARN) -fsyntax-only -x c include/civsearch.h
	@if command -v c++ >/dev/null 2>&1; then set -e; \
	  echo "c++ -std=c++98 $(HEADER_WARN) -fsyntax-only -x c++ include/civsearch.h"; \
	  c++ -std=c++98 $(HEADER_WARN) -fsyntax-only -x c++ include/civsearch.h; \
	  echo "c++ $(HEADER_WARN) -fsyntax-only -x c++ include/civsearch.h"; \
	  c++ $(HEADER_WARN) -fsyntax-only -x c++ include/civsearch.h; \
	  echo "c++ (a program including civsearch.h) -o $(B)/check_header_cxx"; \
	  printf '%s\n' '#include "civsearch.h"' \
	    'int main() { return cs_version_number() == CS_VERSION_NUMBER ? 0 : 1; }' | \
	    c++ $(HEADER_WARN) $(SANFLAGS) -Iinclude -x c++ -o $(B)/check_header_cxx - -x none \
	      $(STATIC) $(DEPS_LIBS); \
	  ./$(B)/check_header_cxx; \
	else echo "check-header: no c++ compiler, the C++ checks are skipped" >&2; fi

# The main job: index corpus/ into ./.csearch (incrementally) and search it.
demo: deps $(CSEARCH)
	./$(CSEARCH) index corpus
	./$(CSEARCH) --color=always "civic space"

bench-analysis: $(B)/bench/analysis_bench
	./$(B)/bench/analysis_bench corpus

$(B)/civsearch.pc: civsearch.pc.in Makefile FORCE
	@mkdir -p $(@D)
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@INCDIR@|$(INCDIR)|' \
	    -e 's|@VERSION@|$(VERSION)|' $< > $@

# The build tree as a pkg-config package: pkg-config prefers
# civsearch-uninstalled.pc to civsearch.pc in the same search path, so
#   cc prog.c $$(PKG_CONFIG_PATH=build pkg-config --cflags --libs civsearch)
# builds against include/ and build/ without installing (an rpath finds
# build/libcivsearch.so at run time).
$(B)/civsearch-uninstalled.pc: civsearch.pc.in Makefile include/civsearch.h
	@mkdir -p $(@D)
	sed -e 's|@PREFIX@|$(CURDIR)|' -e 's|@LIBDIR@|$(abspath $(B))|' \
	    -e 's|@INCDIR@|$(CURDIR)/include|' -e 's|@VERSION@|$(VERSION)|' \
	    -e 's|^Libs: .*|& -Wl,-rpath,$${libdir}|' $< > $@

install: all $(B)/civsearch.pc
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCDIR) $(DESTDIR)$(PKGDIR)
	install -m 755 $(CSEARCH) $(DESTDIR)$(BINDIR)/csearch
	install -d $(DESTDIR)$(LIBEXECDIR)/civsearch
	install -m 755 $(HELPER) $(DESTDIR)$(LIBEXECDIR)/civsearch/csearch-extract
	install -m 644 include/civsearch.h $(DESTDIR)$(INCDIR)/civsearch.h
	install -m 644 $(STATIC) $(DESTDIR)$(LIBDIR)/libcivsearch.a
	install -m 755 $(SHARED) $(DESTDIR)$(LIBDIR)/libcivsearch.so.$(VERSION)
	ln -sf libcivsearch.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libcivsearch.so.$(SOMAJOR)
	ln -sf libcivsearch.so.$(SOMAJOR) $(DESTDIR)$(LIBDIR)/libcivsearch.so
	install -m 644 $(B)/civsearch.pc $(DESTDIR)$(PKGDIR)/civsearch.pc
	if [ -f docs/csearch.1 ]; then install -d $(DESTDIR)$(MANDIR)/man1 && \
	  install -m 644 docs/csearch.1 $(DESTDIR)$(MANDIR)/man1/csearch.1; fi

uninstall:
	rm -f $(DESTDIR)$(LIBEXECDIR)/civsearch/csearch-extract
	-rmdir $(DESTDIR)$(LIBEXECDIR)/civsearch 2>/dev/null
	rm -f $(DESTDIR)$(BINDIR)/csearch $(DESTDIR)$(INCDIR)/civsearch.h \
	  $(DESTDIR)$(LIBDIR)/libcivsearch.a $(DESTDIR)$(LIBDIR)/libcivsearch.so \
	  $(DESTDIR)$(LIBDIR)/libcivsearch.so.$(SOMAJOR) $(DESTDIR)$(LIBDIR)/libcivsearch.so.$(VERSION) \
	  $(DESTDIR)$(PKGDIR)/civsearch.pc $(DESTDIR)$(MANDIR)/man1/csearch.1

clean:
	rm -rf build

FORCE:

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(TEST_OBJ:.o=.d) $(B)/obj/libexec/csearch-extract.d

# Benchmarks (make bench) and fuzzing (make fuzz) keep their rules beside them.
-include bench/bench.mk fuzz/fuzz.mk
