/* pam_tenure — the password phase (pam_sm_chauthtok).
 *
 * PAM_PRELIM_CHECK: LDAP accounts: ask the current password and bind as the
 * user with it (wrong -> PAM_AUTH_ERR); both kinds: refuse a change sooner
 * than min_days after the last one (root exempt).
 * PAM_UPDATE_AUTHTOK: ask the new password (or take PAM_AUTHTOK with
 * use_authtok), check it against the policy and the history, listing every
 * failed rule in one message, ask it again, then
 *   - LDAP accounts: bind as the user, write it with the Password Modify
 *     extended operation (or, with passwd_hash argon2id, replace
 *     userPassword with {ARGON2}$argon2id$...), set shadowLastChange to
 *     today and append the history (tenurePasswordHistory on the entry, or
 *     the local store when the directory lacks the tenure schema);
 *   - local accounts: set PAM_AUTHTOK for `pam_unix.so use_authtok`, append
 *     the local history and answer PAM_IGNORE, so that the stack goes on
 *     to pam_unix (`[success=done ignore=ignore default=die]` works for
 *     both kinds of account).
 * Every buffer that held a password is wiped; none reaches the log.
 */
#include "module.h"
#include "tenure/history.h"
#include "tenure/policy.h"
#include "tenure/secret.h"

#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <shadow.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* -fvisibility=hidden: the PAM entry points must be exported explicitly. */
#define PT_EXPORT __attribute__((visibility("default")))

#define PW_BYTES_MAX 4096   /* longest password sent anywhere, bytes */

struct account {
	int ldap;                  /* 1: directory account, 0: local */
	char dn[1024];
	char gecos[512];
	long last_change;          /* days, -1 unknown */
	int has_class;             /* entry carries tenureAccount */
	int read_ok;               /* the entry could be read as the user */
	char **hist;               /* history entries, oldest first */
	int hist_local;            /* history lives in the local store */
};

static int warned_no_schema;  /* "directory lacks the schema", once per process */

static void account_free(struct account *a)
{
	tenure_strv_free(a->hist);
	a->hist = NULL;
}

/* Tests point the message catalogue at the build tree; setuid callers
 * (passwd) get NULL from secure_getenv and keep the installed one. */
static void locale_override(void)
{
	const char *dir = secure_getenv("TENURE_LOCALEDIR");

	if (dir && *dir)
		bindtextdomain(TENURE_TEXTDOMAIN, dir);
}

static int is_root(const struct pt_ctx *ctx)
{
	return getuid() == 0 && !(ctx->flags & PAM_CHANGE_EXPIRED_AUTHTOK);
}

/* ---- reading the account ---- */

static void local_info(const char *user, struct account *a)
{
	struct passwd pw, *pres = NULL;
	struct spwd sp, *sres = NULL;
	char buf[4096];
	FILE *f;

	a->last_change = -1;
	if ((f = fopen("/etc/passwd", "re"))) {
		while (fgetpwent_r(f, &pw, buf, sizeof(buf), &pres) == 0)
			if (strcmp(pw.pw_name, user) == 0) {
				snprintf(a->gecos, sizeof(a->gecos), "%s", pw.pw_gecos ? pw.pw_gecos : "");
				break;
			}
		fclose(f);
	}
	if ((f = fopen("/etc/shadow", "re"))) {
		while (fgetspent_r(f, &sp, buf, sizeof(buf), &sres) == 0)
			if (strcmp(sp.sp_namp, user) == 0) {
				a->last_change = sp.sp_lstchg;
				break;
			}
		fclose(f);
		secret_wipe(buf, sizeof(buf));
	}
}

/* Find the entry (service or anonymous session) for its DN. */
static int ldap_locate(struct pt_ctx *ctx, struct account *a)
{
	struct tenure_ldap *h = NULL;
	struct tenure_ldap_res *res = NULL;
	tenure_ldap_entry *e;
	int rc;

	rc = tenure_ldap_open(ctx->cfg, ctx->cfg->binddn ? TENURE_LDAP_SERVICE : TENURE_LDAP_ANON, &h);
	if (rc)
		return rc;
	rc = pt_ldap_find_user(ctx, h, NULL, &res, &e, a->dn, sizeof(a->dn));
	tenure_ldap_res_free(res);
	tenure_ldap_close(h);
	return rc;
}

