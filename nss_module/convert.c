/* tenure NSS module — records from strings, records into caller buffers.
 *
 * No LDAP here: a fuzzer (or a unit test) calls these directly with
 * whatever strings it likes.  Every rule about what may be returned lives
 * here: strict numbers, ids at or above the minimum, no ':' or newline in a
 * field (it would forge a passwd(5)/group(5) line), no ',' in a member name.
 */
#include "nss_tenure.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define ID_MAX 4294967294UL   /* (uid_t)-1 is "no id" */

int nss_parse_id(const char *s, unsigned long *out)
{
	unsigned long v = 0;
	size_t n = 0;

	if (!s || !*s)
		return -EINVAL;
	for (const char *p = s; *p; p++, n++) {
		if (*p < '0' || *p > '9' || n >= 10)
			return -EINVAL;
		v = v * 10 + (unsigned long)(*p - '0');
	}
	if (v > ID_MAX)
		return -EINVAL;
	*out = v;
	return 0;
}

int nss_parse_shadow_long(const char *s, long *out)
{
	unsigned long v;
	int rc;

	if (!s) {
		*out = -1;
		return 0;
	}
	if (strcmp(s, "-1") == 0) {
		*out = -1;
		return 0;
	}
	rc = nss_parse_id(s, &v);
	if (rc || v > INT32_MAX)
		return -EINVAL;
	*out = (long)v;
	return 0;
}

int nss_field_ok(const char *s, int is_member)
{
	if (!s)
		return 1;
	if (strpbrk(s, is_member ? ":,\n\r" : ":\n\r"))
		return 0;
	return 1;
}

static char *dup_or_empty(const char *s)
{
	return strdup(s ? s : "");
}

void nss_pw_clear(struct nss_pw *p)
{
	if (!p)
		return;
	free(p->name);
	free(p->gecos);
	free(p->dir);
	free(p->shell);
	free(p->dn);
	memset(p, 0, sizeof(*p));
}

void nss_gr_clear(struct nss_gr *g)
{
	if (!g)
		return;
	free(g->name);
	if (g->mem)
		for (size_t i = 0; i < g->nmem; i++)
			free(g->mem[i]);
	free(g->mem);
	memset(g, 0, sizeof(*g));
}

void nss_sp_clear(struct nss_sp *s)
{
	if (!s)
		return;
	free(s->name);
	memset(s, 0, sizeof(*s));
}

int nss_pw_build(const char *name, const char *uidnum, const char *gidnum,
		 const char *gecos, const char *cn, const char *dir, const char *shell,
		 unsigned long min_uid, struct nss_pw *out, const char **why)
{
	unsigned long uid, gid;

	memset(out, 0, sizeof(*out));
	*why = NULL;
	if (!name || !*name || strlen(name) >= NSS_NAME_MAX) {
		*why = "bad name";
		return -EINVAL;
	}
	if (nss_parse_id(uidnum, &uid)) {
		*why = "bad uidNumber";
		return -EINVAL;
	}
	if (nss_parse_id(gidnum, &gid)) {
		*why = "bad gidNumber";
		return -EINVAL;
	}
	if (uid < min_uid)
		return -EPERM;
	if (!gecos)
		gecos = cn;
	if (!nss_field_ok(name, 1) || !nss_field_ok(gecos, 0) || !nss_field_ok(dir, 0) ||
	    !nss_field_ok(shell, 0)) {
		*why = "field holds ':' or a newline";
		return -EINVAL;
	}
	out->uid = (uid_t)uid;
	out->gid = (gid_t)gid;
	out->name = strdup(name);
	out->gecos = dup_or_empty(gecos);
	out->dir = dup_or_empty(dir);
	out->shell = dup_or_empty(shell);
	if (!out->name || !out->gecos || !out->dir || !out->shell) {
		nss_pw_clear(out);
		return -ENOMEM;
	}
	return 0;
}

int nss_gr_build(const char *name, const char *gidnum, char **members, size_t nmem,
		 unsigned long min_gid, struct nss_gr *out, const char **why)
{
	unsigned long gid;

	memset(out, 0, sizeof(*out));
	*why = NULL;
	if (!name || !*name || strlen(name) >= NSS_NAME_MAX) {
		*why = "bad name";
		return -EINVAL;
	}
	if (nss_parse_id(gidnum, &gid)) {
		*why = "bad gidNumber";
		return -EINVAL;
	}
	if (gid < min_gid)
		return -EPERM;
	if (!nss_field_ok(name, 1)) {
		*why = "name holds ':', ',' or a newline";
		return -EINVAL;
	}
	for (size_t i = 0; i < nmem; i++)
		if (!members[i] || !*members[i] || !nss_field_ok(members[i], 1)) {
			*why = "member holds ':', ',' or a newline";
			return -EINVAL;
		}
	out->gid = (gid_t)gid;
	out->name = strdup(name);
	out->mem = calloc(nmem + 1, sizeof(char *));
	if (!out->name || !out->mem)
		goto nomem;
	for (size_t i = 0; i < nmem; i++) {
		out->mem[i] = strdup(members[i]);
		if (!out->mem[i])
			goto nomem;
		out->nmem = i + 1;
	}
	return 0;
nomem:
	nss_gr_clear(out);
	return -ENOMEM;
}

