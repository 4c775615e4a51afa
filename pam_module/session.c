/* pam_tenure — session phase: the idle timeout (TMOUT) and a log line. */
#include "module.h"

#include <stdio.h>
#include <syslog.h>

/* -fvisibility=hidden: the PAM entry points must be exported explicitly. */
#ifndef PT_EXPORT
#define PT_EXPORT __attribute__((visibility("default")))
#endif

PT_EXPORT int pam_sm_open_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct pt_ctx ctx;
	char env[32];
	int rc;

	rc = pt_init(&ctx, pamh, flags, argc, argv);
	if (rc != PAM_SUCCESS)
		return rc;
	if (pt_get_user(&ctx) != PAM_SUCCESS) {
		rc = PAM_SESSION_ERR;
		goto out;
	}
	if (ctx.cfg->session_timeout > 0) {
		snprintf(env, sizeof(env), "TMOUT=%d", ctx.cfg->session_timeout);
		rc = pam_putenv(pamh, env);
		if (rc != PAM_SUCCESS) {
			pt_audit(&ctx, LOG_ERR, "error", "putenv", NULL);
			rc = PAM_SESSION_ERR;
			goto out;
		}
	}
	pt_audit(&ctx, LOG_INFO, "open", "session", "tmout=%d", ctx.cfg->session_timeout);
out:
	pt_fini(&ctx);
	return rc;
}

PT_EXPORT int pam_sm_close_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct pt_ctx ctx;
	int rc;

	rc = pt_init(&ctx, pamh, flags, argc, argv);
	if (rc != PAM_SUCCESS)
		return rc;
	if (pt_get_user(&ctx) == PAM_SUCCESS)
		pt_audit(&ctx, LOG_INFO, "close", "session", NULL);
	pt_fini(&ctx);
	return PAM_SUCCESS;
}
