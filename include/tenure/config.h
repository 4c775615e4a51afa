/* tenure — configuration: one table of keys for every front end.
 *
 * /etc/tenure.conf, PAM module arguments and tenure-syncd's -c file all go
 * through the same table (common/config.c), with the same types, ranges and
 * error messages.  Precedence: defaults, then the `policy` preset, then the
 * file, then module arguments.
 *
 * Errors are written into a caller buffer as "FILE:LINE: KEY: message";
 * nothing here logs.
 */
#ifndef TENURE_CONFIG_H
#define TENURE_CONFIG_H

#include <stddef.h>

#define TENURE_CONF_DEFAULT   "/etc/tenure.conf"
#define TENURE_MAX_URIS       8
#define TENURE_CONF_LINE_MAX  4096   /* longest accepted line, newline included */
#define TENURE_ERRLEN         512    /* a good size for error buffers */

/* Who reads a key.  A file read for PAM/NSS/tenurectl (tenure.conf) accepts
 * every key used by any of those three; a syncd file accepts syncd's keys;
 * PAM module arguments accept PAM's keys. */
enum tenure_user {
	TENURE_FE_PAM   = 1 << 0,
	TENURE_FE_NSS   = 1 << 1,
	TENURE_FE_SYNCD = 1 << 2,
	TENURE_FE_CTL   = 1 << 3,
};

/* What kind of text is being parsed. */
enum tenure_scope {
	TENURE_SCOPE_HOST,   /* /etc/tenure.conf: PAM, NSS, tenurectl keys */
	TENURE_SCOPE_SYNCD,  /* tenure-syncd -c FILE */
	TENURE_SCOPE_PAMARG, /* key=value PAM module arguments */
};

enum tenure_ssl { TENURE_SSL_OFF, TENURE_SSL_ON, TENURE_SSL_START_TLS };
enum tenure_reqcert {
	TENURE_REQCERT_NEVER, TENURE_REQCERT_ALLOW, TENURE_REQCERT_TRY,
	TENURE_REQCERT_DEMAND, TENURE_REQCERT_HARD,
};
enum tenure_scope_ldap { TENURE_LDAP_SCOPE_SUB, TENURE_LDAP_SCOPE_ONE, TENURE_LDAP_SCOPE_BASE };
enum tenure_preset { TENURE_POLICY_NONE, TENURE_POLICY_CLASSIC, TENURE_POLICY_NIST };
enum tenure_passwd_hash { TENURE_HASH_EXOP, TENURE_HASH_ARGON2ID };

/* Where a key's value came from, for `tenurectl policy show`. */
enum tenure_source { TENURE_SRC_DEFAULT, TENURE_SRC_PRESET, TENURE_SRC_FILE, TENURE_SRC_ARG };

/* The effective configuration.  Strings are owned by the struct (NULL when
 * unset); ints hold parsed, range-checked values. */
struct tenure_config {
	/* LDAP (nslcd.conf names) */
	char *uri[TENURE_MAX_URIS];
	int n_uri;
	char *base;
	char *binddn;
	char *bindpw_file;
	int scope;                /* enum tenure_scope_ldap */
	int timelimit;            /* seconds, operation timeout */
	int bind_timelimit;       /* seconds, connect + bind timeout */
	int reconnect_sleeptime;  /* seconds, first back-off window */
	int reconnect_retrytime;  /* seconds, longest back-off window */
	int ssl;                  /* enum tenure_ssl */
	int tls_reqcert;          /* enum tenure_reqcert */
	char *tls_cacertfile;
	char *tls_cacertdir;
	int pagesize;

	/* NSS */
	char *base_passwd;
	char *base_group;
	char *base_shadow;
	char *filter_passwd;
	char *filter_group;
	char *filter_shadow;
	long nss_min_uid;
	long nss_min_gid;
	char *validnames;
	int enumerate;
	int nss_getgrent_skipmembers;
	int nss_nested_groups;
	int nss_nested_depth;
	int cache_ttl;
	int cache_negative_ttl;

	/* password policy (pwquality / pwhistory names) */
	int policy;               /* enum tenure_preset */
	int minlen;
	int maxlen;
	int minclass;
	int dcredit, ucredit, lcredit, ocredit;
	int maxrepeat;
	int maxsequence;
	int maxclassrepeat;
	int usercheck;
	int gecoscheck;
	int dictcheck;
	int difok;
	char *badwords;
	int enforcing;
	int enforce_for_root;
	int retry;
	char *dictpath;
	char *breached_filter;
	int remember;
	int history_m_cost;       /* KiB */
	int history_t_cost;
	char *history_dir;
	int passwd_hash;          /* enum tenure_passwd_hash */

	/* shadow aging */
	int min_days;
	int max_days;             /* 99999 = no scheduled rotation */
	int warn_days;
	int inactive_days;        /* -1 = off */

