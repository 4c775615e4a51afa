/* tenure NSS module — config, sessions, fork, re-entrancy, logging.
 *
 * One context (config + compiled validnames + two LDAP sessions) is current
 * at a time.  Lookups take a reference under the global lock; a context
 * replaced because tenure.conf changed is freed when its last lookup leaves.
 * The file is looked at (stat) at most once a second.
 *
 * Sessions: "anon" serves passwd/group/initgroups (no bind round trip);
 * "service" binds as binddn with bindpw_file and serves shadow, only in
 * processes with euid 0.  Each is one connection behind a mutex; the core
 * (common/ldap.c) keeps descriptors close-on-exec, blocks SIGPIPE, bounds
 * every wait and drops a connection inherited over fork.
 *
 * Fork: the global and cache locks are taken around fork() so the child
 * gets them in a consistent state.  Session and enumeration locks may be
 * held for a network round trip, so they are not taken: in the child, a
 * context whose session lock was held by another thread is abandoned (the
 * child makes a fresh one; the copy is never touched again), and the
 * enumeration states are reset.
 */
#include "nss_tenure.h"
#include "tenure/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
/* regexec() takes a lock inside the regex_t: ours around it is taken over
 * fork, so a child never inherits that one held. */
static pthread_mutex_t names_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static struct nss_ctx *g_ctx;
static struct {
	char path[4096];
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtim;
	time_t checked;             /* CLOCK_MONOTONIC_COARSE seconds */
	int failed;                 /* last load failed: logged once */
} g_file;
static __thread int t_depth;

static const struct tenure_log nss_log = { tenure_log_syslog, NULL, LOG_DEBUG };

/* ---- logging, once per DN ---- */

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t log_seen[256];

static uint64_t fnv(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h ? h : 1;
}

void nss_log_drop(const char *dn, const char *why)
{
	uint64_t h = fnv(dn ? dn : "");
	char q[512];
	int seen = 0;

	pthread_mutex_lock(&log_lock);
	seen = log_seen[h % 256] == h;
	log_seen[h % 256] = h;
	pthread_mutex_unlock(&log_lock);
	if (!seen)
		tenure_log(&nss_log, LOG_WARNING, "nss_tenure: entry dropped dn=%s reason=\"%s\"",
			   tenure_log_quote(dn, q, sizeof(q)), why ? why : "invalid");
}

/* ---- context ---- */

static void session_free(struct nss_session *s)
{
	tenure_ldap_close(s->ld);
	s->ld = NULL;
	pthread_mutex_destroy(&s->lock);
}

static void ctx_free(struct nss_ctx *c)
{
	if (!c)
		return;
	session_free(&c->anon);
	session_free(&c->service);
	if (c->names_ok)
		regfree(&c->names);
	tenure_config_free(c->cfg);
	free(c);
}

/* validnames: "/REGEX/" or "/REGEX/i", POSIX extended. */
static int compile_names(struct nss_ctx *c, const char *v, char *err, size_t errlen)
{
	size_t n = v ? strlen(v) : 0;
	int flags = REG_EXTENDED | REG_NOSUB, icase = 0;
	char *re;
	int rc;

	if (n >= 2 && v[n - 1] == 'i' && v[n - 2] == '/') {
		icase = 1;
		n--;
	}
	if (n < 2 || v[0] != '/' || v[n - 1] != '/') {
		snprintf(err, errlen, "validnames: must be /REGEX/ or /REGEX/i");
		return -EINVAL;
	}
	re = strndup(v + 1, n - 2);
	if (!re)
		return -ENOMEM;
	rc = regcomp(&c->names, re, flags | (icase ? REG_ICASE : 0));
	free(re);
	if (rc) {
		snprintf(err, errlen, "validnames: not a valid regular expression");
		return -EINVAL;
	}
	c->names_ok = 1;
	return 0;
}

static void session_init(struct nss_session *s, unsigned flags)
{
	pthread_mutexattr_t a;

	pthread_mutexattr_init(&a);
	pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&s->lock, &a);
	pthread_mutexattr_destroy(&a);
	s->flags = flags;
}

static struct nss_ctx *ctx_load(char *err, size_t errlen)
{
	static const int scopes[] = { LDAP_SCOPE_SUBTREE, LDAP_SCOPE_ONELEVEL, LDAP_SCOPE_BASE };
	struct nss_ctx *c = calloc(1, sizeof(*c));
	const char *base;

	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	session_init(&c->anon, TENURE_LDAP_ANON);
	session_init(&c->service, TENURE_LDAP_SERVICE);
	if (tenure_config_load_default(&c->cfg, err, errlen) ||
	    compile_names(c, c->cfg->validnames, err, errlen)) {
		ctx_free(c);
		return NULL;
	}
	base = c->cfg->base ? c->cfg->base : "";
	c->base_passwd = c->cfg->base_passwd ? c->cfg->base_passwd : base;
	c->base_group = c->cfg->base_group ? c->cfg->base_group : base;
	c->base_shadow = c->cfg->base_shadow ? c->cfg->base_shadow : c->base_passwd;
	c->scope = scopes[c->cfg->scope >= 0 && c->cfg->scope <= 2 ? c->cfg->scope : 0];
	return c;
}

