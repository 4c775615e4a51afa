/* Unit tests: the lockout tally store (common/tally.c). */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tenure/config.h"
#include "tenure/tally.h"

static char dir[256], tdir[300];
static const int64_t T0 = 1700000000;

static void setup(void)
{
	snprintf(dir, sizeof(dir), "%s/check_tally.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(tdir, sizeof(tdir), "%s/tally", dir);
}

static void teardown(void)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static struct tenure_lockout pol(int deny, int unlock, int per_rhost)
{
	struct tenure_lockout p = { .deny = deny, .fail_interval = 900, .unlock_time = unlock,
				    .deny_per_rhost = per_rhost };
	return p;
}

/* One failure; hash byte h (0 = no hash). */
static int add_fail(const char *user, const struct tenure_lockout *p, const char *rhost, int64_t now,
		int h, struct tenure_lock_state *st)
{
	struct tenure_tally_rec rec;
	int outcome = -1;

	tenure_tally_rec_init(&rec, now, rhost, rhost ? NULL : "tty1", "login");
	if (h) {
		memset(rec.hash, h, sizeof(rec.hash));
		rec.flags |= TENURE_TALLY_HASH;
	}
	ck_assert_int_eq(tenure_tally_fail(tdir, user, p, rhost, &rec, now, &outcome, st), 0);
	return outcome;
}

static struct tenure_lock_state state(const char *user, const struct tenure_lockout *p,
				      const char *rhost, int64_t now, size_t *n)
{
	struct tenure_tally *t = tenure_tally_new();
	struct tenure_lock_state st;

	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(tenure_tally_read(tdir, user, t), 0);
	tenure_tally_eval(t, p, rhost, now, &st);
	if (n)
		*n = t->n;
	tenure_tally_free(t);
	return st;
}

START_TEST(names)
{
	ck_assert(tenure_tally_name_ok("alice"));
	ck_assert(tenure_tally_name_ok("zhang.wei"));
	ck_assert(tenure_tally_name_ok("\xe5\xbc\xa0\xe4\xbc\x9f"));
	ck_assert(!tenure_tally_name_ok(""));
	ck_assert(!tenure_tally_name_ok(NULL));
	ck_assert(!tenure_tally_name_ok("."));
	ck_assert(!tenure_tally_name_ok(".."));
	ck_assert(!tenure_tally_name_ok(".hidden"));
	ck_assert(!tenure_tally_name_ok("../etc/passwd"));
	ck_assert(!tenure_tally_name_ok("a/b"));
	ck_assert(!tenure_tally_name_ok("a\nb"));
	ck_assert(!tenure_tally_name_ok("a\x7f"));
	{
		char big[300];
		memset(big, 'a', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		ck_assert(!tenure_tally_name_ok(big));
		big[255] = '\0';
		ck_assert(tenure_tally_name_ok(big));
	}
}
END_TEST

START_TEST(lock_after_deny)
{
	struct tenure_lockout p = pol(3, 600, 0);
	struct tenure_lock_state st;
	struct stat sb;
	char path[400];

	ck_assert_int_eq(add_fail("alice", &p, NULL, T0, 1, &st), TENURE_TALLY_COUNTED);
	ck_assert_int_eq(st.failures, 1);
	ck_assert(!st.locked);
	ck_assert_int_eq(add_fail("alice", &p, NULL, T0 + 1, 2, &st), TENURE_TALLY_COUNTED);
	ck_assert(!st.locked);
	ck_assert_int_eq(add_fail("alice", &p, NULL, T0 + 2, 3, &st), TENURE_TALLY_COUNTED);
	ck_assert(st.locked);
	ck_assert_int_eq(st.failures, 3);
	ck_assert_int_eq(st.locked_until, T0 + 2 + 600);
	ck_assert_str_eq(st.last_source, "tty1");
	ck_assert_str_eq(st.last_service, "login");
	/* A locked user's attempts are not counted. */
	ck_assert_int_eq(add_fail("alice", &p, NULL, T0 + 3, 4, &st), TENURE_TALLY_LOCKED);
	ck_assert_int_eq(st.failures, 3);
	/* Still locked one second before the end, unlocked at the end. */
	ck_assert(state("alice", &p, NULL, T0 + 601, NULL).locked);
	ck_assert(!state("alice", &p, NULL, T0 + 602, NULL).locked);
	/* Modes: directory 0700, file 0600. */
	ck_assert_int_eq(stat(tdir, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 07777, 0700);
	snprintf(path, sizeof(path), "%s/alice", tdir);
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 07777, 0600);
	ck_assert_int_eq(sb.st_size, 16 + 3 * 128);
}
END_TEST

START_TEST(unlock_starts_afresh)
{
	struct tenure_lockout p = pol(3, 2, 0);
	struct tenure_lock_state st;

	for (int i = 0; i < 3; i++)
		add_fail("bob", &p, NULL, T0 + i, 10 + i, &st);
	ck_assert(st.locked);
	/* After the automatic unlock, one more failure does not lock again. */
	ck_assert_int_eq(add_fail("bob", &p, NULL, T0 + 10, 20, &st), TENURE_TALLY_COUNTED);
	ck_assert(!st.locked);
	ck_assert_int_eq(st.failures, 1);
}
END_TEST

START_TEST(never_unlock)
{
	struct tenure_lockout p = pol(2, 0, 0);
	struct tenure_lock_state st;

	add_fail("carol", &p, NULL, T0, 1, &st);
	add_fail("carol", &p, NULL, T0 + 1, 2, &st);
	ck_assert(st.locked);
	ck_assert_int_eq(st.locked_until, 0);
	ck_assert(state("carol", &p, NULL, T0 + 86400 * 365, NULL).locked);
	ck_assert_int_eq(tenure_tally_reset(tdir, "carol"), 0);
	ck_assert(!state("carol", &p, NULL, T0 + 2, NULL).locked);
	ck_assert_int_eq(state("carol", &p, NULL, T0 + 2, NULL).failures, 0);
	/* Reset of a user without a file is fine. */
	ck_assert_int_eq(tenure_tally_reset(tdir, "nobody-here"), 0);
	ck_assert_int_eq(tenure_tally_reset(tdir, "../x"), -EINVAL);
}
END_TEST

START_TEST(window)
{
	struct tenure_lockout p = pol(3, 600, 0);
	struct tenure_lock_state st;

	add_fail("dave", &p, NULL, T0, 1, &st);
	add_fail("dave", &p, NULL, T0 + 1, 2, &st);
	/* The third failure comes after fail_interval: only it counts. */
	add_fail("dave", &p, NULL, T0 + 1 + 900, 3, &st);
	ck_assert(!st.locked);
	ck_assert_int_eq(st.failures, 1);
}
END_TEST

START_TEST(duplicate_guess)
{
	struct tenure_lockout p = pol(3, 600, 0);
	struct tenure_lock_state st;
	size_t n;

	ck_assert_int_eq(add_fail("erin", &p, NULL, T0, 7, &st), TENURE_TALLY_COUNTED);
	ck_assert_int_eq(add_fail("erin", &p, NULL, T0 + 1, 7, &st), TENURE_TALLY_DUPLICATE);
	ck_assert_int_eq(add_fail("erin", &p, NULL, T0 + 2, 7, &st), TENURE_TALLY_DUPLICATE);
	ck_assert_int_eq(st.failures, 1);
	/* Without a hash, every failure counts. */
	ck_assert_int_eq(add_fail("erin", &p, NULL, T0 + 3, 0, &st), TENURE_TALLY_COUNTED);
	ck_assert_int_eq(add_fail("erin", &p, NULL, T0 + 4, 0, &st), TENURE_TALLY_COUNTED);
	ck_assert(st.locked);
	state("erin", &p, NULL, T0 + 5, &n);
	ck_assert_int_eq(n, 3);
	/* Outside the window the same guess counts again. */
	ck_assert_int_eq(tenure_tally_reset(tdir, "erin"), 0);
	add_fail("erin", &p, NULL, T0, 7, &st);
	ck_assert_int_eq(add_fail("erin", &p, NULL, T0 + 900, 7, &st), TENURE_TALLY_COUNTED);
}
END_TEST

START_TEST(per_rhost)
{
	struct tenure_lockout p = pol(5, 600, 2);
	struct tenure_lock_state st;

	add_fail("frank", &p, "10.0.0.66", T0, 1, &st);
	add_fail("frank", &p, "10.0.0.66", T0 + 1, 2, &st);
	ck_assert(st.locked);
	ck_assert(st.by_rhost);
	/* The attacker's further tries are not counted ... */
	ck_assert_int_eq(add_fail("frank", &p, "10.0.0.66", T0 + 2, 3, &st), TENURE_TALLY_LOCKED);
	ck_assert_int_eq(add_fail("frank", &p, "10.0.0.66", T0 + 3, 4, &st), TENURE_TALLY_LOCKED);
	/* ... so the user is not locked out from elsewhere. */
	st = state("frank", &p, "192.0.2.1", T0 + 4, NULL);
	ck_assert(!st.locked);
	ck_assert_int_eq(st.failures, 2);
	st = state("frank", &p, NULL, T0 + 4, NULL);
	ck_assert(!st.locked);
	/* Distributed guessing still reaches deny. */
	add_fail("frank", &p, "198.51.100.1", T0 + 5, 5, &st);
	add_fail("frank", &p, "198.51.100.2", T0 + 6, 6, &st);
	add_fail("frank", &p, "198.51.100.3", T0 + 7, 7, &st);
	ck_assert(st.locked);
	ck_assert(!st.by_rhost);
}
END_TEST

START_TEST(bounded)
{
	struct tenure_lockout p = pol(0, 600, 0);
	struct tenure_lock_state st;
	size_t n;

	/* deny 0: nothing recorded. */
	ck_assert_int_eq(add_fail("gina", &p, NULL, T0, 1, &st), TENURE_TALLY_OFF);
	state("gina", &p, NULL, T0, &n);
	ck_assert_int_eq(n, 0);
	/* deny 1000: 1000 failures lock, and nothing more is counted. */
	p.deny = 1000;
	for (int i = 0; i < 1010; i++)
		add_fail("gina", &p, NULL, T0 + i / 4, 0, &st);
	state("gina", &p, NULL, T0 + 400, &n);
	ck_assert_int_eq(n, 1000);
	ck_assert(st.locked);
	/* A longer file (written by someone else) is read as its newest
	 * TENURE_TALLY_MAX records, and rewritten at that length. */
	{
		struct tenure_tally *t = tenure_tally_new();
		struct tenure_tally_rec rec;
		char path[400];
		int fd, outcome;
		struct stat sb;

		snprintf(path, sizeof(path), "%s/gina", tdir);
		fd = open(path, O_WRONLY | O_APPEND);
		ck_assert_int_ge(fd, 0);
		for (int i = 0; i < 100; i++) {
			tenure_tally_rec_init(&rec, T0 + 1000 + i, NULL, "tty9", "late");
			rec.flags |= TENURE_TALLY_VALID;
			ck_assert_int_eq(write(fd, &rec, sizeof(rec)), sizeof(rec));
		}
		close(fd);
		ck_assert_int_eq(tenure_tally_read(tdir, "gina", t), 0);
		ck_assert_int_eq(t->n, TENURE_TALLY_MAX);
		ck_assert_int_eq(t->rec[t->n - 1].time, T0 + 1099);
		ck_assert_str_eq(t->rec[t->n - 1].service, "late");
		p.deny = 0;
		p.deny_per_rhost = 1000;   /* no rhost: never locked, always recorded */
		tenure_tally_rec_init(&rec, T0 + 1100, NULL, "tty9", "last");
		ck_assert_int_eq(tenure_tally_fail(tdir, "gina", &p, NULL, &rec, T0 + 1100, &outcome, NULL), 0);
		ck_assert_int_eq(outcome, TENURE_TALLY_COUNTED);
		ck_assert_int_eq(stat(path, &sb), 0);
		ck_assert_int_le(sb.st_size, 16 + TENURE_TALLY_MAX * 128);
		tenure_tally_free(t);
	}
}
END_TEST

START_TEST(refuses_links_and_garbage)
{
	struct tenure_lockout p = pol(3, 600, 0);
	struct tenure_tally_rec rec;
	struct tenure_tally *t = tenure_tally_new();
	char path[400], target[400];
	int outcome, fd;

	add_fail("henry", &p, NULL, T0, 1, NULL);   /* creates the directory */
	snprintf(target, sizeof(target), "%s/target", dir);
	fd = open(target, O_CREAT | O_WRONLY, 0600);
	ck_assert_int_ge(fd, 0);
	close(fd);
	snprintf(path, sizeof(path), "%s/evil", tdir);
	ck_assert_int_eq(symlink(target, path), 0);
	tenure_tally_rec_init(&rec, T0, NULL, NULL, "login");
	ck_assert_int_eq(tenure_tally_fail(tdir, "evil", &p, NULL, &rec, T0, &outcome, NULL), -EPERM);
	ck_assert_int_eq(tenure_tally_read(tdir, "evil", t), -EPERM);
	/* A file that is not a tally. */
	snprintf(path, sizeof(path), "%s/junk", tdir);
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	ck_assert_int_eq(write(fd, "hello, world, not a tally", 25), 25);
	close(fd);
	ck_assert_int_eq(tenure_tally_read(tdir, "junk", t), -EBADMSG);
	ck_assert_int_eq(tenure_tally_fail(tdir, "junk", &p, NULL, &rec, T0, &outcome, NULL), -EBADMSG);
	/* A bad name never becomes a path. */
	ck_assert_int_eq(tenure_tally_fail(tdir, "../henry", &p, NULL, &rec, T0, &outcome, NULL), -EINVAL);
	/* A directory writable by others is refused. */
	ck_assert_int_eq(chmod(tdir, 0777), 0);
	ck_assert_int_eq(tenure_tally_read(tdir, "henry", t), -EPERM);
	ck_assert_int_eq(chmod(tdir, 0700), 0);
	tenure_tally_free(t);
}
END_TEST

START_TEST(concurrent)
{
	struct tenure_lockout p = pol(1000, 600, 0);
	size_t n;
	int status;

	for (int i = 0; i < 50; i++) {
		pid_t pid = fork();
		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			struct tenure_tally_rec rec;
			int outcome;

			tenure_tally_rec_init(&rec, T0, NULL, "tty1", "login");
			_exit(tenure_tally_fail(tdir, "ivan", &p, NULL, &rec, T0, &outcome, NULL) == 0 &&
			      outcome == TENURE_TALLY_COUNTED ? 0 : 1);
		}
	}
	for (int i = 0; i < 50; i++) {
		ck_assert_int_gt(wait(&status), 0);
		ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	state("ivan", &p, NULL, T0, &n);
	ck_assert_int_eq(n, 50);
}
END_TEST

START_TEST(keys_and_hashes)
{
	unsigned char k1[TENURE_TALLY_KEY_LEN], k2[TENURE_TALLY_KEY_LEN];
	unsigned char h1[32], h2[32], h3[32];
	char path[400], err[TENURE_ERRLEN];
	struct stat sb;

	snprintf(path, sizeof(path), "%s/tally.key", dir);
	ck_assert_int_eq(tenure_tally_key_load(path, k1, err, sizeof(err)), 0);
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 07777, 0600);
	ck_assert_int_eq(tenure_tally_key_load(path, k2, err, sizeof(err)), 0);
	ck_assert_mem_eq(k1, k2, sizeof(k1));
	ck_assert_int_eq(tenure_tally_hash(k1, "alice", "guess", h1), 0);
	ck_assert_int_eq(tenure_tally_hash(k1, "alice", "guess", h2), 0);
	ck_assert_mem_eq(h1, h2, sizeof(h1));
	ck_assert_int_eq(tenure_tally_hash(k1, "bob", "guess", h3), 0);
	ck_assert(memcmp(h1, h3, sizeof(h1)) != 0);
	ck_assert_int_eq(tenure_tally_hash(k1, "alice", "guesS", h3), 0);
	ck_assert(memcmp(h1, h3, sizeof(h1)) != 0);
	/* "alice"+"xguess" must not collide with "alicex"+"guess". */
	ck_assert_int_eq(tenure_tally_hash(k1, "alicex", "guess", h2), 0);
	ck_assert_int_eq(tenure_tally_hash(k1, "alice", "xguess", h3), 0);
	ck_assert(memcmp(h2, h3, sizeof(h2)) != 0);
	/* A key readable by others is refused (when root). */
	if (geteuid() == 0) {
		ck_assert_int_eq(chmod(path, 0644), 0);
		ck_assert_int_eq(tenure_tally_key_load(path, k2, err, sizeof(err)), -EPERM);
	}
}
END_TEST

START_TEST(root_policy)
{
	struct tenure_config *cfg = tenure_config_new();
	struct tenure_lockout p;

	ck_assert_ptr_nonnull(cfg);
	tenure_lockout_policy(cfg, 0, &p);
	ck_assert_int_eq(p.deny, 3);
	ck_assert_int_eq(p.unlock_time, 600);
	tenure_lockout_policy(cfg, 1, &p);
	ck_assert_int_eq(p.deny, 0);
	cfg->even_deny_root = 1;
	cfg->root_unlock_time = 60;
	tenure_lockout_policy(cfg, 1, &p);
	ck_assert_int_eq(p.deny, 3);
	ck_assert_int_eq(p.unlock_time, 60);
	cfg->root_unlock_time = -1;
	tenure_lockout_policy(cfg, 1, &p);
	ck_assert_int_eq(p.unlock_time, 600);
	tenure_config_free(cfg);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("tally");
	TCase *tc = tcase_create("store");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, names);
	tcase_add_test(tc, lock_after_deny);
	tcase_add_test(tc, unlock_starts_afresh);
	tcase_add_test(tc, never_unlock);
	tcase_add_test(tc, window);
	tcase_add_test(tc, duplicate_guess);
	tcase_add_test(tc, per_rhost);
	tcase_add_test(tc, bounded);
	tcase_add_test(tc, refuses_links_and_garbage);
	tcase_add_test(tc, concurrent);
	tcase_add_test(tc, keys_and_hashes);
	tcase_add_test(tc, root_policy);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
