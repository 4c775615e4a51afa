/* Fuzz target: directory attribute values -> passwd/group/shadow records ->
 * the caller's buffer, as the NSS module does them (nss_module/convert.c,
 * which has no LDAP in it).
 *
 * Input: byte 0 picks the record kind and which attributes are absent,
 * bytes 1-2 the size of the caller's buffer (0..65535), byte 3 the minimum
 * uid/gid (low 5 bits) and how far the buffer is off 8-byte alignment
 * (high 3 bits, as a caller may hand any char array); the rest is the attribute values, separated by NUL bytes (an
 * LDAP value cannot hold a NUL that survives into a C string, so a NUL is a
 * natural separator).
 *
 * Besides crashes, the target checks what glibc and every program that
 * parses passwd(5) lines rely on: an accepted record never holds ':' or a
 * newline (nor ',' in a member name), never an id below the minimum; a
 * pack succeeds exactly when the strings fit, and then every pointer lies
 * inside the buffer and every string is the record's. */
// fuzz-sources: nss_module/convert.c
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../../nss_module/nss_tenure.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_VALUES 64

#define CHECK(cond) do { if (!(cond)) { \
	fprintf(stderr, "fuzz_nss_entry: check failed: %s (line %d)\n", #cond, __LINE__); \
	abort(); } } while (0)

/* The values: NUL-separated strings in a private copy. */
struct values {
	char *copy;
	char *v[MAX_VALUES];
	size_t n;
};

static int split_values(const uint8_t *data, size_t size, struct values *vs)
{
	size_t start = 0;

	memset(vs, 0, sizeof(*vs));
	vs->copy = malloc(size + 1);
	if (!vs->copy)
		return -1;
	memcpy(vs->copy, data, size);
	vs->copy[size] = '\0';
	for (size_t i = 0; i <= size && vs->n < MAX_VALUES; i++) {
		if (vs->copy[i] != '\0')
			continue;
		vs->v[vs->n++] = vs->copy + start;
		start = i + 1;
	}
	return 0;
}

static const char *val(const struct values *vs, size_t i, unsigned absent)
{
	if (i < 8 && (absent >> i & 1))
		return NULL;
	return i < vs->n ? vs->v[i] : NULL;
}

/* A buffer of exactly len bytes (its end is the end of the allocation, so
 * an overflow is caught), starting off bytes past an aligned address. */
static unsigned buf_off;

static char *buf_new(size_t len, char **base)
{
	*base = malloc(len + buf_off ? len + buf_off : 1);
	return *base ? *base + buf_off : NULL;
}

static int inside(const char *p, const char *buf, size_t len)
{
	return p >= buf && p < buf + len && memchr(p, '\0', (size_t)(buf + len - p)) != NULL;
}

static void check_pw(const struct nss_pw *p, unsigned long min_uid, size_t buflen)
{
	size_t need = strlen(p->name) + 1 + 2 + strlen(p->gecos) + 1 + strlen(p->dir) + 1 +
		      strlen(p->shell) + 1;
	char *base, *buf = buf_new(buflen, &base);
	struct passwd pw;
	struct nss_pw copy;
	int rc;

	CHECK(p->uid >= min_uid);
	CHECK(!strpbrk(p->name, ":,\n\r") && *p->name);
	CHECK(!strpbrk(p->gecos, ":\n\r") && !strpbrk(p->dir, ":\n\r") && !strpbrk(p->shell, ":\n\r"));
	if (!buf)
		return;
	memset(&pw, 0, sizeof(pw));
	rc = nss_pw_pack(p, &pw, buf, buflen);
	CHECK(rc == 0 || rc == -ERANGE);
	CHECK((rc == 0) == (need <= buflen));
	if (rc == 0) {
		CHECK(inside(pw.pw_name, buf, buflen) && !strcmp(pw.pw_name, p->name));
		CHECK(inside(pw.pw_passwd, buf, buflen) && !strcmp(pw.pw_passwd, "x"));
		CHECK(inside(pw.pw_gecos, buf, buflen) && !strcmp(pw.pw_gecos, p->gecos));
		CHECK(inside(pw.pw_dir, buf, buflen) && !strcmp(pw.pw_dir, p->dir));
		CHECK(inside(pw.pw_shell, buf, buflen) && !strcmp(pw.pw_shell, p->shell));
		CHECK(pw.pw_uid == p->uid && pw.pw_gid == p->gid);
	}
	free(base);
	if (nss_pw_copy(p, &copy) == 0) {
		CHECK(!strcmp(copy.name, p->name) && copy.uid == p->uid);
		nss_pw_clear(&copy);
	}
}