int nss_sp_build(const char *name, const char *const fields[6], struct nss_sp *out,
		 const char **why)
{
	long v[6];

	memset(out, 0, sizeof(*out));
	*why = NULL;
	if (!name || !*name || strlen(name) >= NSS_NAME_MAX || !nss_field_ok(name, 1)) {
		*why = "bad name";
		return -EINVAL;
	}
	for (int i = 0; i < 6; i++)
		if (nss_parse_shadow_long(fields[i], &v[i])) {
			*why = "bad shadow number";
			return -EINVAL;
		}
	out->name = strdup(name);
	if (!out->name)
		return -ENOMEM;
	out->lstchg = v[0];
	out->min = v[1];
	out->max = v[2];
	out->warn = v[3];
	out->inact = v[4];
	out->expire = v[5];
	return 0;
}

int nss_pw_copy(const struct nss_pw *in, struct nss_pw *out)
{
	*out = *in;
	out->name = strdup(in->name);
	out->gecos = strdup(in->gecos);
	out->dir = strdup(in->dir);
	out->shell = strdup(in->shell);
	out->dn = in->dn ? strdup(in->dn) : NULL;
	if (!out->name || !out->gecos || !out->dir || !out->shell || (in->dn && !out->dn)) {
		nss_pw_clear(out);
		return -ENOMEM;
	}
	return 0;
}

int nss_gr_copy(const struct nss_gr *in, struct nss_gr *out)
{
	const char *why;
	char num[24];

	snprintf(num, sizeof(num), "%lu", (unsigned long)in->gid);
	return nss_gr_build(in->name, num, in->mem, in->nmem, 0, out, &why);
}

/* ---- packing ---- */

struct packer {
	char *buf;
	size_t len, used;
};

static char *put_str(struct packer *k, const char *s)
{
	size_t n = strlen(s) + 1;
	char *p;

	if (n > k->len - k->used)
		return NULL;
	p = k->buf + k->used;
	memcpy(p, s, n);
	k->used += n;
	return p;
}

int nss_pw_pack(const struct nss_pw *p, struct passwd *pw, char *buf, size_t len)
{
	struct packer k = { buf, len, 0 };

	if (!(pw->pw_name = put_str(&k, p->name)) ||
	    !(pw->pw_passwd = put_str(&k, "x")) ||
	    !(pw->pw_gecos = put_str(&k, p->gecos)) ||
	    !(pw->pw_dir = put_str(&k, p->dir)) ||
	    !(pw->pw_shell = put_str(&k, p->shell)))
		return -ERANGE;
	pw->pw_uid = p->uid;
	pw->pw_gid = p->gid;
	return 0;
}

int nss_gr_pack(const struct nss_gr *g, int skip_members, struct group *gr, char *buf, size_t len)
{
	struct packer k = { buf, len, 0 };
	size_t n = skip_members ? 0 : g->nmem, align;
	char **mem;

	/* The pointer array first, aligned, then the strings. */
	align = (sizeof(char *) - ((uintptr_t)buf % sizeof(char *))) % sizeof(char *);
	if (len < align || (len - align) / sizeof(char *) < n + 1)
		return -ERANGE;
	mem = (char **)(void *)(buf + align);
	k.used = align + (n + 1) * sizeof(char *);
	if (!(gr->gr_name = put_str(&k, g->name)) || !(gr->gr_passwd = put_str(&k, "x")))
		return -ERANGE;
	for (size_t i = 0; i < n; i++)
		if (!(mem[i] = put_str(&k, g->mem[i])))
			return -ERANGE;
	mem[n] = NULL;
	gr->gr_mem = mem;
	gr->gr_gid = g->gid;
	return 0;
}

int nss_sp_pack(const struct nss_sp *s, struct spwd *sp, char *buf, size_t len)
{
	struct packer k = { buf, len, 0 };

	/* Never a hash: authentication goes through the directory (pam_tenure). */
	if (!(sp->sp_namp = put_str(&k, s->name)) || !(sp->sp_pwdp = put_str(&k, "*")))
		return -ERANGE;
	sp->sp_lstchg = s->lstchg;
	sp->sp_min = s->min;
	sp->sp_max = s->max;
	sp->sp_warn = s->warn;
	sp->sp_inact = s->inact;
	sp->sp_expire = s->expire;
	sp->sp_flag = ~0UL;
	return 0;
}

/* ---- members ---- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

size_t nss_members_uniq(char **mem, size_t n)
{
	size_t o = 0;

	if (n < 2)
		return n;
	qsort(mem, n, sizeof(char *), cmp_str);
	for (size_t i = 0; i < n; i++) {
		if (o > 0 && strcmp(mem[o - 1], mem[i]) == 0) {
			free(mem[i]);
			continue;
		}
		mem[o++] = mem[i];
	}
	for (size_t i = o; i < n; i++)
		mem[i] = NULL;
	return o;
}

int nss_dn_uid(const char *dn, char *buf, size_t len)
{
	const char *v, *end;
	size_t n;

	if (!dn || strncasecmp(dn, "uid=", 4) != 0)
		return -ENOENT;
	v = dn + 4;
	end = strchr(v, ',');
	if (!end)
		end = v + strlen(v);
	n = (size_t)(end - v);
	if (n == 0 || n >= len || memchr(v, '\\', n) || memchr(v, '+', n))
		return -ENOENT;
	memcpy(buf, v, n);
	buf[n] = '\0';
	return 0;
}
