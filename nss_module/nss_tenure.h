/* tenure NSS module — internal declarations.
 *
 * Layout:
 *   context.c    config (loaded once, reloaded when the file changes), the
 *                LDAP sessions (one anonymous, one service for shadow, each
 *                behind a mutex), fork handling, re-entrancy guard, logging
 *   cache.c      in-process cache of found / not-found answers
 *   convert.c    records (struct nss_pw/gr/sp) from plain strings, with every
 *                check, and packing of a record into the caller's buffer;
 *                no LDAP here, so a fuzzer can call it
 *   entry.c      records from LDAP entries (calls convert.c)
 *   ent.c        enumeration state
 *   passwd.c, group.c, shadow.c, initgroups.c: the NSS entry points
 *
 * Nothing here writes to stdout/stderr, exits or changes signal dispositions.
 */
#ifndef TENURE_NSS_H
#define TENURE_NSS_H

#include <grp.h>
#include <nss.h>
#include <pwd.h>
#include <regex.h>
#include <shadow.h>
#include <pthread.h>
#include <stddef.h>
#include <sys/types.h>

#include "tenure/config.h"
#include "tenure/ldap.h"

#define NSS_EXPORT __attribute__((visibility("default")))

/* Limits on what a directory may hand us. */
#define NSS_NAME_MAX     256      /* user or group name */
#define NSS_FIELD_MAX    1024     /* gecos, home, shell */
#define NSS_DN_MAX       1024
#define NSS_MEMBERS_MAX  200000   /* members of one group */
#define NSS_GROUPS_MAX   65536    /* groups of one user */

/* ---- records ---- */

struct nss_pw {
	char *name;
	uid_t uid;
	gid_t gid;
	char *gecos;
	char *dir;
	char *shell;
	char *dn;         /* may be NULL */
};

struct nss_gr {
	char *name;
	gid_t gid;
	char **mem;       /* NULL-terminated */
	size_t nmem;
};

struct nss_sp {
	char *name;
	long lstchg, min, max, warn, inact, expire;   /* -1 = absent */
};

/* convert.c: strict number parsing (digits only, 0..4294967294). */
int nss_parse_id(const char *s, unsigned long *out);
/* A long shadow field: optional '-' then digits, in [-1, 2^31-1]. */
int nss_parse_shadow_long(const char *s, long *out);

/* A field may go into a passwd/group line: no ':' no newline (no ',' in
 * member names).  1 = ok. */
int nss_field_ok(const char *s, int is_member);

/* Build records from strings as they came from the directory.  Every check
 * is here: numbers strict, uid/gid >= min, fields safe.  Returns 0, -EINVAL
 * (unsafe field or bad number: drop and log), -EPERM (id below minimum:
 * drop silently), -ENOMEM.  *why names the reason on -EINVAL. */
int nss_pw_build(const char *name, const char *uidnum, const char *gidnum,
		 const char *gecos, const char *cn, const char *dir, const char *shell,
		 unsigned long min_uid, struct nss_pw *out, const char **why);
int nss_gr_build(const char *name, const char *gidnum, char **members, size_t nmem,
		 unsigned long min_gid, struct nss_gr *out, const char **why);
int nss_sp_build(const char *name, const char *const fields[6], struct nss_sp *out,
		 const char **why);

void nss_pw_clear(struct nss_pw *p);
void nss_gr_clear(struct nss_gr *g);
void nss_sp_clear(struct nss_sp *s);
int nss_pw_copy(const struct nss_pw *in, struct nss_pw *out);
int nss_gr_copy(const struct nss_gr *in, struct nss_gr *out);

/* Pack into the caller's buffer: 0 or -ERANGE.  skip_members leaves gr_mem
 * empty. */
int nss_pw_pack(const struct nss_pw *p, struct passwd *pw, char *buf, size_t len);
int nss_gr_pack(const struct nss_gr *g, int skip_members, struct group *gr, char *buf, size_t len);
int nss_sp_pack(const struct nss_sp *s, struct spwd *sp, char *buf, size_t len);

