/* Unit tests: the event journal (common/journal.c) on a real SQLite file. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tenure/journal.h"

static char dir[64];
static char path[128];
static struct tenure_journal *j;

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/check_journal.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/journal.db", dir);
	ck_assert_int_eq(tenure_journal_open(path, 0, &j), 0);
}

static void teardown(void)
{
	char cmd[160];

	tenure_journal_close(j);
	j = NULL;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static struct tenure_event mk(const char *id, int type, const char *user, int64_t eff)
{
	struct tenure_event ev;

	memset(&ev, 0, sizeof(ev));
	snprintf(ev.id, sizeof(ev.id), "%s", id);
	snprintf(ev.source, sizeof(ev.source), "webhook");
	snprintf(ev.user, sizeof(ev.user), "%s", user);
	ev.type = type;
	ev.effective = eff;
	return ev;
}

START_TEST(add_is_idempotent)
{
	struct tenure_event a = mk("e1", TENURE_EV_LEAVER, "alice", 0);
	struct tenure_event b = mk("e1", TENURE_EV_REHIRE, "bob", 0);
	struct tenure_event got;
	long n = 0;

	ck_assert_int_eq(tenure_journal_add(j, &a), 0);
	ck_assert_int_gt(a.seq, 0);
	ck_assert_int_eq(tenure_journal_add(j, &b), 1);
	ck_assert_int_eq(tenure_journal_count(j, -1, &n), 0);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(tenure_journal_get(j, "e1", &got), 0);
	ck_assert_str_eq(got.user, "alice");
	ck_assert_int_eq(got.type, TENURE_EV_LEAVER);
	ck_assert_int_eq(tenure_journal_get(j, "nope", &got), -ENOENT);
}
END_TEST

START_TEST(add_rejects_incomplete)
{
	struct tenure_event a = mk("", TENURE_EV_LEAVER, "alice", 0);
	struct tenure_event b = mk("x", TENURE_EV_LEAVER, "", 0);

	ck_assert_int_eq(tenure_journal_add(j, &a), -EINVAL);
	ck_assert_int_eq(tenure_journal_add(j, &b), -EINVAL);
}
END_TEST

START_TEST(order_per_user)
{
	struct tenure_event a1 = mk("a1", TENURE_EV_LEAVER, "alice", 0);
	struct tenure_event a2 = mk("a2", TENURE_EV_REHIRE, "alice", 0);
	struct tenure_event b1 = mk("b1", TENURE_EV_LEAVER, "bob", 0);
	struct tenure_event ev;
	double now = 4e9;

	ck_assert_int_eq(tenure_journal_add(j, &a1), 0);
	ck_assert_int_eq(tenure_journal_add(j, &a2), 0);
	ck_assert_int_eq(tenure_journal_add(j, &b1), 0);
	/* a1 first; deferring a1 must not let a2 overtake it, but bob goes */
	ck_assert_int_eq(tenure_journal_next_due(j, now, &ev), 0);
	ck_assert_str_eq(ev.id, "a1");
	ck_assert_int_eq(tenure_journal_defer(j, ev.seq, now + 100, "ldap down", 1), 0);
	ck_assert_int_eq(tenure_journal_next_due(j, now, &ev), 0);
	ck_assert_str_eq(ev.id, "b1");
	ck_assert_int_eq(tenure_journal_mark_applied(j, ev.seq, "uid=bob", now), 0);
	ck_assert_int_eq(tenure_journal_next_due(j, now, &ev), 1);
	ck_assert_int_eq(tenure_journal_next_due(j, now + 101, &ev), 0);
	ck_assert_str_eq(ev.id, "a1");
	ck_assert_int_eq(ev.attempts, 1);
	ck_assert_str_eq(ev.last_error, "ldap down");
	ck_assert_int_eq(tenure_journal_mark_dead(j, ev.seq, "no such user"), 0);
	ck_assert_int_eq(tenure_journal_next_due(j, now + 101, &ev), 0);
	ck_assert_str_eq(ev.id, "a2");
}
END_TEST

