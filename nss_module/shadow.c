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
	union nss_rec rec = { 0 };
	enum nss_status st;
	struct nss_ctx *c;
	int rc = -ENOENT;

	if (root_only(errnop, &st))
		return st;
	if (!(c = nss_enter(&st, errnop)))
		return st;
	if (nss_name_ok(c, name))
		rc = nss_search_one(c, NSS_ENT_SP, "uid", name, name, &rec);
	if (rc == 0)
		rc = nss_sp_pack(&rec.sp, sp, buf, len);
	nss_sp_clear(&rec.sp);
	nss_leave(c);
	return nss_status_of(rc, errnop);
}

NSS_EXPORT enum nss_status _nss_tenure_setspent(int stayopen);
enum nss_status _nss_tenure_setspent(int stayopen)
{
	(void)stayopen;
	return nss_ent_set(&nss_ent_sp);
}

NSS_EXPORT enum nss_status _nss_tenure_endspent(void);
enum nss_status _nss_tenure_endspent(void)
{
	return nss_ent_set(&nss_ent_sp);
}

NSS_EXPORT enum nss_status _nss_tenure_getspent_r(struct spwd *sp, char *buf, size_t len,
						  int *errnop);
enum nss_status _nss_tenure_getspent_r(struct spwd *sp, char *buf, size_t len, int *errnop)
{
	enum nss_status st;

	if (root_only(errnop, &st))
		return st;
	return nss_ent_get(&nss_ent_sp, sp, buf, len, errnop);
}
