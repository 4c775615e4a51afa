/* Unit tests of the breached-password filter: round trip, false positives,
 * HIBP keys, corrupt files. */
#include "tenure/filter.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[] = P_tmpdir "/check_filter.XXXXXX";
static char path[256];

static void setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/f.filter", dir);
}

static void teardown(void)
{
	unlink(path);
	rmdir(dir);
	strcpy(dir, P_tmpdir "/check_filter.XXXXXX");
}

static void key(const char *prefix, int i, char *buf, size_t len)
{
	snprintf(buf, len, "%s-%d", prefix, i);
}

static struct tenure_filter *build(int n)
{
	struct tenure_filter_builder *b;
	struct tenure_filter *f;
	unsigned char d[TENURE_SHA1_LEN];
	char s[64];

	ck_assert_int_eq(tenure_filter_builder_new(&b), 0);
	for (int i = 0; i < n; i++) {
		key("listed", i, s, sizeof(s));
		tenure_filter_sha1(s, strlen(s), d);
		ck_assert_int_eq(tenure_filter_builder_add(b, d), 0);
		if (i % 7 == 0)   /* duplicates are removed */
			ck_assert_int_eq(tenure_filter_builder_add(b, d), 0);
	}
	ck_assert_int_eq(tenure_filter_builder_write(b, path), 0);
	tenure_filter_builder_free(b);
	ck_assert_int_eq(tenure_filter_open(path, &f), 0);
	ck_assert_uint_eq(tenure_filter_items(f), (uint64_t)n);
	return f;
}

START_TEST(t_round_trip)
{
	int n = 200000, fp = 0;
	struct tenure_filter *f = build(n);
	char s[64];

	for (int i = 0; i < n; i++) {
		key("listed", i, s, sizeof(s));
		ck_assert_msg(tenure_filter_contains(f, s, strlen(s)), "%s missing", s);
	}
	/* 1e6 random keys: with 32-bit fingerprints the expected count is
	 * ~0.002; even one would be far above 1e-6. */
	for (int i = 0; i < 1000000; i++) {
		key("absent", i, s, sizeof(s));
		fp += tenure_filter_contains(f, s, strlen(s));
	}
	ck_assert_int_le(fp, 1);
	/* about 16 bytes per 3.6 keys: well under 8 bytes a key */
	ck_assert_uint_lt(tenure_filter_bytes(f), (size_t)n * 8);
	tenure_filter_close(f);
}
END_TEST

START_TEST(t_small_and_empty)
{
	struct tenure_filter *f = build(1);

	ck_assert(tenure_filter_contains(f, "listed-0", 8));
	ck_assert(!tenure_filter_contains(f, "listed-1", 8));
	tenure_filter_close(f);
	f = build(0);
	ck_assert(!tenure_filter_contains(f, "anything", 8));
	tenure_filter_close(f);
}
END_TEST

START_TEST(t_hibp_hex)
{
	unsigned char a[TENURE_SHA1_LEN], b[TENURE_SHA1_LEN];

	/* SHA-1("password") */
	ck_assert_int_eq(tenure_filter_parse_hex("5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8:9545824", a), 0);
	tenure_filter_sha1("password", 8, b);
	ck_assert(memcmp(a, b, sizeof(a)) == 0);
	ck_assert_int_eq(tenure_filter_parse_hex("5baa61e4c9b93f3f0682250b6cf8331b7ee68fd8", a), 0);
	ck_assert_int_eq(tenure_filter_parse_hex("5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD", a), -EINVAL);
	ck_assert_int_eq(tenure_filter_parse_hex("ZBAA61E4C9B93F3F0682250B6CF8331B7EE68FD8", a), -EINVAL);
}
END_TEST

START_TEST(t_corrupt)
{
	struct tenure_filter *f;
	FILE *fp = fopen(path, "w");

	fputs("not a filter at all, but long enough to hold a header .........", fp);
	fclose(fp);
	ck_assert_int_eq(tenure_filter_open(path, &f), -EINVAL);
	ck_assert_int_eq(tenure_filter_open("/nonexistent/x", &f), -ENOENT);
	/* truncated */
	tenure_filter_close(build(100));
	ck_assert_int_eq(truncate(path, 64 + 16), 0);
	ck_assert_int_eq(tenure_filter_open(path, &f), -EINVAL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("filter");
	TCase *tc = tcase_create("filter");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, t_round_trip);
	tcase_add_test(tc, t_small_and_empty);
	tcase_add_test(tc, t_hibp_hex);
	tcase_add_test(tc, t_corrupt);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
