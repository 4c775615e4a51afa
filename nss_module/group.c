/* tenure NSS module — group: getgrnam_r, getgrgid_r, setgrent/getgrent_r/endgrent.
 *
 * Members come from memberUid (RFC 2307) and from member DNs (rfc2307bis):
 * "uid=NAME,..." gives NAME without a lookup; other DNs are followed as
 * nested groups only with nss_nested_groups (nss_nested_depth levels).
 * nss_getgrent_skipmembers leaves the member lists out entirely.
 */
#include "nss_tenure.h"

#include <errno.h>
#include <stdio.h>

static const char *const *gr_attrs(const struct nss_ctx *c)
{
	return c->cfg->nss_getgrent_skipmembers ? nss_gr_attrs_nomem : nss_gr_attrs;
}

static int search_gr(struct nss_ctx *c, const char *attr, const char *value, const char *want,
		     struct nss_gr *out)
{
	struct tenure_ldap_res *res = NULL;
	char filter[4096];
	int rc;

	rc = nss_filter(filter, sizeof(filter), c->cfg->filter_group, attr, value);
	if (rc)
		return -ENOENT;
	nss_lock(c, 0);
	rc = nss_search(c, 0, c->base_group, -1, filter, gr_attrs(c), 0, &res);
	if (rc) {
		nss_unlock(c, 0);
		return rc;
	}
	rc = -ENOENT;
	for (tenure_ldap_entry *e = tenure_ldap_first(res); e; e = tenure_ldap_next(res, e)) {
		int r = nss_gr_from_entry(c, res, e, want, !c->cfg->nss_getgrent_skipmembers, out);
		if (r == 0 || r == -ENOMEM || r == -EHOSTUNREACH || r == -ETIMEDOUT) {
			rc = r;
			break;
		}
	}
	tenure_ldap_res_free(res);
	nss_unlock(c, 0);
	return rc;
}

static enum nss_status finish(struct nss_ctx *c, int rc, struct nss_gr *rec, enum nss_ckind k,
			      const char *name, unsigned long id, struct group *gr,
			      char *buf, size_t len, int *errnop)
{
	if (rc == 0) {
		nss_cache_put_gr(rec, c->cfg->cache_ttl);
		rc = nss_gr_pack(rec, 0, gr, buf, len);
	} else if (rc == -ENOENT) {
		nss_cache_put_neg(k, name, id, c->cfg->cache_negative_ttl);
	}
	nss_gr_clear(rec);
	nss_leave(c);
	return nss_status_of(rc, errnop);
}

NSS_EXPORT enum nss_status _nss_tenure_getgrnam_r(const char *name, struct group *gr,
						  char *buf, size_t len, int *errnop);
enum nss_status _nss_tenure_getgrnam_r(const char *name, struct group *gr,
				       char *buf, size_t len, int *errnop)
{
	enum nss_status st;
	struct nss_ctx *c = nss_enter(&st, errnop);
	struct nss_gr rec = { 0 };
	int rc;

	if (!c)
		return st;
	if (!nss_name_ok(c, name)) {
		nss_leave(c);
		return nss_status_of(-ENOENT, errnop);
	}
	rc = nss_cache_gr(NSS_C_GRNAM, name, 0, gr, buf, len, &st);
	if (rc != 0) {
		nss_leave(c);
		if (rc < 0)
			return nss_status_of(rc, errnop);
		return nss_status_of(st == NSS_STATUS_SUCCESS ? 0 : -ENOENT, errnop);
	}
	rc = search_gr(c, "cn", name, name, &rec);
	return finish(c, rc, &rec, NSS_C_GRNAM, name, 0, gr, buf, len, errnop);
}

NSS_EXPORT enum nss_status _nss_tenure_getgrgid_r(gid_t gid, struct group *gr,
						  char *buf, size_t len, int *errnop);
enum nss_status _nss_tenure_getgrgid_r(gid_t gid, struct group *gr,
				       char *buf, size_t len, int *errnop)
{
	enum nss_status st;
	struct nss_ctx *c = nss_enter(&st, errnop);
	struct nss_gr rec = { 0 };
	char num[24];
	int rc;

	if (!c)
		return st;
	if ((unsigned long)gid < (unsigned long)c->cfg->nss_min_gid || gid == (gid_t)-1) {
		nss_leave(c);
		return nss_status_of(-ENOENT, errnop);
	}
	rc = nss_cache_gr(NSS_C_GRGID, NULL, gid, gr, buf, len, &st);
	if (rc != 0) {
		nss_leave(c);
		if (rc < 0)
			return nss_status_of(rc, errnop);
		return nss_status_of(st == NSS_STATUS_SUCCESS ? 0 : -ENOENT, errnop);
	}
	snprintf(num, sizeof(num), "%lu", (unsigned long)gid);
	rc = search_gr(c, "gidNumber", num, NULL, &rec);
	if (rc == 0 && rec.gid != gid)
		rc = -ENOENT;
	return finish(c, rc, &rec, NSS_C_GRGID, NULL, gid, gr, buf, len, errnop);
}

NSS_EXPORT enum nss_status _nss_tenure_setgrent(int stayopen);
enum nss_status _nss_tenure_setgrent(int stayopen)
{
	pthread_mutex_lock(&nss_ent_gr.lock);
	nss_ent_reset(&nss_ent_gr);
	pthread_mutex_unlock(&nss_ent_gr.lock);
	return NSS_STATUS_SUCCESS;
}

NSS_EXPORT enum nss_status _nss_tenure_endgrent(void);
enum nss_status _nss_tenure_endgrent(void)
{
	return _nss_tenure_setgrent(0);
}

static int next_gr(struct nss_ent *en)
{
	struct tenure_ldap_res *res;
	tenure_ldap_entry *e;
	int rc;

	nss_lock(en->ctx, 0);
	for (;;) {
		rc = nss_ent_next(en, 0, en->ctx->base_group, en->ctx->cfg->filter_group,
				  gr_attrs(en->ctx), &res, &e);
		if (rc == 1)
			rc = -ENOENT;
		if (rc < 0)
			break;
		rc = nss_gr_from_entry(en->ctx, res, e, NULL, !en->ctx->cfg->nss_getgrent_skipmembers,
				       &en->pending.gr);
		if (rc == 0)
			en->has_pending = 1;
		if (rc == 0 || rc == -ENOMEM || rc == -EHOSTUNREACH || rc == -ETIMEDOUT)
			break;
	}
	nss_unlock(en->ctx, 0);
	return rc;
}

NSS_EXPORT enum nss_status _nss_tenure_getgrent_r(struct group *gr, char *buf, size_t len,
						  int *errnop);
enum nss_status _nss_tenure_getgrent_r(struct group *gr, char *buf, size_t len, int *errnop)
{
	struct nss_ent *en = &nss_ent_gr;
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
		rc = next_gr(en);
	if (rc == 0) {
		rc = nss_gr_pack(&en->pending.gr, 0, gr, buf, len);
		if (rc == 0) {
			nss_gr_clear(&en->pending.gr);
			en->has_pending = 0;
		}
	}
	pthread_mutex_unlock(&en->lock);
	nss_leave(c);
	return nss_ent_status_of(rc, errnop);
}
