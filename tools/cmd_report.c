/* tenurectl report — the evidence an assessor asks for.
 *
 * For the directory's accounts and the local ones: the effective policy and
 * where each value came from; passwords older than max_days or never
 * changed; accounts locked now and failures in the last N days; leavers
 * with the time from HR event to disable; disabled accounts still in a
 * group that grants sudo; the audit chain.  Each control says pass or fail
 * and why, with the clauses it answers (MLPS 2.0 / GB/T 22239-2019
 * 8.1.4.1, PCI DSS v4.0 8.2-8.3).
 *
 *   tenurectl report [--json|--csv] [--days N] [--journal FILE] [--audit-log FILE]
 */
#include "ctl.h"
#include "tenure/account.h"
#include "tenure/audit.h"
#include "tenure/journal.h"
#include "tenure/ldap.h"
#include "tenure/tally.h"

#include <errno.h>
#include <jansson.h>
#include <pwd.h>
#include <shadow.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_LIST 100000

enum { FMT_TEXT, FMT_JSON, FMT_CSV };

struct acct {
	char user[TENURE_EV_USER_MAX + 1];
	const char *source;        /* "ldap" or "local" */
	long age_days;             /* days since the last change, -1 unknown */
	long max_days;             /* effective maximum */
	int never_changed;
	int disabled;              /* disabled/expired in the directory */
	char dn[512];
};

struct report {
	const struct tenure_config *cfg;
	int64_t now;
	long today;
	int days;                  /* failure window */
	json_t *policy;            /* [{key, value, source}] */
	json_t *controls;          /* [{id, title, refs, result, why}] */
	json_t *too_old;           /* accounts */
	json_t *never;
	json_t *locked;
	json_t *failures;
	json_t *leavers;
	json_t *sudo_disabled;
	json_t *notes;
	struct acct *accts;
	size_t n_accts, cap_accts;
	int ldap_ok;
	char ldap_err[256];
};

static const char *const policy_keys[] = {
	"policy", "minlen", "minclass", "dcredit", "ucredit", "lcredit", "ocredit", "maxrepeat",
	"maxsequence", "usercheck", "gecoscheck", "dictcheck", "breached_filter", "difok", "remember",
	"enforcing", "enforce_for_root", "min_days", "max_days", "warn_days", "inactive_days",
	"deny", "fail_interval", "unlock_time", "even_deny_root", "session_timeout", NULL,
};

