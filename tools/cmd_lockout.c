/* tenurectl lockout show [USER] | reset USER — the failed-login tallies.
 *
 * Reads the same tally files, with the same code and lock rule, as
 * pam_tenure (common/tally.c).  Needs to run as the owner of `dir` (root).
 */
#include "ctl.h"
#include "tenure/account.h"
#include "tenure/tally.h"

#include <errno.h>
#include <jansson.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct show {
	struct ctl *ctl;
	const struct tenure_config *cfg;
	const char *rhost;
	int64_t now;
	int verbose;         /* one user: list the records too */
	json_t *arr;         /* --json */
	int errors;
};

static void fmt_time(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!t || !gmtime_r(&tt, &tm) || !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, len, "-");
}

static long uid_of(const char *user)
{
	struct passwd pw, *res = NULL;
	char buf[4096];
	long uid = -1;

	if (tenure_local_user(user, &uid) == 1)
		return uid;
	if (getpwnam_r(user, &pw, buf, sizeof(buf), &res) == 0 && res)
		return (long)pw.pw_uid;
	return -1;
}

static json_t *records_json(const struct tenure_tally *t)
{
	json_t *a = json_array();
	char when[32];

	for (size_t i = 0; i < t->n; i++) {
		const struct tenure_tally_rec *r = &t->rec[i];
		fmt_time(r->time, when, sizeof(when));
		json_array_append_new(a, json_pack("{s:I,s:s,s:s,s:s,s:s,s:b}",
			"time", (json_int_t)r->time, "when", when,
			"source", r->source,
			"source_type", (r->flags & TENURE_TALLY_RHOST) ? "rhost" : (r->flags & TENURE_TALLY_TTY) ? "tty" : "",
			"service", r->service, "valid", (r->flags & TENURE_TALLY_VALID) != 0));
	}
	return a;
}

static int show_one(void *vctx, const char *user)
{
	struct show *s = vctx;
	struct tenure_lockout pol;
	struct tenure_lock_state st;
	struct tenure_tally *t = tenure_tally_new();
	char until[32], latest[32];
	int rc;

	if (!t) {
		ctl_err(s->ctl, "out of memory");
		s->errors++;
		return 1;
	}
	rc = tenure_tally_read(s->cfg->dir, user, t);
	if (rc) {
		ctl_err(s->ctl, "%s: %s/%s: %s", user, s->cfg->dir, user, strerror(-rc));
		s->errors++;
		goto out;
	}
	tenure_lockout_policy(s->cfg, tenure_account_privileged(s->cfg, user, uid_of(user)), &pol);
	tenure_tally_eval(t, &pol, s->rhost, s->now, &st);
	fmt_time(st.latest, latest, sizeof(latest));
	if (st.locked && st.locked_until)
		fmt_time(st.locked_until, until, sizeof(until));
	else
		snprintf(until, sizeof(until), st.locked ? "admin" : "-");
	if (s->arr) {
		json_t *o = json_pack("{s:s,s:i,s:i,s:b,s:b,s:s,s:I,s:s,s:s,s:s}",
			"user", user, "failures", st.failures, "records", (int)t->n,
			"locked", st.locked, "locked_by_source", st.by_rhost,
			"locked_until", until, "locked_until_time", (json_int_t)(st.locked ? st.locked_until : 0),
			"last_failure", latest, "last_source", st.last_source,
			"last_service", st.last_service);
		if (o && s->verbose)
			json_object_set_new(o, "entries", records_json(t));
		json_array_append_new(s->arr, o);
		goto out;
	}
	printf("%-20s failures=%-3d locked=%-3s until=%-20s last=%s source=%s service=%s\n",
	       user, st.failures, st.locked ? "yes" : "no", until, latest,
	       st.last_source[0] ? st.last_source : "-", st.last_service[0] ? st.last_service : "-");
	for (size_t i = 0; s->verbose && i < t->n; i++) {
		const struct tenure_tally_rec *r = &t->rec[i];
		fmt_time(r->time, latest, sizeof(latest));
		printf("  %s  %-5s %-24s %-12s%s\n", latest,
		       (r->flags & TENURE_TALLY_RHOST) ? "rhost" : (r->flags & TENURE_TALLY_TTY) ? "tty" : "-",
		       r->source[0] ? r->source : "-", r->service[0] ? r->service : "-",
		       (r->flags & TENURE_TALLY_VALID) ? "" : "  (not counted)");
	}
out:
	tenure_tally_free(t);
	return 0;
}

static int lockout_show(struct ctl *ctl, const struct tenure_config *cfg, const char *user,
			const char *rhost)
{
	struct show s = { .ctl = ctl, .cfg = cfg, .rhost = rhost, .now = time(NULL) };
	int rc = 0;

	if (ctl->json)
		s.arr = json_array();
	if (user) {
		if (!tenure_tally_name_ok(user)) {
			ctl_err(ctl, "%s: not a valid user name", user);
			json_decref(s.arr);
			return 2;
		}
		s.verbose = 1;
		show_one(&s, user);
	} else {
		rc = tenure_tally_list(cfg->dir, show_one, &s);
		if (rc) {
			ctl_err(ctl, "%s: %s", cfg->dir, strerror(-rc));
			s.errors++;
		}
	}
	if (s.arr) {
		json_t *doc = user && json_array_size(s.arr) == 1 ? json_incref(json_array_get(s.arr, 0)) : json_incref(s.arr);
		json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
		putchar('\n');
		json_decref(doc);
		json_decref(s.arr);
	}
	return s.errors ? 1 : 0;
}

static int lockout_reset(struct ctl *ctl, const struct tenure_config *cfg, const char *user)
{
	int rc;

	if (!tenure_tally_name_ok(user)) {
		ctl_err(ctl, "%s: not a valid user name", user);
		return 2;
	}
	rc = tenure_tally_reset(cfg->dir, user);
	if (rc) {
		ctl_err(ctl, "%s: cannot reset %s/%s: %s", user, cfg->dir, user, strerror(-rc));
		return 1;
	}
	if (ctl->json) {
		json_t *o = json_pack("{s:s,s:b}", "user", user, "reset", 1);
		if (o) {
			json_dumpf(o, stdout, JSON_SORT_KEYS);
			putchar('\n');
			json_decref(o);
		}
	} else
		printf("%s: failed-login tally cleared\n", user);
	return 0;
}

int cmd_lockout(struct ctl *ctl, int argc, char **argv)
{
	struct tenure_config *cfg;
	const char *rhost = ctl_take_opt(&argc, argv, "--rhost");
	int rc;

	if (argc < 2 || (strcmp(argv[1], "show") == 0 && argc > 3) ||
	    (strcmp(argv[1], "reset") == 0 && argc != 3) ||
	    (strcmp(argv[1], "show") && strcmp(argv[1], "reset"))) {
		ctl_err(ctl, "usage: lockout show [USER] [--rhost HOST] | lockout reset USER  [--json]");
		return 2;
	}
	if (ctl_load_config(ctl, 1, &cfg))
		return 1;
	if (strcmp(argv[1], "show") == 0)
		rc = lockout_show(ctl, cfg, argc == 3 ? argv[2] : NULL, rhost);
	else
		rc = lockout_reset(ctl, cfg, argv[2]);
	tenure_config_free(cfg);
	return rc;
}
