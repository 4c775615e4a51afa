/* tenure NSS module — records from LDAP entries.
 *
 * Pulls the strings out of an entry (each bounded and checked for UTF-8 by
 * the core) and hands them to convert.c, which decides.  An entry that
 * cannot be returned safely is dropped and logged once.
 */
#include "nss_tenure.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const nss_pw_attrs[] = {
	"uid", "uidNumber", "gidNumber", "gecos", "cn", "homeDirectory", "loginShell", NULL,
};
const char *const nss_gr_attrs[] = { "cn", "gidNumber", "memberUid", "member", NULL };
const char *const nss_gr_attrs_nomem[] = { "cn", "gidNumber", NULL };
const char *const nss_sp_attrs[] = {
	"uid", "shadowLastChange", "shadowMin", "shadowMax", "shadowWarning",
	"shadowInactive", "shadowExpire", "uidNumber", NULL,
};

/* An optional attribute: 0 with the value, 1 absent, -1 unusable. */
static int opt_str(struct tenure_ldap_res *res, tenure_ldap_entry *e, const char *attr,
		   char *buf, size_t len)
{
	int rc = tenure_ldap_get_str(res, e, attr, buf, len);

	if (rc == -ENOENT)
		return 1;
	return rc ? -1 : 0;
}

/* The entry's name: the wanted one if it is among the values (exactly, so
 * ALICE never finds alice), else the first value when nothing is wanted. */
static int pick_name(struct tenure_ldap_res *res, tenure_ldap_entry *e, const char *attr,
		     const char *want, char *buf, size_t len)
{
	char **v = NULL;
	int rc = tenure_ldap_get_strs(res, e, attr, 64, NSS_NAME_MAX - 1, &v);

	if (rc)
		return rc == -ENOENT ? -ENOENT : -EINVAL;
	rc = -ENOENT;
	for (size_t i = 0; v[i]; i++) {
		if (want ? strcmp(v[i], want) == 0 : i == 0) {
			snprintf(buf, len, "%s", v[i]);
			rc = 0;
			break;
		}
	}
	tenure_strv_free(v);
	return rc;
}

static void entry_dn(struct tenure_ldap_res *res, tenure_ldap_entry *e, char *dn, size_t len)
{
	if (tenure_ldap_get_dn(res, e, dn, len))
		snprintf(dn, len, "(unreadable DN)");
}

int nss_pw_from_entry(struct nss_ctx *c, struct tenure_ldap_res *res, tenure_ldap_entry *e,
		      const char *want, struct nss_pw *out)
{
	char dn[NSS_DN_MAX], name[NSS_NAME_MAX], uidn[32], gidn[32];
	char gecos[NSS_FIELD_MAX], cn[NSS_FIELD_MAX], dir[NSS_FIELD_MAX], shell[NSS_FIELD_MAX];
	int hg, hc, hd, hs, rc;
	const char *why = NULL;

	entry_dn(res, e, dn, sizeof(dn));
	rc = pick_name(res, e, "uid", want, name, sizeof(name));
	if (rc == -ENOENT)
		return -ENOENT;
	if (rc) {
		why = "unusable uid";
		goto drop;
	}
	if (!nss_name_ok(c, name)) {
		why = "name refused by validnames";
		goto drop;
	}
	if (opt_str(res, e, "uidNumber", uidn, sizeof(uidn)) ||
	    opt_str(res, e, "gidNumber", gidn, sizeof(gidn))) {
		why = "missing or unusable uidNumber/gidNumber";
		goto drop;
	}
	hg = opt_str(res, e, "gecos", gecos, sizeof(gecos));
	hc = opt_str(res, e, "cn", cn, sizeof(cn));
	hd = opt_str(res, e, "homeDirectory", dir, sizeof(dir));
	hs = opt_str(res, e, "loginShell", shell, sizeof(shell));
	if (hg < 0 || hc < 0 || hd < 0 || hs < 0) {
		why = "field too long or not UTF-8";
		goto drop;
	}
	rc = nss_pw_build(name, uidn, gidn, hg ? NULL : gecos, hc ? NULL : cn,
			  hd ? NULL : dir, hs ? NULL : shell,
			  (unsigned long)c->cfg->nss_min_uid, out, &why);
	if (rc == -EPERM)
		return -EPERM;
	if (rc == -EINVAL)
		goto drop;
	if (rc)
		return rc;
	out->dn = strdup(dn);
	if (!out->dn) {
		nss_pw_clear(out);
		return -ENOMEM;
	}
	return 0;
drop:
	nss_log_drop(dn, why);
	return -EINVAL;
}

