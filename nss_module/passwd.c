/* tenure NSS module — passwd: getpwnam_r, getpwuid_r, setpwent/getpwent_r/endpwent. */
#include "nss_tenure.h"

#include <errno.h>
#include <stdio.h>

int nss_pw_lookup_name(struct nss_ctx *c, const char *name, struct nss_pw *out)
{
	union nss_rec rec = { 0 };
	int rc = nss_cache_pw_get(name, out);

	if (rc == 1)
		return 0;
	if (rc < 0)
		return rc;
	rc = nss_search_one(c, NSS_ENT_PW, "uid", name, name, &rec);
	if (rc == 0) {
		nss_cache_put_pw(&rec.pw, c->cfg->cache_ttl);
		*out = rec.pw;   /* the caller owns the strings now */
	} else if (rc == -ENOENT)
		nss_cache_put_neg(NSS_C_PWNAM, name, 0, c->cfg->cache_negative_ttl);
	return rc;
}

NSS_EXPORT enum nss_status _nss_tenure_getpwnam_r(const char *name, struct passwd *pw,
						  char *buf, size_t len, int *errnop);
enum nss_status _nss_tenure_getpwnam_r(const char *name, struct passwd *pw,
				       char *buf, size_t len, int *errnop)
{
	enum nss_status st;
	struct nss_ctx *c = nss_enter(&st, errnop);
	union nss_rec rec = { 0 };
	int rc;

	if (!c)
		return st;
	if (!nss_name_ok(c, name)) {
		rc = -ENOENT;
		goto out;
	}
	rc = nss_cache_pw(NSS_C_PWNAM, name, 0, pw, buf, len, &st);
	if (rc == 1) {
		rc = st == NSS_STATUS_SUCCESS ? 0 : -ENOENT;
		goto out;
	}
	if (rc < 0)
		goto out;
	rc = nss_search_one(c, NSS_ENT_PW, "uid", name, name, &rec);
	if (rc == 0) {
		nss_cache_put_pw(&rec.pw, c->cfg->cache_ttl);
		rc = nss_pw_pack(&rec.pw, pw, buf, len);
	} else if (rc == -ENOENT) {
		nss_cache_put_neg(NSS_C_PWNAM, name, 0, c->cfg->cache_negative_ttl);
	}
out:
	nss_pw_clear(&rec.pw);
	nss_leave(c);
	return nss_status_of(rc, errnop);
}

NSS_EXPORT enum nss_status _nss_tenure_getpwuid_r(uid_t uid, struct passwd *pw,
						  char *buf, size_t len, int *errnop);
enum nss_status _nss_tenure_getpwuid_r(uid_t uid, struct passwd *pw,
				       char *buf, size_t len, int *errnop)
{
	enum nss_status st;
	struct nss_ctx *c = nss_enter(&st, errnop);
	union nss_rec rec = { 0 };
	char num[24];
	int rc;

	if (!c)
		return st;
	if ((unsigned long)uid < (unsigned long)c->cfg->nss_min_uid || uid == (uid_t)-1) {
		rc = -ENOENT;
		goto out;
	}
	rc = nss_cache_pw(NSS_C_PWUID, NULL, uid, pw, buf, len, &st);
	if (rc == 1) {
		rc = st == NSS_STATUS_SUCCESS ? 0 : -ENOENT;
		goto out;
	}
	if (rc < 0)
		goto out;
	snprintf(num, sizeof(num), "%lu", (unsigned long)uid);
	rc = nss_search_one(c, NSS_ENT_PW, "uidNumber", num, NULL, &rec);
	if (rc == 0 && rec.pw.uid != uid)
		rc = -ENOENT;
	if (rc == 0) {
		nss_cache_put_pw(&rec.pw, c->cfg->cache_ttl);
		rc = nss_pw_pack(&rec.pw, pw, buf, len);
	} else if (rc == -ENOENT) {
		nss_cache_put_neg(NSS_C_PWUID, NULL, uid, c->cfg->cache_negative_ttl);
	}
out:
	nss_pw_clear(&rec.pw);
	nss_leave(c);
	return nss_status_of(rc, errnop);
}

NSS_EXPORT enum nss_status _nss_tenure_setpwent(int stayopen);
enum nss_status _nss_tenure_setpwent(int stayopen)
{
	(void)stayopen;
	return nss_ent_set(&nss_ent_pw);
}

NSS_EXPORT enum nss_status _nss_tenure_endpwent(void);
enum nss_status _nss_tenure_endpwent(void)
{
	return nss_ent_set(&nss_ent_pw);
}

NSS_EXPORT enum nss_status _nss_tenure_getpwent_r(struct passwd *pw, char *buf, size_t len,
						  int *errnop);
enum nss_status _nss_tenure_getpwent_r(struct passwd *pw, char *buf, size_t len, int *errnop)
{
	return nss_ent_get(&nss_ent_pw, pw, buf, len, errnop);
}
