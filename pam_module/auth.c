/* pam_tenure — auth phase: lockout tally, LDAP password check, placements.
 *
 * Without a placement word the module checks the password of an LDAP
 * account itself (simple bind as the entry's DN with the password policy
 * control).  With `preauth`, `authfail` or `authsucc` (pam_faillock's
 * words) it only keeps the tally around another module that checks the
 * password, typically pam_unix for local accounts.
 */
#include "module.h"
#include "tenure/account.h"
#include "tenure/secret.h"
#include "tenure/tally.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/statvfs.h>
#include <syslog.h>
#include <time.h>

/* -fvisibility=hidden: the PAM entry points must be exported explicitly. */
#ifndef PT_EXPORT
#define PT_EXPORT __attribute__((visibility("default")))
#endif

/* Set by auth when the directory says the password must be changed now;
 * read by the account phase (PAM_NEW_AUTHTOK_REQD). */
#define PT_DATA_NEWTOK "pam_tenure_new_authtok_reqd"
#define FAIL_DELAY_USEC 2000000u

static int newtok_flag = 1;

/* Who the user is, as far as the lockout rule cares. */
static int user_exists(const char *user, long *uid)
{
	struct passwd pw, *res = NULL;
	char buf[4096];
	int rc = tenure_local_user(user, uid);

	if (rc == 1)
		return 1;
	if (getpwnam_r(user, &pw, buf, sizeof(buf), &res) == 0 && res) {
		*uid = (long)pw.pw_uid;
		return 1;
	}
	return 0;
}

static void policy_for(struct pt_ctx *ctx, long uid, struct tenure_lockout *pol)
{
	tenure_lockout_policy(ctx->cfg, tenure_account_privileged(ctx->cfg, ctx->user, uid), pol);
}

static void delay(struct pt_ctx *ctx)
{
	if (!ctx->cfg->nodelay)
		pam_fail_delay(ctx->pamh, FAIL_DELAY_USEC);
}

static void say_locked(struct pt_ctx *ctx, const struct tenure_lock_state *st)
{
	time_t now = time(NULL);

	if (st->locked_until) {
		long min = (long)((st->locked_until - now + 59) / 60);
		if (min < 1)
			min = 1;
		pt_error(ctx, dngettext(TENURE_TEXTDOMAIN, "Account locked, %ld minute left.",
					"Account locked, %ld minutes left.", (unsigned long)min), min);
	} else {
		pt_error(ctx, "%s", _("Account locked; an administrator must unlock it."));
	}
}

/* 0 when the tally directory can take one more failure (a free block and,
 * where inodes are counted, a free inode), else -ENOSPC: a tally that
 * cannot record failures cannot lock anyone out.  A directory that does not
 * exist yet is made by the first failure. */
