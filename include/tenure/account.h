/* tenure — account state and the verdict of the PAM account phase.
 *
 * The same code answers pam_tenure's account phase and `tenurectl account
 * USER`: read the account's state (LDAP accounts live from the directory
 * on every call, no cache; local accounts from /etc/passwd and
 * /etc/shadow), then decide:
 *
 *   1. expired: shadowExpire set and <= today (0 counts as expired, as
 *      pam_unix reads it)                             -> TENURE_V_EXPIRED
 *   2. disabled: pwdAccountLockedTime, nsAccountLock TRUE or
 *      tenureDisabledAt                               -> TENURE_V_DISABLED
 *   3. locked out by the tally                        -> TENURE_V_LOCKOUT
 *   4. pwdReset TRUE or shadowLastChange 0            -> TENURE_V_CHANGE
 *   5. rotation from shadowLastChange (or pwdChangedTime), with max_days,
 *      warn_days and inactive_days from the entry or tenure.conf, the
 *      stricter winning (as pam_unix counts days):
 *        today - last > max + inactive               -> TENURE_V_PW_EXPIRED
 *        today - last > max                          -> TENURE_V_CHANGE
 *        today - last > max - warn                   -> TENURE_V_WARN (days left)
 *   6. otherwise                                      -> TENURE_V_OK
 *
 * Nothing here logs or knows PAM; errors are negative errno values.
 */
#ifndef TENURE_ACCOUNT_H
#define TENURE_ACCOUNT_H

#include <stddef.h>
#include <stdint.h>

#include "tenure/tally.h"

struct tenure_config;
struct tenure_ldap;
struct spwd;

enum tenure_verdict {
	TENURE_V_OK = 0,
	TENURE_V_WARN,        /* allowed; the password expires in `days` days */
	TENURE_V_CHANGE,      /* allowed only to change the password now */
	TENURE_V_PW_EXPIRED,  /* password expired past the inactive period */
	TENURE_V_EXPIRED,     /* account expired (shadowExpire) */
	TENURE_V_DISABLED,    /* disabled in the directory */
	TENURE_V_LOCKOUT,     /* locked out by failed logins */
	TENURE_V_UNKNOWN,     /* no such user (or refused by the lookup rules) */
	TENURE_V_UNAVAIL,     /* the directory cannot be reached */
	TENURE_V_ERROR,       /* anything else (tally unreadable, ...) */
};

enum tenure_acct_source { TENURE_ACCT_LOCAL = 1, TENURE_ACCT_LDAP = 2 };

#define TENURE_ACCT_UNSET (-1L)

/* What is known about an account.  Days count from 1970-01-01;
 * TENURE_ACCT_UNSET where a value is absent. */
struct tenure_acct_info {
	int source;                /* enum tenure_acct_source */
	long uid;
	long last_change;          /* shadowLastChange, or pwdChangedTime in days */
	long max_days, warn_days, inactive_days;
	long expire;               /* shadowExpire */
	int pwd_locked;            /* pwdAccountLockedTime present */
	int ns_locked;             /* nsAccountLock: TRUE */
	int disabled;              /* tenureDisabledAt present */
	int pwd_reset;             /* pwdReset: TRUE */
	char disabled_at[32];
	char disabled_reason[256];
	char dn[512];
};

struct tenure_acct_result {
	int verdict;               /* enum tenure_verdict */
	const char *reason;        /* short key, e.g. "shadow-expired" */
	long days;                 /* WARN: days left; CHANGE/PW_EXPIRED: days past */
	char detail[320];          /* free text for admins (never a secret) */
	struct tenure_lock_state lock;
};

/* Verdict names for output: "ok", "warn", "change", ... */
const char *tenure_verdict_name(int verdict);

/* Is user in /etc/passwd (read directly, never through NSS)?  1 with *uid
 * set, 0 when not, negative errno when the file cannot be read. */
int tenure_local_user(const char *user, long *uid);

/* Fill info from a shadow entry (local accounts). */
void tenure_account_from_shadow(const struct spwd *sp, struct tenure_acct_info *info);

/* Read a local account (/etc/passwd and /etc/shadow, directly). */
int tenure_account_read_local(const char *user, struct tenure_acct_info *info);

/* Read an LDAP account live: name validated, filter escaped, exactly one
 * entry whose uid equals user byte for byte, uidNumber >= nss_min_uid.
 * h may be NULL (a session is opened, as binddn when configured, and
 * closed).  0, -ENOENT (no such user), or an LDAP error (-EHOSTUNREACH,
 * -ETIMEDOUT, ...). */
int tenure_account_read_ldap(const struct tenure_config *cfg, struct tenure_ldap *h,
			     const char *user, struct tenure_acct_info *info,
			     char *err, size_t errlen);

/* The tenurePasswordHistory values (argon2id PHC strings) of an LDAP
 * account, found by the rules above on a session of its own (binddn when
 * configured: the shipped ACLs let the service DN read them).  0 with a
 * NULL-terminated list, possibly empty (free with tenure_strv_free),
 * -ENOENT, or an LDAP error. */
int tenure_account_ldap_history(const struct tenure_config *cfg, const char *user, char ***out,
				char *err, size_t errlen);

/* Root, or a member of admin_group (primary or supplementary, through
 * NSS): locked out only with even_deny_root. */
int tenure_account_privileged(const struct tenure_config *cfg, const char *user, long uid);

/* Steps 1, 2, 4, 5 above for info at `today` (no tally). */
void tenure_account_eval(const struct tenure_config *cfg, const struct tenure_acct_info *info,
			 long today, struct tenure_acct_result *res);

/* The whole verdict: read the account (local first, then LDAP), check the
 * tally for (user, rhost), evaluate.  Always fills res; returns 0, or the
 * error behind TENURE_V_UNAVAIL / TENURE_V_ERROR / TENURE_V_UNKNOWN. */
int tenure_account_verdict(const struct tenure_config *cfg, const char *user, const char *rhost,
			   int64_t now, struct tenure_acct_result *res);

/* GeneralizedTime "YYYYMMDDhhmmss[.f]Z" to unix seconds: 0, or -EINVAL. */
int tenure_parse_gentime(const char *s, int64_t *out);

#endif
