/* tenure — the LDAP client every part uses.
 *
 * A session (struct tenure_ldap) is one connection to the first server of
 * the configured `uri` list that answers, bound anonymously or as `binddn`.
 * What it promises, so the modules can live inside other processes:
 *
 *  - we connect the socket ourselves (SOCK_CLOEXEC, non-blocking connect
 *    bounded by bind_timelimit) and hand it to libldap with ldap_init_fd, so
 *    no descriptor ever lacks close-on-exec;
 *  - every option that matters (TLS checks, CA, timeouts, referrals, deref,
 *    size limits) is set on the handle, with a new TLS context, so an ldaprc
 *    or LDAP* environment variable cannot change the server, the TLS checks
 *    or the bind;
 *  - a bind waits at most bind_timelimit, an operation at most timelimit, and
 *    socket-level send/receive timeouts back both up;
 *  - SIGPIPE from a write to a dead server is blocked in the calling thread
 *    and discarded, never delivered to the host process;
 *  - after every server failed, calls fail at once (-EHOSTUNREACH) for a
 *    back-off window that starts at reconnect_sleeptime and doubles up to
 *    reconnect_retrytime; the window is shared by the whole process;
 *  - after fork() the child never writes on the parent's connection: it
 *    drops its copy silently and connects afresh.
 *
 * A session is not thread-safe; callers serialise (the NSS module holds a
 * mutex).  Errors are negative errno values:
 *   -ENOENT       no such object (base or entry)
 *   -EHOSTUNREACH no server reachable, or inside the back-off window
 *   -ETIMEDOUT    the server did not answer within the limit
 *   -EACCES       invalid credentials / insufficient access
 *   -EPERM        account locked or disabled by password policy
 *   -EINVAL       bad argument (e.g. empty password)
 *   -ERANGE       a value too long for the caller's buffer
 *   -EILSEQ       a value that is not valid UTF-8 or holds a NUL
 *   -EPROTO       any other LDAP error (see tenure_ldap_error())
 *   -ENOMEM
 */
#ifndef TENURE_LDAP_H
#define TENURE_LDAP_H

#include <stddef.h>
#include <ldap.h>

struct tenure_config;
struct tenure_ldap;
struct tenure_ldap_res;
struct tenure_ldap_pager;
typedef struct ldapmsg tenure_ldap_entry; /* an entry inside a result */

enum tenure_ldap_flags {
	TENURE_LDAP_ANON    = 0,       /* bind anonymously */
	TENURE_LDAP_SERVICE = 1 << 0,  /* bind as binddn with bindpw_file */
};

/* Password policy response control (draft-behera-ldap-password-policy). */
struct tenure_ppolicy {
	int present;     /* 1 when the server sent the control */
	int error;       /* -1 none, else PP_passwordExpired, PP_accountLocked,
			    PP_changeAfterReset, ... (LDAPPasswordPolicyError) */
	int expire;      /* seconds until the password expires, -1 if not sent */
	int grace;       /* grace logins left, -1 if not sent */
};

/* Sessions.  open does not connect; the first operation does. */
int tenure_ldap_open(const struct tenure_config *cfg, unsigned flags, struct tenure_ldap **out);
void tenure_ldap_close(struct tenure_ldap *h);

/* Connect now (and bind).  Operations call this themselves. */
int tenure_ldap_connect(struct tenure_ldap *h);

/* Open a session bound as dn with password, with the password policy
 * request control; pp (may be NULL) receives the response control.  An empty
 * password is refused with -EINVAL before anything is sent.  Returns 0 and a
 * session usable for further operations as that user (e.g. the password
 * change), or an error as above; *out is set only on success. */
int tenure_ldap_open_user(const struct tenure_config *cfg, const char *dn,
			  const char *password, struct tenure_ppolicy *pp,
			  struct tenure_ldap **out);