/* ---- group members ---- */

struct members {
	char **v;
	size_t n, cap;
	int visits;              /* nested DNs looked at, bounded */
};

static int members_add(struct members *m, const char *name)
{
	if (m->n >= NSS_MEMBERS_MAX)
		return -ERANGE;
	if (m->n + 1 >= m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 64;
		char **v = realloc(m->v, cap * sizeof(char *));
		if (!v)
			return -ENOMEM;
		m->v = v;
		m->cap = cap;
	}
	if (!(m->v[m->n] = strdup(name)))
		return -ENOMEM;
	m->n++;
	m->v[m->n] = NULL;
	return 0;
}

static void members_free(struct members *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->v[i]);
	free(m->v);
}

static int add_memberuids(struct tenure_ldap_res *res, tenure_ldap_entry *e, struct members *m)
{
	char **v = NULL;
	int rc = tenure_ldap_get_strs(res, e, "memberUid", NSS_MEMBERS_MAX, NSS_NAME_MAX - 1, &v);

	for (size_t i = 0; rc == 0 && v[i]; i++)
		rc = members_add(m, v[i]);
	tenure_strv_free(v);
	return rc;
}

static int add_member_dns(struct nss_ctx *c, struct tenure_ldap_res *res, tenure_ldap_entry *e,
			  struct members *m, int depth);

/* A member DN that is not uid=...: a group (nested) or a user named by
 * another RDN.  Looked up only with nss_nested_groups. */
static int add_nested(struct nss_ctx *c, const char *dn, struct members *m, int depth)
{
	static const char *const attrs[] = { "uid", "memberUid", "member", "objectClass", NULL };
	struct tenure_ldap_res *res = NULL;
	tenure_ldap_entry *e;
	char name[NSS_NAME_MAX];
	int rc;

	if (depth <= 0 || ++m->visits > 1024)
		return 0;
	rc = nss_search(c, 0, dn, LDAP_SCOPE_BASE, "(objectClass=*)", attrs, 1, &res);
	if (rc == -ENOENT)
		return 0;
	if (rc)
		return rc;
	e = tenure_ldap_first(res);
	if (e && pick_name(res, e, "uid", NULL, name, sizeof(name)) == 0)
		rc = members_add(m, name);
	else if (e) {
		rc = add_memberuids(res, e, m);
		if (rc == 0)
			rc = add_member_dns(c, res, e, m, depth - 1);
	}
	tenure_ldap_res_free(res);
	return rc;
}

static int add_member_dns(struct nss_ctx *c, struct tenure_ldap_res *res, tenure_ldap_entry *e,
			  struct members *m, int depth)
{
	char **v = NULL, name[NSS_NAME_MAX];
	int rc = tenure_ldap_get_strs(res, e, "member", NSS_MEMBERS_MAX, NSS_DN_MAX - 1, &v);

	for (size_t i = 0; rc == 0 && v[i]; i++) {
		if (nss_dn_uid(v[i], name, sizeof(name)) == 0)
			rc = members_add(m, name);
		else if (c->cfg->nss_nested_groups)
			rc = add_nested(c, v[i], m, depth);
	}
	tenure_strv_free(v);
	return rc;
}

int nss_gr_from_entry(struct nss_ctx *c, struct tenure_ldap_res *res, tenure_ldap_entry *e,
		      const char *want, int with_members, struct nss_gr *out)
{
	char dn[NSS_DN_MAX], name[NSS_NAME_MAX], gidn[32];
	struct members m = { 0 };
	const char *why = NULL;
	int rc;

	entry_dn(res, e, dn, sizeof(dn));
	rc = pick_name(res, e, "cn", want, name, sizeof(name));
	if (rc == -ENOENT)
		return -ENOENT;
	if (rc || !nss_name_ok(c, name)) {
		why = rc ? "unusable cn" : "name refused by validnames";
		goto drop;
	}
	if (opt_str(res, e, "gidNumber", gidn, sizeof(gidn))) {
		why = "missing or unusable gidNumber";
		goto drop;
	}
	if (with_members) {
		rc = add_memberuids(res, e, &m);
		if (rc == 0)
			rc = add_member_dns(c, res, e, &m, c->cfg->nss_nested_depth);
		if (rc == -ERANGE || rc == -EILSEQ) {
			why = "member list too long or not UTF-8";
			goto drop;
		}
		if (rc)
			goto out;
		m.n = nss_members_uniq(m.v, m.n);
	}
	rc = nss_gr_build(name, gidn, m.v, m.n, (unsigned long)c->cfg->nss_min_gid, out, &why);
	if (rc == -EINVAL)
		goto drop;
out:
	members_free(&m);
	return rc;
drop:
	members_free(&m);
	nss_log_drop(dn, why);
	return -EINVAL;
}