static void pw_case(const struct values *vs, unsigned absent, unsigned long min_uid, size_t buflen)
{
	struct nss_pw p;
	const char *why = NULL;
	int rc;

	rc = nss_pw_build(val(vs, 0, absent), val(vs, 1, absent), val(vs, 2, absent),
			  val(vs, 3, absent), val(vs, 4, absent), val(vs, 5, absent),
			  val(vs, 6, absent), min_uid, &p, &why);
	CHECK(rc == 0 || rc == -EINVAL || rc == -EPERM || rc == -ENOMEM);
	CHECK(rc != -EINVAL || why != NULL);
	if (rc == 0) {
		if (val(vs, 7, absent))
			p.dn = strdup(val(vs, 7, absent));
		check_pw(&p, min_uid, buflen);
	}
	nss_pw_clear(&p);
}

static void check_gr(const struct nss_gr *g, unsigned long min_gid, size_t buflen)
{
	size_t need_ptrs = (g->nmem + 1) * sizeof(char *), need_str = strlen(g->name) + 1 + 2;
	char *base, *buf = buf_new(buflen, &base);
	struct group gr;

	CHECK(g->gid >= min_gid);
	CHECK(!strpbrk(g->name, ":,\n\r") && *g->name);
	for (size_t i = 0; i < g->nmem; i++) {
		CHECK(g->mem[i] && *g->mem[i] && !strpbrk(g->mem[i], ":,\n\r"));
		need_str += strlen(g->mem[i]) + 1;
	}
	CHECK(g->mem[g->nmem] == NULL);
	if (!buf)
		return;
	for (int skip = 0; skip < 2; skip++) {
		size_t align = (sizeof(char *) - ((uintptr_t)buf % sizeof(char *))) % sizeof(char *);
		size_t need = align + (skip ? sizeof(char *) : need_ptrs) + need_str;
		int rc;

		if (skip)
			for (size_t i = 0; i < g->nmem; i++)
				need -= strlen(g->mem[i]) + 1;
		memset(&gr, 0, sizeof(gr));
		rc = nss_gr_pack(g, skip, &gr, buf, buflen);
		CHECK(rc == 0 || rc == -ERANGE);
		CHECK((rc == 0) == (need <= buflen));
		if (rc)
			continue;
		CHECK((uintptr_t)gr.gr_mem % sizeof(char *) == 0);
		CHECK((char *)gr.gr_mem >= buf && (char *)gr.gr_mem < buf + buflen);
		CHECK(inside(gr.gr_name, buf, buflen) && !strcmp(gr.gr_name, g->name));
		CHECK(inside(gr.gr_passwd, buf, buflen));
		CHECK(gr.gr_gid == g->gid);
		for (size_t i = 0; i < (skip ? 0 : g->nmem); i++)
			CHECK(inside(gr.gr_mem[i], buf, buflen) && !strcmp(gr.gr_mem[i], g->mem[i]));
		CHECK(gr.gr_mem[skip ? 0 : g->nmem] == NULL);
	}
	free(base);
}

