/* Unit tests of the password history: argon2id PHC strings, matching,
 * trimming, the local store (modes, atomic replace). */
#include "tenure/history.h"
#include "tenure/ldap.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Small costs: the tests check behaviour, not strength. */
#define M 64
#define T 1

START_TEST(t_hash_verify)
{
	char a[TENURE_PHC_MAX], b[TENURE_PHC_MAX];

	ck_assert_int_eq(tenure_history_hash("Secret-1", 8, M, T, a, sizeof(a)), 0);
	ck_assert(strncmp(a, "$argon2id$v=19$m=64,t=1,p=1$", 28) == 0);
	ck_assert_int_eq(tenure_history_hash("Secret-1", 8, M, T, b, sizeof(b)), 0);
	ck_assert_str_ne(a, b);   /* random salt */
	ck_assert_int_eq(tenure_history_verify(a, "Secret-1", 8), 1);
	ck_assert_int_eq(tenure_history_verify(a, "Secret-2", 8), 0);
	ck_assert_int_eq(tenure_history_verify("{SSHA}abc", "x", 1), -22);
	/* the OWASP default parameters */
	ck_assert_int_eq(tenure_history_hash("x", 1, 19456, 2, a, sizeof(a)), 0);
	ck_assert(strncmp(a, "$argon2id$v=19$m=19456,t=2,p=1$", 31) == 0);
}
END_TEST

START_TEST(t_find_push)
{
	char h[5][TENURE_PHC_MAX], pw[16];
	char *v[6] = { NULL };
	char **p, **q;

	for (int i = 0; i < 5; i++) {
		snprintf(pw, sizeof(pw), "pw-%d", i);
		ck_assert_int_eq(tenure_history_hash(pw, strlen(pw), M, T, h[i], sizeof(h[i])), 0);
		v[i] = h[i];
	}
	for (int i = 0; i < 5; i++) {
		snprintf(pw, sizeof(pw), "pw-%d", i);
		ck_assert_int_eq(tenure_history_find(v, pw, strlen(pw)), i);
	}
	ck_assert_int_eq(tenure_history_find(v, "pw-9", 4), -1);
	ck_assert_int_eq(tenure_history_find(NULL, "pw-9", 4), -1);
	p = tenure_history_push(v, "$argon2id$new", 3);
	ck_assert_str_eq(p[0], h[3]);
	ck_assert_str_eq(p[1], h[4]);
	ck_assert_str_eq(p[2], "$argon2id$new");
	ck_assert_ptr_null(p[3]);
	q = tenure_history_push(NULL, "$argon2id$first", 5);
	ck_assert_str_eq(q[0], "$argon2id$first");
	ck_assert_ptr_null(q[1]);
	tenure_strv_free(p);
	tenure_strv_free(q);
}
END_TEST

START_TEST(t_local_store)
{
	char dir[] = P_tmpdir "/check_history.XXXXXX", sub[256], file[300], h[TENURE_PHC_MAX];
	char **v = NULL;
	struct stat st;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(sub, sizeof(sub), "%s/history", dir);
	snprintf(file, sizeof(file), "%s/alice", sub);
	ck_assert_int_eq(tenure_history_local_read(sub, "alice", &v), 0);
	ck_assert_ptr_null(v[0]);
	tenure_strv_free(v);
	for (int i = 0; i < 4; i++) {
		char pw[8];
		snprintf(pw, sizeof(pw), "p%d", i);
		ck_assert_int_eq(tenure_history_hash(pw, strlen(pw), M, T, h, sizeof(h)), 0);
		ck_assert_int_eq(tenure_history_local_append(sub, "alice", h, 3), 0);
	}
	ck_assert_int_eq(stat(sub, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0700);
	ck_assert_int_eq(stat(file, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	ck_assert_int_eq(tenure_history_local_read(sub, "alice", &v), 0);
	ck_assert_ptr_nonnull(v[2]);
	ck_assert_ptr_null(v[3]);
	ck_assert_int_eq(tenure_history_find(v, "p0", 2), -1);   /* trimmed */
	ck_assert_int_eq(tenure_history_find(v, "p3", 2), 2);
	tenure_strv_free(v);
	/* names that would leave the directory are refused */
	ck_assert_int_lt(tenure_history_local_append(sub, "../x", h, 3), 0);
	ck_assert_int_lt(tenure_history_local_append(sub, ".lock", h, 3), 0);
	/* a directory others can write into is refused */
	ck_assert_int_eq(chmod(sub, 0777), 0);
	ck_assert_int_lt(tenure_history_local_append(sub, "alice", h, 3), 0);
	unlink(file);
	snprintf(file, sizeof(file), "%s/.lock", sub);
	unlink(file);
	rmdir(sub);
	rmdir(dir);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("history");
	TCase *tc = tcase_create("history");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, t_hash_verify);
	tcase_add_test(tc, t_find_push);
	tcase_add_test(tc, t_local_store);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
