/* Unit tests: the hash-chained audit log (common/audit.c). */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tenure/audit.h"

static char dir[64];
static char path[128];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/check_audit.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/audit.log", dir);
}

static void teardown(void)
{
	char cmd[160];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static void write_n(int n)
{
	struct tenure_audit *a;
	char err[256], rec[64];

	ck_assert_int_eq(tenure_audit_open(path, &a, err, sizeof(err)), 0);
	for (int i = 0; i < n; i++) {
		snprintf(rec, sizeof(rec), "\"action\":\"test\",\"n\":%d", i);
		ck_assert_int_eq(tenure_audit_append(a, rec), 0);
	}
	tenure_audit_close(a);
}

static int verify(long *lines, long *bad)
{
	char err[512];

	*lines = *bad = 0;
	return tenure_audit_verify(path, lines, bad, err, sizeof(err));
}

/* Rewrite the file through sed: keeps the test close to what an attacker does. */
static void sed(const char *expr)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "sed -i '%s' '%s'", expr, path);
	ck_assert_int_eq(system(cmd), 0);
}

START_TEST(chain_intact_across_reopen)
{
	long lines, bad;

	write_n(3);
	write_n(4);           /* a restart continues the chain */
	ck_assert_int_eq(verify(&lines, &bad), 0);
	ck_assert_int_eq(lines, 7);
}
END_TEST

START_TEST(edit_detected)
{
	long lines, bad;

	write_n(5);
	sed("3s/\"n\":2/\"n\":9/");
	ck_assert_int_eq(verify(&lines, &bad), 1);
	ck_assert_int_eq(bad, 3);
}
END_TEST

START_TEST(delete_detected)
{
	long lines, bad;

	write_n(5);
	sed("2d");
	ck_assert_int_eq(verify(&lines, &bad), 1);
	ck_assert_int_eq(bad, 2);
}
END_TEST

START_TEST(first_line_edit_detected)
{
	long lines, bad;

	write_n(2);
	sed("1s/test/tset/");
	ck_assert_int_eq(verify(&lines, &bad), 1);
	ck_assert_int_eq(bad, 1);
}
END_TEST

START_TEST(garbage_detected)
{
	long lines, bad;
	FILE *f;

	write_n(2);
	f = fopen(path, "a");
	ck_assert_ptr_nonnull(f);
	fputs("hello\n", f);
	fclose(f);
	ck_assert_int_eq(verify(&lines, &bad), 1);
	ck_assert_int_eq(bad, 3);
}
END_TEST

START_TEST(append_refuses_newlines)
{
	struct tenure_audit *a;
	char err[256];

	ck_assert_int_eq(tenure_audit_open(path, &a, err, sizeof(err)), 0);
	ck_assert_int_eq(tenure_audit_append(a, "\"x\":\"a\nb\""), -EINVAL);
	tenure_audit_close(a);
}
END_TEST

START_TEST(open_refuses_torn_tail)
{
	struct tenure_audit *a = NULL;
	char err[256];
	FILE *f;

	write_n(1);
	f = fopen(path, "a");
	fputs("{\"seq\":2,", f);
	fclose(f);
	ck_assert_int_ne(tenure_audit_open(path, &a, err, sizeof(err)), 0);
	ck_assert_ptr_null(a);
}
END_TEST

/* The writer's head is an anchor: cutting lines off the end keeps the
 * chain intact, but not the anchor; an edit of the anchored line (with
 * every later line rewritten to match) is caught by the anchor too. */
START_TEST(anchor_catches_truncation)
{
	struct tenure_audit *a;
	char err[512], head[65], other[65];
	long seq, lines, bad;

	write_n(5);
	ck_assert_int_eq(tenure_audit_open(path, &a, err, sizeof(err)), 0);
	tenure_audit_head(a, &seq, head);
	tenure_audit_close(a);
	ck_assert_int_eq(seq, 5);
	ck_assert_int_eq(tenure_audit_verify_anchor(path, 5, head, &lines, &bad, err, sizeof(err)), 0);
	ck_assert_int_eq(tenure_audit_verify_anchor(path, 3, head, &lines, &bad, err, sizeof(err)), 1);
	ck_assert_int_eq(bad, 3);
	ck_assert_ptr_nonnull(strstr(err, "differs from the anchor"));
	/* Cut the last two lines: the chain alone is still intact. */
	sed("4,5d");
	ck_assert_int_eq(verify(&lines, &bad), 0);
	ck_assert_int_eq(lines, 3);
	ck_assert_int_eq(tenure_audit_verify_anchor(path, 5, head, &lines, &bad, err, sizeof(err)), 1);
	ck_assert_int_eq(bad, 4);
	ck_assert_ptr_nonnull(strstr(err, "cut from the end"));
	/* An empty log's head: seq 0, 64 zeros; a bad anchor is refused. */
	unlink(path);
	ck_assert_int_eq(tenure_audit_open(path, &a, err, sizeof(err)), 0);
	tenure_audit_head(a, &seq, other);
	tenure_audit_close(a);
	ck_assert_int_eq(seq, 0);
	ck_assert_str_eq(other, "0000000000000000000000000000000000000000000000000000000000000000");
	ck_assert_int_eq(tenure_audit_verify_anchor(path, 0, head, &lines, &bad, err, sizeof(err)),
			 -EINVAL);
	ck_assert_int_eq(tenure_audit_verify_anchor(path, 1, "abc", &lines, &bad, err, sizeof(err)),
			 -EINVAL);
}
END_TEST

START_TEST(sha256_known_value)
{
	char hex[65];

	tenure_sha256_hex("abc", 3, hex);
	ck_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("audit");
	TCase *tc = tcase_create("chain");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, chain_intact_across_reopen);
	tcase_add_test(tc, edit_detected);
	tcase_add_test(tc, delete_detected);
	tcase_add_test(tc, first_line_edit_detected);
	tcase_add_test(tc, garbage_detected);
	tcase_add_test(tc, append_refuses_newlines);
	tcase_add_test(tc, open_refuses_torn_tail);
	tcase_add_test(tc, sha256_known_value);
	tcase_add_test(tc, anchor_catches_truncation);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