static void control(struct report *r, const char *id, const char *title, const char *refs,
		    int pass, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static void control(struct report *r, const char *id, const char *title, const char *refs,
		    int pass, const char *fmt, ...)
{
	char why[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	json_array_append_new(r->controls, json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", id,
						     "title", title, "refs", refs,
						     "result", pass ? "pass" : "fail", "why", why));
}

static void add_acct(struct report *r, const struct acct *a)
{
	if (r->n_accts == r->cap_accts) {
		size_t cap = r->cap_accts ? r->cap_accts * 2 : 256;
		struct acct *n = realloc(r->accts, cap * sizeof(*n));
		if (!n)
			return;
		r->accts = n;
		r->cap_accts = cap;
	}
	r->accts[r->n_accts++] = *a;
}

static void policy_section(struct report *r)
{
	char val[1024], where[512];

	for (size_t i = 0; policy_keys[i]; i++) {
		tenure_config_format(r->cfg, policy_keys[i], val, sizeof(val));
		tenure_config_source(r->cfg, policy_keys[i], where, sizeof(where));
		json_array_append_new(r->policy, json_pack("{s:s, s:s, s:s}", "key", policy_keys[i],
							   "value", val, "source", where));
	}
}

static void policy_controls(struct report *r)
{
	const struct tenure_config *c = r->cfg;
	int composed = c->minclass >= 3 || (c->dcredit < 0) + (c->ucredit < 0) + (c->lcredit < 0) + (c->ocredit < 0) >= 3;
	int long_checked = c->minlen >= 15 && c->dictcheck;

	control(r, "C1", "Password complexity", "GB/T 22239 8.1.4.1 a; PCI DSS 8.3.6",
		c->minlen >= 12 && (composed || long_checked) && c->enforcing,
		"minlen %d, minclass %d, dictcheck %s, enforcing %s (needs 12+ characters and 3 classes, or 15+ with the dictionary check, enforced)",
		c->minlen, c->minclass, c->dictcheck ? "yes" : "no", c->enforcing ? "yes" : "no");
	if (c->max_days >= 99999)
		control(r, "C2", "Scheduled password change", "GB/T 22239 8.1.4.1 a; PCI DSS 8.3.9", 0,
			"max_days %d: no scheduled rotation (NIST SP 800-63B leaves it out; MLPS and PCI DSS ask for it)",
			c->max_days);
	else
		control(r, "C2", "Scheduled password change", "GB/T 22239 8.1.4.1 a; PCI DSS 8.3.9",
			c->max_days <= 90, "max_days %d (90 or less required)", c->max_days);
	control(r, "C3", "Password history", "PCI DSS 8.3.7", c->remember >= 4,
		"remember %d (the last 4 or more refused)", c->remember);
	{
		char unlock[48];

		if (c->unlock_time == 0)
			snprintf(unlock, sizeof(unlock), "never (an admin unlocks)");
		else
			snprintf(unlock, sizeof(unlock), "%d s", c->unlock_time);
		control(r, "C4", "Login-failure handling (lockout)", "GB/T 22239 8.1.4.1 b; PCI DSS 8.3.4",
			c->deny >= 1 && c->deny <= 10 && (c->unlock_time == 0 || c->unlock_time >= 1800),
			"deny %d within %d s, unlock_time %s (at most 10 failures; locked 30 minutes or until an admin unlocks)",
			c->deny, c->fail_interval, unlock);
	}
	if (c->session_timeout)
		control(r, "C5", "Idle session timeout", "GB/T 22239 8.1.4.1 b; PCI DSS 8.2.8",
			c->session_timeout <= 900, "session_timeout %d s (15 minutes or less required)", c->session_timeout);
	else
		control(r, "C5", "Idle session timeout", "GB/T 22239 8.1.4.1 b; PCI DSS 8.2.8", 0,
			"session_timeout 0: idle sessions never end");
}

/* ---- accounts ---- */

static void ldap_accounts(struct report *r)
{
	static const char *const attrs[] = {
		"uid", "uidNumber", "shadowLastChange", "shadowMax", "shadowExpire",
		"pwdAccountLockedTime", "nsAccountLock", "tenureDisabledAt", NULL,
	};
	const struct tenure_config *c = r->cfg;
	struct tenure_ldap *h = NULL;
	struct tenure_ldap_pager *p = NULL;
	struct tenure_ldap_res *page = NULL;
	const char *base = c->base_passwd ? c->base_passwd : (c->base ? c->base : "");
	int rc;

	if (c->n_uri == 0) {
		snprintf(r->ldap_err, sizeof(r->ldap_err), "no uri configured");
		return;
	}
	tenure_ldap_open(c, c->binddn ? TENURE_LDAP_SERVICE : TENURE_LDAP_ANON, &h);
	rc = tenure_ldap_pager_start(h, base, LDAP_SCOPE_SUBTREE, c->filter_passwd, attrs, c->pagesize, &p);
	while (rc == 0 && (rc = tenure_ldap_pager_next(p, &page)) == 0) {
		for (tenure_ldap_entry *e = tenure_ldap_first(page); e; e = tenure_ldap_next(page, e)) {
			struct acct a = { .source = "ldap", .age_days = -1 };
			long uidn, last = -1, max = -1, expire = -1;
			char buf[64];

			if (tenure_ldap_get_str(page, e, "uid", a.user, sizeof(a.user)) ||
			    tenure_ldap_get_long(page, e, "uidNumber", 0, 4294967294L, &uidn) ||
			    uidn < c->nss_min_uid)
				continue;
			tenure_ldap_get_dn(page, e, a.dn, sizeof(a.dn));
			tenure_ldap_get_long(page, e, "shadowLastChange", -1, 1L << 40, &last);
			tenure_ldap_get_long(page, e, "shadowMax", -1, 1L << 40, &max);
			tenure_ldap_get_long(page, e, "shadowExpire", -1, 1L << 40, &expire);
			a.disabled = (expire >= 0 && expire <= r->today) ||
				     tenure_ldap_get_str(page, e, "pwdAccountLockedTime", buf, sizeof(buf)) == 0 ||
				     tenure_ldap_get_str(page, e, "tenureDisabledAt", buf, sizeof(buf)) == 0 ||
				     (tenure_ldap_get_str(page, e, "nsAccountLock", buf, sizeof(buf)) == 0 &&
				      strcasecmp(buf, "true") == 0);
			a.max_days = (max > 0 && max < c->max_days) ? max : c->max_days;
			a.never_changed = last <= 0;
			a.age_days = last > 0 ? r->today - last : -1;
			add_acct(r, &a);
		}
		tenure_ldap_res_free(page);
		page = NULL;
	}
	if (rc < 0)
		snprintf(r->ldap_err, sizeof(r->ldap_err), "%s", tenure_ldap_error(h));
	else
		r->ldap_ok = 1;
	tenure_ldap_pager_free(p);
	tenure_ldap_close(h);
}

static void local_accounts(struct report *r)
{
	FILE *f = fopen("/etc/shadow", "re");
	struct spwd sp, *res;
	char buf[4096];

	if (!f) {
		json_array_append_new(r->notes, json_string("/etc/shadow not readable: local accounts not checked (run as root)"));
		return;
	}
	while (fgetspent_r(f, &sp, buf, sizeof(buf), &res) == 0) {
		struct acct a = { .source = "local", .age_days = -1 };
		long uid;

		/* Only accounts that can log in with a password. */
		if (!sp.sp_pwdp || sp.sp_pwdp[0] == '!' || sp.sp_pwdp[0] == '*' || !sp.sp_pwdp[0])
			continue;
		if (tenure_local_user(sp.sp_namp, &uid) != 1 || (uid != 0 && uid < r->cfg->nss_min_uid))
			continue;
		snprintf(a.user, sizeof(a.user), "%s", sp.sp_namp);
		a.max_days = (sp.sp_max > 0 && sp.sp_max < r->cfg->max_days) ? sp.sp_max : r->cfg->max_days;
		a.never_changed = sp.sp_lstchg == 0;
		a.age_days = sp.sp_lstchg > 0 ? r->today - sp.sp_lstchg : -1;
		a.disabled = sp.sp_expire >= 0 && sp.sp_expire <= r->today;
		add_acct(r, &a);
	}
	fclose(f);
}

static void age_controls(struct report *r)
{
	long old = 0, never = 0;

	for (size_t i = 0; i < r->n_accts; i++) {
		const struct acct *a = &r->accts[i];

		if (a->disabled)
			continue;
		if (a->never_changed) {
			never++;
			json_array_append_new(r->never, json_pack("{s:s, s:s}", "user", a->user, "source", a->source));
		} else if (a->age_days >= 0 && a->max_days < 99999 && a->age_days > a->max_days) {
			old++;
			json_array_append_new(r->too_old, json_pack("{s:s, s:s, s:I, s:I}", "user", a->user,
								    "source", a->source, "age_days", (json_int_t)a->age_days,
								    "max_days", (json_int_t)a->max_days));
		}
	}
	control(r, "C6", "Passwords older than max_days", "GB/T 22239 8.1.4.1 a; PCI DSS 8.3.9", old == 0,
		"%ld of %zu active accounts have a password older than their max_days", old, r->n_accts);
	control(r, "C7", "Passwords never changed", "PCI DSS 8.3.5", never == 0,
		"%ld active accounts still have their first password (shadowLastChange 0 or unset)", never);
}

struct tally_ctx {
	struct report *r;
	struct tenure_tally *t;
	long locked_now, failures;
};

static int tally_one(void *ctx, const char *user)
{
	struct tally_ctx *tc = ctx;
	struct tenure_lockout pol;
	struct tenure_lock_state st;
	long recent = 0;

	if (tenure_tally_read(tc->r->cfg->dir, user, tc->t) < 0)
		return 0;
	tenure_lockout_policy(tc->r->cfg, 0, &pol);
	tenure_tally_eval(tc->t, &pol, NULL, tc->r->now, &st);
	for (size_t i = 0; i < tc->t->n; i++)
		if (tc->t->rec[i].time >= tc->r->now - (int64_t)tc->r->days * 86400)
			recent++;
	if (st.locked) {
		tc->locked_now++;
		json_array_append_new(tc->r->locked, json_pack("{s:s, s:i, s:I, s:s}", "user", user,
							       "failures", st.failures,
							       "locked_until", (json_int_t)st.locked_until,
							       "last_source", st.last_source));
	}
	if (recent) {
		tc->failures += recent;
		json_array_append_new(tc->r->failures, json_pack("{s:s, s:I}", "user", user, "failures", (json_int_t)recent));
	}
	return 0;
}

static void lockout_section(struct report *r)
{
	struct tally_ctx tc = { .r = r, .t = tenure_tally_new() };
	int rc;

	if (!tc.t)
		return;
	rc = tenure_tally_list(r->cfg->dir, tally_one, &tc);
	tenure_tally_free(tc.t);
	if (rc == 0 || rc == -ENOENT)
		control(r, "C8", "Failed logins recorded and acted on", "GB/T 22239 8.1.4.1 b; PCI DSS 8.3.4, 10.2.1.4", 1,
			"%ld failures in the last %d days, %ld accounts locked now (tally in %s)",
			tc.failures, r->days, tc.locked_now, r->cfg->dir);
	else
		control(r, "C8", "Failed logins recorded and acted on", "GB/T 22239 8.1.4.1 b; PCI DSS 8.3.4, 10.2.1.4", 0,
			"tally directory %s unreadable: %s", r->cfg->dir, strerror(-rc));
}

/* ---- leavers ---- */

struct leaver_ctx {
	struct report *r;
	long applied, waiting, broken;
	double worst;
};

static int leaver_one(void *ctx, const struct tenure_event *ev)
{
	struct leaver_ctx *lc = ctx;
	double start = ev->effective > ev->received ? (double)ev->effective : ev->received;
	json_t *o;

	if (ev->type != TENURE_EV_LEAVER)
		return 0;
	o = json_pack("{s:s, s:s, s:s, s:s, s:f}", "id", ev->id, "user", ev->user[0] ? ev->user : ev->employee_id,
		      "source", ev->source, "state", tenure_ev_state_name(ev->state), "received", ev->received);
	if (ev->state == TENURE_ST_APPLIED) {
		double ms = (ev->applied - start) * 1000.0;
		lc->applied++;
		if (ms > lc->worst)
			lc->worst = ms;
		json_object_set_new(o, "ms_to_disable", json_real(ms < 0 ? 0 : ms));
	} else if (ev->state == TENURE_ST_PENDING) {
		if (start <= (double)lc->r->now - 60)
			lc->waiting++;
	} else {
		lc->broken++;
		json_object_set_new(o, "error", json_string(ev->last_error));
	}
	json_array_append_new(lc->r->leavers, o);
	return 0;
}

static void leaver_section(struct report *r, const char *path)
{
	struct tenure_journal *j = NULL;
	struct leaver_ctx lc = { .r = r };
	struct stat st;

	if (stat(path, &st) < 0) {
		control(r, "C9", "Leavers disabled promptly", "GB/T 22239 8.1.4.2 c; PCI DSS 8.2.5", 1,
			"no event journal at %s on this host (tenure-syncd runs elsewhere or not at all)", path);
		return;
	}
	if (tenure_journal_open(path, TENURE_JOURNAL_RDONLY, &j) < 0) {
		control(r, "C9", "Leavers disabled promptly", "GB/T 22239 8.1.4.2 c; PCI DSS 8.2.5", 0,
			"journal %s cannot be read", path);
		return;
	}
	tenure_journal_list(j, -1, MAX_LIST, leaver_one, &lc);
	tenure_journal_close(j);
	control(r, "C9", "Leavers disabled promptly", "GB/T 22239 8.1.4.2 c; PCI DSS 8.2.5",
		lc.waiting == 0 && lc.broken == 0,
		"%ld leavers disabled (slowest %.0f ms from HR event to disable), %ld overdue, %ld failed or dead-lettered",
		lc.applied, lc.worst, lc.waiting, lc.broken);
}

/* ---- disabled accounts in sudo groups ---- */

static const struct acct *find_acct(const struct report *r, const char *user, const char *dn)
{
	for (size_t i = 0; i < r->n_accts; i++) {
		if (user && strcmp(r->accts[i].user, user) == 0 && strcmp(r->accts[i].source, "ldap") == 0)
			return &r->accts[i];
		if (dn && strcasecmp(r->accts[i].dn, dn) == 0)
			return &r->accts[i];
	}
	return NULL;
}

static void sudo_section(struct report *r)
{
	static const char *const attrs[] = { "cn", "memberUid", "member", "uniqueMember", NULL };
	const struct tenure_config *c = r->cfg;
	const char *base = c->base_group ? c->base_group : (c->base ? c->base : "");
	char esc[512], filter[1024];
	struct tenure_ldap *h = NULL;
	struct tenure_ldap_res *res = NULL;
	long found = 0;
	int rc;

	if (c->n_uri == 0) {
		control(r, "C10", "No disabled account keeps sudo", "GB/T 22239 8.1.4.2 c, d; PCI DSS 7.2.4", 1,
			"no directory configured");
		return;
	}
	if (!r->ldap_ok) {
		control(r, "C10", "No disabled account keeps sudo", "GB/T 22239 8.1.4.2 c, d; PCI DSS 7.2.4", 0,
			"directory not reachable: %s", r->ldap_err);
		return;
	}
	esc[0] = '\0';
	if (c->admin_group)
		tenure_ldap_escape(c->admin_group, esc, sizeof(esc));
	snprintf(filter, sizeof(filter), "(&%s(|(cn=sudo)(cn=wheel)(cn=admin)(cn=sudoers)%s%s%s))",
		 c->filter_group, esc[0] ? "(cn=" : "", esc, esc[0] ? ")" : "");
	tenure_ldap_open(c, c->binddn ? TENURE_LDAP_SERVICE : TENURE_LDAP_ANON, &h);
	rc = tenure_ldap_search(h, base, LDAP_SCOPE_SUBTREE, filter, attrs, 0, &res);
	for (tenure_ldap_entry *e = rc ? NULL : tenure_ldap_first(res); e; e = tenure_ldap_next(res, e)) {
		char cn[256], **v = NULL;
		static const char *const member_attrs[] = { "memberUid", "member", "uniqueMember" };

		if (tenure_ldap_get_str(res, e, "cn", cn, sizeof(cn)))
			continue;
		for (size_t k = 0; k < 3; k++) {
			if (tenure_ldap_get_strs(res, e, member_attrs[k], MAX_LIST, 1024, &v))
				continue;
			for (size_t i = 0; v[i]; i++) {
				const struct acct *a = k == 0 ? find_acct(r, v[i], NULL) : find_acct(r, NULL, v[i]);
				if (a && a->disabled) {
					found++;
					json_array_append_new(r->sudo_disabled, json_pack("{s:s, s:s}", "user", a->user, "group", cn));
				}
			}
			tenure_strv_free(v);
			v = NULL;
		}
	}
	tenure_ldap_res_free(res);
	tenure_ldap_close(h);
	if (rc)
		control(r, "C10", "No disabled account keeps sudo", "GB/T 22239 8.1.4.2 c, d; PCI DSS 7.2.4", 0,
			"group search failed: %s", strerror(-rc));
	else
		control(r, "C10", "No disabled account keeps sudo", "GB/T 22239 8.1.4.2 c, d; PCI DSS 7.2.4", found == 0,
			"%ld disabled accounts are still members of a group that grants sudo (sudo, wheel, admin%s%s)",
			found, c->admin_group ? ", " : "", c->admin_group ? c->admin_group : "");
}

static void audit_section(struct report *r, const char *path)
{
	char err[TENURE_ERRLEN];
	long lines = 0, bad = 0;
	int rc;

	if (access(path, F_OK) < 0) {
		control(r, "C11", "Audit record intact", "GB/T 22239 8.1.4.3 c; PCI DSS 10.3.2", 0,
			"no audit log at %s", path);
		return;
	}
	rc = tenure_audit_verify(path, &lines, &bad, err, sizeof(err));
	if (rc == 0)
		control(r, "C11", "Audit record intact", "GB/T 22239 8.1.4.3 c; PCI DSS 10.3.2", 1,
			"%s: %ld lines, hash chain intact", path, lines);
	else
		control(r, "C11", "Audit record intact", "GB/T 22239 8.1.4.3 c; PCI DSS 10.3.2", 0,
			"%s: chain broken at line %ld: %s", path, bad, err);
}

static void directory_control(struct report *r)
{
	if (r->ldap_ok)
		control(r, "C0", "Directory reachable", "-", 1, "%zu accounts read (directory and local)", r->n_accts);
	else if (r->cfg->n_uri)
		control(r, "C0", "Directory reachable", "-", 0, "directory unreachable: %s", r->ldap_err);
	else
		control(r, "C0", "Directory reachable", "-", 1, "no directory configured; %zu local accounts", r->n_accts);
}

/* ---- output ---- */

static void print_text(const struct report *r)
{
	char stamp[32];
	struct tm tm;
	time_t t = (time_t)r->now;
	size_t i;
	json_t *v;
	int fails = 0;

	gmtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	printf("tenure compliance report — %s\n\nEffective policy\n", stamp);
	json_array_foreach(r->policy, i, v)
		printf("  %-18s %-32s %s\n", json_string_value(json_object_get(v, "key")),
		       json_string_value(json_object_get(v, "value")), json_string_value(json_object_get(v, "source")));
	printf("\nControls\n");
	json_array_foreach(r->controls, i, v) {
		int pass = strcmp(json_string_value(json_object_get(v, "result")), "pass") == 0;
		fails += !pass;
		printf("  [%s] %-4s %s (%s)\n         %s\n", pass ? "PASS" : "FAIL",
		       json_string_value(json_object_get(v, "id")), json_string_value(json_object_get(v, "title")),
		       json_string_value(json_object_get(v, "refs")), json_string_value(json_object_get(v, "why")));
	}
	printf("\nFindings\n");
	json_array_foreach(r->too_old, i, v)
		printf("  password too old   %-20s %-6s %lld days (max %lld)\n", json_string_value(json_object_get(v, "user")),
		       json_string_value(json_object_get(v, "source")), json_integer_value(json_object_get(v, "age_days")),
		       json_integer_value(json_object_get(v, "max_days")));
	json_array_foreach(r->never, i, v)
		printf("  never changed      %-20s %s\n", json_string_value(json_object_get(v, "user")),
		       json_string_value(json_object_get(v, "source")));
	json_array_foreach(r->locked, i, v)
		printf("  locked now         %-20s %lld failures, last from %s\n", json_string_value(json_object_get(v, "user")),
		       json_integer_value(json_object_get(v, "failures")), json_string_value(json_object_get(v, "last_source")));
	json_array_foreach(r->failures, i, v)
		printf("  failed logins      %-20s %lld in the last %d days\n", json_string_value(json_object_get(v, "user")),
		       json_integer_value(json_object_get(v, "failures")), r->days);
	json_array_foreach(r->leavers, i, v) {
		json_t *ms = json_object_get(v, "ms_to_disable");
		printf("  leaver             %-20s %-8s %s", json_string_value(json_object_get(v, "user")),
		       json_string_value(json_object_get(v, "source")), json_string_value(json_object_get(v, "state")));
		if (ms)
			printf(", disabled %.0f ms after the HR event", json_real_value(ms));
		printf("\n");
	}
	json_array_foreach(r->sudo_disabled, i, v)
		printf("  disabled in sudo   %-20s group %s\n", json_string_value(json_object_get(v, "user")),
		       json_string_value(json_object_get(v, "group")));
	json_array_foreach(r->notes, i, v)
		printf("  note: %s\n", json_string_value(v));
	printf("\n%zu controls, %d failed\n", json_array_size(r->controls), fails);
}

static void csv_field(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"')
			putchar('"');
		putchar(*s);
	}
	putchar('"');
}

