/* tenure — one table of configuration keys, one strict parser.
 *
 * The same table serves /etc/tenure.conf (`key value`), tenure-syncd's file
 * and PAM module arguments (`key=value`).  Every value is checked against the
 * key's type and range when it is read; errors read "FILE:LINE: KEY: what is
 * wrong" and name what would have been accepted.  Nothing here logs.
 */
#include "tenure/config.h"
#include "tenure/ldap.h"
#include "tenure/secret.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef TENURE_DATADIR
#define TENURE_DATADIR "/usr/share/tenure"
#endif
#ifndef TENURE_STATEDIR
#define TENURE_STATEDIR "/var/lib/tenure"
#endif

#define SECRET_MAX 4096
#define VALUE_MAX  2048

enum store { S_INT, S_LONG, S_STR, S_URI };

struct key {
	struct tenure_key_info info;   /* first: tenure_config_key() returns &info */
	size_t off;
	unsigned char store;
	unsigned char never_ok;        /* "never" is accepted and means 0 */
	unsigned char bare_ok;         /* a bare module argument means yes */
};

struct tenure_config_priv {
	unsigned char *src;            /* enum tenure_source per key */
	char **where;                  /* "FILE:LINE" per key, or NULL */
	int uri_src;                   /* source kind that set the uri list */
};

static const char *const ssl_names[] = { "off", "on", "start_tls", NULL };
static const char *const reqcert_names[] = { "never", "allow", "try", "demand", "hard", NULL };
static const char *const scope_names[] = { "sub", "one", "base", NULL };
static const char *const policy_names[] = { "none", "classic", "nist", NULL };
static const char *const hash_names[] = { "exop", "argon2id", NULL };

#define PAM   TENURE_FE_PAM
#define NSS   TENURE_FE_NSS
#define SYNCD TENURE_FE_SYNCD
#define CTL   TENURE_FE_CTL
#define LDAPU (PAM | NSS | SYNCD | CTL)

#define OFF(f) offsetof(struct tenure_config, f)

