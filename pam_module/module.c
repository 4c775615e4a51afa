/* pam_tenure — configuration, PAM items, user lookup, messages, audit. */
#include "module.h"
#include "tenure/account.h"
#include "tenure/names.h"

#include <errno.h>
#include <pthread.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#ifndef TENURE_LOCALEDIR
#define TENURE_LOCALEDIR "/usr/share/locale"
#endif

/* Module arguments that are not configuration keys. */
static const char *const passthrough[] = {
	"debug", "use_authtok", "try_first_pass", "use_first_pass", "local_users_only",
	"preauth", "authfail", "authsucc", NULL,
};

static pthread_once_t i18n_once = PTHREAD_ONCE_INIT;

static void i18n_init(void)
{
	bindtextdomain(TENURE_TEXTDOMAIN, TENURE_LOCALEDIR);
}

static void pam_sink(void *ctx, int priority, const char *msg)
{
	pam_syslog((pam_handle_t *)ctx, priority, "%s", msg);
}

static void take_flags(struct pt_ctx *ctx, int argc, const char **argv)
{
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "debug"))
			ctx->debug = 1;
		else if (!strcmp(a, "use_authtok"))
			ctx->use_authtok = 1;
		else if (!strcmp(a, "try_first_pass"))
			ctx->try_first_pass = 1;
		else if (!strcmp(a, "use_first_pass"))
			ctx->use_first_pass = 1;
		else if (!strcmp(a, "local_users_only"))
			ctx->local_users_only = 1;
		else if (!strcmp(a, "preauth"))
			ctx->preauth = 1;
		else if (!strcmp(a, "authfail"))
			ctx->authfail = 1;
		else if (!strcmp(a, "authsucc"))
			ctx->authsucc = 1;
	}
}

int pt_init(struct pt_ctx *ctx, pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	char err[TENURE_ERRLEN];
	const char *path = TENURE_CONF_DEFAULT;
	int explicit = 0, rc;
	const void *item;

	memset(ctx, 0, sizeof(*ctx));
	ctx->pamh = pamh;
	ctx->flags = flags;
	ctx->log.fn = pam_sink;
	ctx->log.ctx = pamh;
	ctx->log.min_priority = LOG_INFO;
	pthread_once(&i18n_once, i18n_init);
	for (int i = 0; i < argc; i++) {
		if (strncmp(argv[i], "conf=", 5) == 0) {
			path = argv[i] + 5;
			explicit = 1;
		}
	}
	take_flags(ctx, argc, argv);
	if (ctx->debug)
		ctx->log.min_priority = LOG_DEBUG;

	ctx->cfg = tenure_config_new();
	if (!ctx->cfg) {
		pam_syslog(pamh, LOG_CRIT, "result=error reason=\"out of memory\"");
		return PAM_BUF_ERR;
	}
	rc = tenure_config_load_file(ctx->cfg, TENURE_SCOPE_HOST, path, err, sizeof(err));
	/* A missing /etc/tenure.conf means defaults, as with faillock.conf;
	 * a missing file named by conf= is an error. */
	if (rc == -ENOENT && !explicit)
		rc = 0;
	if (!rc)
		rc = tenure_config_parse_args(ctx->cfg, argc, argv, passthrough, err, sizeof(err));
	if (!rc)
		rc = tenure_config_check(ctx->cfg, TENURE_SCOPE_HOST, err, sizeof(err));
	if (rc) {
		char q[TENURE_ERRLEN + 16];
		pam_syslog(pamh, LOG_ERR, "result=error reason=config detail=%s",
			   tenure_log_quote(err, q, sizeof(q)));
		tenure_config_free(ctx->cfg);
		ctx->cfg = NULL;
		return PAM_SERVICE_ERR;
	}
	if (pam_get_item(pamh, PAM_SERVICE, &item) == PAM_SUCCESS)
		ctx->service = item;
	if (pam_get_item(pamh, PAM_RHOST, &item) == PAM_SUCCESS)
		ctx->rhost = item;
	if (pam_get_item(pamh, PAM_TTY, &item) == PAM_SUCCESS)
		ctx->tty = item;
	return PAM_SUCCESS;
}

void pt_fini(struct pt_ctx *ctx)
{
	tenure_config_free(ctx->cfg);
	ctx->cfg = NULL;
}

int pt_get_user(struct pt_ctx *ctx)
{
	const char *user = NULL;
	int rc = pam_get_user(ctx->pamh, &user, NULL);

	if (rc != PAM_SUCCESS)
		return rc;
	if (!user || !tenure_name_valid(ctx->cfg->validnames, user)) {
		char q[128];
		pt_audit(ctx, LOG_NOTICE, "deny", "invalid-user-name", "name=%s",
			 tenure_log_quote(user, q, sizeof(q)));
		return PAM_USER_UNKNOWN;
	}
	ctx->user = user;
	return PAM_SUCCESS;
}

