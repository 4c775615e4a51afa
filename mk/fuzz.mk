# Fuzzing (libFuzzer, clang) and the replay of every corpus in `make check`.
#
#   make fuzz FUZZ_SECONDS=60      build each tests/fuzz/fuzz_*.c with clang
#                                  -fsanitize=fuzzer,address,undefined and run
#                                  it for FUZZ_SECONDS on its corpus
#   make fuzz-replay               (part of `make check`) run every corpus
#                                  file through every target, built with $(CC)
#
# Each target tests/fuzz/fuzz_NAME.c has its seeds in tests/fuzz/corpus/NAME/;
# a crash found by fuzzing is added there, so it is replayed forever after.

FUZZ_SECONDS ?= 30
FUZZ_CC      ?= clang
FUZZ_SRC     := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_NAMES   := $(FUZZ_SRC:tests/fuzz/fuzz_%.c=%)
FUZZ_REPLAY  := $(FUZZ_NAMES:%=$(B)/tests/fuzz_%)
FUZZ_BIN     := $(FUZZ_NAMES:%=$(B)/fuzz/fuzz_%)
FUZZ_CFLAGS  := -O1 -g -std=gnu11 -D_GNU_SOURCE -Iinclude -pthread \
                -fsanitize=fuzzer,address,undefined -fno-omit-frame-pointer \
                -DTENURE_DATADIR='"$(DATADIR)/tenure"' -DTENURE_STATEDIR='"$(LOCALSTATEDIR)/lib/tenure"'
FUZZ_OBJ     := $(COMMON_SRC:%.c=$(B)/fuzz/obj/%.o)
FUZZ_EXTRA   = $(wildcard $(FUZZ_EXTRA_SRC_$*))

$(B)/fuzz/obj/%.o: %.c
	@mkdir -p $(@D)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS:-fsanitize=fuzzer,%=-fsanitize=fuzzer-no-link,%) -c -o $@ $<

$(B)/fuzz/libtenure-fuzz.a: $(FUZZ_OBJ)
	$(Q)rm -f $@ && ar rcs $@ $^

# Targets may need front-end sources too: a target lists them in a comment
# line "// fuzz-sources: syncd/scim.c ..." and they are compiled in.
fuzz_sources = $(shell sed -n 's,^// fuzz-sources: ,,p' $(1))

# The sources a target names are prerequisites too (second expansion).
.SECONDEXPANSION:
$(B)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $$(call fuzz_sources,tests/fuzz/fuzz_$$*.c) $(B)/fuzz/libtenure-fuzz.a
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(call fuzz_sources,$<) $(B)/fuzz/libtenure-fuzz.a $(TEST_LIBS)

$(B)/tests/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/standalone.c $$(call fuzz_sources,tests/fuzz/fuzz_$$*.c) $(LIB)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CCLD    $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< tests/fuzz/standalone.c $(call fuzz_sources,$<) $(LIB) $(TEST_LIBS)

.PHONY: fuzz fuzz-replay
fuzz: $(FUZZ_BIN)
	@for n in $(FUZZ_NAMES); do \
		mkdir -p $(B)/fuzz/corpus/$$n; \
		echo "fuzz: $$n for $(FUZZ_SECONDS) s"; \
		$(B)/fuzz/fuzz_$$n -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
			-artifact_prefix=$(B)/fuzz/crash-$$n- \
			$(B)/fuzz/corpus/$$n tests/fuzz/corpus/$$n 2>&1 | \
			grep -E '^(stat::number_of_executed_units|stat::new_units_added|#[0-9]+.*DONE|==[0-9]+==ERROR|SUMMARY)' || true; \
		if ls $(B)/fuzz/crash-$$n-* >/dev/null 2>&1; then echo "fuzz: $$n CRASHED"; exit 1; fi; \
	done

tests: $(FUZZ_REPLAY)

fuzz-replay: $(FUZZ_REPLAY)
	@fail=0; for n in $(FUZZ_NAMES); do \
		./$(B)/tests/fuzz_$$n tests/fuzz/corpus/$$n || fail=1; \
	done; exit $$fail
CHECK_EXTRA += fuzz-replay
