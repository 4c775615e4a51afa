/* pam_tenure — what the module's phases share.
 *
 * Each phase lives in its own file (auth.c, account.c, session.c,
 * password.c) and starts with pt_init(), which loads the configuration
 * (defaults, then `conf=PATH` or /etc/tenure.conf, then the other module
 * arguments) and collects the PAM items.  Messages to the user go through
 * pt_info()/pt_error() (translatable with _()); decisions go to the log
 * through pt_audit() as key=value pairs.  Never a password in either.
 */
#ifndef PAM_TENURE_MODULE_H
#define PAM_TENURE_MODULE_H

#include <libintl.h>
#include <security/pam_ext.h>
#include <security/pam_modules.h>

#include "tenure/config.h"
#include "tenure/ldap.h"
#include "tenure/log.h"

#define TENURE_TEXTDOMAIN "tenure"
#define _(s)  dgettext(TENURE_TEXTDOMAIN, s)
#define N_(s) s

/* The build uses -fvisibility=hidden and PAM_EXTERN is empty: mark each
 * pam_sm_* entry point with PT_EXPORT or PAM cannot find it. */
#define PT_EXPORT __attribute__((visibility("default")))

struct pt_ctx {
	pam_handle_t *pamh;
	int flags;                 /* flags of this PAM call */
	struct tenure_config *cfg;
	struct tenure_log log;     /* pam_syslog, LOG_AUTHPRIV */
	const char *service;
	const char *user;          /* NULL until pt_get_user() */
	const char *rhost;
	const char *tty;
	/* module arguments that are not configuration keys */
	int debug;
	int use_authtok;
	int try_first_pass;
	int use_first_pass;
	int local_users_only;      /* act on local accounts only */
	int preauth, authfail, authsucc;   /* faillock-style placements */
};

/* Load the configuration and PAM items.  Returns PAM_SUCCESS, or
 * PAM_SERVICE_ERR after logging the configuration error (file:line: key:). */
int pt_init(struct pt_ctx *ctx, pam_handle_t *pamh, int flags, int argc, const char **argv);
void pt_fini(struct pt_ctx *ctx);

/* Get and validate the user name (validnames).  PAM_SUCCESS,
 * PAM_USER_UNKNOWN for a name that fails validation, or pam_get_user's code. */
int pt_get_user(struct pt_ctx *ctx);

/* Is the user in /etc/passwd?  Read directly, never through NSS, so that
 * the answer does not depend on the directory. */
int pt_is_local_user(const char *user);

/* Find the user's LDAP entry: validated name, escaped filter
 * (&(filter_passwd)(uid=NAME)) under base_passwd (or base), the entry's uid
 * equal to NAME case-exactly, uidNumber >= nss_min_uid.  attrs lists what the
 * caller wants read.  Returns 0 with res, entry and dn set, -ENOENT when there is
 * no such user (or it is refused by the rules), or an LDAP error. */
int pt_ldap_find_user(struct pt_ctx *ctx, struct tenure_ldap *h, const char *const *attrs,
		      struct tenure_ldap_res **res, tenure_ldap_entry **entry,
		      char *dn, size_t dnlen);

/* Messages to the user, unless PAM_SILENT or the `silent` option. */
void pt_info(struct pt_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void pt_error(struct pt_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* One log line: user= service= rhost= tty= result= reason= [extra]. */
void pt_audit(struct pt_ctx *ctx, int priority, const char *result, const char *reason,
	      const char *extra_fmt, ...) __attribute__((format(printf, 5, 6)));

/* Days since 1970-01-01 (UTC), as shadow counts them. */
long pt_today(void);

#endif