/* Rows: name, type, users, min, max, enum names, default, doc, classic, nist. */
#define K_INT(n, u, lo, hi, d, doc, c, ni) \
	{ { #n, TENURE_T_INT, u, lo, hi, NULL, d, doc, c, ni }, OFF(n), S_INT, 0, 0 }
#define K_NEVER(n, u, lo, hi, d, doc, c, ni) \
	{ { #n, TENURE_T_INT, u, lo, hi, NULL, d, doc, c, ni }, OFF(n), S_INT, 1, 0 }
#define K_LONG(n, u, lo, hi, d, doc) \
	{ { #n, TENURE_T_INT, u, lo, hi, NULL, d, doc, NULL, NULL }, OFF(n), S_LONG, 0, 0 }
#define K_BOOL(n, u, d, doc, c, ni) \
	{ { #n, TENURE_T_BOOL, u, 0, 1, NULL, d, doc, c, ni }, OFF(n), S_INT, 0, 1 }
#define K_ENUM(n, u, names, d, doc, c, ni) \
	{ { #n, TENURE_T_ENUM, u, 0, 0, names, d, doc, c, ni }, OFF(n), S_INT, 0, 0 }
#define K_STR(n, u, d, doc) \
	{ { #n, TENURE_T_STR, u, 0, 0, NULL, d, doc, NULL, NULL }, OFF(n), S_STR, 0, 0 }
#define K_PATH(n, u, d, doc) \
	{ { #n, TENURE_T_PATH, u, 0, 0, NULL, d, doc, NULL, NULL }, OFF(n), S_STR, 0, 0 }
#define K_SECRET(n, u, d, doc) \
	{ { #n, TENURE_T_SECRET, u, 0, 0, NULL, d, doc, NULL, NULL }, OFF(n), S_STR, 0, 0 }

static const struct key keys[] = {
	/* LDAP, as in nslcd.conf */
	{ { "uri", TENURE_T_URI, LDAPU, 0, 0, NULL, NULL,
	    "LDAP server URIs (ldap:// or ldaps://), tried in order; may be repeated", NULL, NULL },
	  OFF(uri), S_URI, 0, 0 },
	K_STR(base, LDAPU, NULL, "search base DN"),
	K_STR(binddn, LDAPU, NULL, "DN to bind as (anonymous when unset)"),
	K_SECRET(bindpw_file, LDAPU, NULL, "file holding the bind password (root-owned, mode 0600)"),
	K_ENUM(scope, LDAPU, scope_names, "sub", "search scope under the bases", NULL, NULL),
	K_INT(timelimit, LDAPU, 1, 300, "10", "seconds an LDAP operation may take", NULL, NULL),
	K_INT(bind_timelimit, LDAPU, 1, 300, "5", "seconds to connect and bind to one server", NULL, NULL),
	K_INT(reconnect_sleeptime, LDAPU, 0, 3600, "1",
	      "seconds calls fail at once after every server failed (doubles each time)", NULL, NULL),
	K_INT(reconnect_retrytime, LDAPU, 0, 86400, "10", "longest back-off window, seconds", NULL, NULL),
	K_ENUM(ssl, LDAPU, ssl_names, "off", "TLS: off, on (ldaps), or start_tls", NULL, NULL),
	K_ENUM(tls_reqcert, LDAPU, reqcert_names, "demand", "server certificate check", NULL, NULL),
	K_PATH(tls_cacertfile, LDAPU, NULL, "CA certificates (PEM) to trust"),
	K_PATH(tls_cacertdir, LDAPU, NULL, "directory of CA certificates to trust"),
	K_INT(pagesize, NSS | SYNCD | CTL, 0, 100000, "500", "paged results size (0 = no paging)", NULL, NULL),

	/* NSS */
	K_STR(base_passwd, NSS | PAM | SYNCD | CTL, NULL, "search base for users (default: base)"),
	K_STR(base_group, NSS | CTL, NULL, "search base for groups (default: base)"),
	K_STR(base_shadow, NSS | CTL, NULL, "search base for shadow (default: base_passwd)"),
	K_STR(filter_passwd, NSS | PAM | SYNCD | CTL, "(objectClass=posixAccount)", "filter for users"),
	K_STR(filter_group, NSS | CTL, "(objectClass=posixGroup)", "filter for groups"),
	K_STR(filter_shadow, NSS | CTL, "(objectClass=shadowAccount)", "filter for shadow entries"),
	K_LONG(nss_min_uid, NSS | PAM | CTL, 0, 4294967294L, "1000", "users below this uid are never returned"),
	K_LONG(nss_min_gid, NSS | CTL, 0, 4294967294L, "1000", "groups below this gid are never returned"),
	K_STR(validnames, NSS | PAM | SYNCD | CTL,
	      "/^[a-z0-9._@$()]([a-z0-9._@$() \\\\~-]*[a-z0-9._@$()~-])?$/i",
	      "regular expression (/.../ or /.../i) a user or group name must match"),
	K_BOOL(enumerate, NSS, "yes", "allow getent passwd/group to list every entry", NULL, NULL),
	K_BOOL(nss_getgrent_skipmembers, NSS, "no", "leave member lists out of getgrent/getgrnam", NULL, NULL),
	K_BOOL(nss_nested_groups, NSS, "no", "resolve groups nested by member DN", NULL, NULL),
	K_INT(nss_nested_depth, NSS, 1, 32, "4", "how deep nested groups are followed", NULL, NULL),
	K_INT(cache_ttl, NSS, 0, 3600, "30", "seconds a found entry is cached in a process (0 = off)", NULL, NULL),
	K_INT(cache_negative_ttl, NSS, 0, 3600, "5", "seconds a name not found is cached (0 = off)", NULL, NULL),

	/* password policy, as in pwquality.conf */
	K_ENUM(policy, PAM | CTL | NSS, policy_names, "none", "preset the other keys refine: classic or nist", NULL, NULL),
	K_INT(minlen, PAM | CTL, 6, 1024, "8", "minimum length in code points, credits included", "12", "15"),
	K_INT(maxlen, PAM | CTL, 8, 4096, "256", "maximum length in code points", NULL, "256"),
	K_INT(minclass, PAM | CTL, 0, 4, "0", "character classes required (digits, upper, lower, other)", "3", "0"),
	K_INT(dcredit, PAM | CTL, -256, 256, "0", "digits: credit (>0) or required count (<0)", "0", "0"),
	K_INT(ucredit, PAM | CTL, -256, 256, "0", "upper case: credit (>0) or required count (<0)", "0", "0"),
	K_INT(lcredit, PAM | CTL, -256, 256, "0", "lower case: credit (>0) or required count (<0)", "0", "0"),
	K_INT(ocredit, PAM | CTL, -256, 256, "0", "other characters: credit (>0) or required count (<0)", "0", "0"),
	K_INT(maxrepeat, PAM | CTL, 0, 256, "0", "most identical consecutive characters (0 = any)", "3", "0"),
	K_INT(maxsequence, PAM | CTL, 0, 256, "0", "longest monotonic sequence like 12345 (0 = any)", "4", "0"),
	K_INT(maxclassrepeat, PAM | CTL, 0, 256, "0", "most consecutive characters of one class (0 = any)", NULL, "0"),
	K_BOOL(usercheck, PAM | CTL, "yes", "refuse passwords containing the user name", "yes", "yes"),
	K_BOOL(gecoscheck, PAM | CTL, "no", "refuse passwords containing GECOS words of 3+ characters", "yes", "yes"),
	K_BOOL(dictcheck, PAM | CTL, "yes", "refuse dictionary words, also disguised", "yes", "yes"),
	K_INT(difok, PAM | CTL, 0, 256, "1", "characters that must differ from the old password", "5", "1"),
	K_STR(badwords, PAM | CTL, NULL, "space-separated words refused in passwords"),
	K_BOOL(enforcing, PAM | CTL, "yes", "refuse (yes) or only warn (no)", NULL, NULL),
	K_BOOL(enforce_for_root, PAM | CTL, "no", "apply the policy when root changes a password", NULL, NULL),
	K_INT(retry, PAM, 1, 10, "3", "prompts before the change fails", NULL, NULL),
	K_PATH(dictpath, PAM | CTL, NULL, "extra word list, one word per line"),
	K_PATH(breached_filter, PAM | CTL, TENURE_DATADIR "/breached.filter",
	       "breached-password filter built by tenurectl filter build"),
	K_INT(remember, PAM | CTL, 0, 400, "0", "previous passwords refused, the current one included", "5", "0"),
	K_INT(history_m_cost, PAM | CTL, 8, 4194304, "19456", "argon2id memory cost of history hashes, KiB", NULL, NULL),
	K_INT(history_t_cost, PAM | CTL, 1, 64, "2", "argon2id iterations of history hashes", NULL, NULL),
	K_PATH(history_dir, PAM | CTL, TENURE_STATEDIR "/history", "history of local accounts"),
	K_ENUM(passwd_hash, PAM, hash_names, "exop",
	       "exop: the server hashes (RFC 3062); argon2id: hash here and write userPassword", NULL, NULL),

	/* shadow aging */
	K_INT(min_days, PAM | CTL, 0, 99999, "0", "days before a password may be changed again", "1", "0"),
	K_INT(max_days, PAM | CTL, 1, 99999, "99999", "days a password is valid (99999 = no rotation)", "90", "99999"),
	K_INT(warn_days, PAM | CTL, 0, 99999, "7", "days of warning before expiry", "7", NULL),
	K_INT(inactive_days, PAM | CTL, -1, 99999, "-1", "days after expiry the password still allows a change (-1 = forever)", NULL, NULL),

	/* lockout, as in faillock.conf */
	K_INT(deny, PAM | CTL, 0, 1000, "3", "failures that lock the account (0 = no lockout)", "5", "10"),
	K_INT(fail_interval, PAM | CTL, 1, 31536000, "900", "window in seconds in which failures count", "900", NULL),
	K_NEVER(unlock_time, PAM | CTL, 0, 31536000, "600", "seconds until an automatic unlock (0 or never = admin only)", "1800", NULL),
	K_BOOL(even_deny_root, PAM | CTL, "no", "lock root too", NULL, NULL),
	K_NEVER(root_unlock_time, PAM | CTL, -1, 31536000, "-1", "unlock time for root (-1 = unlock_time)", NULL, NULL),
	K_STR(admin_group, PAM | CTL, NULL, "members are treated like root for lockout"),
	K_BOOL(silent, PAM, "no", "no lockout messages to the user", NULL, NULL),
	K_BOOL(audit, PAM, "no", "log the user name of unknown users", NULL, NULL),
	K_BOOL(nodelay, PAM, "no", "no delay after a failed login", NULL, NULL),
	K_PATH(dir, PAM | CTL, TENURE_STATEDIR "/tally", "tally directory (one file per user)"),
	K_INT(deny_per_rhost, PAM | CTL, 0, 1000, "0", "failures from one source that lock that source (0 = off)", NULL, NULL),
	K_SECRET(tally_key_file, PAM | CTL, TENURE_STATEDIR "/tally.key",
		 "per-host secret for keyed hashes of failed guesses (created when missing)"),
	K_BOOL(fail_closed, PAM | CTL, "yes", "refuse logins when the tally cannot be written", NULL, NULL),
	K_BOOL(account_anonymous, PAM | CTL, "no",
	       "let the account phase read directory accounts anonymously (only where anonymous may read shadowExpire, pwdAccountLockedTime and tenureDisabledAt)",
	       NULL, NULL),
	K_INT(session_timeout, PAM | CTL, 0, 86400, "0", "idle session timeout exported as TMOUT (0 = off)", "900", NULL),

	/* tenure-syncd */
	K_STR(listen, SYNCD, "127.0.0.1:8787", "ADDR:PORT to serve HTTP(S) on"),
	K_PATH(tls_cert, SYNCD, NULL, "HTTPS certificate (PEM); required off loopback"),
	K_PATH(tls_key, SYNCD, NULL, "HTTPS private key (PEM)"),
	K_SECRET(scim_token_file, SYNCD, NULL, "bearer token(s) for SCIM, one per line"),
	K_SECRET(webhook_secret_file, SYNCD, NULL, "HMAC secret(s) for /v1/events, one per line"),
	K_PATH(journal, SYNCD | CTL, TENURE_STATEDIR "/syncd/journal.db", "SQLite event journal"),
	K_PATH(spool_dir, SYNCD | CTL, "/var/spool/tenure", "CSV drop folder"),
	K_PATH(audit_log, SYNCD | CTL, "/var/log/tenure/audit.log", "hash-chained audit log"),
	K_INT(audit_anchor_interval, SYNCD, 0, 86400, "60",
	      "seconds between \"audit head seq=N sha256=HASH\" log lines, the anchor that \"tenurectl audit verify --head\" checks a log against (0 = after every record)",
	      NULL, NULL),
	K_LONG(max_body, SYNCD, 1024, 67108864L, "1048576", "largest request body, bytes"),
	K_INT(mass_change_limit, SYNCD, 0, 1000000, "50", "accounts one CSV file may disable before it is held", NULL, NULL),
	K_INT(mass_change_percent, SYNCD, 0, 100, "5", "... or this share of the directory's accounts", NULL, NULL),
	K_INT(max_backlog, SYNCD, 1, 10000000, "100000", "unapplied events before intake answers 503", NULL, NULL),
	K_INT(http_threads, SYNCD, 1, 64, "4", "HTTP worker threads", NULL, NULL),
	K_INT(max_connections, SYNCD, 1, 100000, "256", "concurrent HTTP connections", NULL, NULL),
	K_INT(per_ip_connections, SYNCD, 1, 100000, "64", "concurrent HTTP connections from one address", NULL, NULL),
	K_INT(connection_timeout, SYNCD, 1, 3600, "30", "seconds an idle HTTP connection is kept", NULL, NULL),
	K_LONG(uid_min, SYNCD, 1000, 4294967294L, "10000", "first uidNumber for users created over SCIM"),
	K_LONG(uid_max, SYNCD, 1000, 4294967294L, "59999", "last uidNumber for users created over SCIM"),
	K_LONG(default_gid, SYNCD, 1000, 4294967294L, "10000", "gidNumber of users created over SCIM"),
	K_PATH(home_base, SYNCD, "/home", "home directories of users created over SCIM"),
	K_PATH(login_shell, SYNCD, "/bin/bash", "login shell of users created over SCIM"),
	K_BOOL(set_nsaccountlock, SYNCD, "no", "also write nsAccountLock: TRUE (389-DS, FreeIPA)", NULL, NULL),
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))

/* ---- small helpers ---- */

static void seterr(char *err, size_t errlen, const char *file, int line,
		   const char *key, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static void seterr(char *err, size_t errlen, const char *file, int line,
		   const char *key, const char *fmt, ...)
{
	char msg[TENURE_ERRLEN];
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!file)
		snprintf(err, errlen, "module argument %d: %s: %s", line, key ? key : "", msg);
	else if (key)
		snprintf(err, errlen, "%s:%d: %s: %s", file, line, key, msg);
	else
		snprintf(err, errlen, "%s:%d: %s", file, line, msg);
}

int tenure_parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (!s || !*s || isspace((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno == ERANGE || *end != '\0')
		return errno == ERANGE ? -ERANGE : -EINVAL;
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int tenure_parse_bool(const char *s, int *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1", NULL };
	static const char *const no[] = { "no", "false", "off", "0", NULL };

	for (size_t i = 0; yes[i]; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return -EINVAL;
}

static const struct key *find(const char *name)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].info.name, name) == 0)
			return &keys[i];
	return NULL;
}

const struct tenure_key_info *tenure_config_key(size_t i)
{
	return i < NKEYS ? &keys[i].info : NULL;
}

const struct tenure_key_info *tenure_config_key_find(const char *name)
{
	const struct key *k = find(name);
	return k ? &k->info : NULL;
}

static size_t key_index(const struct key *k)
{
	return (size_t)(k - keys);
}

static int *int_at(struct tenure_config *cfg, const struct key *k)
{
	return (int *)((char *)cfg + k->off);
}

static long *long_at(struct tenure_config *cfg, const struct key *k)
{
	return (long *)((char *)cfg + k->off);
}

static char **str_at(struct tenure_config *cfg, const struct key *k)
{
	return (char **)((char *)cfg + k->off);
}

static void clear_uris(struct tenure_config *cfg)
{
	for (int i = 0; i < cfg->n_uri; i++) {
		free(cfg->uri[i]);
		cfg->uri[i] = NULL;
	}
	cfg->n_uri = 0;
}

/* Printable text without control characters, valid UTF-8, bounded. */
static const char *check_text(const char *v)
{
	size_t n = strlen(v);

	if (n > VALUE_MAX)
		return "value too long";
	if (!tenure_utf8_valid(v, n))
		return "value is not valid UTF-8";
	for (const unsigned char *p = (const unsigned char *)v; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return "value holds a control character";
	return NULL;
}

static int check_uri(const char *u)
{
	return strncmp(u, "ldap://", 7) == 0 || strncmp(u, "ldaps://", 8) == 0;
}

static int check_validnames(const char *v)
{
	size_t n = strlen(v);

	if (n < 2 || v[0] != '/')
		return 0;
	if (v[n - 1] == '/')
		return n >= 2;
	return n >= 3 && v[n - 1] == 'i' && v[n - 2] == '/';
}

/* Parse v for key k and store it.  Returns 0, or -EINVAL/-ENOMEM with msg. */
static int store(struct tenure_config *cfg, const struct key *k, const char *v,
		 char *msg, size_t msglen)
{
	const struct tenure_key_info *ki = &k->info;
	const char *bad;
	long lv;
	int bv;

	switch (ki->type) {
	case TENURE_T_INT:
		if (k->never_ok && strcasecmp(v, "never") == 0) {
			lv = 0;
		} else {
			int rc = tenure_parse_long(v, ki->min, ki->max, &lv);
			if (rc == -EINVAL) {
				snprintf(msg, msglen, "'%s' is not a number (accepted: %ld to %ld%s)",
					 v, ki->min, ki->max, k->never_ok ? ", or never" : "");
				return -EINVAL;
			}
			if (rc) {
				snprintf(msg, msglen, "%s is out of range (accepted: %ld to %ld%s)",
					 v, ki->min, ki->max, k->never_ok ? ", or never" : "");
				return -EINVAL;
			}
		}
		if (k->store == S_LONG)
			*long_at(cfg, k) = lv;
		else
			*int_at(cfg, k) = (int)lv;
		return 0;
	case TENURE_T_BOOL:
		if (tenure_parse_bool(v, &bv)) {
			snprintf(msg, msglen, "'%s' is not a boolean (accepted: yes, no, true, false, on, off, 1, 0)", v);
			return -EINVAL;
		}
		*int_at(cfg, k) = bv;
		return 0;
	case TENURE_T_ENUM:
		for (int i = 0; ki->names[i]; i++) {
			if (strcmp(v, ki->names[i]) == 0) {
				*int_at(cfg, k) = i;
				return 0;
			}
		}
		{
			size_t off = (size_t)snprintf(msg, msglen, "'%s' is not one of:", v);
			for (int i = 0; ki->names[i] && off < msglen; i++)
				off += (size_t)snprintf(msg + off, msglen - off, "%s %s",
							i ? "," : "", ki->names[i]);
		}
		return -EINVAL;
	case TENURE_T_URI: {
		char *copy, *tok, *save = NULL;
		int rc = 0;

		if ((bad = check_text(v))) {
			snprintf(msg, msglen, "%s", bad);
			return -EINVAL;
		}
		copy = strdup(v);
		if (!copy)
			return -ENOMEM;
		for (tok = strtok_r(copy, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
			if (!check_uri(tok)) {
				snprintf(msg, msglen, "'%s' is not an ldap:// or ldaps:// URI", tok);
				rc = -EINVAL;
				break;
			}
			if (cfg->n_uri >= TENURE_MAX_URIS) {
				snprintf(msg, msglen, "more than %d URIs", TENURE_MAX_URIS);
				rc = -EINVAL;
				break;
			}
			cfg->uri[cfg->n_uri] = strdup(tok);
			if (!cfg->uri[cfg->n_uri]) {
				rc = -ENOMEM;
				break;
			}
			cfg->n_uri++;
		}
		free(copy);
		return rc;
	}
	case TENURE_T_PATH:
	case TENURE_T_SECRET:
		if (v[0] != '/') {
			snprintf(msg, msglen, "'%s' is not an absolute path", v);
			return -EINVAL;
		}
		if (strlen(v) >= PATH_MAX) {
			snprintf(msg, msglen, "path too long");
			return -EINVAL;
		}
		/* fall through */
	case TENURE_T_STR: {
		char *dup;

		if ((bad = check_text(v))) {
			snprintf(msg, msglen, "%s", bad);
			return -EINVAL;
		}
		if (strcmp(ki->name, "validnames") == 0 && !check_validnames(v)) {
			snprintf(msg, msglen, "'%s' is not a /regex/ or /regex/i", v);
			return -EINVAL;
		}
		dup = strdup(v);
		if (!dup)
			return -ENOMEM;
		free(*str_at(cfg, k));
		*str_at(cfg, k) = dup;
		return 0;
	}
	}
	return -EINVAL;
}

static void set_source(struct tenure_config *cfg, const struct key *k, enum tenure_source src,
		       const char *file, int line)
{
	size_t i = key_index(k);
	char buf[PATH_MAX + 32];

	cfg->priv->src[i] = (unsigned char)src;
	free(cfg->priv->where[i]);
	cfg->priv->where[i] = NULL;
	if (src == TENURE_SRC_FILE) {
		snprintf(buf, sizeof(buf), "%s:%d", file, line);
		cfg->priv->where[i] = strdup(buf);
	} else if (src == TENURE_SRC_ARG) {
		snprintf(buf, sizeof(buf), "module argument %d", line);
		cfg->priv->where[i] = strdup(buf);
	}
}

/* Reset a key to its default (or unset). */
static void set_default(struct tenure_config *cfg, const struct key *k)
{
	char msg[TENURE_ERRLEN];

	if (k->store == S_URI) {
		clear_uris(cfg);
	} else if (k->store == S_STR) {
		free(*str_at(cfg, k));
		*str_at(cfg, k) = NULL;
	}
	if (k->info.def)
		(void)store(cfg, k, k->info.def, msg, sizeof(msg));
	set_source(cfg, k, TENURE_SRC_DEFAULT, NULL, 0);
}

/* Apply the preset named by cfg->policy to every key not set explicitly. */
static void apply_preset(struct tenure_config *cfg)
{
	char msg[TENURE_ERRLEN];

	for (size_t i = 0; i < NKEYS; i++) {
		const struct key *k = &keys[i];
		const char *pv = NULL;

		if (cfg->priv->src[i] != TENURE_SRC_DEFAULT && cfg->priv->src[i] != TENURE_SRC_PRESET)
			continue;
		if (strcmp(k->info.name, "policy") == 0)
			continue;
		if (cfg->policy == TENURE_POLICY_CLASSIC)
			pv = k->info.classic;
		else if (cfg->policy == TENURE_POLICY_NIST)
			pv = k->info.nist;
		set_default(cfg, k);
		if (pv) {
			(void)store(cfg, k, pv, msg, sizeof(msg));
			cfg->priv->src[i] = TENURE_SRC_PRESET;
		}
	}
}

struct tenure_config *tenure_config_new(void)
{
	struct tenure_config *cfg = calloc(1, sizeof(*cfg));

	if (!cfg)
		return NULL;
	cfg->priv = calloc(1, sizeof(*cfg->priv));
	if (!cfg->priv)
		goto err;
	cfg->priv->src = calloc(NKEYS, 1);
	cfg->priv->where = calloc(NKEYS, sizeof(char *));
	if (!cfg->priv->src || !cfg->priv->where)
		goto err;
	for (size_t i = 0; i < NKEYS; i++)
		set_default(cfg, &keys[i]);
	return cfg;
err:
	tenure_config_free(cfg);
	return NULL;
}

void tenure_config_free(struct tenure_config *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < NKEYS; i++)
		if (keys[i].store == S_STR)
			free(*str_at(cfg, &keys[i]));
	clear_uris(cfg);
	if (cfg->priv) {
		if (cfg->priv->where)
			for (size_t i = 0; i < NKEYS; i++)
				free(cfg->priv->where[i]);
		free(cfg->priv->where);
		free(cfg->priv->src);
		free(cfg->priv);
	}
	free(cfg);
}

static int allowed(const struct key *k, enum tenure_scope scope)
{
	switch (scope) {
	case TENURE_SCOPE_HOST:
		return (k->info.users & (TENURE_FE_PAM | TENURE_FE_NSS | TENURE_FE_CTL)) != 0;
	case TENURE_SCOPE_SYNCD:
		return (k->info.users & TENURE_FE_SYNCD) != 0;
	case TENURE_SCOPE_PAMARG:
		return (k->info.users & TENURE_FE_PAM) != 0;
	}
	return 0;
}

static const char *scope_name(enum tenure_scope scope)
{
	switch (scope) {
	case TENURE_SCOPE_HOST: return "a tenure.conf key";
	case TENURE_SCOPE_SYNCD: return "a tenure-syncd key";
	case TENURE_SCOPE_PAMARG: return "a pam_tenure argument";
	}
	return "";
}

int tenure_config_set(struct tenure_config *cfg, enum tenure_scope scope,
		      const char *key, const char *value,
		      const char *file, int line, char *err, size_t errlen)
{
	const struct key *k = find(key);
	enum tenure_source src = file ? TENURE_SRC_FILE : TENURE_SRC_ARG;
	char msg[TENURE_ERRLEN];
	int rc;

	if (!k) {
		size_t n = strlen(key);
		if (strcmp(key, "bindpw") == 0 || strcmp(key, "rootpwmodpw") == 0 ||
		    (n > 7 && (strcmp(key + n - 7, "_secret") == 0 || strcmp(key + n - 6, "_token") == 0)))
			seterr(err, errlen, file, line, key,
			       "secrets are not accepted here; put it in a root-owned mode 0600 file and name that file with the matching *_file key");
		else
			seterr(err, errlen, file, line, key, "unknown key");
		return -EINVAL;
	}
	if (!allowed(k, scope)) {
		seterr(err, errlen, file, line, key, "not %s", scope_name(scope));
		return -EINVAL;
	}
	if (!value || !*value) {
		seterr(err, errlen, file, line, key, "missing value");
		return -EINVAL;
	}
	/* A new source replaces the URI list instead of adding to it. */
	if (k->store == S_URI && cfg->priv->uri_src != (int)src) {
		clear_uris(cfg);
		cfg->priv->uri_src = (int)src;
	}
	rc = store(cfg, k, value, msg, sizeof(msg));
	if (rc == -ENOMEM) {
		seterr(err, errlen, file, line, key, "out of memory");
		return rc;
	}
	if (rc) {
		seterr(err, errlen, file, line, key, "%s", msg);
		return rc;
	}
	set_source(cfg, k, src, file, line);
	if (strcmp(key, "policy") == 0)
		apply_preset(cfg);
	return 0;
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
		*--e = '\0';
	return s;
}

static int parse_line(struct tenure_config *cfg, enum tenure_scope scope, const char *name,
		      int lineno, char *line, char *err, size_t errlen)
{
	char *p = trim(line), *val;

	if (*p == '\0' || *p == '#')
		return 0;
	val = p;
	while (*val && *val != ' ' && *val != '\t')
		val++;
	if (*val)
		*val++ = '\0';
	val = trim(val);
	return tenure_config_set(cfg, scope, p, val, name, lineno, err, errlen);
}

int tenure_config_load_buffer(struct tenure_config *cfg, enum tenure_scope scope,
			      const char *name, const char *text, size_t len,
			      char *err, size_t errlen)
{
	char line[TENURE_CONF_LINE_MAX];
	size_t pos = 0;
	int lineno = 0;

	while (pos < len) {
		size_t start = pos, n;
		int rc;

		while (pos < len && text[pos] != '\n')
			pos++;
		n = pos - start;
		lineno++;
		if (pos < len)
			pos++;   /* the newline */
		if (n >= sizeof(line)) {
			seterr(err, errlen, name, lineno, NULL, "line longer than %zu characters",
			       sizeof(line) - 1);
			return -EINVAL;
		}
		if (memchr(text + start, '\0', n)) {
			seterr(err, errlen, name, lineno, NULL, "line holds a NUL byte");
			return -EINVAL;
		}
		memcpy(line, text + start, n);
		line[n] = '\0';
		rc = parse_line(cfg, scope, name, lineno, line, err, errlen);
		if (rc)
			return rc;
	}
	return 0;
}

/* Open a file that root must own: a regular file, not a link when
 * nofollow, and (when running as root) owned by root with none of the
 * badmode bits set.  Returns the descriptor, or a negative errno with the
 * reason in err. */
static int open_root_file(const char *path, int nofollow, mode_t badmode, const char *why,
			  struct stat *st, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | (nofollow ? O_NOFOLLOW : 0));
	int rc;

	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return rc;
	}
	if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		close(fd);
		return -EINVAL;
	}
	if (geteuid() == 0 && (st->st_uid != 0 || (st->st_mode & badmode))) {
		snprintf(err, errlen, "%s: refused: %s", path, why);
		close(fd);
		return -EPERM;
	}
	return fd;
}

int tenure_config_load_file(struct tenure_config *cfg, enum tenure_scope scope,
			    const char *path, char *err, size_t errlen)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	int fd, rc;

	fd = open_root_file(path, 0, 022, "must be owned by root and writable by root only",
			    &st, err, errlen);
	if (fd < 0)
		return fd;
	if (st.st_size > 1024 * 1024) {
		snprintf(err, errlen, "%s: larger than 1 MiB", path);
		rc = -EFBIG;
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		rc = -ENOMEM;
		snprintf(err, errlen, "%s: out of memory", path);
		goto out;
	}
	while (len < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + len, (size_t)st.st_size - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = -errno;
			snprintf(err, errlen, "%s: read: %s", path, strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	rc = tenure_config_load_buffer(cfg, scope, path, buf, len, err, errlen);
out:
	free(buf);
	close(fd);
	return rc;
}

int tenure_config_parse_args(struct tenure_config *cfg, int argc, const char **argv,
			     const char *const *passthrough, char *err, size_t errlen)
{
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *eq = strchr(a, '=');
		char key[128];
		const struct key *k;
		int skip = 0, rc;

		if (strncmp(a, "conf=", 5) == 0)
			continue;
		for (size_t j = 0; !eq && passthrough && passthrough[j]; j++)
			if (strcmp(a, passthrough[j]) == 0)
				skip = 1;
		if (skip)
			continue;
		if (!eq) {
			/* A bare boolean means yes, as in faillock and pwquality. */
			k = find(a);
			if (k && k->bare_ok) {
				rc = tenure_config_set(cfg, TENURE_SCOPE_PAMARG, a, "yes", NULL, i + 1, err, errlen);
				if (rc)
					return rc;
				continue;
			}
			seterr(err, errlen, NULL, i + 1, a, k ? "needs a value (key=value)" : "unknown key");
			return -EINVAL;
		}
		if ((size_t)(eq - a) >= sizeof(key)) {
			seterr(err, errlen, NULL, i + 1, NULL, "key too long");
			return -EINVAL;
		}
		memcpy(key, a, (size_t)(eq - a));
		key[eq - a] = '\0';
		rc = tenure_config_set(cfg, TENURE_SCOPE_PAMARG, key, eq + 1, NULL, i + 1, err, errlen);
		if (rc)
			return rc;
	}
	return 0;
}

int tenure_config_check(const struct tenure_config *cfg, enum tenure_scope scope,
			char *err, size_t errlen)
{
	if (cfg->uid_min > cfg->uid_max) {
		snprintf(err, errlen, "uid_min (%ld) is above uid_max (%ld)", cfg->uid_min, cfg->uid_max);
		return -EINVAL;
	}
	if (cfg->reconnect_sleeptime > cfg->reconnect_retrytime && cfg->reconnect_retrytime > 0) {
		snprintf(err, errlen, "reconnect_sleeptime (%d) is above reconnect_retrytime (%d)",
			 cfg->reconnect_sleeptime, cfg->reconnect_retrytime);
		return -EINVAL;
	}
	if (cfg->binddn && !cfg->bindpw_file) {
		snprintf(err, errlen, "binddn is set but bindpw_file is not");
		return -EINVAL;
	}
	if (cfg->minlen > cfg->maxlen) {
		snprintf(err, errlen, "minlen (%d) is above maxlen (%d)", cfg->minlen, cfg->maxlen);
		return -EINVAL;
	}
	if (scope == TENURE_SCOPE_SYNCD && (!cfg->tls_cert) != (!cfg->tls_key)) {
		snprintf(err, errlen, "tls_cert and tls_key go together");
		return -EINVAL;
	}
	return 0;
}

enum tenure_source tenure_config_source(const struct tenure_config *cfg, const char *key,
					char *where, size_t wherelen)
{
	const struct key *k = find(key);
	enum tenure_source src;

	if (!k) {
		if (where && wherelen)
			where[0] = '\0';
		return TENURE_SRC_DEFAULT;
	}
	src = (enum tenure_source)cfg->priv->src[key_index(k)];
	if (where && wherelen) {
		const char *w = cfg->priv->where[key_index(k)];
		if (src == TENURE_SRC_PRESET)
			w = cfg->policy == TENURE_POLICY_NIST ? "policy nist" : "policy classic";
		else if (src == TENURE_SRC_DEFAULT)
			w = "default";
		snprintf(where, wherelen, "%s", w ? w : "");
	}
	return src;
}

int tenure_config_format(const struct tenure_config *cfg, const char *key, char *buf, size_t len)
{
	const struct key *k = find(key);
	struct tenure_config *c = (struct tenure_config *)cfg;
	size_t off = 0;

	if (!k || !len)
		return -EINVAL;
	buf[0] = '\0';
	switch (k->info.type) {
	case TENURE_T_INT:
		if (k->store == S_LONG)
			snprintf(buf, len, "%ld", *long_at(c, k));
		else if (k->never_ok && *int_at(c, k) == 0)
			snprintf(buf, len, "never");
		else
			snprintf(buf, len, "%d", *int_at(c, k));
		break;
	case TENURE_T_BOOL:
		snprintf(buf, len, "%s", *int_at(c, k) ? "yes" : "no");
		break;
	case TENURE_T_ENUM:
		snprintf(buf, len, "%s", k->info.names[*int_at(c, k)]);
		break;
	case TENURE_T_URI:
		for (int i = 0; i < cfg->n_uri && off < len; i++)
			off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? " " : "", cfg->uri[i]);
		break;
	default:
		snprintf(buf, len, "%s", *str_at(c, k) ? *str_at(c, k) : "");
		break;
	}
	return 0;
}

const char *tenure_config_path(void)
{
	const char *p = secure_getenv("TENURE_CONF");

	return (p && *p) ? p : TENURE_CONF_DEFAULT;
}

int tenure_config_load_default(struct tenure_config **out, char *err, size_t errlen)
{
	struct tenure_config *cfg = tenure_config_new();
	int rc;

	if (!cfg) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	rc = tenure_config_load_file(cfg, TENURE_SCOPE_HOST, tenure_config_path(), err, errlen);
	if (!rc)
		rc = tenure_config_check(cfg, TENURE_SCOPE_HOST, err, errlen);
	if (rc) {
		tenure_config_free(cfg);
		return rc;
	}
	*out = cfg;
	return 0;
}

int tenure_read_secret_file(const char *path, char **out, size_t *outlen,
			    char *err, size_t errlen)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	int fd, rc;

	if (!path) {
		snprintf(err, errlen, "no secret file configured");
		return -ENOENT;
	}
	fd = open_root_file(path, 1, 077,
			    "a secret file must be owned by root and not readable by group or others (chmod 0600)",
			    &st, err, errlen);
	if (fd < 0)
		return fd;
	buf = malloc(SECRET_MAX + 1);
	if (!buf) {
		rc = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (;;) {
		ssize_t r = read(fd, buf + len, SECRET_MAX + 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = -errno;
			snprintf(err, errlen, "%s: read: %s", path, strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		len += (size_t)r;
		if (len > SECRET_MAX) {
			snprintf(err, errlen, "%s: longer than %d bytes", path, SECRET_MAX);
			rc = -EFBIG;
			goto out;
		}
	}
	while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		len--;
	buf[len] = '\0';
	if (memchr(buf, '\0', len)) {
		snprintf(err, errlen, "%s: holds a NUL byte", path);
		rc = -EINVAL;
		goto out;
	}
	*out = buf;
	*outlen = len;
	buf = NULL;
	rc = 0;
out:
	if (buf)
		secret_freezero(buf, SECRET_MAX + 1);
	close(fd);
	return rc;
}
