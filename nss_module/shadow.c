/* tenure NSS module — shadow: getspnam_r, setspent/getspent_r/endspent.
 *
 * Served only to processes with euid 0, through the service session (binddn
 * with bindpw_file, read only then).  Others get UNAVAIL/EACCES, as from an
 * unreadable /etc/shadow.  The password field is always "*": passwords are
 * checked by the directory (pam_tenure), never by a hash handed out here.
 * Not cached.
 */
#include "nss_tenure.h"

#include <errno.h>
#include <unistd.h>

static int root_only(int *errnop, enum nss_status *st)
{
	if (geteuid() == 0)
		return 0;
	*errnop = EACCES;
	*st = NSS_STATUS_UNAVAIL;
	return -1;
}

NSS_EXPORT enum nss_status _nss_tenure_getspnam_r(const char *name, struct spwd *sp,
						  char *buf, size_t len, int *errnop);
enum nss_status _nss_tenure_getspnam_r(const char *name, struct spwd *sp,
				       char *buf, size_t len, int *errnop)
{
	struct tenure_ldap_res *res = NULL;
	struct nss_sp rec = { 0 };
	enum nss_status st;
	struct nss_ctx *c;
	char filter[4096];
	int rc;

	if (root_only(errnop, &st))
		return st;
	if (!(c = nss_enter(&st, errnop)))
		return st;
	rc = -ENOENT;
	if (!nss_name_ok(c, name) ||
	    nss_filter(filter, sizeof(filter), c->cfg->filter_shadow, "uid", name))
		goto out;
	nss_lock(c, 1);
	rc = nss_search(c, 1, c->base_shadow, -1, filter, nss_sp_attrs, 0, &res);
	if (rc) {
		nss_unlock(c, 1);
		goto out;
	}
	rc = -ENOENT;
	for (tenure_ldap_entry *e = tenure_ldap_first(res); e; e = tenure_ldap_next(res, e)) {
		int r = nss_sp_from_entry(c, res, e, name, &rec);
		if (r == 0 || r == -ENOMEM) {
			rc = r;
			break;
		}
	}
	tenure_ldap_res_free(res);
	nss_unlock(c, 1);
	if (rc == 0)
		rc = nss_sp_pack(&rec, sp, buf, len);
out:
	nss_sp_clear(&rec);
	nss_leave(c);
	return nss_status_of(rc, errnop);
}

NSS_EXPORT enum nss_status _nss_tenure_setspent(int stayopen);
enum nss_status _nss_tenure_setspent(int stayopen)
{
	pthread_mutex_lock(&nss_ent_sp.lock);
	nss_ent_reset(&nss_ent_sp);
	pthread_mutex_unlock(&nss_ent_sp.lock);
	return NSS_STATUS_SUCCESS;
}

NSS_EXPORT enum nss_status _nss_tenure_endspent(void);
enum nss_status _nss_tenure_endspent(void)
{
	return _nss_tenure_setspent(0);
}

static int next_sp(struct nss_ent *en)
{
	struct tenure_ldap_res *res;
	tenure_ldap_entry *e;
	int rc;

	nss_lock(en->ctx, 1);
	for (;;) {
		rc = nss_ent_next(en, 1, en->ctx->base_shadow, en->ctx->cfg->filter_shadow,
				  nss_sp_attrs, &res, &e);
		if (rc == 1)
			rc = -ENOENT;
		if (rc < 0)
			break;
		rc = nss_sp_from_entry(en->ctx, res, e, NULL, &en->pending.sp);
		if (rc == 0)
			en->has_pending = 1;
		if (rc == 0 || rc == -ENOMEM)
			break;
	}
	nss_unlock(en->ctx, 1);
	return rc;
}

NSS_EXPORT enum nss_status _nss_tenure_getspent_r(struct spwd *sp, char *buf, size_t len,
						  int *errnop);
enum nss_status _nss_tenure_getspent_r(struct spwd *sp, char *buf, size_t len, int *errnop)
{
	struct nss_ent *en = &nss_ent_sp;
	enum nss_status st;
	struct nss_ctx *c;
	int rc = 0;

	if (root_only(errnop, &st))
		return st;
	if (!(c = nss_enter(&st, errnop)))
		return st;
	pthread_mutex_lock(&en->lock);
	if (!en->ctx && !(en->ctx = nss_ctx_hold()))
		rc = -EHOSTUNREACH;
	else if (!en->ctx->cfg->enumerate)
		rc = -ENOENT;
	else if (!en->has_pending)
		rc = next_sp(en);
	if (rc == 0) {
		rc = nss_sp_pack(&en->pending.sp, sp, buf, len);
		if (rc == 0) {
			nss_sp_clear(&en->pending.sp);
			en->has_pending = 0;
		}
	}
	pthread_mutex_unlock(&en->lock);
	nss_leave(c);
	return nss_ent_status_of(rc, errnop);
}
