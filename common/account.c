/* tenure — account state and the account-phase verdict (see account.h). */
#include "tenure/account.h"
#include "tenure/config.h"
#include "tenure/history.h"
#include "tenure/ldap.h"
#include "tenure/names.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <shadow.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define NO_ROTATION 99999L

static const char *const verdict_names[] = {
	[TENURE_V_OK] = "ok",
	[TENURE_V_WARN] = "warn",
	[TENURE_V_CHANGE] = "change",
	[TENURE_V_PW_EXPIRED] = "password-expired",
	[TENURE_V_EXPIRED] = "expired",
	[TENURE_V_DISABLED] = "disabled",
	[TENURE_V_LOCKOUT] = "locked-out",
	[TENURE_V_UNKNOWN] = "unknown",
	[TENURE_V_UNAVAIL] = "unavailable",
	[TENURE_V_ERROR] = "error",
};

const char *tenure_verdict_name(int verdict)
{
	if (verdict < 0 || verdict > TENURE_V_ERROR)
		return "error";
	return verdict_names[verdict];
}

static void info_init(struct tenure_acct_info *info, int source)
{
	memset(info, 0, sizeof(*info));
	info->source = source;
	info->uid = TENURE_ACCT_UNSET;
	info->last_change = TENURE_ACCT_UNSET;
	info->max_days = TENURE_ACCT_UNSET;
	info->warn_days = TENURE_ACCT_UNSET;
	info->inactive_days = TENURE_ACCT_UNSET;
	info->expire = TENURE_ACCT_UNSET;
}

int tenure_local_user(const char *user, long *uid)
{
	FILE *f = fopen("/etc/passwd", "re");
	struct passwd pw, *res = NULL;
	size_t len = 4096;
	char *buf = malloc(len);
	int found = 0, rc;

	if (!f || !buf) {
		rc = f ? -ENOMEM : -errno;
		free(buf);
		if (f)
			fclose(f);
		return rc;
	}
	/* A line longer than the buffer gives ERANGE with the stream put back
	 * at its start: grow and read it again, so one long GECOS does not
	 * hide the accounts after it. */
	while ((rc = fgetpwent_r(f, &pw, buf, len, &res)) == 0 || (rc == ERANGE && len < (1u << 20))) {
		if (rc == ERANGE) {
			char *nb = realloc(buf, len * 2);
			if (!nb)
				break;
			buf = nb;
			len *= 2;
			continue;
		}
		if (strcmp(pw.pw_name, user) == 0) {
			*uid = (long)pw.pw_uid;
			found = 1;
			break;
		}
	}
	free(buf);
	fclose(f);
	return found;
}

void tenure_account_from_shadow(const struct spwd *sp, struct tenure_acct_info *info)
{
	info->last_change = sp->sp_lstchg >= 0 ? sp->sp_lstchg : TENURE_ACCT_UNSET;
	info->max_days = sp->sp_max >= 0 ? sp->sp_max : TENURE_ACCT_UNSET;
	info->warn_days = sp->sp_warn >= 0 ? sp->sp_warn : TENURE_ACCT_UNSET;
	info->inactive_days = sp->sp_inact >= 0 ? sp->sp_inact : TENURE_ACCT_UNSET;
	info->expire = sp->sp_expire >= 0 ? sp->sp_expire : TENURE_ACCT_UNSET;
}

int tenure_account_read_local(const char *user, struct tenure_acct_info *info)
{
	struct spwd sp, *res = NULL;
	char buf[4096];
	long uid = -1;
	FILE *f;
	int rc;

	info_init(info, TENURE_ACCT_LOCAL);
	rc = tenure_local_user(user, &uid);
	if (rc <= 0)
		return rc ? rc : -ENOENT;
	info->uid = uid;
	f = fopen("/etc/shadow", "re");
	if (!f)
		return errno == ENOENT ? 0 : -errno;   /* no shadow file: no aging */
	while (fgetspent_r(f, &sp, buf, sizeof(buf), &res) == 0) {
		if (strcmp(sp.sp_namp, user) == 0) {
			tenure_account_from_shadow(&sp, info);
			break;
		}
	}
	fclose(f);
	return 0;
}

