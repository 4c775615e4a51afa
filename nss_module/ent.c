/* tenure NSS module — enumeration state (setXXent/getXXent_r/endXXent).
 *
 * One state per database and process, as glibc expects (it serialises the
 * calls of one database itself; the lock here covers direct callers).
 * Pages come from a paged search (RFC 2696, `pagesize`), fetched as the
 * caller reads, so a 10,000-entry directory never sits in memory at once.
 */
#include "nss_tenure.h"

#include <errno.h>
#include <string.h>

struct nss_ent nss_ent_pw = { .lock = PTHREAD_MUTEX_INITIALIZER, .kind = NSS_ENT_PW };
struct nss_ent nss_ent_gr = { .lock = PTHREAD_MUTEX_INITIALIZER, .kind = NSS_ENT_GR };
struct nss_ent nss_ent_sp = { .lock = PTHREAD_MUTEX_INITIALIZER, .kind = NSS_ENT_SP };

static void pending_clear(struct nss_ent *en)
{
	if (!en->has_pending)
		return;
	switch (en->kind) {
	case NSS_ENT_PW:
		nss_pw_clear(&en->pending.pw);
		break;
	case NSS_ENT_GR:
		nss_gr_clear(&en->pending.gr);
		break;
	default:
		nss_sp_clear(&en->pending.sp);
		break;
	}
	en->has_pending = 0;
}

/* Free everything an enumeration holds (its lock held). */
static void ent_reset(struct nss_ent *en)
{
	int service = en->kind == NSS_ENT_SP;

	pending_clear(en);
	if (en->ctx)
		nss_lock(en->ctx, service);
	tenure_ldap_res_free(en->page);
	en->page = NULL;
	en->cur = NULL;
	tenure_ldap_pager_free(en->pager);
	en->pager = NULL;
	if (en->ctx)
		nss_unlock(en->ctx, service);
	nss_ctx_drop(en->ctx);
	en->ctx = NULL;
	en->started = 0;
	en->done = 0;
}

/* The next entry: 0 with *res and *e, 1 at the end, or a negative errno.
 * Starts the paged search on first use. */
static int next_entry(struct nss_ent *en, const struct nss_map *m, struct tenure_ldap_res **res,
		      tenure_ldap_entry **e)
{
	int service = m->service, rc;

	if (!en->started) {
		rc = nss_pager_start(en->ctx, service, m->base, m->filter, m->attrs, &en->pager);
		if (rc)
			return rc;
		en->started = 1;
	}
	for (;;) {
		if (en->cur) {
			*res = en->page;
			*e = en->cur;
			en->cur = tenure_ldap_next(en->page, en->cur);
			return 0;
		}
		if (en->done)
			return 1;
		tenure_ldap_res_free(en->page);
		en->page = NULL;
		rc = nss_pager_next(en->ctx, service, en->pager, &en->page);
		if (rc == 1) {
			en->done = 1;
			return 1;
		}
		if (rc < 0)
			return rc;
		en->cur = tenure_ldap_first(en->page);
	}
}

/* The status of a getXXent_r call.  A list cut short by a failure must not
 * look complete: glibc turns every status but TRYAGAIN into "no more
 * entries" (getpwent_r returns ENOENT) and hands errno on to the caller,
 * so errno is all a getpwent() caller can test.  The end of the list is
 * NOTFOUND/ENOENT; a failure is UNAVAIL/EIO (POSIX: "an I/O error has
 * occurred"). */
static enum nss_status ent_status_of(int rc, int *errnop)
{
	enum nss_status st = nss_status_of(rc, errnop);

	if (st == NSS_STATUS_UNAVAIL)
		*errnop = EIO;
	return st;
}

/* The next record of the enumeration into en->pending: entries that cannot
 * be returned are skipped (convert.c logs them). */
static int next_record(struct nss_ent *en)
{
	struct tenure_ldap_res *res = NULL;
	tenure_ldap_entry *e = NULL;
	struct nss_map m;
	int rc;

	nss_map_of(en->ctx, en->kind, &m);
	nss_lock(en->ctx, m.service);
	for (;;) {
		rc = next_entry(en, &m, &res, &e);
		if (rc == 1)
			rc = -ENOENT;
		if (rc < 0)
			break;
		rc = nss_rec_from_entry(en->ctx, en->kind, res, e, NULL, &en->pending);
		if (rc == 0)
			en->has_pending = 1;
		if (nss_rec_final(rc))
			break;
	}
	nss_unlock(en->ctx, m.service);
	return rc;
}

static int pack_pending(struct nss_ent *en, void *out, char *buf, size_t len)
{
	switch (en->kind) {
	case NSS_ENT_PW:
		return nss_pw_pack(&en->pending.pw, out, buf, len);
	case NSS_ENT_GR:
		return nss_gr_pack(&en->pending.gr, 0, out, buf, len);
	default:
		return nss_sp_pack(&en->pending.sp, out, buf, len);
	}
}

enum nss_status nss_ent_set(struct nss_ent *en)
{
	pthread_mutex_lock(&en->lock);
	ent_reset(en);
	pthread_mutex_unlock(&en->lock);
	return NSS_STATUS_SUCCESS;
}

enum nss_status nss_ent_get(struct nss_ent *en, void *out, char *buf, size_t len, int *errnop)
{
	enum nss_status st;
	struct nss_ctx *c = nss_enter(&st, errnop);
	int rc = 0;

	if (!c)
		return st;
	pthread_mutex_lock(&en->lock);
	if (!en->ctx && !(en->ctx = nss_ctx_hold()))
		rc = -EHOSTUNREACH;
	else if (!en->ctx->cfg->enumerate)
		rc = -ENOENT;
	else if (!en->has_pending)
		rc = next_record(en);
	if (rc == 0) {
		/* A record that does not fit stays pending for the retry. */
		rc = pack_pending(en, out, buf, len);
		if (rc == 0)
			pending_clear(en);
	}
	pthread_mutex_unlock(&en->lock);
	nss_leave(c);
	return ent_status_of(rc, errnop);
}

static int busy(pthread_mutex_t *m)
{
	if (pthread_mutex_trylock(m) != 0)
		return 1;
	pthread_mutex_unlock(m);
	return 0;
}

/* In a child after fork.  An enumeration this thread was in the middle of
 * goes on from where it was (the pages already read are in memory; a
 * further page needs the parent's connection and fails).  One that another
 * thread was using, or whose context is abandoned, is forgotten: its copy
 * is left alone (descriptors are close-on-exec).  The references to the
 * contexts are counted again: only this thread's remain. */
void nss_ent_atfork_child(struct nss_ctx *cur, int abandon)
{
	struct nss_ent *all[] = { &nss_ent_pw, &nss_ent_gr, &nss_ent_sp };

	for (size_t i = 0; i < 3; i++) {
		struct nss_ent *en = all[i];
		int kind = en->kind;

		if (!busy(&en->lock) && !(en->ctx && en->ctx == cur && abandon) &&
		    !(en->ctx && (busy(&en->ctx->anon.lock) || busy(&en->ctx->service.lock))))
			continue;
		memset(en, 0, sizeof(*en));
		pthread_mutex_init(&en->lock, NULL);
		en->kind = kind;
	}
	if (cur)
		cur->refs = 0;
	for (size_t i = 0; i < 3; i++)
		if (all[i]->ctx)
			all[i]->ctx->refs = 0;
	for (size_t i = 0; i < 3; i++)
		if (all[i]->ctx)
			all[i]->ctx->refs++;
}