static void release_locked(struct nss_ctx *c)
{
	if (--c->refs == 0 && c != g_ctx)
		ctx_free(c);
}

static time_t mono_coarse(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return ts.tv_sec;
}

/* Under g_lock: make g_ctx current with the file on disk. */
static void refresh_locked(void)
{
	const char *path = tenure_config_path();
	struct stat st;
	time_t now = mono_coarse();
	char err[TENURE_ERRLEN];
	struct nss_ctx *c;
	int same;

	/* At most once a second, whether the last load worked or not. */
	if (now == g_file.checked && (g_file.failed || strcmp(path, g_file.path) == 0))
		return;
	g_file.checked = now;
	if (stat(path, &st) < 0)
		memset(&st, 0, sizeof(st));
	same = g_ctx && strcmp(path, g_file.path) == 0 && st.st_dev == g_file.dev &&
	       st.st_ino == g_file.ino && st.st_size == g_file.size &&
	       st.st_mtim.tv_sec == g_file.mtim.tv_sec && st.st_mtim.tv_nsec == g_file.mtim.tv_nsec;
	if (same)
		return;
	c = ctx_load(err, sizeof(err));
	if (!c) {
		/* Keep the last good config; log a bad one once. */
		if (!g_file.failed)
			tenure_log(&nss_log, LOG_ERR, "nss_tenure: config error: %s", err);
		g_file.failed = 1;
		return;
	}
	g_file.failed = 0;
	snprintf(g_file.path, sizeof(g_file.path), "%s", path);
	g_file.dev = st.st_dev;
	g_file.ino = st.st_ino;
	g_file.size = st.st_size;
	g_file.mtim = st.st_mtim;
	if (g_ctx) {
		struct nss_ctx *old = g_ctx;
		g_ctx = NULL;
		old->refs++;
		release_locked(old);
	}
	g_ctx = c;
	nss_cache_flush();
}

/* ---- fork ---- */

static void atfork_prepare(void)
{
	pthread_mutex_lock(&g_lock);
	pthread_mutex_lock(&names_lock);
	pthread_mutex_lock(&log_lock);
	nss_cache_atfork_prepare();
}

static void atfork_parent(void)
{
	nss_cache_atfork_parent();
	pthread_mutex_unlock(&log_lock);
	pthread_mutex_unlock(&names_lock);
	pthread_mutex_unlock(&g_lock);
}

static int session_free_in_child(struct nss_session *s)
{
	if (pthread_mutex_trylock(&s->lock) != 0)
		return 0;
	pthread_mutex_unlock(&s->lock);
	return 1;
}

static void atfork_child(void)
{
	int abandon;

	nss_cache_atfork_child();
	/* Another thread was talking to the server: leave that context alone
	 * (its descriptor is close-on-exec) and start afresh. */
	abandon = g_ctx && (!session_free_in_child(&g_ctx->anon) ||
			    !session_free_in_child(&g_ctx->service));
	/* References held by threads that do not exist in the child are
	 * dropped; enumerations are counted again. */
	nss_ent_atfork_child(g_ctx, abandon);
	if (abandon) {
		g_ctx = NULL;
		g_file.path[0] = '\0';
	}
	t_depth = 0;
	pthread_mutex_unlock(&log_lock);
	pthread_mutex_unlock(&names_lock);
	pthread_mutex_unlock(&g_lock);
}

static void init_once(void)
{
	pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
}

/* ---- enter / leave ---- */

struct nss_ctx *nss_enter(enum nss_status *st, int *errnop)
{
	struct nss_ctx *c;

	if (t_depth > 0) {
		/* Called from inside one of our own lookups (e.g. through a
		 * resolver or a library hook): fail fast rather than deadlock. */
		*st = NSS_STATUS_UNAVAIL;
		*errnop = ENOENT;
		return NULL;
	}
	t_depth++;
	pthread_once(&g_once, init_once);
	pthread_mutex_lock(&g_lock);
	refresh_locked();
	c = g_ctx;
	if (c)
		c->refs++;
	pthread_mutex_unlock(&g_lock);
	if (!c) {
		t_depth--;
		*st = NSS_STATUS_UNAVAIL;
		*errnop = ENOENT;
	}
	return c;
}

