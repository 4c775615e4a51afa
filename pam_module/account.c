/* pam_tenure — account phase: the live state of the account.
 *
 * Runs for every login, also those that did not authenticate through us
 * (an SSH key): LDAP accounts are read live from the directory on every
 * call; the verdict logic is the core's (common/account.c), shared with
 * `tenurectl account`.
 */
#include "module.h"
#include "tenure/account.h"

#include <errno.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

/* -fvisibility=hidden: the PAM entry points must be exported explicitly. */
#ifndef PT_EXPORT
#define PT_EXPORT __attribute__((visibility("default")))
#endif

#define PT_DATA_NEWTOK "pam_tenure_new_authtok_reqd"   /* set by auth.c */

static void say_lockout(struct pt_ctx *ctx, const struct tenure_acct_result *res, time_t now)
{
	if (res->lock.locked_until) {
		long min = (long)((res->lock.locked_until - now + 59) / 60);
		if (min < 1)
			min = 1;
		pt_error(ctx, dngettext(TENURE_TEXTDOMAIN, "Account locked, %ld minute left.",
					"Account locked, %ld minutes left.", (unsigned long)min), min);
	} else {
		pt_error(ctx, "%s", _("Account locked; an administrator must unlock it."));
	}
}

/* The verdict as a PAM code, with the user's message. */
static int map_verdict(struct pt_ctx *ctx, const struct tenure_acct_result *res, time_t now)
{
	switch (res->verdict) {
	case TENURE_V_OK:
		return PAM_SUCCESS;
	case TENURE_V_WARN:
		pt_info(ctx, dngettext(TENURE_TEXTDOMAIN, "Warning: your password expires in %ld day.",
				       "Warning: your password expires in %ld days.",
				       (unsigned long)res->days), res->days);
		return PAM_SUCCESS;
	case TENURE_V_CHANGE:
		pt_error(ctx, "%s", _("You are required to change your password immediately."));
		return PAM_NEW_AUTHTOK_REQD;
	case TENURE_V_PW_EXPIRED:
		pt_error(ctx, "%s", _("Your password has expired; contact your system administrator."));
		return PAM_AUTHTOK_EXPIRED;
	case TENURE_V_EXPIRED:
		pt_error(ctx, "%s", _("Your account has expired; contact your system administrator."));
		return PAM_ACCT_EXPIRED;
	case TENURE_V_DISABLED:
		pt_error(ctx, "%s", _("Your account has been disabled; contact your system administrator."));
		return PAM_PERM_DENIED;
	case TENURE_V_LOCKOUT:
		say_lockout(ctx, res, now);
		return PAM_PERM_DENIED;
	case TENURE_V_UNKNOWN:
		return PAM_USER_UNKNOWN;
	case TENURE_V_UNAVAIL:
		return PAM_AUTHINFO_UNAVAIL;
	default:
		return PAM_PERM_DENIED;
	}
}

static int audit_priority(int verdict)
{
	switch (verdict) {
	case TENURE_V_OK:
	case TENURE_V_WARN:
		return LOG_INFO;
	case TENURE_V_UNAVAIL:
	case TENURE_V_ERROR:
		return LOG_ERR;
	default:
		return LOG_NOTICE;
	}
}

PT_EXPORT int pam_sm_acct_mgmt(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct tenure_acct_result res;
	struct pt_ctx ctx;
	const void *flag = NULL;
	time_t now = time(NULL);
	long uid;
	int rc;

	rc = pt_init(&ctx, pamh, flags, argc, argv);
	if (rc != PAM_SUCCESS)
		return rc;
	rc = pt_get_user(&ctx);
	if (rc != PAM_SUCCESS)
		goto out;
	if (ctx.local_users_only && tenure_local_user(ctx.user, &uid) != 1) {
		rc = PAM_IGNORE;
		goto out;
	}
	tenure_account_verdict(ctx.cfg, ctx.user, ctx.rhost, now, &res);
	/* The directory said at bind time that the password must change. */
	if ((res.verdict == TENURE_V_OK || res.verdict == TENURE_V_WARN) &&
	    pam_get_data(pamh, PT_DATA_NEWTOK, &flag) == PAM_SUCCESS && flag) {
		res.verdict = TENURE_V_CHANGE;
		res.reason = "ppolicy-change-required";
	}
	rc = map_verdict(&ctx, &res, now);
	if (res.verdict == TENURE_V_UNKNOWN && !ctx.cfg->audit)
		ctx.user = "(unknown)";
	pt_audit(&ctx, audit_priority(res.verdict),
		 rc == PAM_SUCCESS ? "allow" : res.verdict == TENURE_V_CHANGE ? "change" : "deny",
		 res.reason ? res.reason : "ok", "verdict=%s%s%s%s",
		 tenure_verdict_name(res.verdict), res.detail[0] ? " detail=\"" : "",
		 res.detail, res.detail[0] ? "\"" : "");
out:
	pt_fini(&ctx);
	return rc;
}
