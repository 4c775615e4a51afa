/* Fuzz target: the audit-chain verifier (tenure_audit_verify) and the
 * reader that continues a chain (tenure_audit_open + tenure_audit_append),
 * on a file written from the input.  The file is a memfd reached through
 * /proc/self/fd, so nothing is left on disk.
 *
 * Input: byte 0 =
 *   bit 0  chain mode: the harness turns every input line L into
 *          {"seq":N,"prev":"<SHA-256 of the line before>",L so that the
 *          fuzzer reaches deep into long, valid chains (it cannot forge
 *          hashes); without it the bytes are written as they are
 *   bit 1  after verifying, open the log, append a record and verify again
 * the rest is the file.
 *
 * Checks besides crashes: in chain mode the verdict is exactly the
 * predicted one (intact iff every line ends in '}' and the file ends in a
 * newline; otherwise the first such line is named); a log that verifies
 * can be continued, and stays intact with one line more. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tenure/audit.h"
#include "tenure/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { if (!(cond)) { \
	fprintf(stderr, "fuzz_audit: check failed: %s (line %d)\n", #cond, __LINE__); \
	abort(); } } while (0)

static int mfd = -1;
static char path[64];

struct out {
	char *buf;
	size_t len, cap;
};

static int put(struct out *o, const void *p, size_t n)
{
	if (o->len + n > o->cap) {
		size_t cap = (o->len + n) * 2 + 64;
		char *nb = realloc(o->buf, cap);
		if (!nb)
			return -1;
		o->buf = nb;
		o->cap = cap;
	}
	memcpy(o->buf + o->len, p, n);
	o->len += n;
	return 0;
}

/* Chain mode: returns the file, and the expected verdict in *bad (0 =
 * intact, else the first bad line) and *lines. */
static int chain(const uint8_t *in, size_t len, struct out *o, long *bad, long *lines)
{
	char prev[65] = "0000000000000000000000000000000000000000000000000000000000000000";
	char head[128];
	size_t pos = 0;
	long no = 0;

	*bad = 0;
	while (pos < len) {
		const uint8_t *nl = memchr(in + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (in + pos)) : len - pos;
		size_t start = o->len;
		int hl;

		no++;
		hl = snprintf(head, sizeof(head), "{\"seq\":%ld,\"prev\":\"%s\",", no, prev);
		if (put(o, head, (size_t)hl) || put(o, in + pos, n))
			return -1;
		tenure_sha256_hex(o->buf + start, o->len - start, prev);
		if (!*bad && (!nl || n == 0 || in[pos + n - 1] != '}'))
			*bad = no;
		if (nl && put(o, "\n", 1))
			return -1;
		pos += n + (nl ? 1 : 0);
	}
	*lines = no;
	return 0;
}

static int write_file(const void *buf, size_t len)
{
	if (ftruncate(mfd, 0) < 0)
		return -1;
	return pwrite(mfd, buf, len, 0) == (ssize_t)len ? 0 : -1;
}

/* Length of the last line (without its newline). */
static size_t last_len(const char *buf, size_t len)
{
	size_t end = len && buf[len - 1] == '\n' ? len - 1 : len, i = end;

	while (i > 0 && buf[i - 1] != '\n')
		i--;
	return end - i;
}

static void continue_chain(const char *buf, size_t len, long lines)
{
	struct tenure_audit *a = NULL;
	char err[TENURE_ERRLEN];
	long n2 = -1, bad2 = -1;
	int rc;

	rc = tenure_audit_open(path, &a, err, sizeof(err));
	if (rc == -E2BIG) {
		CHECK(last_len(buf, len) > TENURE_AUDIT_LINE_MAX);
		return;
	}
	if (rc) {
		fprintf(stderr, "fuzz_audit: a verified log does not open: %s\n", err);
		abort();
	}
	CHECK(tenure_audit_append(a, "\"action\":\"fuzz\",\"id\":\"e1\"") == 0);
	tenure_audit_close(a);
	rc = tenure_audit_verify(path, &n2, &bad2, err, sizeof(err));
	if (rc != 0 || n2 != lines + 1) {
		fprintf(stderr, "fuzz_audit: after one append: rc %d lines %ld (was %ld): %s\n",
			rc, n2, lines, err);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct out o = { NULL, 0, 0 };
	const char *buf;
	size_t len;
	long lines = -1, bad = -1, want_bad = 0, want_lines = 0;
	char err[TENURE_ERRLEN];
	int rc, mode;

	if (mfd < 0) {
		mfd = memfd_create("fuzz-audit", MFD_CLOEXEC);
		if (mfd < 0)
			abort();
		snprintf(path, sizeof(path), "/proc/self/fd/%d", mfd);
	}
	if (size < 1)
		return 0;
	mode = data[0];
	if (mode & 1) {
		if (chain(data + 1, size - 1, &o, &want_bad, &want_lines))
			goto out;
		buf = o.buf ? o.buf : "";
		len = o.len;
	} else {
		buf = (const char *)data + 1;
		len = size - 1;
	}
	if (write_file(buf, len))
		goto out;
	err[0] = '\0';
	rc = tenure_audit_verify(path, &lines, &bad, err, sizeof(err));
	CHECK(rc == 0 || rc == 1);
	CHECK(lines >= 0);
	if (rc == 1)
		CHECK(bad >= 1 && bad <= lines && err[0]);
	if (mode & 1) {
		if (rc != (want_bad ? 1 : 0) || (want_bad && bad != want_bad) ||
		    (!want_bad && lines != want_lines)) {
			fprintf(stderr, "fuzz_audit: verdict rc %d line %ld (%s), expected %s line %ld\n",
				rc, bad, err, want_bad ? "broken" : "intact", want_bad ? want_bad : want_lines);
			abort();
		}
	}
	if (rc == 0 && (mode & 2))
		continue_chain(buf, len, lines);
out:
	free(o.buf);
	return 0;
}