/* Sort and de-duplicate a member list in place; returns the new count. */
size_t nss_members_uniq(char **mem, size_t n);

/* The uid from a member DN "uid=NAME,..." (no escapes, no multi-valued
 * RDN): 0 with the name in buf, else -ENOENT. */
int nss_dn_uid(const char *dn, char *buf, size_t len);

/* ---- context ---- */

struct nss_session {
	pthread_mutex_t lock;
	struct tenure_ldap *ld;
	unsigned flags;
};

struct nss_ctx {
	struct tenure_config *cfg;
	regex_t names;
	int names_ok;
	struct nss_session anon;
	struct nss_session service;
	int refs;                 /* guarded by the global lock */
	const char *base_passwd, *base_group, *base_shadow;  /* resolved */
	int scope;                /* LDAP_SCOPE_* */
};

/* Enter/leave a lookup.  enter returns NULL when the module is re-entered
 * from inside a lookup in this thread, or when no config can be loaded;
 * *st is then the status to return (UNAVAIL) and *errnop set. */
struct nss_ctx *nss_enter(enum nss_status *st, int *errnop);
void nss_leave(struct nss_ctx *c);

/* The session lock (recursive).  Results share libldap state with the
 * session, so callers hold it from the search until the result is freed. */
void nss_lock(struct nss_ctx *c, int service);
void nss_unlock(struct nss_ctx *c, int service);

/* Run a search under the session lock (the service session when
 * service is set).  Returns 0 or a negative errno (see ldap.h). */
int nss_search(struct nss_ctx *c, int service, const char *base, int scope,
	       const char *filter, const char *const *attrs, int sizelimit,
	       struct tenure_ldap_res **out);   /* scope -1: the configured one */
int nss_pager_next(struct nss_ctx *c, int service, struct tenure_ldap_pager *p,
		   struct tenure_ldap_res **page);
int nss_pager_start(struct nss_ctx *c, int service, const char *base, const char *filter,
		    const char *const *attrs, struct tenure_ldap_pager **out);

/* A name is acceptable (validnames regex, length).  1 = yes. */
int nss_name_ok(const struct nss_ctx *c, const char *name);

/* "(&FILTER(ATTR=escaped VALUE))" into buf: 0 or -ERANGE. */
int nss_filter(char *buf, size_t len, const char *filter, const char *attr, const char *value);

/* Map a negative errno from the core to an NSS status and errno. */
enum nss_status nss_status_of(int rc, int *errnop);

/* Log a dropped entry once per DN per process (syslog, LOG_AUTHPRIV). */
void nss_log_drop(const char *dn, const char *why);

/* ---- entries (entry.c) ---- */

/* The three maps the module serves; shadow goes through the service
 * session. */
enum nss_ent_kind { NSS_ENT_PW, NSS_ENT_GR, NSS_ENT_SP };

union nss_rec {
	struct nss_pw pw;
	struct nss_gr gr;
	struct nss_sp sp;
};

/* Where a map's entries are: base, filter, attributes, session. */
struct nss_map {
	const char *base, *filter;
	const char *const *attrs;
	int service;
};
void nss_map_of(const struct nss_ctx *c, enum nss_ent_kind kind, struct nss_map *m);

extern const char *const nss_pw_attrs[];
extern const char *const nss_gr_attrs[];
extern const char *const nss_gr_attrs_nomem[];
extern const char *const nss_sp_attrs[];

/* want: the requested name (exact match among the uid/cn values), or NULL
 * for lookups by number and enumeration (first value). */
int nss_pw_from_entry(struct nss_ctx *c, struct tenure_ldap_res *res, tenure_ldap_entry *e,
		      const char *want, struct nss_pw *out);
int nss_gr_from_entry(struct nss_ctx *c, struct tenure_ldap_res *res, tenure_ldap_entry *e,
		      const char *want, int with_members, struct nss_gr *out);