/* Read what the user may read of their own entry. */
static void ldap_read_self(struct pt_ctx *ctx, struct tenure_ldap *uh, struct account *a)
{
	static const char *const attrs[] = { "gecos", "cn", "shadowLastChange", "objectClass",
					     "tenurePasswordHistory", NULL };
	struct tenure_ldap_res *res = NULL;
	tenure_ldap_entry *e;
	char **ocs = NULL;

	a->last_change = -1;
	if (tenure_ldap_search(uh, a->dn, LDAP_SCOPE_BASE, "(objectClass=*)", attrs, 1, &res) ||
	    !(e = tenure_ldap_first(res))) {
		tenure_ldap_res_free(res);
		return;
	}
	a->read_ok = 1;
	if (tenure_ldap_get_str(res, e, "gecos", a->gecos, sizeof(a->gecos)))
		(void)tenure_ldap_get_str(res, e, "cn", a->gecos, sizeof(a->gecos));
	(void)tenure_ldap_get_long(res, e, "shadowLastChange", -1, 1000000, &a->last_change);
	if (tenure_ldap_get_strs(res, e, "objectClass", 64, 256, &ocs) == 0) {
		for (size_t i = 0; ocs[i]; i++)
			if (strcasecmp(ocs[i], "tenureAccount") == 0)
				a->has_class = 1;
		tenure_strv_free(ocs);
	}
	(void)tenure_ldap_get_strs(res, e, "tenurePasswordHistory", TENURE_HIST_MAX,
				   TENURE_PHC_MAX, &a->hist);
	tenure_ldap_res_free(res);
}

/* Where the history of an LDAP account lives: the entry when the directory
 * knows tenureAccount, else the local store (warned once per process). */
static void ldap_history_place(struct pt_ctx *ctx, struct tenure_ldap *uh, struct account *a)
{
	int has = tenure_ldap_has_objectclass(uh, "tenureAccount");

	if (has == 1)
		return;
	a->hist_local = 1;
	if (!warned_no_schema) {
		warned_no_schema = 1;
		pt_audit(ctx, LOG_WARNING, "warn", "no-tenure-schema",
			 "detail=\"directory lacks objectClass tenureAccount; password history kept in history_dir\"");
	}
}

static int map_ldap_err(int rc)
{
	switch (rc) {
	case -EACCES: return PAM_AUTH_ERR;
	case -EPERM: return PAM_PERM_DENIED;
	case -ENOENT: return PAM_USER_UNKNOWN;
	case -EHOSTUNREACH: case -ETIMEDOUT: return PAM_AUTHINFO_UNAVAIL;
	default: return PAM_AUTHTOK_ERR;
	}
}

/* ---- prompts ---- */

static int ask(struct pt_ctx *ctx, const char *prompt, char **out)
{
	char *resp = NULL;
	int rc = pam_prompt(ctx->pamh, PAM_PROMPT_ECHO_OFF, &resp, "%s", prompt);

	if (rc != PAM_SUCCESS) {
		secret_free(resp);
		return rc;
	}
	if (!resp)
		return PAM_CONV_ERR;
	*out = resp;
	return PAM_SUCCESS;
}

/* The current password: PAM_OLDAUTHTOK when an earlier module set it,
 * else asked.  *out is a copy to free with secret_free. */
static int get_old(struct pt_ctx *ctx, char **out)
{
	const void *item = NULL;
	char *pw = NULL;
	int rc;

	if (pam_get_item(ctx->pamh, PAM_OLDAUTHTOK, &item) == PAM_SUCCESS && item) {
		*out = secret_strdup(item);
		return *out ? PAM_SUCCESS : PAM_BUF_ERR;
	}
	rc = ask(ctx, _("Current password: "), &pw);
	if (rc != PAM_SUCCESS)
		return rc;
	if (!*pw || strlen(pw) > PW_BYTES_MAX) {
		secret_free(pw);
		pt_error(ctx, "%s", _("The current password is wrong."));
		return PAM_AUTH_ERR;
	}
	*out = pw;
	return PAM_SUCCESS;
}