int tenure_parse_gentime(const char *s, int64_t *out)
{
	struct tm tm;
	size_t n = strspn(s, "0123456789");
	const char *p;
	time_t t;

	if (n < 12)
		return -EINVAL;
	memset(&tm, 0, sizeof(tm));
	if (sscanf(s, "%4d%2d%2d%2d%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
		   &tm.tm_hour, &tm.tm_min) != 5)
		return -EINVAL;
	if (n >= 14)
		tm.tm_sec = (s[12] - '0') * 10 + (s[13] - '0');
	p = s + n;
	if (*p == '.' || *p == ',')
		p += 1 + strspn(p + 1, "0123456789");
	if (strcmp(p, "Z") != 0)
		return -EINVAL;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	if (tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
	    tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
		return -EINVAL;
	t = timegm(&tm);
	*out = (int64_t)t;
	return 0;
}

static long get_days(struct tenure_ldap_res *r, tenure_ldap_entry *e, const char *attr)
{
	long v;

	if (tenure_ldap_get_long(r, e, attr, -1, 10L * 1000 * 1000, &v) != 0 || v < 0)
		return TENURE_ACCT_UNSET;
	return v;
}

static int get_true(struct tenure_ldap_res *r, tenure_ldap_entry *e, const char *attr)
{
	char v[16];

	return tenure_ldap_get_str(r, e, attr, v, sizeof(v)) == 0 && strcasecmp(v, "TRUE") == 0;
}

static void fill_from_entry(struct tenure_ldap_res *r, tenure_ldap_entry *e,
			    struct tenure_acct_info *info)
{
	char v[64];
	int64_t t;

	info->last_change = get_days(r, e, "shadowLastChange");
	if (info->last_change == TENURE_ACCT_UNSET &&
	    tenure_ldap_get_str(r, e, "pwdChangedTime", v, sizeof(v)) == 0 &&
	    tenure_parse_gentime(v, &t) == 0 && t >= 0)
		info->last_change = (long)(t / 86400);
	info->max_days = get_days(r, e, "shadowMax");
	info->warn_days = get_days(r, e, "shadowWarning");
	info->inactive_days = get_days(r, e, "shadowInactive");
	info->expire = get_days(r, e, "shadowExpire");
	info->pwd_locked = tenure_ldap_count_values(r, e, "pwdAccountLockedTime") > 0;
	info->ns_locked = get_true(r, e, "nsAccountLock");
	info->pwd_reset = get_true(r, e, "pwdReset");
	if (tenure_ldap_get_str(r, e, "tenureDisabledAt", info->disabled_at, sizeof(info->disabled_at)) == 0)
		info->disabled = 1;
	else
		info->disabled_at[0] = '\0';
	if (tenure_ldap_get_str(r, e, "tenureDisabledReason", info->disabled_reason,
				sizeof(info->disabled_reason)) != 0)
		info->disabled_reason[0] = '\0';
}

/* Exactly one entry, whose uid equals user byte for byte, with uidNumber
 * >= nss_min_uid. */
static int pick_entry(const struct tenure_config *cfg, struct tenure_ldap_res *r, const char *user,
		      tenure_ldap_entry **out, long *uid)
{
	tenure_ldap_entry *e;
	char **uids = NULL;
	int match = 0;

	if (tenure_ldap_res_count(r) != 1)
		return -ENOENT;
	e = tenure_ldap_first(r);
	if (tenure_ldap_get_strs(r, e, "uid", 16, TENURE_NAME_MAX, &uids) != 0)
		return -ENOENT;
	for (size_t i = 0; uids[i]; i++)
		if (strcmp(uids[i], user) == 0)
			match = 1;
	tenure_strv_free(uids);
	if (!match)
		return -ENOENT;
	if (tenure_ldap_get_long(r, e, "uidNumber", 0, 4294967294L, uid) != 0 || *uid < cfg->nss_min_uid)
		return -ENOENT;
	*out = e;
	return 0;
}

/* The one entry of an LDAP account (rules of tenure_account_read_ldap),
 * searched with attrs ("uid" and "uidNumber" among them) on h or, when h
 * is NULL, on a session of its own in *own (the caller closes it and frees
 * *r either way). */
static int find_ldap_entry(const struct tenure_config *cfg, struct tenure_ldap *h,
			   const char *user, const char *const *attrs, struct tenure_ldap **own,
			   struct tenure_ldap_res **r, tenure_ldap_entry **e, long *uid,
			   char *err, size_t errlen)
{
	const char *base = cfg->base_passwd ? cfg->base_passwd : cfg->base;
	char esc[3 * TENURE_NAME_MAX + 1], filter[4096];
	int rc;

	*own = NULL;
	*r = NULL;
	if (err && errlen)
		err[0] = '\0';
	if (!tenure_name_valid(cfg->validnames, user) || tenure_ldap_escape(user, esc, sizeof(esc)))
		return -ENOENT;
	if ((size_t)snprintf(filter, sizeof(filter), "(&%s(uid=%s))", cfg->filter_passwd, esc) >= sizeof(filter))
		return -EINVAL;
	if (!h) {
		rc = tenure_ldap_open(cfg, cfg->binddn ? TENURE_LDAP_SERVICE : TENURE_LDAP_ANON, own);
		if (rc)
			return rc;
		h = *own;
	}
	rc = tenure_ldap_search(h, base ? base : "", LDAP_SCOPE_SUBTREE, filter, attrs, 2, r);
	if (rc) {
		if (err && errlen)
			snprintf(err, errlen, "%s", tenure_ldap_error(h));
		return rc;
	}
	return pick_entry(cfg, *r, user, e, uid);
}

int tenure_account_read_ldap(const struct tenure_config *cfg, struct tenure_ldap *h,
			     const char *user, struct tenure_acct_info *info,
			     char *err, size_t errlen)
{
	static const char *const attrs[] = {
		"uid", "uidNumber", "shadowLastChange", "shadowMax", "shadowWarning",
		"shadowInactive", "shadowExpire", "pwdChangedTime", "pwdAccountLockedTime",
		"nsAccountLock", "pwdReset", "tenureDisabledAt", "tenureDisabledReason", NULL,
	};
	struct tenure_ldap *own;
	struct tenure_ldap_res *r;
	tenure_ldap_entry *e = NULL;
	int rc;

	info_init(info, TENURE_ACCT_LDAP);
	rc = find_ldap_entry(cfg, h, user, attrs, &own, &r, &e, &info->uid, err, errlen);
	if (rc == 0) {
		if (tenure_ldap_get_dn(r, e, info->dn, sizeof(info->dn)) != 0)
			info->dn[0] = '\0';
		fill_from_entry(r, e, info);
	}
	tenure_ldap_res_free(r);
	tenure_ldap_close(own);
	return rc;
}

int tenure_account_ldap_history(const struct tenure_config *cfg, const char *user, char ***out,
				char *err, size_t errlen)
{
	static const char *const attrs[] = { "uid", "uidNumber", "tenurePasswordHistory", NULL };
	struct tenure_ldap *own;
	struct tenure_ldap_res *r;
	tenure_ldap_entry *e = NULL;
	long uid;
	int rc;

	*out = NULL;
	rc = find_ldap_entry(cfg, NULL, user, attrs, &own, &r, &e, &uid, err, errlen);
	if (rc == 0)
		rc = tenure_ldap_get_strs(r, e, "tenurePasswordHistory", TENURE_HIST_MAX,
					  TENURE_PHC_MAX, out);
	tenure_ldap_res_free(r);
	tenure_ldap_close(own);
	return rc;
}

static int in_group(const char *group, const char *user, long uid)
{
	struct group gr, *grp = NULL;
	struct passwd pw, *pwp = NULL;
	size_t len = 16384;
	char *buf = NULL;
	int rc, found = 0;

	for (;;) {
		char *nb = realloc(buf, len);
		if (!nb)
			goto out;
		buf = nb;
		rc = getgrnam_r(group, &gr, buf, len, &grp);
		if (rc != ERANGE || len >= (1u << 20))
			break;
		len *= 2;
	}
	if (rc || !grp)
		goto out;
	for (char **m = gr.gr_mem; m && *m; m++)
		if (strcmp(*m, user) == 0)
			found = 1;
	if (!found) {
		gid_t gid = gr.gr_gid;
		char pbuf[4096];

		if (getpwnam_r(user, &pw, pbuf, sizeof(pbuf), &pwp) == 0 && pwp &&
		    pw.pw_gid == gid && (uid < 0 || (long)pw.pw_uid == uid))
			found = 1;
	}
out:
	free(buf);
	return found;
}

int tenure_account_privileged(const struct tenure_config *cfg, const char *user, long uid)
{
	if (uid == 0)
		return 1;
	return cfg->admin_group && *cfg->admin_group && in_group(cfg->admin_group, user, uid);
}

static long stricter_min(long entry, long conf)
{
	if (entry == TENURE_ACCT_UNSET)
		return conf;
	if (conf == TENURE_ACCT_UNSET)
		return entry;
	return entry < conf ? entry : conf;
}

static void set(struct tenure_acct_result *res, int verdict, const char *reason, long days)
{
	res->verdict = verdict;
	res->reason = reason;
	res->days = days;
}

static void eval_aging(const struct tenure_config *cfg, const struct tenure_acct_info *info,
		       long today, struct tenure_acct_result *res)
{
	long max = stricter_min(info->max_days, cfg->max_days);
	long warn = info->warn_days > cfg->warn_days ? info->warn_days : cfg->warn_days;
	long inact = stricter_min(info->inactive_days,
				  cfg->inactive_days < 0 ? TENURE_ACCT_UNSET : cfg->inactive_days);
	long last = info->last_change, age;

	if (last == TENURE_ACCT_UNSET)
		return;
	if (last == 0) {
		set(res, TENURE_V_CHANGE, "change-required", 0);
		snprintf(res->detail, sizeof(res->detail), "last password change is 0: change now");
		return;
	}
	if (max == TENURE_ACCT_UNSET || max >= NO_ROTATION)
		return;
	age = today - last;
	if (inact != TENURE_ACCT_UNSET && age > max + inact) {
		set(res, TENURE_V_PW_EXPIRED, "password-inactive", age - max);
		snprintf(res->detail, sizeof(res->detail),
			 "password expired %ld days ago, past the %ld inactive days", age - max, inact);
	} else if (age > max) {
		set(res, TENURE_V_CHANGE, "password-too-old", age - max);
		snprintf(res->detail, sizeof(res->detail), "password expired %ld days ago (max %ld days)",
			 age - max, max);
	} else if (warn > 0 && age > max - warn) {
		set(res, TENURE_V_WARN, "password-expiring", max - age);
		snprintf(res->detail, sizeof(res->detail), "password expires in %ld days", max - age);
	}
}

void tenure_account_eval(const struct tenure_config *cfg, const struct tenure_acct_info *info,
			 long today, struct tenure_acct_result *res)
{
	memset(res, 0, sizeof(*res));
	set(res, TENURE_V_OK, "ok", 0);
	if (info->expire != TENURE_ACCT_UNSET && info->expire <= today) {
		set(res, TENURE_V_EXPIRED, "account-expired", today - info->expire);
		snprintf(res->detail, sizeof(res->detail), "account expired on day %ld", info->expire);
		return;
	}
	if (info->disabled || info->pwd_locked || info->ns_locked) {
		set(res, TENURE_V_DISABLED,
		    info->disabled ? "disabled" : info->pwd_locked ? "ppolicy-locked" : "nsaccountlock", 0);
		if (info->disabled)
			snprintf(res->detail, sizeof(res->detail), "disabled at %s%s%s", info->disabled_at,
				 info->disabled_reason[0] ? ": " : "", info->disabled_reason);
		else
			snprintf(res->detail, sizeof(res->detail), "%s",
				 info->pwd_locked ? "pwdAccountLockedTime is set" : "nsAccountLock is TRUE");
		return;
	}
	if (info->pwd_reset) {
		set(res, TENURE_V_CHANGE, "password-reset", 0);
		snprintf(res->detail, sizeof(res->detail), "password was reset: change it now");
		return;
	}
	eval_aging(cfg, info, today, res);
}

static void unavailable(struct tenure_acct_result *res, int rc, const char *err)
{
	switch (rc) {
	case -ENOENT:
		set(res, TENURE_V_UNKNOWN, "no-such-user", 0);
		break;
	case -EHOSTUNREACH:
	case -ETIMEDOUT:
	case -EACCES:
	case -EPROTO:
	case -ECONNREFUSED:
		set(res, TENURE_V_UNAVAIL, "ldap-unavailable", 0);
		break;
	default:
		set(res, TENURE_V_ERROR, "lookup-error", 0);
		break;
	}
	if (rc == -ENOENT)
		snprintf(res->detail, sizeof(res->detail), "not a local account, nor one in the directory that may log in");
	else
		snprintf(res->detail, sizeof(res->detail), "%s", err && *err ? err : strerror(-rc));
}

int tenure_account_verdict(const struct tenure_config *cfg, const char *user, const char *rhost,
			   int64_t now, struct tenure_acct_result *res)
{
	struct tenure_acct_info info;
	struct tenure_lockout pol;
	struct tenure_tally *t = NULL;
	struct tenure_lock_state lock;
	char err[TENURE_ERRLEN] = "";
	long uid = -1;
	int rc;

	memset(res, 0, sizeof(*res));
	if (!user || !tenure_name_valid(cfg->validnames, user)) {
		set(res, TENURE_V_UNKNOWN, "invalid-user-name", 0);
		return -ENOENT;
	}
	rc = tenure_local_user(user, &uid);
	if (rc < 0) {
		unavailable(res, rc, "cannot read /etc/passwd");
		return rc;
	}
	/* A directory account read anonymously may hide exactly the markers
	 * that disable it (shadowExpire, pwdAccountLockedTime,
	 * tenureDisabledAt): without binddn the verdict would let a leaver
	 * with an SSH key in.  Refuse unless the admin says the directory
	 * shows them to anonymous readers. */
	if (rc == 0 && !cfg->binddn && !cfg->account_anonymous) {
		set(res, TENURE_V_UNAVAIL, "no-binddn", 0);
		snprintf(res->detail, sizeof(res->detail),
			 "directory accounts need binddn to read their state (or account_anonymous yes)");
		return -EACCES;
	}
	rc = rc ? tenure_account_read_local(user, &info)
		: tenure_account_read_ldap(cfg, NULL, user, &info, err, sizeof(err));
	if (rc) {
		unavailable(res, rc, err);
		return rc;
	}
	tenure_account_eval(cfg, &info, (long)(now / 86400), res);
	if (res->verdict == TENURE_V_EXPIRED || res->verdict == TENURE_V_DISABLED)
		return 0;
	tenure_lockout_policy(cfg, tenure_account_privileged(cfg, user, info.uid), &pol);
	if (!pol.deny && !pol.deny_per_rhost)
		return 0;
	t = tenure_tally_new();
	if (!t) {
		set(res, TENURE_V_ERROR, "out-of-memory", 0);
		return -ENOMEM;
	}
	rc = tenure_tally_read(cfg->dir, user, t);
	if (rc) {
		tenure_tally_free(t);
		if (!cfg->fail_closed)
			return 0;
		set(res, TENURE_V_ERROR, "tally-unreadable", 0);
		snprintf(res->detail, sizeof(res->detail), "%s: %s", cfg->dir, strerror(-rc));
		return rc;
	}
	tenure_tally_eval(t, &pol, rhost, now, &lock);
	tenure_tally_free(t);
	res->lock = lock;
	if (lock.locked) {
		set(res, TENURE_V_LOCKOUT, lock.by_rhost ? "locked-out-source" : "locked-out", 0);
		if (lock.locked_until)
			snprintf(res->detail, sizeof(res->detail), "%d failures; locked for %lld more seconds",
				 lock.failures, (long long)(lock.locked_until - now));
		else
			snprintf(res->detail, sizeof(res->detail), "%d failures; locked until an admin resets it",
				 lock.failures);
	}
	return 0;
}
