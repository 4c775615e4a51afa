# NSS module extras (owned by the NSS part).
#
#   make tsan-nss    build the module and nss_stress with -fsanitize=thread
#                    in $(B)/tsan and run 16 threads x 10,000 lookups and the
#                    fork test against a private slapd
#   make bench-nss   side-by-side benchmark (bench/nss.sh): tenure, a bare
#                    libldap loop, and nslcd/sssd when they can be set up
#
# nss_stress defines getaddrinfo() to test the re-entrancy guard, so it is
# linked with -rdynamic (the module must see the program's definition).

.PHONY: tsan-nss bench-nss

$(B)/tests/nss_stress: tests/tools/nss_stress.c $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -MMD -MP -MF $@.d $(LDFLAGS) -rdynamic -o $@ $< $(LIB) $(TEST_LIBS) -ldl

$(B)/tests/nss_ldapfloor: tests/tools/nss_ldapfloor.c $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -MMD -MP -MF $@.d $(LDFLAGS) -o $@ $< $(LIB) $(TEST_LIBS) -ldl

tsan-nss:
	$(MAKE) --no-print-directory B=$(B)/tsan SANITIZE=thread OPT="-O1 -g" \
		$(B)/tsan/libnss_tenure.so.2 $(B)/tsan/tests/nss_stress
	TENURE_BUILD=$(B)/tsan NSS_TSAN=1 bash tests/integration/test_nss_threads.sh

bench-nss: all $(B)/tests/nss_stress $(B)/tests/nss_ldapfloor
	TENURE_BUILD=$(B) bash bench/nss.sh