static int bind_user(struct pt_ctx *ctx, struct account *a, const char *pw, struct tenure_ldap **uh)
{
	struct tenure_ppolicy pp;
	int rc = tenure_ldap_open_user(ctx->cfg, a->dn, pw, &pp, uh);

	if (rc == -EACCES || rc == -EINVAL) {
		pt_error(ctx, "%s", _("The current password is wrong."));
		pt_audit(ctx, LOG_NOTICE, "deny", "wrong-current-password", NULL);
		return PAM_AUTH_ERR;
	}
	if (rc) {
		pt_error(ctx, "%s", _("The password cannot be changed now: the directory is not reachable."));
		pt_audit(ctx, LOG_ERR, "error", "ldap", "detail=%d", rc);
		return rc == -EPERM ? PAM_PERM_DENIED : PAM_AUTHINFO_UNAVAIL;
	}
	return PAM_SUCCESS;
}

static int too_soon(struct pt_ctx *ctx, const struct account *a)
{
	long today = pt_today();

	if (is_root(ctx) || ctx->cfg->min_days <= 0 || a->last_change <= 0)
		return 0;
	if (a->last_change + ctx->cfg->min_days <= today)
		return 0;
	pt_error(ctx, _("The password was changed less than %d days ago and cannot be changed yet."),
		 ctx->cfg->min_days);
	pt_audit(ctx, LOG_NOTICE, "deny", "min_days", "last_change=%ld min_days=%d",
		 a->last_change, ctx->cfg->min_days);
	return 1;
}

/* ---- the policy ---- */

static void report(struct pt_ctx *ctx, const struct tenure_pw_result *res, int enforced)
{
	char msg[2048], line[512], codes[256] = "";
	size_t off, coff = 0;

	off = (size_t)snprintf(msg, sizeof(msg), "%s",
			       enforced ? _("The new password was refused:")
					: _("Warning: the new password does not meet the policy:"));
	for (int i = 0; i < res->n && off < sizeof(msg); i++) {
		tenure_policy_format(res->reason[i], res->arg[i], line, sizeof(line));
		off += (size_t)snprintf(msg + off, sizeof(msg) - off, "\n  - %s", line);
		if (coff < sizeof(codes))
			coff += (size_t)snprintf(codes + coff, sizeof(codes) - coff, "%s%s",
						 i ? "," : "", tenure_policy_code(res->reason[i]));
	}
	pt_error(ctx, "%s", msg);
	pt_audit(ctx, LOG_NOTICE, enforced ? "deny" : "warn", "policy", "rules=%s", codes);
}

/* Check a candidate; returns 1 when it may be used (accepted, or refused
 * but not enforced), 0 when refused. */
static int acceptable(struct pt_ctx *ctx, const struct tenure_policy *pol, const struct account *a,
		      const char *oldpw, const char *pw)
{
	struct tenure_pw_account acct = { ctx->user, a->gecos[0] ? a->gecos : NULL, oldpw };
	struct tenure_pw_result res;
	size_t len = strlen(pw);
	int enforced = ctx->cfg->enforcing && (!is_root(ctx) || ctx->cfg->enforce_for_root);

	tenure_policy_check(pol, pw, len, &acct, &res);
	if (len <= PW_BYTES_MAX && ctx->cfg->remember > 0 &&
	    tenure_history_find(a->hist, pw, len) >= 0)
		tenure_policy_result_add(&res, TENURE_PW_REUSED, ctx->cfg->remember);
	if (res.n == 0)
		return 1;
	/* An empty, invalid or oversized password is never used. */
	if (res.reason[0] == TENURE_PW_EMPTY || res.reason[0] == TENURE_PW_BAD_UTF8 ||
	    len > PW_BYTES_MAX)
		enforced = 1;
	report(ctx, &res, enforced);
	return !enforced;
}

/* One round: ask, check, ask again.  PAM_SUCCESS with *out set, PAM_TRY_AGAIN
 * for a refused or mistyped password, or a conversation error. */
static int new_password_once(struct pt_ctx *ctx, const struct tenure_policy *pol,
			     const struct account *a, const char *oldpw, char **out)
{
	char *pw = NULL, *again = NULL;
	int rc;

	rc = ask(ctx, _("New password: "), &pw);
	if (rc != PAM_SUCCESS)
		return rc;
	if (!acceptable(ctx, pol, a, oldpw, pw)) {
		rc = PAM_TRY_AGAIN;
		goto out;
	}
	rc = ask(ctx, _("Retype new password: "), &again);
	if (rc != PAM_SUCCESS)
		goto out;
	if (strcmp(pw, again) != 0) {
		pt_error(ctx, "%s", _("Sorry, the passwords do not match."));
		pt_audit(ctx, LOG_NOTICE, "deny", "retype-mismatch", NULL);
		rc = PAM_TRY_AGAIN;
		goto out;
	}
	*out = pw;
	pw = NULL;
out:
	secret_free(pw);
	secret_free(again);
	return rc;
}

