/* tenure NSS module — in-process cache.
 *
 * Answers found are kept cache_ttl seconds, names/ids not found
 * cache_negative_ttl seconds (0 turns either off), so that `ls -l` over many
 * files asks the directory once per owner, not once per file.  One hash
 * table behind one mutex; hits are packed into the caller's buffer under the
 * lock, so a hit costs no allocation.  At most CACHE_MAX entries: past
 * that, everything is dropped (simple, and bounded).  Only the NSS module
 * uses it: pam_tenure's account check always asks the directory.
 */
#include "nss_tenure.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CACHE_BUCKETS 1024
#define CACHE_MAX     8192

struct centry {
	struct centry *next;
	int kind;
	char *name;               /* NAM kinds */
	unsigned long id;         /* ID kinds */
	time_t expires;
	int neg;
	union {
		struct nss_pw pw;
		struct nss_gr gr;
		struct {
			gid_t *gids;
			size_t n;
		} ig;
	} u;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct centry *table[CACHE_BUCKETS];
static size_t count;

static time_t now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static int by_name(int kind)
{
	return kind == NSS_C_PWNAM || kind == NSS_C_GRNAM || kind == NSS_C_INITGR;
}

static unsigned bucket(int kind, const char *name, unsigned long id)
{
	unsigned long h = 2166136261UL ^ (unsigned long)kind;

	if (by_name(kind))
		for (const unsigned char *p = (const unsigned char *)name; *p; p++)
			h = (h ^ *p) * 16777619UL;
	else
		h = (h ^ id) * 16777619UL;
	return (unsigned)(h % CACHE_BUCKETS);
}

static void centry_free(struct centry *c)
{
	if (!c->neg) {
		if (c->kind == NSS_C_PWNAM || c->kind == NSS_C_PWUID)
			nss_pw_clear(&c->u.pw);
		else if (c->kind == NSS_C_INITGR)
			free(c->u.ig.gids);
		else
			nss_gr_clear(&c->u.gr);
	}
	free(c->name);
	free(c);
}

static void flush_locked(void)
{
	for (size_t i = 0; i < CACHE_BUCKETS; i++) {
		struct centry *c = table[i], *n;
		for (; c; c = n) {
			n = c->next;
			centry_free(c);
		}
		table[i] = NULL;
	}
	count = 0;
}

void nss_cache_flush(void)
{
	pthread_mutex_lock(&lock);
	flush_locked();
	pthread_mutex_unlock(&lock);
}

/* Under the lock: the live entry for the key, expired ones removed. */
static struct centry *find_locked(int kind, const char *name, unsigned long id)
{
	unsigned b = bucket(kind, name, id);
	struct centry **pp = &table[b], *c;
	time_t now = now_s();

	while ((c = *pp)) {
		if (c->expires <= now) {
			*pp = c->next;
			centry_free(c);
			count--;
			continue;
		}
		if (c->kind == kind && (by_name(kind) ? strcmp(c->name, name) == 0 : c->id == id))
			return c;
		pp = &c->next;
	}
	return NULL;
}

/* Insert (replacing an entry with the same key).  Takes ownership of c. */
static void insert_locked(struct centry *c)
{
	struct centry *old = find_locked(c->kind, c->name, c->id);
	unsigned b;

	if (old) {
		struct centry **pp = &table[bucket(old->kind, old->name, old->id)];
		while (*pp != old)
			pp = &(*pp)->next;
		*pp = old->next;
		centry_free(old);
		count--;
	}
	if (count >= CACHE_MAX)
		flush_locked();
	b = bucket(c->kind, c->name, c->id);
	c->next = table[b];
	table[b] = c;
	count++;
}

static struct centry *centry_new(int kind, const char *name, unsigned long id, int ttl)
{
	struct centry *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->kind = kind;
	c->id = id;
	c->expires = now_s() + ttl;
	if (by_name(kind) && !(c->name = strdup(name))) {
		free(c);
		return NULL;
	}
	return c;
}

int nss_cache_pw(enum nss_ckind k, const char *name, unsigned long id,
		 struct passwd *pw, char *buf, size_t len, enum nss_status *st)
{
	struct centry *c;
	int rc = 0;

	pthread_mutex_lock(&lock);
	c = find_locked(k, name, id);
	if (c && c->neg) {
		*st = NSS_STATUS_NOTFOUND;
		rc = 1;
	} else if (c) {
		rc = nss_pw_pack(&c->u.pw, pw, buf, len) ? -ERANGE : 1;
		*st = NSS_STATUS_SUCCESS;
	}
	pthread_mutex_unlock(&lock);
	return rc;
}

int nss_cache_gr(enum nss_ckind k, const char *name, unsigned long id,
		 struct group *gr, char *buf, size_t len, enum nss_status *st)
{
	struct centry *c;
	int rc = 0;