	/* lockout (faillock.conf names) */
	int deny;                 /* 0 = off */
	int fail_interval;
	int unlock_time;          /* 0 = never (admin only) */
	int even_deny_root;
	int root_unlock_time;     /* -1 = same as unlock_time, 0 = never */
	char *admin_group;
	int silent;
	int audit;
	int nodelay;
	char *dir;
	int deny_per_rhost;       /* 0 = off */
	char *tally_key_file;
	int fail_closed;
	int account_anonymous;    /* account phase may read LDAP state anonymously */
	int session_timeout;      /* seconds, 0 = off */

	/* tenure-syncd */
	char *listen;
	char *tls_cert;
	char *tls_key;
	char *scim_token_file;
	char *webhook_secret_file;
	char *journal;
	char *spool_dir;
	char *audit_log;
	int audit_anchor_interval;
	long max_body;
	int mass_change_limit;
	int mass_change_percent;
	int max_backlog;
	int http_threads;
	int max_connections;
	int per_ip_connections;
	int connection_timeout;
	long uid_min;
	long uid_max;
	long default_gid;
	char *home_base;
	char *login_shell;
	int set_nsaccountlock;

	/* bookkeeping, private to config.c */
	struct tenure_config_priv *priv;
};

/* One row of the table, for documentation and `policy show`. */
enum tenure_key_type {
	TENURE_T_INT, TENURE_T_BOOL, TENURE_T_STR, TENURE_T_PATH,
	TENURE_T_ENUM, TENURE_T_URI, TENURE_T_SECRET,
};

struct tenure_key_info {
	const char *name;
	int type;                 /* enum tenure_key_type */
	unsigned users;           /* enum tenure_user bits */
	long min, max;            /* TENURE_T_INT */
	const char *const *names; /* TENURE_T_ENUM: NULL-terminated */
	const char *def;          /* default as text, NULL = unset */
	const char *doc;          /* one line for tenure.conf(5) */
	const char *classic;      /* value under `policy classic`, or NULL */
	const char *nist;         /* value under `policy nist`, or NULL */
};

/* Table access: index 0..n-1; NULL past the end. */
const struct tenure_key_info *tenure_config_key(size_t i);
const struct tenure_key_info *tenure_config_key_find(const char *name);

/* A fresh config holding the defaults. NULL on ENOMEM. */
struct tenure_config *tenure_config_new(void);
void tenure_config_free(struct tenure_config *cfg);

/* Set one key from text.  file/line name the source for messages and for
 * `policy show`; file NULL means a module argument.  Returns 0 or -EINVAL
 * (or -ENOMEM) with "FILE:LINE: KEY: message" in err. */
int tenure_config_set(struct tenure_config *cfg, enum tenure_scope scope,
		      const char *key, const char *value,
		      const char *file, int line, char *err, size_t errlen);

/* Parse a whole file.  Missing file: -ENOENT with a message.  Every line is
 * checked; the first error is returned. */
int tenure_config_load_file(struct tenure_config *cfg, enum tenure_scope scope,
			    const char *path, char *err, size_t errlen);

/* Parse text as if it were a file named `name` (used by tests and fuzzers). */
int tenure_config_load_buffer(struct tenure_config *cfg, enum tenure_scope scope,
			      const char *name, const char *text, size_t len,
			      char *err, size_t errlen);

/* PAM module arguments: `key=value`, or a bare boolean key meaning yes
 * (`silent`, `nodelay`, ...), or a faillock placement word listed in
 * `passthrough` which is skipped.  `conf=PATH` is consumed by the caller. */
int tenure_config_parse_args(struct tenure_config *cfg, int argc, const char **argv,
			     const char *const *passthrough, char *err, size_t errlen);

/* Cross-key checks after everything is read (e.g. uid_min <= uid_max). */
int tenure_config_check(const struct tenure_config *cfg, enum tenure_scope scope,
			char *err, size_t errlen);

/* Where a key's value came from: source kind and, for files, "FILE:LINE". */
enum tenure_source tenure_config_source(const struct tenure_config *cfg, const char *key,
					char *where, size_t wherelen);

/* The value of a key as text (secrets' file names are shown, never contents). */
int tenure_config_format(const struct tenure_config *cfg, const char *key, char *buf, size_t len);

/* The config path: TENURE_CONF via secure_getenv, else /etc/tenure.conf. */
const char *tenure_config_path(void);

/* Load defaults + tenure.conf at tenure_config_path(); convenience for NSS
 * and tenurectl. *out is set only on success. */
int tenure_config_load_default(struct tenure_config **out, char *err, size_t errlen);

/* Read a secret from a `*_file` key.  When running as root, the file must be
 * owned by root and not readable by group or others.  Trailing newline
 * stripped.  Free with secret_free().  At most 4096 bytes. */
int tenure_read_secret_file(const char *path, char **out, size_t *outlen,
			    char *err, size_t errlen);

/* Parse helpers shared by front ends (strict: end pointer, range). */
int tenure_parse_long(const char *s, long min, long max, long *out);
int tenure_parse_bool(const char *s, int *out);

#endif