static int get_new(struct pt_ctx *ctx, const struct tenure_policy *pol, const struct account *a,
		   const char *oldpw, char **out)
{
	int rc = PAM_AUTHTOK_ERR;

	if (ctx->use_authtok) {
		const void *item = NULL;

		if (pam_get_item(ctx->pamh, PAM_AUTHTOK, &item) != PAM_SUCCESS || !item)
			return PAM_AUTHTOK_ERR;
		if (!acceptable(ctx, pol, a, oldpw, item))
			return PAM_AUTHTOK_ERR;
		*out = secret_strdup(item);
		return *out ? PAM_SUCCESS : PAM_BUF_ERR;
	}
	for (int i = 0; i < ctx->cfg->retry; i++) {
		rc = new_password_once(ctx, pol, a, oldpw, out);
		if (rc != PAM_TRY_AGAIN)
			break;
	}
	if (rc == PAM_TRY_AGAIN) {
		pt_error(ctx, "%s", _("The password has not been changed."));
		rc = PAM_MAXTRIES;
	}
	return rc;
}

/* ---- writing ---- */

static int write_ldap_password(struct pt_ctx *ctx, struct tenure_ldap *uh, const struct account *a,
			       const char *oldpw, const char *pw)
{
	char phc[TENURE_PHC_MAX], val[TENURE_PHC_MAX + 16];
	char *vals[2] = { val, NULL };
	LDAPMod mod = { LDAP_MOD_REPLACE, "userPassword", { vals } }, *mods[2] = { &mod, NULL };
	int rc;

	if (ctx->cfg->passwd_hash == TENURE_HASH_EXOP)
		return tenure_ldap_passwd(uh, a->dn, oldpw, pw);
	rc = tenure_history_hash(pw, strlen(pw), ctx->cfg->history_m_cost, ctx->cfg->history_t_cost,
				 phc, sizeof(phc));
	if (rc)
		return rc;
	snprintf(val, sizeof(val), "{ARGON2}%s", phc);
	rc = tenure_ldap_modify(uh, a->dn, mods);
	secret_wipe(val, sizeof(val));
	return rc;
}

static int write_last_change(struct tenure_ldap *uh, const struct account *a)
{
	char day[32];
	char *vals[2] = { day, NULL };
	LDAPMod mod = { LDAP_MOD_REPLACE, "shadowLastChange", { vals } }, *mods[2] = { &mod, NULL };

	snprintf(day, sizeof(day), "%ld", pt_today());
	return tenure_ldap_modify(uh, a->dn, mods);
}

static int write_ldap_history(struct tenure_ldap *uh, const struct account *a, char **list)
{
	char *oc[2] = { "tenureAccount", NULL };
	LDAPMod add_oc = { LDAP_MOD_ADD, "objectClass", { oc } };
	LDAPMod hist = { LDAP_MOD_REPLACE, "tenurePasswordHistory", { list } };
	LDAPMod *mods[3] = { NULL, NULL, NULL };
	int n = 0;

	if (!a->has_class)
		mods[n++] = &add_oc;
	mods[n++] = &hist;
	return tenure_ldap_modify(uh, a->dn, mods);
}

/* The new history: the current (old) password first when the history is
 * empty, so that the password being replaced counts too, then the new one. */
