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

static enum nss_status finish(struct nss_ctx *c, int rc, union nss_rec *rec, enum nss_ckind k,
			      const char *name, unsigned long id, struct group *gr,
			      char *buf, size_t len, int *errnop)
{
	if (rc == 0) {
		nss_cache_put_gr(&rec->gr, c->cfg->cache_ttl);
		rc = nss_gr_pack(&rec->gr, 0, gr, buf, len);
	} else if (rc == -ENOENT) {
		nss_cache_put_neg(k, name, id, c->cfg->cache_negative_ttl);
	}
	nss_gr_clear(&rec->gr);
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
	union nss_rec rec = { 0 };
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
	rc = nss_search_one(c, NSS_ENT_GR, "cn", name, name, &rec);
	return finish(c, rc, &rec, NSS_C_GRNAM, name, 0, gr, buf, len, errnop);
}

NSS_EXPORT enum nss_status _nss_tenure_getgrgid_r(gid_t gid, struct group *gr,
						  char *buf, size_t len, int *errnop);
enum nss_status _nss_tenure_getgrgid_r(gid_t gid, struct group *gr,
				       char *buf, size_t len, int *errnop)
{
	enum nss_status st;
	struct nss_ctx *c = nss_enter(&st, errnop);
	union nss_rec rec = { 0 };
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
	rc = nss_search_one(c, NSS_ENT_GR, "gidNumber", num, NULL, &rec);
	if (rc == 0 && rec.gr.gid != gid)
		rc = -ENOENT;
	return finish(c, rc, &rec, NSS_C_GRGID, NULL, gid, gr, buf, len, errnop);
}

NSS_EXPORT enum nss_status _nss_tenure_setgrent(int stayopen);
enum nss_status _nss_tenure_setgrent(int stayopen)
{
	(void)stayopen;
	return nss_ent_set(&nss_ent_gr);
}

NSS_EXPORT enum nss_status _nss_tenure_endgrent(void);
enum nss_status _nss_tenure_endgrent(void)
{
	return nss_ent_set(&nss_ent_gr);
}

NSS_EXPORT enum nss_status _nss_tenure_getgrent_r(struct group *gr, char *buf, size_t len,
						  int *errnop);
enum nss_status _nss_tenure_getgrent_r(struct group *gr, char *buf, size_t len, int *errnop)
{
	return nss_ent_get(&nss_ent_gr, gr, buf, len, errnop);
}
