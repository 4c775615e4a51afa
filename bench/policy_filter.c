/* Cost of a breached-filter lookup: SHA-1 of the candidate + two bucket
 * reads, measured on a filter of N keys built here (default 1,000,000, as a
 * stand-in for a large breach list; the HIBP file has ~900 million).
 *
 *   policy_filter [N]    prints one line per measurement
 */
#include "tenure/filter.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000000, lookups = 1000000, hits = 0;
	char path[] = P_tmpdir "/policy_filter.XXXXXX", s[64];
	struct tenure_filter_builder *b;
	struct tenure_filter *f;
	unsigned char d[TENURE_SHA1_LEN];
	double t0, t1;
	int fd = mkstemp(path);

	if (fd < 0 || tenure_filter_builder_new(&b))
		return 1;
	close(fd);
	t0 = now();
	for (long i = 0; i < n; i++) {
		snprintf(s, sizeof(s), "listed-%ld", i);
		tenure_filter_sha1(s, strlen(s), d);
		tenure_filter_builder_add(b, d);
	}
	if (tenure_filter_builder_write(b, path) || tenure_filter_open(path, &f))
		return 1;
	t1 = now();
	printf("filter: %ld keys, %zu bytes (%.2f bytes/key), built in %.2f s\n", n,
	       tenure_filter_bytes(f), (double)tenure_filter_bytes(f) / (double)n, t1 - t0);
	t0 = now();
	for (long i = 0; i < lookups; i++) {
		snprintf(s, sizeof(s), "listed-%ld", (i * 7919) % n);
		hits += tenure_filter_contains(f, s, strlen(s));
	}
	t1 = now();
	printf("lookup (listed):  %.3f us each (SHA-1 included), %ld/%ld found\n",
	       (t1 - t0) * 1e6 / (double)lookups, hits, lookups);
	hits = 0;
	t0 = now();
	for (long i = 0; i < lookups; i++) {
		snprintf(s, sizeof(s), "absent-%ld", i);
		hits += tenure_filter_contains(f, s, strlen(s));
	}
	t1 = now();
	printf("lookup (absent):  %.3f us each, false positives %ld/%ld\n",
	       (t1 - t0) * 1e6 / (double)lookups, hits, lookups);
	tenure_filter_close(f);
	tenure_filter_builder_free(b);
	unlink(path);
	return 0;
}
