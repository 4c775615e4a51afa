/* tenure NSS module — initgroups_dyn: the groups of one user in one search.
 *
 * (&filter_group(|(memberUid=NAME)(member=USER-DN))), where the user's DN
 * comes from the passwd cache or one passwd lookup (a user known only to
 * /etc/passwd is matched by memberUid alone).  With nss_nested_groups, each
 * further level is one more search for groups holding the groups found, up
 * to nss_nested_depth.  Groups below nss_min_gid are never added.
 */
#include "nss_tenure.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct gidset {
	gid_t *v;
	size_t n, cap;
};

static int gid_add(struct gidset *s, gid_t g)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i] == g)
			return 0;
	if (s->n >= NSS_GROUPS_MAX)
		return 0;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 32;
		gid_t *v = realloc(s->v, cap * sizeof(gid_t));
		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = g;
	return 0;
}

struct strlist {
	char **v;
	size_t n;
};

static void strlist_free(struct strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* One search; gids into set, group DNs into dns (for the next level). */
static int search_level(struct nss_ctx *c, const char *filter, struct gidset *set,
			struct strlist *dns)
{
	static const char *const attrs[] = { "gidNumber", NULL };
	struct tenure_ldap_res *res = NULL;
	char dn[NSS_DN_MAX], num[32];
	int rc;

	nss_lock(c, 0);
	rc = nss_search(c, 0, c->base_group, -1, filter, attrs, 0, &res);
	if (rc) {
		nss_unlock(c, 0);
		return rc;
	}
	for (tenure_ldap_entry *e = tenure_ldap_first(res); e && rc == 0; e = tenure_ldap_next(res, e)) {
		unsigned long gid;

		if (tenure_ldap_get_str(res, e, "gidNumber", num, sizeof(num)) ||
		    nss_parse_id(num, &gid) || gid < (unsigned long)c->cfg->nss_min_gid)
			continue;
		rc = gid_add(set, (gid_t)gid);
		if (rc == 0 && dns && tenure_ldap_get_dn(res, e, dn, sizeof(dn)) == 0) {
			char **v = realloc(dns->v, (dns->n + 1) * sizeof(char *));
			if (!v || !(v[dns->n] = strdup(dn))) {
				if (v)
					dns->v = v;
				rc = -ENOMEM;
				break;
			}
			dns->v = v;
			dns->n++;
		}
	}
	tenure_ldap_res_free(res);
	nss_unlock(c, 0);
	return rc;
}

/* "(&FILTER(|(member=DN1)(member=DN2)...))" for a level of nested groups. */
static char *nested_filter(const char *filter, const struct strlist *dns)
{
	size_t cap = strlen(filter) + 16, o;
	char *f, esc[3 * NSS_DN_MAX + 1];

	for (size_t i = 0; i < dns->n; i++)
		cap += 3 * strlen(dns->v[i]) + 16;
	f = malloc(cap);
	if (!f)
		return NULL;
	o = (size_t)snprintf(f, cap, "(&%s(|", filter);
	for (size_t i = 0; i < dns->n; i++) {
		if (tenure_ldap_escape(dns->v[i], esc, sizeof(esc)))
			continue;
		o += (size_t)snprintf(f + o, cap - o, "(member=%s)", esc);
	}
	snprintf(f + o, cap - o, "))");
	return f;
}

static int user_groups(struct nss_ctx *c, const char *user, struct gidset *set, int *known)
{
	struct nss_pw pw = { 0 };
	struct strlist dns = { 0 }, next = { 0 };
	char filter[8192], euser[3 * NSS_NAME_MAX + 1], edn[3 * NSS_DN_MAX + 1];
	const char *fg = c->cfg->filter_group ? c->cfg->filter_group : "(objectClass=posixGroup)";
	int nested = c->cfg->nss_nested_groups, rc, n;

	rc = nss_pw_lookup_name(c, user, &pw);
	if (rc && rc != -ENOENT && rc != -EINVAL && rc != -EPERM)
		return rc;
	*known = rc == 0;
	if (tenure_ldap_escape(user, euser, sizeof(euser)))
		return -ENOENT;
	if (pw.dn && tenure_ldap_escape(pw.dn, edn, sizeof(edn)) == 0)
		n = snprintf(filter, sizeof(filter), "(&%s(|(memberUid=%s)(member=%s)))", fg, euser, edn);
	else
		n = snprintf(filter, sizeof(filter), "(&%s(memberUid=%s))", fg, euser);
	nss_pw_clear(&pw);
	if (n < 0 || (size_t)n >= sizeof(filter))
		return -ENOENT;
	rc = search_level(c, filter, set, nested ? &dns : NULL);
	for (int depth = 1; rc == 0 && nested && dns.n && depth < c->cfg->nss_nested_depth; depth++) {
		char *f = nested_filter(fg, &dns);
		if (!f) {
			rc = -ENOMEM;
			break;
		}
		rc = search_level(c, f, set, &next);
		free(f);
		strlist_free(&dns);
		dns = next;
		next = (struct strlist){ 0 };
	}
	strlist_free(&dns);
	strlist_free(&next);
	return rc;
}

/* Append to glibc's array, growing it as allowed by limit. */
static int give(gid_t g, gid_t skip, long *start, long *size, gid_t **groupsp, long limit)
{
	gid_t *gs = *groupsp;

	if (g == skip)
		return 0;
	for (long i = 0; i < *start; i++)
		if (gs[i] == g)
			return 0;
	if (*start == *size) {
		long nsize;
		gid_t *ng;

		if (limit > 0 && *size >= limit)
			return -ERANGE;
		nsize = *size ? 2 * *size : 16;
		if (limit > 0 && nsize > limit)
			nsize = limit;
		ng = realloc(gs, (size_t)nsize * sizeof(gid_t));
		if (!ng)
			return -ENOMEM;
		*groupsp = gs = ng;
		*size = nsize;
	}
	gs[(*start)++] = g;
	return 0;
}

NSS_EXPORT enum nss_status _nss_tenure_initgroups_dyn(const char *user, gid_t skip, long *start,
						      long *size, gid_t **groupsp, long limit,
						      int *errnop);
enum nss_status _nss_tenure_initgroups_dyn(const char *user, gid_t skip, long *start,
					   long *size, gid_t **groupsp, long limit, int *errnop)
{
	struct gidset set = { 0 };
	enum nss_status st;
	struct nss_ctx *c = nss_enter(&st, errnop);
	gid_t *cached = NULL;
	size_t ncached = 0;
	int rc, known = 1;

	if (!c)
		return st;
	if (!nss_name_ok(c, user)) {
		rc = -ENOENT;
		goto out;
	}
	if (nss_cache_initgr(user, &cached, &ncached) == 1) {
		set.v = cached;
		set.n = ncached;
		rc = 0;
	} else {
		rc = user_groups(c, user, &set, &known);
		if (rc == 0)
			nss_cache_put_initgr(user, set.v, set.n, c->cfg->cache_ttl);
	}
	if (rc)
		goto out;
	for (size_t i = 0; i < set.n; i++)
		if (give(set.v[i], skip, start, size, groupsp, limit) == -ENOMEM) {
			rc = -ENOMEM;
			goto out;
		}
	if (set.n == 0 && !known)
		rc = -ENOENT;
out:
	free(set.v);
	nss_leave(c);
	return nss_status_of(rc, errnop);
}