static void print_csv(const struct report *r)
{
	size_t i;
	json_t *v;

	printf("id,result,title,refs,why\n");
	json_array_foreach(r->controls, i, v) {
		static const char *const cols[] = { "id", "result", "title", "refs", "why" };
		for (size_t k = 0; k < 5; k++) {
			if (k)
				putchar(',');
			csv_field(json_string_value(json_object_get(v, cols[k])));
		}
		putchar('\n');
	}
}

int cmd_report(struct ctl *ctl, int argc, char **argv)
{
	struct tenure_config *cfg = NULL;
	struct report r = { 0 };
	const char *days_s, *journal, *audit;
	int fmt = ctl->json ? FMT_JSON : FMT_TEXT, fails = 0;
	long days = 30;
	size_t i;
	json_t *v;

	if (ctl_take_flag(&argc, argv, "--csv"))
		fmt = FMT_CSV;
	days_s = ctl_take_opt(&argc, argv, "--days");
	journal = ctl_take_opt(&argc, argv, "--journal");
	audit = ctl_take_opt(&argc, argv, "--audit-log");
	if (argc != 1 || (days_s && tenure_parse_long(days_s, 1, 3650, &days))) {
		ctl_err(ctl, "usage: report [--json|--csv] [--days N] [--journal FILE] [--audit-log FILE]");
		return 2;
	}
	if (ctl_load_config(ctl, 1, &cfg))
		return 1;
	r.cfg = cfg;
	r.now = (int64_t)time(NULL);
	r.today = (long)(r.now / 86400);
	r.days = (int)days;
	r.policy = json_array();
	r.controls = json_array();
	r.too_old = json_array();
	r.never = json_array();
	r.locked = json_array();
	r.failures = json_array();
	r.leavers = json_array();
	r.sudo_disabled = json_array();
	r.notes = json_array();

	policy_section(&r);
	ldap_accounts(&r);
	local_accounts(&r);
	directory_control(&r);
	policy_controls(&r);
	age_controls(&r);
	lockout_section(&r);
	leaver_section(&r, journal ? journal : cfg->journal);
	sudo_section(&r);
	audit_section(&r, audit ? audit : cfg->audit_log);

	json_array_foreach(r.controls, i, v)
		fails += strcmp(json_string_value(json_object_get(v, "result")), "pass") != 0;
	if (fmt == FMT_JSON) {
		json_t *doc = json_pack("{s:I, s:o, s:o, s:{s:o, s:o, s:o, s:o}, s:o, s:o, s:o, s:i}",
					"generated", (json_int_t)r.now, "policy", r.policy, "controls", r.controls,
					"accounts", "password_too_old", r.too_old, "never_changed", r.never,
					"locked", r.locked, "failures", r.failures,
					"leavers", r.leavers, "disabled_in_sudo_groups", r.sudo_disabled,
					"notes", r.notes, "failed_controls", fails);
		json_dumpf(doc, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(doc);
	} else {
		if (fmt == FMT_CSV)
			print_csv(&r);
		else
			print_text(&r);
		json_decref(r.policy);
		json_decref(r.controls);
		json_decref(r.too_old);
		json_decref(r.never);
		json_decref(r.locked);
		json_decref(r.failures);
		json_decref(r.leavers);
		json_decref(r.sudo_disabled);
		json_decref(r.notes);
	}
	free(r.accts);
	tenure_config_free(cfg);
	return fails ? 1 : 0;
}