static int tally_room(const char *dir)
{
	struct statvfs sv;

	if (statvfs(dir, &sv) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (sv.f_bfree == 0 || (sv.f_files > 0 && sv.f_ffree == 0))
		return -ENOSPC;
	return 0;
}

/* Read the tally: 0 not locked, 1 locked, or a negative errno (-ENOSPC:
 * not locked, but no room to count the next failure). */
static int lock_check(struct pt_ctx *ctx, const struct tenure_lockout *pol,
		      struct tenure_lock_state *st)
{
	struct tenure_tally *t;
	int rc;

	memset(st, 0, sizeof(*st));
	if (!pol->deny && !pol->deny_per_rhost)
		return 0;
	t = tenure_tally_new();
	if (!t)
		return -ENOMEM;
	rc = tenure_tally_read(ctx->cfg->dir, ctx->user, t);
	if (!rc)
		tenure_tally_eval(t, pol, ctx->rhost, time(NULL), st);
	tenure_tally_free(t);
	if (rc)
		return rc;
	if (st->locked)
		return 1;
	return tally_room(ctx->cfg->dir);
}

/* A tally that cannot be read or written: refuse (fail_closed) or go on. */
static int tally_trouble(struct pt_ctx *ctx, int err, const char *what)
{
	pt_audit(ctx, LOG_ERR, ctx->cfg->fail_closed ? "deny" : "warn", what,
		 "dir=%s error=\"%s\"", ctx->cfg->dir, strerror(-err));
	return ctx->cfg->fail_closed;
}

static const char *const outcome_names[] = { "counted", "duplicate", "already-locked", "off" };

/* Append a failure, with the keyed hash of the guess when there is one. */
static void record_failure(struct pt_ctx *ctx, const struct tenure_lockout *pol,
			   const char *password, const char *reason)
{
	unsigned char key[TENURE_TALLY_KEY_LEN];
	struct tenure_tally_rec rec;
	struct tenure_lock_state st;
	char err[TENURE_ERRLEN];
	time_t now = time(NULL);
	int outcome = TENURE_TALLY_OFF, rc;

	if (!pol->deny && !pol->deny_per_rhost) {
		pt_audit(ctx, LOG_NOTICE, "fail", reason, NULL);
		return;
	}
	tenure_tally_rec_init(&rec, now, ctx->rhost, ctx->tty, ctx->service);
	if (password) {
		rc = tenure_tally_key_load(ctx->cfg->tally_key_file, key, err, sizeof(err));
		if (rc == 0 && tenure_tally_hash(key, ctx->user, password, rec.hash) == 0)
			rec.flags |= TENURE_TALLY_HASH;
		else if (rc)
			pt_audit(ctx, LOG_WARNING, "warn", "tally-key", "detail=\"%s\"", err);
		secret_wipe(key, sizeof(key));
	}
	rc = tenure_tally_fail(ctx->cfg->dir, ctx->user, pol, ctx->rhost, &rec, now, &outcome, &st);
	secret_wipe(rec.hash, sizeof(rec.hash));
	if (rc) {
		tally_trouble(ctx, rc, "tally-unwritable");
		return;
	}
	pt_audit(ctx, LOG_NOTICE, "fail", reason, "tally=%s failures=%d%s",
		 outcome_names[outcome], st.failures, st.locked ? " locked=yes" : "");
	if (outcome == TENURE_TALLY_COUNTED && st.locked)
		say_locked(ctx, &st);
}

/* Success: clear the tally.  Returns PAM_SUCCESS or the refusal. */
static int record_success(struct pt_ctx *ctx, const struct tenure_lockout *pol)
{
	int rc;

	if (!pol->deny && !pol->deny_per_rhost)
		return PAM_SUCCESS;
	rc = tenure_tally_reset(ctx->cfg->dir, ctx->user);
	if (rc && tally_trouble(ctx, rc, "tally-unwritable"))
		return PAM_AUTH_ERR;
	return PAM_SUCCESS;
}

/* Refuse an attempt because the user (or the source) is locked. */
static int refuse_locked(struct pt_ctx *ctx, const struct tenure_lock_state *st)
{
	pt_audit(ctx, LOG_NOTICE, "deny", st->by_rhost ? "locked-out-source" : "locked-out",
		 "failures=%d", st->failures);
	say_locked(ctx, st);
	delay(ctx);
	return PAM_AUTH_ERR;
}

/* ---- placements around another module (pam_unix) ---- */

static int do_placement(struct pt_ctx *ctx)
{
	struct tenure_lockout pol;
	struct tenure_lock_state st;
	const void *tok = NULL;
	long uid = -1;
	int rc;

	/* Unknown names get no file (an attacker must not fill `dir`); after
	 * a failure the answer stays a failure. */
	if (!user_exists(ctx->user, &uid)) {
		if (ctx->cfg->audit)
			pt_audit(ctx, LOG_NOTICE, ctx->authfail ? "fail" : "ignore", "no-such-user", NULL);
		if (!ctx->authfail)
			return PAM_IGNORE;
		delay(ctx);
		return PAM_AUTH_ERR;
	}
	policy_for(ctx, uid, &pol);
	rc = lock_check(ctx, &pol, &st);
	if (rc < 0 && tally_trouble(ctx, rc, rc == -ENOSPC ? "tally-full" : "tally-unreadable"))
		return PAM_AUTH_ERR;
	if (rc == 1)
		return refuse_locked(ctx, &st);
	if (ctx->preauth)
		return PAM_SUCCESS;
	if (ctx->authsucc) {
		rc = record_success(ctx, &pol);
		if (rc == PAM_SUCCESS)
			pt_audit(ctx, LOG_INFO, "allow", "password-ok", NULL);
		return rc;
	}
	/* authfail: the module before us refused; PAM_AUTHTOK holds the guess
	 * when it read one. */
	if (pam_get_item(ctx->pamh, PAM_AUTHTOK, &tok) != PAM_SUCCESS)
		tok = NULL;
	record_failure(ctx, &pol, tok, "bad-password");
	delay(ctx);
	return PAM_AUTH_ERR;
}

/* ---- LDAP accounts ---- */

static void ppolicy_notes(struct pt_ctx *ctx, const struct tenure_ppolicy *pp)
{
	if (!pp->present)
		return;
	if (pp->error == PP_passwordExpired || pp->error == PP_changeAfterReset) {
		pam_set_data(ctx->pamh, PT_DATA_NEWTOK, &newtok_flag, NULL);
		pt_audit(ctx, LOG_INFO, "note", pp->error == PP_passwordExpired ? "ppolicy-expired"
			 : "ppolicy-change-after-reset", NULL);
	}
	if (pp->grace >= 0)
		pt_info(ctx, dngettext(TENURE_TEXTDOMAIN, "Your password has expired; %d grace login left.",
				       "Your password has expired; %d grace logins left.",
				       (unsigned long)pp->grace), pp->grace);
	if (pp->expire > 0) {
		long days = (pp->expire + 86399L) / 86400L;
		pt_info(ctx, dngettext(TENURE_TEXTDOMAIN, "Your password expires in %ld day.",
				       "Your password expires in %ld days.", (unsigned long)days), days);
	}
}

/* The entry's DN: 0, -ENOENT, or an LDAP error. */
static int find_dn(struct pt_ctx *ctx, char *dn, size_t dnlen)
{
	struct tenure_ldap *h = NULL;
	struct tenure_ldap_res *res = NULL;
	tenure_ldap_entry *e = NULL;
	int rc;

	rc = tenure_ldap_open(ctx->cfg, ctx->cfg->binddn ? TENURE_LDAP_SERVICE : TENURE_LDAP_ANON, &h);
	if (rc)
		return rc;
	rc = pt_ldap_find_user(ctx, h, NULL, &res, &e, dn, dnlen);
	if (rc && rc != -ENOENT)
		pt_audit(ctx, LOG_ERR, "error", "ldap-unavailable", "error=\"%s\"", tenure_ldap_error(h));
	tenure_ldap_res_free(res);
	tenure_ldap_close(h);
	return rc;
}

static int unknown_user(struct pt_ctx *ctx)
{
	const char *user = ctx->user;

	/* Without `audit` the name of an unknown user is not logged: it is
	 * often a password typed into the wrong field. */
	if (!ctx->cfg->audit)
		ctx->user = "(unknown)";
	pt_audit(ctx, LOG_NOTICE, "deny", "no-such-user", NULL);
	ctx->user = user;
	delay(ctx);
	return PAM_USER_UNKNOWN;
}

static int check_password(struct pt_ctx *ctx, const struct tenure_lockout *pol, const char *dn,
			  const char *password)
{
	struct tenure_ppolicy pp;
	struct tenure_ldap *uh = NULL;
	int rc;

	/* An empty password never reaches a bind (it would be an
	 * unauthenticated bind that servers accept). */
	if (!*password) {
		record_failure(ctx, pol, password, "empty-password");
		delay(ctx);
		return PAM_AUTH_ERR;
	}
	rc = tenure_ldap_open_user(ctx->cfg, dn, password, &pp, &uh);
	tenure_ldap_close(uh);
	switch (rc) {
	case 0:
		rc = record_success(ctx, pol);
		if (rc != PAM_SUCCESS)
			return rc;
		ppolicy_notes(ctx, &pp);
		pt_audit(ctx, LOG_INFO, "allow", "password-ok", NULL);
		return PAM_SUCCESS;
	case -EPERM:
		pt_audit(ctx, LOG_NOTICE, "deny", "ppolicy-locked", NULL);
		pt_error(ctx, "%s", _("Your account is locked; contact your system administrator."));
		delay(ctx);
		return PAM_AUTH_ERR;
	case -EACCES:
		if (pp.present && pp.error == PP_passwordExpired) {
			pt_audit(ctx, LOG_NOTICE, "deny", "ppolicy-expired", NULL);
			pt_error(ctx, "%s", _("Your password has expired; contact your system administrator."));
			delay(ctx);
			return PAM_AUTH_ERR;
		}
		record_failure(ctx, pol, password, "bad-password");
		delay(ctx);
		return PAM_AUTH_ERR;
	default:
		pt_audit(ctx, LOG_ERR, "error", "ldap-unavailable", "error=\"%s\"", strerror(-rc));
		return PAM_AUTHINFO_UNAVAIL;
	}
}

static int do_ldap(struct pt_ctx *ctx)
{
	struct tenure_lockout pol;
	struct tenure_lock_state st;
	const char *password = NULL;
	char dn[1024];
	int rc, locked;

	policy_for(ctx, -1, &pol);
	locked = lock_check(ctx, &pol, &st);
	if (locked < 0) {
		if (tally_trouble(ctx, locked, locked == -ENOSPC ? "tally-full" : "tally-unreadable")) {
			delay(ctx);
			return PAM_AUTH_ERR;
		}
		locked = 0;
	}
	/* Locked: refused without asking the directory.  With `silent` the
	 * password is still asked for, so that a locked account looks like any
	 * failed login and nothing tells whether the user exists. */
	if (locked && !ctx->cfg->silent && !(ctx->flags & PAM_SILENT))
		return refuse_locked(ctx, &st);
	rc = pam_get_authtok(ctx->pamh, PAM_AUTHTOK, &password, NULL);
	if (rc != PAM_SUCCESS)
		return rc == PAM_CONV_AGAIN ? PAM_INCOMPLETE : rc;
	if (!password)
		return PAM_AUTH_ERR;
	if (locked)
		return refuse_locked(ctx, &st);
	rc = find_dn(ctx, dn, sizeof(dn));
	if (rc == -ENOENT)
		return unknown_user(ctx);
	if (rc)
		return PAM_AUTHINFO_UNAVAIL;
	return check_password(ctx, &pol, dn, password);
}

PT_EXPORT int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct pt_ctx ctx;
	long uid = -1;
	int rc, local;

	rc = pt_init(&ctx, pamh, flags, argc, argv);
	if (rc != PAM_SUCCESS)
		return rc;
	rc = pt_get_user(&ctx);
	if (rc != PAM_SUCCESS)
		goto out;
	if (ctx.preauth || ctx.authfail || ctx.authsucc) {
		rc = do_placement(&ctx);
		goto out;
	}
	local = tenure_local_user(ctx.user, &uid) == 1;
	if (local) {
		/* Local accounts: pam_unix checks the password; the placements
		 * keep the tally (see examples/pam.d). */
		rc = PAM_IGNORE;
		goto out;
	}
	if (ctx.local_users_only) {
		rc = PAM_IGNORE;
		goto out;
	}
	rc = do_ldap(&ctx);
out:
	pt_fini(&ctx);
	return rc;
}

PT_EXPORT int pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	return PAM_SUCCESS;
}