static int record_history(struct pt_ctx *ctx, struct tenure_ldap *uh, const struct account *a,
			  const char *oldpw, const char *pw)
{
	const struct tenure_config *c = ctx->cfg;
	char phc[TENURE_PHC_MAX], **tmp = NULL, **list = NULL;
	int rc;

	if (c->remember <= 0)
		return 0;
	if (oldpw && (!a->hist || !a->hist[0]) &&
	    tenure_history_hash(oldpw, strlen(oldpw), c->history_m_cost, c->history_t_cost,
				phc, sizeof(phc)) == 0)
		tmp = tenure_history_push(a->hist, phc, c->remember);
	rc = tenure_history_hash(pw, strlen(pw), c->history_m_cost, c->history_t_cost, phc, sizeof(phc));
	if (rc)
		goto out;
	list = tenure_history_push(tmp ? tmp : a->hist, phc, c->remember);
	if (!list) {
		rc = -ENOMEM;
		goto out;
	}
	if (a->ldap && !a->hist_local)
		rc = write_ldap_history(uh, a, list);
	else
		rc = tenure_history_local_write(c->history_dir, ctx->user, list);
out:
	tenure_strv_free(tmp);
	tenure_strv_free(list);
	return rc;
}

/* ---- the two passes ---- */

static int load_account(struct pt_ctx *ctx, struct account *a)
{
	int rc;

	memset(a, 0, sizeof(*a));
	a->last_change = -1;
	if (pt_is_local_user(ctx->user)) {
		local_info(ctx->user, a);
		if (ctx->cfg->remember > 0 &&
		    tenure_history_local_read(ctx->cfg->history_dir, ctx->user, &a->hist) != 0)
			a->hist = NULL;
		return PAM_SUCCESS;
	}
	if (ctx->local_users_only || ctx->cfg->n_uri == 0)
		return PAM_IGNORE;
	a->ldap = 1;
	rc = ldap_locate(ctx, a);
	if (rc == -ENOENT)
		return PAM_USER_UNKNOWN;
	if (rc) {
		pt_audit(ctx, LOG_ERR, "error", "ldap", "detail=%d", rc);
		return PAM_AUTHINFO_UNAVAIL;
	}
	return PAM_SUCCESS;
}

/* Bind as the user and read the entry; *uh open on success. */
static int ldap_session(struct pt_ctx *ctx, struct account *a, const char *oldpw,
			struct tenure_ldap **uh)
{
	int rc = bind_user(ctx, a, oldpw, uh);

	if (rc != PAM_SUCCESS)
		return rc;
	ldap_read_self(ctx, *uh, a);
	if (ctx->cfg->remember > 0) {
		ldap_history_place(ctx, *uh, a);
		if (a->hist_local) {
			tenure_strv_free(a->hist);
			a->hist = NULL;
			if (tenure_history_local_read(ctx->cfg->history_dir, ctx->user, &a->hist))
				a->hist = NULL;
		}
	}
	return PAM_SUCCESS;
}

static int prelim(struct pt_ctx *ctx)
{
	struct account a;
	struct tenure_ldap *uh = NULL;
	char *old = NULL;
	int rc = load_account(ctx, &a);

	if (rc != PAM_SUCCESS)
		goto out;
	if (a.ldap) {
		rc = get_old(ctx, &old);
		if (rc == PAM_SUCCESS)
			rc = ldap_session(ctx, &a, old, &uh);
		if (rc == PAM_SUCCESS)
			rc = pam_set_item(ctx->pamh, PAM_OLDAUTHTOK, old);
	}
	if (rc == PAM_SUCCESS && too_soon(ctx, &a))
		rc = PAM_AUTHTOK_ERR;
	/* Local accounts: pam_unix does the change; we only check. */
	if (rc == PAM_SUCCESS && !a.ldap)
		rc = PAM_IGNORE;
out:
	tenure_ldap_close(uh);
	secret_free(old);
	account_free(&a);
	return rc;
}

static int apply_ldap(struct pt_ctx *ctx, struct tenure_ldap **uh, const struct account *a,
		      const char *old, const char *pw)
{
	int rc = write_ldap_password(ctx, *uh, a, old, pw);

	if (rc) {
		pt_error(ctx, "%s", _("The directory refused the new password."));
		pt_audit(ctx, LOG_ERR, "error", "ldap-write", "detail=\"%s\"", tenure_ldap_error(*uh));
		return map_ldap_err(rc);
	}
	rc = write_last_change(*uh, a);
	if (rc) {
		/* A session that had to change its password (ppolicy pwdReset)
		 * may do nothing else: bind again with the new password. */
		tenure_ldap_close(*uh);
		*uh = NULL;
		if (tenure_ldap_open_user(ctx->cfg, a->dn, pw, NULL, uh) == 0)
			rc = write_last_change(*uh, a);
	}
	if (rc)
		pt_audit(ctx, LOG_WARNING, "warn", "shadowLastChange", "detail=%d", rc);
	return PAM_SUCCESS;
}