int nss_sp_from_entry(struct nss_ctx *c, struct tenure_ldap_res *res, tenure_ldap_entry *e,
		      const char *want, struct nss_sp *out)
{
	char dn[NSS_DN_MAX], name[NSS_NAME_MAX], v[6][32], uidn[32];
	const char *fields[6], *why = NULL;
	unsigned long uid;
	int rc;

	entry_dn(res, e, dn, sizeof(dn));
	rc = pick_name(res, e, "uid", want, name, sizeof(name));
	if (rc == -ENOENT)
		return -ENOENT;
	if (rc || !nss_name_ok(c, name)) {
		why = rc ? "unusable uid" : "name refused by validnames";
		goto drop;
	}
	/* The same floor as passwd: no shadow entry for a uid below it. */
	if (opt_str(res, e, "uidNumber", uidn, sizeof(uidn)) || nss_parse_id(uidn, &uid)) {
		why = "missing or unusable uidNumber";
		goto drop;
	}
	if (uid < (unsigned long)c->cfg->nss_min_uid)
		return -EPERM;
	for (int i = 0; i < 6; i++) {
		int h = opt_str(res, e, nss_sp_attrs[i + 1], v[i], sizeof(v[i]));
		if (h < 0) {
			why = "unusable shadow field";
			goto drop;
		}
		fields[i] = h ? NULL : v[i];
	}
	rc = nss_sp_build(name, fields, out, &why);
	if (rc == -EINVAL)
		goto drop;
	return rc;
drop:
	nss_log_drop(dn, why);
	return -EINVAL;
}

/* ---- one map, one search ---- */

void nss_map_of(const struct nss_ctx *c, enum nss_ent_kind kind, struct nss_map *m)
{
	switch (kind) {
	case NSS_ENT_PW:
		*m = (struct nss_map){ c->base_passwd, c->cfg->filter_passwd, nss_pw_attrs, 0 };
		break;
	case NSS_ENT_GR:
		*m = (struct nss_map){ c->base_group, c->cfg->filter_group,
				       c->cfg->nss_getgrent_skipmembers ? nss_gr_attrs_nomem
									: nss_gr_attrs, 0 };
		break;
	default:
		*m = (struct nss_map){ c->base_shadow, c->cfg->filter_shadow, nss_sp_attrs, 1 };
		break;
	}
}

int nss_rec_from_entry(struct nss_ctx *c, enum nss_ent_kind kind, struct tenure_ldap_res *res,
		       tenure_ldap_entry *e, const char *want, union nss_rec *out)
{
	switch (kind) {
	case NSS_ENT_PW:
		return nss_pw_from_entry(c, res, e, want, &out->pw);
	case NSS_ENT_GR:
		return nss_gr_from_entry(c, res, e, want, !c->cfg->nss_getgrent_skipmembers,
					 &out->gr);
	default:
		return nss_sp_from_entry(c, res, e, want, &out->sp);
	}
}

int nss_rec_final(int rc)
{
	return rc == 0 || rc == -ENOMEM || rc == -EHOSTUNREACH || rc == -ETIMEDOUT;
}

int nss_search_one(struct nss_ctx *c, enum nss_ent_kind kind, const char *attr,
		   const char *value, const char *want, union nss_rec *out)
{
	struct tenure_ldap_res *res = NULL;
	struct nss_map m;
	char filter[4096];
	int rc;

	nss_map_of(c, kind, &m);
	if (nss_filter(filter, sizeof(filter), m.filter, attr, value))
		return -ENOENT;
	nss_lock(c, m.service);
	rc = nss_search(c, m.service, m.base, -1, filter, m.attrs, 0, &res);
	if (rc == 0) {
		rc = -ENOENT;
		for (tenure_ldap_entry *e = tenure_ldap_first(res); e; e = tenure_ldap_next(res, e)) {
			int r = nss_rec_from_entry(c, kind, res, e, want, out);
			if (nss_rec_final(r)) {
				rc = r;
				break;
			}
		}
		tenure_ldap_res_free(res);
	}
	nss_unlock(c, m.service);
	return rc;
}
