/* tenure — breached-password filter: a memory-mapped cuckoo filter.
 *
 * Bucket index i1 comes from the first 8 bytes of the SHA-1, the 32-bit
 * fingerprint from the next 4.  The alternate bucket is i2 = (h(fp) - i1)
 * mod m, and i1 = (h(fp) - i2) mod m, so any bucket count works (not only
 * powers of two).  See include/tenure/filter.h for the file layout.
 */
#include "tenure/filter.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAGIC     "TNRCUCK1"
#define HDR       64
#define SLOTS     4
#define MAX_KICKS 2000

struct tenure_filter {
	const unsigned char *map;
	size_t size;
	const uint32_t *buckets;
	uint64_t m;
	uint64_t items;
};

struct key {
	uint64_t h;
	uint32_t fp;
	uint32_t pad;
};

struct tenure_filter_builder {
	struct key *k;
	size_t n, cap;
};

static uint64_t rd64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static uint32_t rd32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void wr64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++, v >>= 8)
		p[i] = (unsigned char)v;
}

static void wr32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++, v >>= 8)
		p[i] = (unsigned char)v;
}

/* Reduce a 64-bit value to [0, m) without division bias worth caring about. */
static uint64_t reduce(uint64_t h, uint64_t m)
{
	return (uint64_t)(((unsigned __int128)h * m) >> 64);
}

static uint64_t fp_hash(uint32_t fp)
{
	uint64_t x = fp * 0x9E3779B97F4A7C15ULL;

	x ^= x >> 29;
	x *= 0xBF58476D1CE4E5B9ULL;
	x ^= x >> 32;
	return x;
}

static struct key key_of(const unsigned char sha1[TENURE_SHA1_LEN])
{
	struct key k;

	k.h = rd64(sha1);
	k.fp = rd32(sha1 + 8);
	if (k.fp == 0)
		k.fp = 1;   /* 0 marks an empty slot */
	k.pad = 0;
	return k;
}

static uint64_t alt(uint64_t i, uint32_t fp, uint64_t m)
{
	uint64_t hf = reduce(fp_hash(fp), m);

	return (hf + m - i) % m;
}

void tenure_filter_sha1(const char *pw, size_t len, unsigned char out[TENURE_SHA1_LEN])
{
	SHA1((const unsigned char *)pw, len, out);
}

int tenure_filter_parse_hex(const char *s, unsigned char out[TENURE_SHA1_LEN])
{
	for (int i = 0; i < 2 * TENURE_SHA1_LEN; i++) {
		int c = (unsigned char)s[i], v;

		if (c >= '0' && c <= '9')
			v = c - '0';
		else if (c >= 'a' && c <= 'f')
			v = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v = c - 'A' + 10;
		else
			return -EINVAL;
		if (i % 2 == 0)
			out[i / 2] = (unsigned char)(v << 4);
		else
			out[i / 2] |= (unsigned char)v;
	}
	{
		char c = s[2 * TENURE_SHA1_LEN];
		if (c && c != ':' && c != ' ' && c != '\t' && c != '\r' && c != '\n')
			return -EINVAL;
	}
	return 0;
}

/* ---- reading ---- */

int tenure_filter_open(const char *path, struct tenure_filter **out)
{
	struct tenure_filter *f = NULL;
	struct stat st;
	void *map;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		goto err;
	}
	if (!S_ISREG(st.st_mode) || st.st_size < HDR) {
		rc = -EINVAL;
		goto err;
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		rc = -errno;
		goto err;
	}
	close(fd);
	fd = -1;
	f = calloc(1, sizeof(*f));
	if (!f) {
		munmap(map, (size_t)st.st_size);
		return -ENOMEM;
	}
	f->map = map;
	f->size = (size_t)st.st_size;
	f->m = rd64(f->map + 24);
	f->items = rd64(f->map + 32);
	if (memcmp(f->map, MAGIC, 8) != 0 || rd32(f->map + 8) != 1 || rd32(f->map + 12) != 32 ||
	    rd32(f->map + 16) != SLOTS || f->m == 0 || f->m > (f->size - HDR) / (4 * SLOTS) ||
	    HDR + f->m * 4 * SLOTS != f->size) {
		tenure_filter_close(f);
		return -EINVAL;
	}
	f->buckets = (const uint32_t *)(f->map + HDR);
	*out = f;
	return 0;
err:
	if (fd >= 0)
		close(fd);
	return rc;
}

void tenure_filter_close(struct tenure_filter *f)
{
	if (!f)
		return;
	if (f->map)
		munmap((void *)f->map, f->size);
	free(f);
}

uint64_t tenure_filter_items(const struct tenure_filter *f)
{
	return f->items;
}

size_t tenure_filter_bytes(const struct tenure_filter *f)
{
	return f->size;
}

static int bucket_has(const uint32_t *b, uint32_t fp)
{
	const unsigned char *p = (const unsigned char *)b;

	return rd32(p) == fp || rd32(p + 4) == fp || rd32(p + 8) == fp || rd32(p + 12) == fp;
}

