/*
 * nss_ldapfloor -- the floor for bench/nss.sh: a bare libldap loop, one
 * connection, anonymous, one indexed search per lookup, nothing else.
 *
 *   nss_ldapfloor URI BASE N    looks up u00001..u10000 in turn, N times
 *
 * Prints "lookups=N failed=F per_s=R p50_us=X p99_us=Y".
 */
#include <ldap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_samples.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	char *attrs[] = { "uid", "uidNumber", "gidNumber", "gecos", "cn", "homeDirectory",
			  "loginShell", NULL };
	int v3 = LDAP_VERSION3, n, bad = 0;
	double *t, t0, total;
	LDAP *ld;

	if (argc < 4)
		return 2;
	n = atoi(argv[3]);
	if (n < 1 || ldap_initialize(&ld, argv[1]) != LDAP_SUCCESS)
		return 2;
	ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &v3);
	t = calloc((size_t)n, sizeof(double));
	t0 = now();
	for (int i = 0; i < n; i++) {
		char filter[64];
		LDAPMessage *res = NULL;
		double a = now();
		int rc;

		snprintf(filter, sizeof(filter), "(&(objectClass=posixAccount)(uid=u%05d))", i % 10000 + 1);
		rc = ldap_search_ext_s(ld, argv[2], LDAP_SCOPE_SUBTREE, filter, attrs, 0, NULL, NULL,
				       NULL, 0, &res);
		if (rc != LDAP_SUCCESS || ldap_count_entries(ld, res) != 1)
			bad++;
		ldap_msgfree(res);
		t[i] = now() - a;
	}
	total = now() - t0;
	bench_sort(t, n);
	bench_dump_samples(t, n, 1e6);
	printf("lookups=%d failed=%d per_s=%.0f p50_us=%.1f p99_us=%.1f\n", n, bad, n / total,
	       t[n / 2] * 1e6, t[(int)(n * 0.99)] * 1e6);
	ldap_unbind_ext_s(ld, NULL, NULL);
	free(t);
	return bad ? 1 : 0;
}