void nss_leave(struct nss_ctx *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&g_lock);
	release_locked(c);
	pthread_mutex_unlock(&g_lock);
	t_depth--;
}

/* Enumeration holds a context across calls: the same as enter without the
 * guard. */
struct nss_ctx *nss_ctx_hold(void)
{
	struct nss_ctx *c;

	pthread_once(&g_once, init_once);
	pthread_mutex_lock(&g_lock);
	refresh_locked();
	c = g_ctx;
	if (c)
		c->refs++;
	pthread_mutex_unlock(&g_lock);
	return c;
}

void nss_ctx_drop(struct nss_ctx *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&g_lock);
	release_locked(c);
	pthread_mutex_unlock(&g_lock);
}

/* ---- LDAP under the session lock ---- */

void nss_lock(struct nss_ctx *c, int service)
{
	pthread_mutex_lock(service ? &c->service.lock : &c->anon.lock);
}

void nss_unlock(struct nss_ctx *c, int service)
{
	pthread_mutex_unlock(service ? &c->service.lock : &c->anon.lock);
}

static struct nss_session *session_get(struct nss_ctx *c, int service, int *rc)
{
	struct nss_session *s = service ? &c->service : &c->anon;

	pthread_mutex_lock(&s->lock);
	*rc = 0;
	if (!s->ld)
		*rc = tenure_ldap_open(c->cfg, s->flags, &s->ld);
	if (*rc) {
		pthread_mutex_unlock(&s->lock);
		return NULL;
	}
	return s;
}

int nss_search(struct nss_ctx *c, int service, const char *base, int scope,
	       const char *filter, const char *const *attrs, int sizelimit,
	       struct tenure_ldap_res **out)
{
	struct nss_session *s;
	int rc;

	s = session_get(c, service, &rc);
	if (!s)
		return rc;
	rc = tenure_ldap_search(s->ld, base, scope < 0 ? c->scope : scope, filter, attrs,
				sizelimit, out);
	pthread_mutex_unlock(&s->lock);
	return rc;
}

int nss_pager_start(struct nss_ctx *c, int service, const char *base, const char *filter,
		    const char *const *attrs, struct tenure_ldap_pager **out)
{
	struct nss_session *s;
	int rc;

	s = session_get(c, service, &rc);
	if (!s)
		return rc;
	rc = tenure_ldap_pager_start(s->ld, base, c->scope, filter, attrs, c->cfg->pagesize, out);
	pthread_mutex_unlock(&s->lock);
	return rc;
}

int nss_pager_next(struct nss_ctx *c, int service, struct tenure_ldap_pager *p,
		   struct tenure_ldap_res **page)
{
	struct nss_session *s;
	int rc;

	s = session_get(c, service, &rc);
	if (!s)
		return rc;
	rc = tenure_ldap_pager_next(p, page);
	pthread_mutex_unlock(&s->lock);
	return rc;
}

/* ---- small helpers ---- */

int nss_name_ok(const struct nss_ctx *c, const char *name)
{
	size_t n;

	if (!name)
		return 0;
	n = strlen(name);
	if (n == 0 || n >= NSS_NAME_MAX || !tenure_utf8_valid(name, n))
		return 0;
	pthread_mutex_lock(&names_lock);
	n = regexec(&c->names, name, 0, NULL, 0) == 0;
	pthread_mutex_unlock(&names_lock);
	return (int)n;
}

int nss_filter(char *buf, size_t len, const char *filter, const char *attr, const char *value)
{
	char esc[3 * NSS_DN_MAX + 1];
	int n;

	if (tenure_ldap_escape(value, esc, sizeof(esc)))
		return -ERANGE;
	if (!filter || !*filter)
		n = snprintf(buf, len, "(%s=%s)", attr, esc);
	else if (filter[0] == '(')
		n = snprintf(buf, len, "(&%s(%s=%s))", filter, attr, esc);
	else
		n = snprintf(buf, len, "(&(%s)(%s=%s))", filter, attr, esc);
	return n < 0 || (size_t)n >= len ? -ERANGE : 0;
}

enum nss_status nss_status_of(int rc, int *errnop)
{
	switch (rc) {
	case 0:
		return NSS_STATUS_SUCCESS;
	case -ENOENT:
		*errnop = ENOENT;
		return NSS_STATUS_NOTFOUND;
	case -ERANGE:
		*errnop = ERANGE;
		return NSS_STATUS_TRYAGAIN;
	case -ENOMEM:
		*errnop = EAGAIN;
		return NSS_STATUS_TRYAGAIN;
	default:
		*errnop = ENOENT;
		return NSS_STATUS_UNAVAIL;
	}
}