int tenure_filter_contains_sha1(const struct tenure_filter *f, const unsigned char sha1[TENURE_SHA1_LEN])
{
	struct key k = key_of(sha1);
	uint64_t i1 = reduce(k.h, f->m), i2 = alt(i1, k.fp, f->m);

	return bucket_has(f->buckets + i1 * SLOTS, k.fp) || bucket_has(f->buckets + i2 * SLOTS, k.fp);
}

int tenure_filter_contains(const struct tenure_filter *f, const char *pw, size_t len)
{
	unsigned char d[TENURE_SHA1_LEN];
	int r;

	tenure_filter_sha1(pw, len, d);
	r = tenure_filter_contains_sha1(f, d);
	OPENSSL_cleanse(d, sizeof(d));
	return r;
}

/* ---- building ---- */

int tenure_filter_builder_new(struct tenure_filter_builder **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

void tenure_filter_builder_free(struct tenure_filter_builder *b)
{
	if (!b)
		return;
	free(b->k);
	free(b);
}

int tenure_filter_builder_add(struct tenure_filter_builder *b, const unsigned char sha1[TENURE_SHA1_LEN])
{
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 4096;
		struct key *k = realloc(b->k, cap * sizeof(*k));

		if (!k)
			return -ENOMEM;
		b->k = k;
		b->cap = cap;
	}
	b->k[b->n++] = key_of(sha1);
	return 0;
}

size_t tenure_filter_builder_count(const struct tenure_filter_builder *b)
{
	return b->n;
}

static int key_cmp(const void *a, const void *b)
{
	const struct key *x = a, *y = b;

	if (x->h != y->h)
		return x->h < y->h ? -1 : 1;
	if (x->fp != y->fp)
		return x->fp < y->fp ? -1 : 1;
	return 0;
}

static int insert(uint32_t *t, uint64_t m, struct key k, unsigned *rng)
{
	uint64_t i = reduce(k.h, m);
	uint32_t fp = k.fp;

	for (int kick = 0; kick < MAX_KICKS; kick++) {
		uint64_t j = alt(i, fp, m);
		uint32_t *b;

		for (int s = 0; s < SLOTS; s++) {
			if (t[i * SLOTS + s] == 0) {
				t[i * SLOTS + s] = fp;
				return 0;
			}
			if (t[j * SLOTS + s] == 0) {
				t[j * SLOTS + s] = fp;
				return 0;
			}
		}
		/* Evict a random victim from one of the two buckets. */
		*rng = *rng * 1103515245u + 12345u;
		if ((*rng >> 16) & 1)
			i = j;
		b = t + i * SLOTS;
		{
			int s = (int)((*rng >> 17) % SLOTS);
			uint32_t v = b[s];
			b[s] = fp;
			fp = v;
		}
		i = alt(i, fp, m);
	}
	return -ENOSPC;
}

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

static int write_file(const char *path, const uint32_t *t, uint64_t m, uint64_t items)
{
	unsigned char hdr[HDR] = { 0 };
	char tmp[PATH_MAX];
	unsigned char *le = NULL;
	int fd, rc;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= sizeof(tmp))
		return -ENAMETOOLONG;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	memcpy(hdr, MAGIC, 8);
	wr32(hdr + 8, 1);
	wr32(hdr + 12, 32);
	wr32(hdr + 16, SLOTS);
	wr64(hdr + 24, m);
	wr64(hdr + 32, items);
	le = malloc(m * SLOTS * 4);
	if (!le) {
		rc = -ENOMEM;
		goto out;
	}
	for (uint64_t i = 0; i < m * SLOTS; i++)
		wr32(le + i * 4, t[i]);
	rc = write_all(fd, hdr, HDR);
	if (!rc)
		rc = write_all(fd, le, m * SLOTS * 4);
	if (!rc && fchmod(fd, 0644) < 0)
		rc = -errno;
	if (!rc && fsync(fd) < 0)
		rc = -errno;
out:
	free(le);
	if (close(fd) < 0 && !rc)
		rc = -errno;
	if (!rc && rename(tmp, path) < 0)
		rc = -errno;
	if (rc)
		unlink(tmp);
	return rc;
}

int tenure_filter_builder_write(struct tenure_filter_builder *b, const char *path)
{
	size_t n = 0;
	uint64_t m;
	uint32_t *t = NULL;
	unsigned rng = 12345;
	int rc = -ENOSPC;

	if (b->n) {
		qsort(b->k, b->n, sizeof(*b->k), key_cmp);
		for (size_t i = 0; i < b->n; i++)
			if (n == 0 || key_cmp(&b->k[i], &b->k[n - 1]) != 0)
				b->k[n++] = b->k[i];
		b->n = n;
	}
	/* Aim at 90 % load; grow by 10 % when an insertion fails. */
	m = b->n / (SLOTS * 9 / 10.0) + 1;
	for (int attempt = 0; attempt < 8 && rc == -ENOSPC; attempt++) {
		if (attempt)
			m = m * 11 / 10 + 1;
		free(t);
		t = calloc(m * SLOTS, sizeof(*t));
		if (!t)
			return -ENOMEM;
		rc = 0;
		for (size_t i = 0; i < b->n && !rc; i++)
			rc = insert(t, m, b->k[i], &rng);
	}
	if (!rc)
		rc = write_file(path, t, m, b->n);
	free(t);
	return rc;
}