	pthread_mutex_lock(&lock);
	c = find_locked(k, name, id);
	if (c && c->neg) {
		*st = NSS_STATUS_NOTFOUND;
		rc = 1;
	} else if (c) {
		rc = nss_gr_pack(&c->u.gr, 0, gr, buf, len) ? -ERANGE : 1;
		*st = NSS_STATUS_SUCCESS;
	}
	pthread_mutex_unlock(&lock);
	return rc;
}

int nss_cache_pw_get(const char *name, struct nss_pw *out)
{
	struct centry *c;
	int rc = 0;

	pthread_mutex_lock(&lock);
	c = find_locked(NSS_C_PWNAM, name, 0);
	if (c && c->neg)
		rc = -ENOENT;
	else if (c)
		rc = nss_pw_copy(&c->u.pw, out) ? -ENOMEM : 1;
	pthread_mutex_unlock(&lock);
	return rc;
}

/* A copy of rec (a struct nss_pw or nss_gr, as c's kind says) into c; on
 * failure c holds nothing to free. */
static int copy_rec(struct centry *c, const void *rec)
{
	if (c->kind == NSS_C_PWNAM || c->kind == NSS_C_PWUID)
		return nss_pw_copy(rec, &c->u.pw);
	return nss_gr_copy(rec, &c->u.gr);
}

/* One record under both its keys, name and number: both or neither. */
static void put_both(int kname, int kid, const char *name, unsigned long id, const void *rec,
		     int ttl)
{
	struct centry *a, *b;

	if (ttl <= 0)
		return;
	a = centry_new(kname, name, 0, ttl);
	b = centry_new(kid, NULL, id, ttl);
	if (!a || !b || copy_rec(a, rec) || copy_rec(b, rec)) {
		if (a)
			centry_free(a);
		if (b)
			centry_free(b);
		return;
	}
	pthread_mutex_lock(&lock);
	insert_locked(a);
	insert_locked(b);
	pthread_mutex_unlock(&lock);
}

void nss_cache_put_pw(const struct nss_pw *p, int ttl)
{
	put_both(NSS_C_PWNAM, NSS_C_PWUID, p->name, p->uid, p, ttl);
}

void nss_cache_put_gr(const struct nss_gr *g, int ttl)
{
	put_both(NSS_C_GRNAM, NSS_C_GRGID, g->name, g->gid, g, ttl);
}

void nss_cache_put_neg(enum nss_ckind k, const char *name, unsigned long id, int ttl)
{
	struct centry *c;

	if (ttl <= 0 || !(c = centry_new(k, name, id, ttl)))
		return;
	c->neg = 1;
	pthread_mutex_lock(&lock);
	insert_locked(c);
	pthread_mutex_unlock(&lock);
}

int nss_cache_initgr(const char *name, gid_t **gids, size_t *n)
{
	struct centry *c;
	int rc = 0;

	pthread_mutex_lock(&lock);
	c = find_locked(NSS_C_INITGR, name, 0);
	if (c) {
		*n = c->u.ig.n;
		*gids = malloc((c->u.ig.n + 1) * sizeof(gid_t));
		if (*gids) {
			memcpy(*gids, c->u.ig.gids, c->u.ig.n * sizeof(gid_t));
			rc = 1;
		}
	}
	pthread_mutex_unlock(&lock);
	return rc;
}

void nss_cache_put_initgr(const char *name, const gid_t *gids, size_t n, int ttl)
{
	struct centry *c;

	if (ttl <= 0 || !(c = centry_new(NSS_C_INITGR, name, 0, ttl)))
		return;
	c->u.ig.gids = malloc((n + 1) * sizeof(gid_t));
	if (!c->u.ig.gids) {
		c->neg = 1;
		centry_free(c);
		return;
	}
	memcpy(c->u.ig.gids, gids, n * sizeof(gid_t));
	c->u.ig.n = n;
	pthread_mutex_lock(&lock);
	insert_locked(c);
	pthread_mutex_unlock(&lock);
}

void nss_cache_atfork_prepare(void)
{
	pthread_mutex_lock(&lock);
}

void nss_cache_atfork_parent(void)
{
	pthread_mutex_unlock(&lock);
}

void nss_cache_atfork_child(void)
{
	pthread_mutex_unlock(&lock);
}