START_TEST(future_events_wait)
{
	struct tenure_event f = mk("f1", TENURE_EV_LEAVER, "carol", 2000000000);
	struct tenure_event ev;
	double when = 0;

	ck_assert_int_eq(tenure_journal_add(j, &f), 0);
	ck_assert_int_eq(tenure_journal_next_due(j, 1900000000.0, &ev), 1);
	ck_assert_int_eq(tenure_journal_next_wakeup(j, &when), 0);
	ck_assert(when == 2000000000.0);
	ck_assert_int_eq(tenure_journal_next_prewrite(j, 1900000000.0, &ev), 0);
	ck_assert_str_eq(ev.id, "f1");
	ck_assert_int_eq(tenure_journal_save_prev(j, ev.seq, "uid=carol", "{\"a\":1}", 1), 0);
	ck_assert_int_eq(tenure_journal_next_prewrite(j, 1900000000.0, &ev), 1);
	ck_assert_int_eq(tenure_journal_next_due(j, 2000000001.0, &ev), 0);
	ck_assert_int_eq(ev.prewritten, 1);
}
END_TEST

START_TEST(prev_kept_first_and_found_by_dn)
{
	struct tenure_event l = mk("l1", TENURE_EV_LEAVER, "dave", 0);
	struct tenure_event r = mk("r1", TENURE_EV_REHIRE, "dave", 0);
	char buf[256];

	ck_assert_int_eq(tenure_journal_add(j, &l), 0);
	ck_assert_int_eq(tenure_journal_add(j, &r), 0);
	ck_assert_int_eq(tenure_journal_last_leaver_prev(j, "uid=dave", r.seq, buf, sizeof(buf)),
			 -ENOENT);
	ck_assert_int_eq(tenure_journal_save_prev(j, l.seq, "uid=dave", "{\"orig\":1}", 0), 0);
	/* a retry must not overwrite the originals with the disabled state */
	ck_assert_int_eq(tenure_journal_save_prev(j, l.seq, "uid=dave", "{\"orig\":2}", 0), 0);
	ck_assert_int_eq(tenure_journal_last_leaver_prev(j, "uid=dave", r.seq, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "{\"orig\":1}");
}
END_TEST

/* leaver, leaver, rehire: the rehire gets the state from before the first
 * leaver; after that rehire is applied, a new streak starts. */
START_TEST(prev_of_a_disabled_streak)
{
	struct tenure_event l1 = mk("s-l1", TENURE_EV_LEAVER, "fay", 2000000000);
	struct tenure_event l2 = mk("s-l2", TENURE_EV_LEAVER, "fay", 0);
	struct tenure_event r1 = mk("s-r1", TENURE_EV_REHIRE, "fay", 0);
	struct tenure_event l3 = mk("s-l3", TENURE_EV_LEAVER, "fay", 0);
	struct tenure_event r2 = mk("s-r2", TENURE_EV_REHIRE, "fay", 0);
	char buf[256];

	ck_assert_int_eq(tenure_journal_add(j, &l1), 0);
	ck_assert_int_eq(tenure_journal_add(j, &l2), 0);
	ck_assert_int_eq(tenure_journal_add(j, &r1), 0);
	ck_assert_int_eq(tenure_journal_add(j, &l3), 0);
	ck_assert_int_eq(tenure_journal_add(j, &r2), 0);
	ck_assert_int_eq(tenure_journal_save_prev(j, l1.seq, "uid=fay", "{\"v\":\"orig\"}", 1), 0);
	ck_assert_int_eq(tenure_journal_save_prev(j, l2.seq, "uid=fay", "{\"v\":\"prewritten\"}", 0), 0);
	ck_assert_int_eq(tenure_journal_last_leaver_prev(j, "uid=fay", r1.seq, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "{\"v\":\"orig\"}");
	/* r1 applied; it cancels the future-dated l1 */
	ck_assert_int_eq(tenure_journal_mark_applied(j, r1.seq, "uid=fay", 1.0), 0);
	ck_assert_int_eq(tenure_journal_cancel_scheduled(j, &r1, "uid=fay", 1900000000.0), 1);
	ck_assert_int_eq(tenure_journal_get(j, "s-l1", &l1), 0);
	ck_assert_int_eq(l1.state, TENURE_ST_CANCELLED);
	ck_assert_int_eq(tenure_journal_save_prev(j, l3.seq, "uid=fay", "{\"v\":\"second\"}", 0), 0);
	ck_assert_int_eq(tenure_journal_last_leaver_prev(j, "uid=fay", r2.seq, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "{\"v\":\"second\"}");
}
END_TEST

/* A future-dated leaver does not hold back later events of its user. */
START_TEST(future_leaver_does_not_block)
{
	struct tenure_event f = mk("fb-f", TENURE_EV_LEAVER, "gus", 2000000000);
	struct tenure_event n = mk("fb-n", TENURE_EV_LEAVER, "gus", 0);
	struct tenure_event ev;

	ck_assert_int_eq(tenure_journal_add(j, &f), 0);
	ck_assert_int_eq(tenure_journal_add(j, &n), 0);
	ck_assert_int_eq(tenure_journal_next_due(j, 1900000000.0, &ev), 0);
	ck_assert_str_eq(ev.id, "fb-n");
}
END_TEST

START_TEST(retry_and_release)
{
	struct tenure_event a = mk("d1", TENURE_EV_LEAVER, "ghost", 0);
	struct tenure_event ev;

	ck_assert_int_eq(tenure_journal_add(j, &a), 0);
	ck_assert_int_eq(tenure_journal_retry(j, "d1"), -ENOENT);   /* pending: nothing to do */
	ck_assert_int_eq(tenure_journal_mark_failed(j, a.seq, "boom"), 0);
	ck_assert_int_eq(tenure_journal_retry(j, "d1"), 0);
	ck_assert_int_eq(tenure_journal_get(j, "d1", &ev), 0);
	ck_assert_int_eq(ev.state, TENURE_ST_PENDING);
	ck_assert_int_eq(ev.attempts, 0);
	ck_assert_int_eq(tenure_journal_release_has(j, "abc"), 0);
	ck_assert_int_eq(tenure_journal_release_add(j, "abc", "x.csv"), 0);
	ck_assert_int_eq(tenure_journal_release_has(j, "abc"), 1);
}
END_TEST

/* A child adds an event and is killed without closing: the event is there. */
START_TEST(survives_kill)
{
	struct tenure_event ev;
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct tenure_journal *cj;
		struct tenure_event a = mk("k1", TENURE_EV_LEAVER, "erin", 0);
		if (tenure_journal_open(path, 0, &cj) || tenure_journal_add(cj, &a))
			_exit(1);
		kill(getpid(), SIGKILL);
		_exit(2);
	}
	waitpid(pid, NULL, 0);
	ck_assert_int_eq(tenure_journal_get(j, "k1", &ev), 0);
	ck_assert_str_eq(ev.user, "erin");
}
END_TEST

START_TEST(names_round_trip)
{
	ck_assert_int_eq(tenure_ev_type_parse("leaver"), TENURE_EV_LEAVER);
	ck_assert_int_eq(tenure_ev_type_parse("REHIRE"), TENURE_EV_REHIRE);
	ck_assert_int_eq(tenure_ev_type_parse("joiner"), -1);
	ck_assert_int_eq(tenure_ev_state_parse("dead"), TENURE_ST_DEAD);
	ck_assert_int_eq(tenure_ev_state_parse("zombie"), -1);
	ck_assert_str_eq(tenure_ev_state_name(TENURE_ST_APPLIED), "applied");
}
END_TEST

START_TEST(readonly_open_of_missing_file)
{
	struct tenure_journal *r = NULL;

	ck_assert_int_ne(tenure_journal_open("/nonexistent/dir/j.db", TENURE_JOURNAL_RDONLY, &r), 0);
	ck_assert_ptr_null(r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("journal");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, add_is_idempotent);
	tcase_add_test(tc, add_rejects_incomplete);
	tcase_add_test(tc, order_per_user);
	tcase_add_test(tc, future_events_wait);
	tcase_add_test(tc, prev_kept_first_and_found_by_dn);
	tcase_add_test(tc, prev_of_a_disabled_streak);
	tcase_add_test(tc, future_leaver_does_not_block);
	tcase_add_test(tc, retry_and_release);
	tcase_add_test(tc, survives_kill);
	tcase_add_test(tc, names_round_trip);
	tcase_add_test(tc, readonly_open_of_missing_file);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
