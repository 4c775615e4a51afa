/* tenure — word lists for the dictionary check.
 *
 * A list is one word per line, optionally followed by a tab and a kind
 * letter (w = dictionary word, c = common password).  The installed list
 * ($(DATADIR)/tenure/words, built from wamerican and john's password.lst by
 * mk/pam-password.mk) is already lower-case and sorted in byte order, so it
 * is mapped read-only and only a line index is built; any other list
 * (dictpath) is read, lower-cased and sorted in memory.
 */
#include "tenure/policy.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define DICT_MAX_BYTES (64u << 20)
#define WORD_MAX 64

struct entry {
	uint32_t off;
	uint16_t len;
	uint8_t kind;
};

struct tenure_dict {
	char *buf;          /* mapped or malloc'd text */
	size_t size;
	int mapped;
	struct entry *e;
	size_t n;
};

static int cmp_bytes(const char *a, size_t al, const char *b, size_t bl)
{
	int c = memcmp(a, b, al < bl ? al : bl);

	if (c)
		return c;
	return al < bl ? -1 : al > bl;
}

static int entry_cmp(const void *x, const void *y, void *arg)
{
	const struct entry *a = x, *b = y;
	const char *buf = arg;

	return cmp_bytes(buf + a->off, a->len, buf + b->off, b->len);
}

/* Index the lines of d->buf; lower-case them when writable. */
static int index_lines(struct tenure_dict *d, int kind, int writable)
{
	size_t cap = 1024, pos = 0;
	int sorted = 1;

	d->e = malloc(cap * sizeof(*d->e));
	if (!d->e)
		return -ENOMEM;
	while (pos < d->size) {
		size_t start = pos, len, wlen;
		const char *tab;
		int k = kind;

		while (pos < d->size && d->buf[pos] != '\n')
			pos++;
		len = pos - start;
		pos++;
		while (len && d->buf[start + len - 1] == '\r')
			len--;
		tab = memchr(d->buf + start, '\t', len);
		wlen = tab ? (size_t)(tab - (d->buf + start)) : len;
		if (tab && wlen + 1 < len && (tab[1] == 'w' || tab[1] == 'c'))
			k = tab[1];
		if (wlen < 3 || wlen > WORD_MAX)
			continue;
		if (writable)
			for (size_t i = 0; i < wlen; i++)
				d->buf[start + i] = (char)tolower((unsigned char)d->buf[start + i]);
		if (d->n == cap) {
			struct entry *ne = realloc(d->e, cap * 2 * sizeof(*ne));
			if (!ne)
				return -ENOMEM;
			d->e = ne;
			cap *= 2;
		}
		d->e[d->n].off = (uint32_t)start;
		d->e[d->n].len = (uint16_t)wlen;
		d->e[d->n].kind = (uint8_t)k;
		if (d->n && sorted && cmp_bytes(d->buf + d->e[d->n - 1].off, d->e[d->n - 1].len,
						d->buf + start, wlen) > 0)
			sorted = 0;
		d->n++;
	}
	if (!sorted)
		qsort_r(d->e, d->n, sizeof(*d->e), entry_cmp, d->buf);
	return 0;
}

static int read_all(int fd, size_t size, char **out)
{
	char *b = malloc(size + 1);
	size_t got = 0;

	if (!b)
		return -ENOMEM;
	while (got < size) {
		ssize_t r = read(fd, b + got, size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			free(b);
			return r < 0 ? -errno : -EIO;
		}
		got += (size_t)r;
	}
	b[size] = '\0';
	*out = b;
	return 0;
}

int tenure_dict_load(const char *path, int kind, struct tenure_dict **out)
{
	struct tenure_dict *d = calloc(1, sizeof(*d));
	struct stat st;
	int fd, rc, writable = 1;

	if (!d)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		rc = -errno;
		goto err;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		rc = -EINVAL;
		goto err;
	}
	if ((uint64_t)st.st_size > DICT_MAX_BYTES) {
		rc = -EFBIG;
		goto err;
	}
	d->size = (size_t)st.st_size;
	if (d->size == 0) {
		close(fd);
		*out = d;
		return 0;
	}
	/* The shipped list (kind c/w markers, sorted) can be mapped; try it. */
	d->buf = mmap(NULL, d->size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (d->buf != MAP_FAILED) {
		d->mapped = 1;
		writable = 0;
		for (size_t i = 0; i < d->size && !writable; i++)
			if (isupper((unsigned char)d->buf[i]))
				writable = 1;
		if (writable) {
			munmap(d->buf, d->size);
			d->mapped = 0;
			d->buf = NULL;
		}
	} else {
		d->buf = NULL;
	}
	if (!d->buf) {
		rc = read_all(fd, d->size, &d->buf);
		if (rc)
			goto err;
	}
	close(fd);
	fd = -1;
	rc = index_lines(d, kind, writable);
	if (rc)
		goto err;
	*out = d;
	return 0;
err:
	if (fd >= 0)
		close(fd);
	tenure_dict_free(d);
	return rc;
}

void tenure_dict_free(struct tenure_dict *d)
{
	if (!d)
		return;
	if (d->mapped)
		munmap(d->buf, d->size);
	else
		free(d->buf);
	free(d->e);
	free(d);
}

size_t tenure_dict_count(const struct tenure_dict *d)
{
	return d ? d->n : 0;
}

size_t tenure_dict_count_kind(const struct tenure_dict *d, int kind)
{
	size_t n = 0;

	for (size_t i = 0; d && i < d->n; i++)
		n += d->e[i].kind == kind;
	return n;
}

/* First entry not below key (prefix compare when prefix is set). */
static size_t lower_bound(const struct tenure_dict *d, const char *key, size_t len)
{
	size_t lo = 0, hi = d->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct entry *e = &d->e[mid];

		if (cmp_bytes(d->buf + e->off, e->len, key, len) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int tenure_dict_find(const struct tenure_dict *d, const char *key, size_t len)
{
	size_t i;

	if (!d || !d->n)
		return 0;
	i = lower_bound(d, key, len);
	if (i < d->n && d->e[i].len == len && memcmp(d->buf + d->e[i].off, key, len) == 0) {
		/* Duplicates: prefer the common-password kind. */
		int k = d->e[i].kind;
		for (size_t j = i + 1; j < d->n && d->e[j].len == len &&
		     memcmp(d->buf + d->e[j].off, key, len) == 0; j++)
			if (d->e[j].kind == TENURE_DICT_COMMON)
				k = TENURE_DICT_COMMON;
		return k;
	}
	return 0;
}

int tenure_dict_has_prefix(const struct tenure_dict *d, const char *prefix, size_t len)
{
	size_t i;

	if (!d || !d->n)
		return 0;
	i = lower_bound(d, prefix, len);
	return i < d->n && d->e[i].len >= len && memcmp(d->buf + d->e[i].off, prefix, len) == 0;
}