int nss_sp_from_entry(struct nss_ctx *c, struct tenure_ldap_res *res, tenure_ldap_entry *e,
		      const char *want, struct nss_sp *out);
/* The record of KIND from an entry (the functions above). */
int nss_rec_from_entry(struct nss_ctx *c, enum nss_ent_kind kind, struct tenure_ldap_res *res,
		       tenure_ldap_entry *e, const char *want, union nss_rec *out);
/* 1 when a from_entry result ends the walk over the entries (a record, no
 * memory, the directory gone); other results skip the entry. */
int nss_rec_final(int rc);
/* One search for ATTR=VALUE in the map of KIND, under the session lock;
 * the first entry that converts wins.  0, -ENOENT or a negative errno. */
int nss_search_one(struct nss_ctx *c, enum nss_ent_kind kind, const char *attr,
		   const char *value, const char *want, union nss_rec *out);

/* ---- cache (cache.c) ---- */

enum nss_ckind { NSS_C_PWNAM, NSS_C_PWUID, NSS_C_GRNAM, NSS_C_GRGID, NSS_C_INITGR, NSS_C_KINDS };

/* Lookups: 1 hit (packed, or *st NOTFOUND for a negative entry), 0 miss,
 * -ERANGE hit but buffer too small. */
int nss_cache_pw(enum nss_ckind k, const char *name, unsigned long id,
		 struct passwd *pw, char *buf, size_t len, enum nss_status *st);
int nss_cache_gr(enum nss_ckind k, const char *name, unsigned long id,
		 struct group *gr, char *buf, size_t len, enum nss_status *st);
/* A copy of the cached user: 1 hit, -ENOENT negative hit, 0 miss. */
int nss_cache_pw_get(const char *name, struct nss_pw *out);
void nss_cache_put_pw(const struct nss_pw *p, int ttl);
void nss_cache_put_gr(const struct nss_gr *g, int ttl);
void nss_cache_put_neg(enum nss_ckind k, const char *name, unsigned long id, int ttl);
/* initgroups: the user's gids (caller frees *gids). */
int nss_cache_initgr(const char *name, gid_t **gids, size_t *n);
void nss_cache_put_initgr(const char *name, const gid_t *gids, size_t n, int ttl);
void nss_cache_flush(void);
void nss_cache_atfork_prepare(void);
void nss_cache_atfork_parent(void);
void nss_cache_atfork_child(void);

/* ---- enumeration (ent.c) ---- */

struct nss_ent {
	pthread_mutex_t lock;
	int kind;                 /* enum nss_ent_kind */
	struct nss_ctx *ctx;      /* held from the first getXXent to endXXent */
	struct tenure_ldap_pager *pager;
	struct tenure_ldap_res *page;
	tenure_ldap_entry *cur;
	int started, done;
	int has_pending;          /* a record that did not fit: returned next */
	union nss_rec pending;
};

extern struct nss_ent nss_ent_pw, nss_ent_gr, nss_ent_sp;

struct nss_ctx *nss_ctx_hold(void);
void nss_ctx_drop(struct nss_ctx *c);
/* setXXent/endXXent: forget the enumeration. */
enum nss_status nss_ent_set(struct nss_ent *en);
/* getXXent_r: the next record packed into OUT (a struct passwd, group or
 * spwd for the enumeration's kind).  A record that does not fit stays
 * pending and comes again on the retry with a larger buffer. */
enum nss_status nss_ent_get(struct nss_ent *en, void *out, char *buf, size_t len, int *errnop);
void nss_ent_atfork_child(struct nss_ctx *cur, int abandon);
/* nss_status_of for getXXent_r: a failure mid-list is UNAVAIL with EIO, so
 * that a caller of getpwent() can tell a cut list from the end (ENOENT). */
enum nss_status nss_ent_status_of(int rc, int *errnop);

/* ---- passwd.c, used by initgroups ---- */
/* Look a user up by name (cache first); fills a record. */
int nss_pw_lookup_name(struct nss_ctx *c, const char *name, struct nss_pw *out);

#endif