static void gr_case(const struct values *vs, unsigned absent, unsigned long min_gid, size_t buflen)
{
	char **mem = NULL;
	size_t nmem = vs->n > 2 ? vs->n - 2 : 0;
	struct nss_gr g, copy;
	const char *why = NULL;
	int rc;

	if (nmem) {
		mem = calloc(nmem, sizeof(*mem));
		if (!mem)
			return;
		for (size_t i = 0; i < nmem; i++)
			mem[i] = vs->v[i + 2];
	}
	rc = nss_gr_build(val(vs, 0, absent), val(vs, 1, absent), mem, nmem, min_gid, &g, &why);
	CHECK(rc == 0 || rc == -EINVAL || rc == -EPERM || rc == -ENOMEM);
	CHECK(rc != -EINVAL || why != NULL);
	free(mem);
	if (rc)
		return;
	/* As the module does: members de-duplicated before packing. */
	g.nmem = nss_members_uniq(g.mem, g.nmem);
	for (size_t i = 1; i < g.nmem; i++)
		CHECK(strcmp(g.mem[i - 1], g.mem[i]) < 0);
	check_gr(&g, min_gid, buflen);
	if (nss_gr_copy(&g, &copy) == 0) {
		CHECK(copy.nmem == g.nmem && copy.gid == g.gid);
		nss_gr_clear(&copy);
	}
	nss_gr_clear(&g);
}

static void sp_case(const struct values *vs, unsigned absent, size_t buflen)
{
	const char *fields[6];
	struct nss_sp s;
	struct spwd sp;
	const char *why = NULL;
	char *base, *buf;
	int rc;

	for (int i = 0; i < 6; i++)
		fields[i] = val(vs, (size_t)i + 1, absent);
	rc = nss_sp_build(val(vs, 0, absent), fields, &s, &why);
	CHECK(rc == 0 || rc == -EINVAL || rc == -ENOMEM);
	if (rc)
		return;
	CHECK(!strpbrk(s.name, ":,\n\r") && *s.name);
	CHECK(s.lstchg >= -1 && s.min >= -1 && s.max >= -1 && s.warn >= -1 && s.inact >= -1 &&
	      s.expire >= -1);
	buf = buf_new(buflen, &base);
	if (buf) {
		rc = nss_sp_pack(&s, &sp, buf, buflen);
		CHECK((rc == 0) == (strlen(s.name) + 1 + 2 <= buflen));
		/* Never a password hash, whatever the directory holds. */
		if (rc == 0)
			CHECK(!strcmp(sp.sp_pwdp, "*") && !strcmp(sp.sp_namp, s.name) &&
			      sp.sp_expire == s.expire);
		free(base);
	}
	nss_sp_clear(&s);
}

static void dn_case(const struct values *vs, size_t buflen)
{
	char *base, *buf = buf_new(buflen, &base);

	if (!buf)
		return;
	for (size_t i = 0; i < vs->n; i++) {
		unsigned long id;
		long l;

		if (nss_dn_uid(vs->v[i], buf, buflen) == 0) {
			size_t n = strlen(buf);
			CHECK(n > 0 && n < buflen && !strpbrk(buf, ",\\+"));
			CHECK(!strncasecmp(vs->v[i], "uid=", 4) && !strncmp(vs->v[i] + 4, buf, n));
		}
		if (nss_parse_id(vs->v[i], &id) == 0)
			CHECK(id <= 4294967294UL && vs->v[i][0] >= '0' && vs->v[i][0] <= '9');
		if (nss_parse_shadow_long(vs->v[i], &l) == 0)
			CHECK(l >= -1 && l <= 2147483647L);
		(void)nss_field_ok(vs->v[i], (int)(i & 1));
	}
	free(base);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct values vs;
	unsigned kind, absent;
	size_t buflen;
	unsigned long min_id;

	if (size < 4)
		return 0;
	kind = data[0] & 3;
	/* Bits 2-7: attributes 1..6 absent (the name is always given unless
	 * the input has no values at all). */
	absent = (unsigned)(data[0] >> 2) << 1;
	buflen = (size_t)data[1] << 8 | data[2];
	min_id = (unsigned long)(data[3] & 31) * 64;
	buf_off = data[3] >> 5;
	if (split_values(data + 4, size - 4, &vs))
		return 0;
	switch (kind) {
	case 0:
		pw_case(&vs, absent, min_id, buflen);
		break;
	case 1:
		gr_case(&vs, absent, min_id, buflen);
		break;
	case 2:
		sp_case(&vs, absent, buflen);
		break;
	default:
		dn_case(&vs, buflen);
		break;
	}
	free(vs.copy);
	return 0;
}