int pt_is_local_user(const char *user)
{
	long uid;

	return tenure_local_user(user, &uid) == 1;
}

int pt_ldap_find_user(struct pt_ctx *ctx, struct tenure_ldap *h, const char *const *attrs,
		      struct tenure_ldap_res **res, tenure_ldap_entry **entry,
		      char *dn, size_t dnlen)
{
	const struct tenure_config *c = ctx->cfg;
	const char *base = c->base_passwd ? c->base_passwd : c->base;
	char esc[3 * TENURE_NAME_MAX + 1], filter[4096];
	const char *wanted[64];
	struct tenure_ldap_res *r = NULL;
	tenure_ldap_entry *e;
	size_t n = 0;
	long uidn;
	int rc;

	if (!ctx->user || !tenure_name_valid(c->validnames, ctx->user))
		return -ENOENT;
	if (tenure_ldap_escape(ctx->user, esc, sizeof(esc)))
		return -ENOENT;
	if ((size_t)snprintf(filter, sizeof(filter), "(&%s(uid=%s))", c->filter_passwd, esc) >= sizeof(filter))
		return -EINVAL;
	/* Always read uid and uidNumber for the checks below. */
	wanted[n++] = "uid";
	wanted[n++] = "uidNumber";
	for (size_t i = 0; attrs && attrs[i] && n < 63; i++)
		wanted[n++] = attrs[i];
	wanted[n] = NULL;
	rc = tenure_ldap_search(h, base ? base : "", LDAP_SCOPE_SUBTREE, filter, wanted, 2, &r);
	if (rc)
		return rc;
	/* Exactly one entry, whose uid equals the name byte for byte. */
	if (tenure_ldap_res_count(r) != 1) {
		tenure_ldap_res_free(r);
		return -ENOENT;
	}
	e = tenure_ldap_first(r);
	rc = -ENOENT;
	{
		char **uids = NULL;
		if (tenure_ldap_get_strs(r, e, "uid", 16, TENURE_NAME_MAX, &uids) == 0) {
			for (size_t i = 0; uids[i]; i++)
				if (strcmp(uids[i], ctx->user) == 0)
					rc = 0;
			tenure_strv_free(uids);
		}
	}
	if (rc == 0 && (tenure_ldap_get_long(r, e, "uidNumber", 0, 4294967294L, &uidn) != 0 ||
			uidn < c->nss_min_uid))
		rc = -ENOENT;
	if (rc == 0 && tenure_ldap_get_dn(r, e, dn, dnlen) != 0)
		rc = -ENOENT;
	if (rc) {
		tenure_ldap_res_free(r);
		return rc;
	}
	*res = r;
	*entry = e;
	return 0;
}

static void say(struct pt_ctx *ctx, int style, const char *fmt, va_list ap)
{
	char msg[1024];

	if ((ctx->flags & PAM_SILENT) || (ctx->cfg && ctx->cfg->silent))
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	pam_prompt(ctx->pamh, style, NULL, "%s", msg);
}

void pt_info(struct pt_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say(ctx, PAM_TEXT_INFO, fmt, ap);
	va_end(ap);
}

void pt_error(struct pt_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say(ctx, PAM_ERROR_MSG, fmt, ap);
	va_end(ap);
}

void pt_audit(struct pt_ctx *ctx, int priority, const char *result, const char *reason,
	      const char *extra_fmt, ...)
{
	char u[128], s[64], r[128], t[64], extra[768] = "";
	va_list ap;

	if (extra_fmt) {
		extra[0] = ' ';
		va_start(ap, extra_fmt);
		vsnprintf(extra + 1, sizeof(extra) - 1, extra_fmt, ap);
		va_end(ap);
	}
	tenure_log(&ctx->log, priority, "user=%s service=%s rhost=%s tty=%s result=%s reason=%s%s",
		   tenure_log_quote(ctx->user ? ctx->user : "", u, sizeof(u)),
		   tenure_log_quote(ctx->service ? ctx->service : "", s, sizeof(s)),
		   tenure_log_quote(ctx->rhost ? ctx->rhost : "", r, sizeof(r)),
		   tenure_log_quote(ctx->tty ? ctx->tty : "", t, sizeof(t)),
		   result, reason, extra);
}

long pt_today(void)
{
	return (long)(time(NULL) / 86400);
}
