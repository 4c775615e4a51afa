# Memory checks.
#
#   make valgrind     every Check unit test under valgrind (leaks are errors)
#   make check SANITIZE=address,undefined
#                     everything built with sanitizers; integration tests
#                     preload the runtime where a system binary (getent)
#                     loads a sanitized module (see tests/lib.sh)

VALGRIND ?= valgrind
VALGRIND_FLAGS ?= --quiet --leak-check=full --show-leak-kinds=definite,indirect \
                  --errors-for-leak-kinds=definite,indirect --error-exitcode=1 \
                  --track-fds=no

.PHONY: valgrind
valgrind: $(UNITS)
	@fail=0; for t in $(UNITS); do \
		echo "valgrind: $$t"; \
		CK_FORK=no CK_VERBOSITY=normal TENURE_BUILD=$(B) $(VALGRIND) $(VALGRIND_FLAGS) ./$$t || fail=1; \
	done; exit $$fail

# A marker telling the test scripts that this build is sanitized.
ifneq ($(SANITIZE),)
all: $(B)/.sanitize
$(B)/.sanitize:
	@mkdir -p $(@D)
	@echo "$(SANITIZE)" >$@
endif