/* The last error as text (never a secret). */
const char *tenure_ldap_error(const struct tenure_ldap *h);
/* The LDAP result code (LDAP_*) the server gave the last search or write,
 * for callers that must tell e.g. alreadyExists from constraintViolation. */
int tenure_ldap_result_code(const struct tenure_ldap *h);

/* The URI in use now, or NULL when not connected. */
const char *tenure_ldap_uri(const struct tenure_ldap *h);

/* Search; *out holds every entry (possibly none).  sizelimit 0 = none.
 * scope is LDAP_SCOPE_*.  On a lost connection the search is retried once
 * on a fresh connection. */
int tenure_ldap_search(struct tenure_ldap *h, const char *base, int scope,
		       const char *filter, const char *const *attrs, int sizelimit,
		       struct tenure_ldap_res **out);

/* Paged search (RFC 2696).  next returns 0 with a page, 1 when no page is
 * left (*page NULL), or an error. */
int tenure_ldap_pager_start(struct tenure_ldap *h, const char *base, int scope,
			    const char *filter, const char *const *attrs, int pagesize,
			    struct tenure_ldap_pager **out);
int tenure_ldap_pager_next(struct tenure_ldap_pager *p, struct tenure_ldap_res **page);
void tenure_ldap_pager_free(struct tenure_ldap_pager *p);

/* Results. */
void tenure_ldap_res_free(struct tenure_ldap_res *res);
int tenure_ldap_res_count(const struct tenure_ldap_res *res);
tenure_ldap_entry *tenure_ldap_first(struct tenure_ldap_res *res);
tenure_ldap_entry *tenure_ldap_next(struct tenure_ldap_res *res, tenure_ldap_entry *e);

/* Entry access, all bounded and checked. */
int tenure_ldap_get_dn(struct tenure_ldap_res *res, tenure_ldap_entry *e, char *buf, size_t len);
/* First value of attr into buf: 0, -ENOENT (absent), -ERANGE, -EILSEQ. */
int tenure_ldap_get_str(struct tenure_ldap_res *res, tenure_ldap_entry *e,
			const char *attr, char *buf, size_t len);
/* First value of attr as a decimal integer in [min, max] (strict). */
int tenure_ldap_get_long(struct tenure_ldap_res *res, tenure_ldap_entry *e,
			 const char *attr, long min, long max, long *out);
/* Every value of attr: a NULL-terminated array of checked strings (at most
 * maxcount values of at most maxlen bytes each, else -ERANGE).  Free with
 * tenure_strv_free().  Absent attribute: 0 with an empty array. */
int tenure_ldap_get_strs(struct tenure_ldap_res *res, tenure_ldap_entry *e,
			 const char *attr, size_t maxcount, size_t maxlen, char ***out);
int tenure_ldap_count_values(struct tenure_ldap_res *res, tenure_ldap_entry *e, const char *attr);
void tenure_strv_free(char **v);

/* Writes. */
int tenure_ldap_modify(struct tenure_ldap *h, const char *dn, LDAPMod **mods);
int tenure_ldap_add(struct tenure_ldap *h, const char *dn, LDAPMod **mods);
/* RFC 3062 Password Modify as the bound user; oldpw may be NULL. */
int tenure_ldap_passwd(struct tenure_ldap *h, const char *dn, const char *oldpw, const char *newpw);
/* Compare-free check: 1 when the subschema lists objectClass name, 0 when
 * not, or an error. */
int tenure_ldap_has_objectclass(struct tenure_ldap *h, const char *name);

/* RFC 4515 escaping of a filter value: 0, or -ERANGE if out is too small. */
int tenure_ldap_escape(const char *in, char *out, size_t outlen);

/* Valid UTF-8 without NUL or overlong forms: 1, else 0. */
int tenure_utf8_valid(const char *s, size_t len);

/* Test hooks: forget the process-wide back-off state. */
void tenure_ldap_backoff_reset(void);

#endif