/* The shipped word list or filter missing (not installed): the checks
 * still run with what there is; say so once per process. */
static void warn_missing_data(struct pt_ctx *ctx, const struct tenure_policy *pol)
{
	static int warned;
	unsigned st = tenure_policy_status(pol);

	if (warned)
		return;
	if (ctx->cfg->dictcheck && !(st & 3))
		pt_audit(ctx, LOG_WARNING, "warn", "no-dictionary", "detail=\"dictcheck has no word list\"");
	if (ctx->cfg->breached_filter && !(st & 4))
		pt_audit(ctx, LOG_WARNING, "warn", "no-breached-filter", "detail=\"breached_filter missing\"");
	warned = 1;
}

static int update(struct pt_ctx *ctx)
{
	struct tenure_policy *pol = NULL;
	struct tenure_ldap *uh = NULL;
	struct account a;
	char err[TENURE_ERRLEN], *old = NULL, *pw = NULL;
	int rc = load_account(ctx, &a), hr;

	if (rc != PAM_SUCCESS)
		goto out;
	if (tenure_policy_open(ctx->cfg, &pol, err, sizeof(err))) {
		char q[TENURE_ERRLEN + 16];
		pt_audit(ctx, LOG_ERR, "error", "policy", "detail=%s", tenure_log_quote(err, q, sizeof(q)));
		rc = PAM_AUTHTOK_ERR;
		goto out;
	}
	warn_missing_data(ctx, pol);
	if (a.ldap) {
		rc = get_old(ctx, &old);
		if (rc == PAM_SUCCESS)
			rc = ldap_session(ctx, &a, old, &uh);
		if (rc != PAM_SUCCESS)
			goto out;
	}
	if (too_soon(ctx, &a)) {
		rc = PAM_AUTHTOK_ERR;
		goto out;
	}
	rc = get_new(ctx, pol, &a, old, &pw);
	if (rc != PAM_SUCCESS)
		goto out;
	if (a.ldap)
		rc = apply_ldap(ctx, &uh, &a, old, pw);
	/* A session restricted to the password change (ppolicy pwdReset)
	 * could not read the history before; read it now, so appending does
	 * not replace it. */
	if (rc == PAM_SUCCESS && a.ldap && !a.read_ok && !a.hist_local) {
		tenure_ldap_close(uh);
		uh = NULL;
		tenure_strv_free(a.hist);
		a.hist = NULL;
		if (tenure_ldap_open_user(ctx->cfg, a.dn, pw, NULL, &uh) == 0)
			ldap_read_self(ctx, uh, &a);
	}
	if (rc == PAM_SUCCESS)
		rc = pam_set_item(ctx->pamh, PAM_AUTHTOK, pw);
	if (rc != PAM_SUCCESS)
		goto out;
	hr = a.ldap && !uh ? -EHOSTUNREACH : record_history(ctx, uh, &a, old, pw);
	if (hr)
		pt_audit(ctx, LOG_WARNING, "warn", "history-not-saved", "detail=%d", hr);
	pt_audit(ctx, LOG_NOTICE, "ok", a.ldap ? "changed" : "checked", "store=%s",
		 a.ldap ? "ldap" : "local");
	if (a.ldap)
		pt_info(ctx, "%s", _("The password has been changed."));
	else
		rc = PAM_IGNORE;   /* checked and handed on: pam_unix use_authtok writes it */
out:
	tenure_ldap_close(uh);
	tenure_policy_close(pol);
	secret_free(old);
	secret_free(pw);
	account_free(&a);
	return rc;
}

PT_EXPORT int pam_sm_chauthtok(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct pt_ctx ctx;
	int rc = pt_init(&ctx, pamh, flags, argc, argv);

	if (rc != PAM_SUCCESS)
		return rc;
	locale_override();
	rc = pt_get_user(&ctx);
	if (rc == PAM_SUCCESS) {
		if (flags & PAM_PRELIM_CHECK)
			rc = prelim(&ctx);
		else if (flags & PAM_UPDATE_AUTHTOK)
			rc = update(&ctx);
		else
			rc = PAM_SERVICE_ERR;
	}
	pt_fini(&ctx);
	return rc;
}
