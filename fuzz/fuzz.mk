# fuzz/fuzz.mk — libFuzzer targets, included by the top Makefile (fuzz/README.md).
#
#   make fuzz [FUZZ_SECONDS=60]   build, then run every target FUZZ_SECONDS seconds,
#                                 one after another; fails if any target crashes
#   make fuzz-build               build build/fuzz/fuzz_* only
#   make fuzz-fuzz_query          run one target (also fuzz-fuzz_analyze, fuzz-fuzz_segment,
#                                 fuzz-fuzz_names, fuzz-fuzz_text, fuzz-fuzz_rtf,
#                                 fuzz-fuzz_html, fuzz-fuzz_zip)
#   make fuzz-replay              run every committed seed and crash reproducer once
#                                 (no fuzzing: a quick regression check)
#   make fuzz-seeds               regenerate the generated seeds of fuzz/corpus/fuzz_segment/
#                                 (*-m<mode>-*) from the index the target builds
#
# The targets are built with clang from the library SOURCES (not the gcc-built
# archive) with -fsanitize=fuzzer,address,undefined; UBSan findings abort.
# Each run fuzzes in build/fuzz/corpus-<target>/ (new inputs go there) with the
# committed fuzz/corpus/<target>/ as a second, read-only corpus directory, so
# the committed seeds never change.  Crashes land in build/fuzz/crash-<target>/.

FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := fuzz_query fuzz_analyze fuzz_segment fuzz_names fuzz_text fuzz_rtf fuzz_html fuzz_zip
FUZZ_OUT     := build/fuzz
FUZZ_BINS    := $(FUZZ_TARGETS:%=$(FUZZ_OUT)/%)
FUZZ_SAN     := address,undefined
FUZZ_CFLAGS  := -g -O1 -fsanitize=$(FUZZ_SAN) -fno-sanitize-recover=all \
                -fno-omit-frame-pointer -std=c11 -D_GNU_SOURCE -Iinclude -Ilib
# Limits: a corrupted length must never allocate 512 MB or hang 10 s.
FUZZ_FLAGS   ?= -rss_limit_mb=2048 -malloc_limit_mb=512 -timeout=10 -print_final_stats=1
FUZZ_HDRS    := $(wildcard include/*.h lib/*/*.h)

.PHONY: fuzz fuzz-build fuzz-replay fuzz-seeds $(FUZZ_TARGETS:%=fuzz-%)

fuzz-build: $(FUZZ_BINS)

# clang with its libFuzzer/ASan/UBSan runtimes (Debian: clang + libclang-rt-dev).
# The fuzz goals run the deps step (scripts/deps.sh --install all, top Makefile)
# first, which installs them; this probe says what to do when it could not.
$(FUZZ_OUT)/.clang-ok:
	@mkdir -p $(@D)
	@printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
	  'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);' \
	  'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }' \
	  > $(@D)/clang-check.c
	@if $(FUZZ_CC) -fsanitize=fuzzer,address,undefined $(@D)/clang-check.c \
	     -o $(@D)/clang-check 2>/dev/null; then :; \
	else \
	  echo "fuzz: '$(FUZZ_CC) -fsanitize=fuzzer' does not work; run 'make deps-all', or:" >&2; \
	  echo "  sudo apt-get install clang libclang-rt-dev    (Debian 12; libclang-rt-14-dev)" >&2; \
	  exit 1; \
	fi
	@touch $@

# The library is compiled once for all targets, with -fsanitize=fuzzer-no-link
# (coverage instrumentation), and linked into each target.
FUZZ_OBJ := $(LIB_SRC:%.c=$(FUZZ_OUT)/obj/%.o)

$(FUZZ_OUT)/obj/%.o: %.c $(FUZZ_HDRS) build/deps.mk $(FUZZ_OUT)/.clang-ok
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(DEPS_CFLAGS) -c -o $@ $<
# worker.c takes the helper's installed path from the generated header
# (Makefile, $(B)/gen/helper_path.h), as in the library's own build.
$(FUZZ_OUT)/obj/lib/extract/worker.o: $(B)/gen/helper_path.h
$(FUZZ_OUT)/obj/lib/extract/worker.o: FUZZ_CFLAGS += -I$(B)/gen

$(FUZZ_BINS): $(FUZZ_OUT)/%: fuzz/%.c $(FUZZ_OBJ) $(FUZZ_HDRS)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -Wall -Wextra $(DEPS_CFLAGS) $< $(FUZZ_OBJ) \
	  $(DEPS_LIBS) -o $@

# One target for FUZZ_SECONDS: exit status non-zero on a crash, leak, timeout or OOM.
define fuzz_run
	@mkdir -p $(FUZZ_OUT)/corpus-$(1) $(FUZZ_OUT)/crash-$(1)
	@echo "== $(1): $(FUZZ_SECONDS) s, log in $(FUZZ_OUT)/$(1).log"
	@FUZZ_SEGMENT_STATS=1 ./$(FUZZ_OUT)/$(1) $(FUZZ_FLAGS) -max_total_time=$(FUZZ_SECONDS) \
	  -artifact_prefix=$(FUZZ_OUT)/crash-$(1)/ $(FUZZ_OUT)/corpus-$(1) fuzz/corpus/$(1) \
	  > $(FUZZ_OUT)/$(1).log 2>&1; status=$$?; \
	grep -E 'ERROR|SUMMARY|Test unit written|^fuzz_|stat::number_of_executed_units|^Done' \
	  $(FUZZ_OUT)/$(1).log | sed 's/^/   /'; \
	if [ $$status != 0 ]; then echo "== $(1): FAILED (exit $$status)"; exit 1; fi
endef

$(FUZZ_TARGETS:%=fuzz-%): fuzz-%: $(FUZZ_OUT)/%
	$(call fuzz_run,$*)

# Every target runs even if an earlier one crashed; the result fails if any did.
fuzz: $(FUZZ_BINS)
	@fail=; for t in $(FUZZ_TARGETS); do \
	  $(MAKE) --no-print-directory fuzz-$$t FUZZ_SECONDS=$(FUZZ_SECONDS) || fail="$$fail $$t"; \
	done; \
	if [ -n "$$fail" ]; then echo "fuzz: crashes in:$$fail (reproducers in $(FUZZ_OUT)/crash-*/)"; exit 1; fi; \
	echo "fuzz: no crash in $(FUZZ_TARGETS) ($(FUZZ_SECONDS) s each)"

# Committed seeds and reproducers, each input run once.
fuzz-replay: $(FUZZ_BINS)
	@for t in $(FUZZ_TARGETS); do \
	  n=$$(ls fuzz/corpus/$$t | wc -l); echo "== $$t: $$n committed inputs"; \
	  ./$(FUZZ_OUT)/$$t $(FUZZ_FLAGS) -runs=0 fuzz/corpus/$$t > $(FUZZ_OUT)/$$t-replay.log 2>&1 \
	    || { tail -n 30 $(FUZZ_OUT)/$$t-replay.log; exit 1; }; \
	done

fuzz-seeds: $(FUZZ_OUT)/fuzz_segment
	mkdir -p fuzz/corpus/fuzz_segment && rm -f fuzz/corpus/fuzz_segment/*-m[0-9]-*
	FUZZ_SEGMENT_SEEDS=fuzz/corpus/fuzz_segment ./$(FUZZ_OUT)/fuzz_segment
