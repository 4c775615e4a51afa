/* tenure NSS module — passwd: getpwnam_r, getpwuid_r, setpwent/getpwent_r/endpwent. */
#include "nss_tenure.h"

#include <errno.h>
#include <stdio.h>

/* One search; the first entry that converts wins.  want: exact name. */
static int search_pw(struct nss_ctx *c, const char *attr, const char *value, const char *want,
		     struct nss_pw *out)
{
	struct tenure_ldap_res *res = NULL;
	char filter[4096];
	int rc;

	rc = nss_filter(filter, sizeof(filter), c->cfg->filter_passwd, attr, value);
	if (rc)
		return -ENOENT;
	nss_lock(c, 0);
	rc = nss_search(c, 0, c->base_passwd, -1, filter, nss_pw_attrs, 0, &res);
	if (rc)
		goto out;
	rc = -ENOENT;
	for (tenure_ldap_entry *e = tenure_ldap_first(res); e; e = tenure_ldap_next(res, e)) {
		int r = nss_pw_from_entry(c, res, e, want, out);
		if (r == 0 || r == -ENOMEM) {
			rc = r;
			break;
		}
	}
	tenure_ldap_res_free(res);
out:
	nss_unlock(c, 0);
	return rc;
}

int nss_pw_lookup_name(struct nss_ctx *c, const char *name, struct nss_pw *out)
{
	int rc = nss_cache_pw_get(name, out);

	if (rc == 1)
		return 0;
	if (rc < 0)
		return rc;
	rc = search_pw(c, "uid", name, name, out);
	if (rc == 0)
		nss_cache_put_pw(out, c->cfg->cache_ttl);
	else if (rc == -ENOENT)
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
	struct nss_pw rec = { 0 };
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
	rc = search_pw(c, "uid", name, name, &rec);
	if (rc == 0) {
		nss_cache_put_pw(&rec, c->cfg->cache_ttl);
		rc = nss_pw_pack(&rec, pw, buf, len);
	} else if (rc == -ENOENT) {
		nss_cache_put_neg(NSS_C_PWNAM, name, 0, c->cfg->cache_negative_ttl);
	}
out:
	nss_pw_clear(&rec);
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
	struct nss_pw rec = { 0 };
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
	rc = search_pw(c, "uidNumber", num, NULL, &rec);
	if (rc == 0 && rec.uid != uid)
		rc = -ENOENT;
	if (rc == 0) {
		nss_cache_put_pw(&rec, c->cfg->cache_ttl);
		rc = nss_pw_pack(&rec, pw, buf, len);
	} else if (rc == -ENOENT) {
		nss_cache_put_neg(NSS_C_PWUID, NULL, uid, c->cfg->cache_negative_ttl);
	}
out:
	nss_pw_clear(&rec);
	nss_leave(c);
	return nss_status_of(rc, errnop);
}

NSS_EXPORT enum nss_status _nss_tenure_setpwent(int stayopen);
enum nss_status _nss_tenure_setpwent(int stayopen)
{
	pthread_mutex_lock(&nss_ent_pw.lock);
	nss_ent_reset(&nss_ent_pw);
	pthread_mutex_unlock(&nss_ent_pw.lock);
	return NSS_STATUS_SUCCESS;
}

NSS_EXPORT enum nss_status _nss_tenure_endpwent(void);
enum nss_status _nss_tenure_endpwent(void)
{
	return _nss_tenure_setpwent(0);
}

/* The next record of the enumeration into en->pending. */
static int next_pw(struct nss_ent *en)
{
	struct tenure_ldap_res *res;
	tenure_ldap_entry *e;
	int rc;

	nss_lock(en->ctx, 0);
	for (;;) {
		rc = nss_ent_next(en, 0, en->ctx->base_passwd, en->ctx->cfg->filter_passwd,
				  nss_pw_attrs, &res, &e);
		if (rc == 1)
			rc = -ENOENT;
		if (rc < 0)
			break;
		rc = nss_pw_from_entry(en->ctx, res, e, NULL, &en->pending.pw);
		if (rc == 0)
			en->has_pending = 1;
		if (rc == 0 || rc == -ENOMEM)
			break;
	}
	nss_unlock(en->ctx, 0);
	return rc;
}

NSS_EXPORT enum nss_status _nss_tenure_getpwent_r(struct passwd *pw, char *buf, size_t len,
						  int *errnop);
enum nss_status _nss_tenure_getpwent_r(struct passwd *pw, char *buf, size_t len, int *errnop)
{
	struct nss_ent *en = &nss_ent_pw;
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
		rc = next_pw(en);
	if (rc == 0) {
		/* A record that does not fit stays pending for the retry. */
		rc = nss_pw_pack(&en->pending.pw, pw, buf, len);
		if (rc == 0) {
			nss_pw_clear(&en->pending.pw);
			en->has_pending = 0;
		}
	}
	pthread_mutex_unlock(&en->lock);
	nss_leave(c);
	return nss_ent_status_of(rc, errnop);
}
