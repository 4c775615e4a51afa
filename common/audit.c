/* tenure — hash-chained audit log (see include/tenure/audit.h). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/sha.h>

#include "tenure/audit.h"

#define ZERO_HASH "0000000000000000000000000000000000000000000000000000000000000000"

struct tenure_audit {
	int fd;
	long seq;                 /* seq of the last line written */
	char prev[65];            /* hash of the last line */
	int hold;                 /* > 0: appends are not synced one by one */
	pthread_mutex_t lock;
};

void tenure_sha256_hex(const void *buf, size_t len, char hex[65])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[SHA256_DIGEST_LENGTH];

	SHA256(buf, len, md);
	for (int i = 0; i < SHA256_DIGEST_LENGTH; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 15];
	}
	hex[64] = '\0';
}

/* Parse the fixed prefix {"seq":N,"prev":"HEX", of a line. */
static int parse_prefix(const char *line, long *seq, char prev[65])
{
	const char *p = line;
	char *end;

	if (strncmp(p, "{\"seq\":", 7) != 0)
		return -1;
	p += 7;
	errno = 0;
	*seq = strtol(p, &end, 10);
	if (errno || end == p || *seq < 1)
		return -1;
	p = end;
	if (strncmp(p, ",\"prev\":\"", 9) != 0)
		return -1;
	p += 9;
	for (int i = 0; i < 64; i++) {
		if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
			return -1;
		prev[i] = p[i];
	}
	prev[64] = '\0';
	return p[64] == '"' ? 0 : -1;
}

/* Find the last line of fd (without newline) in buf. 0 = found, 1 = empty file. */
static int last_line(int fd, char *buf, size_t buflen, size_t *outlen)
{
	struct stat st;
	off_t start;
	ssize_t n;
	char *nl;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (st.st_size == 0)
		return 1;
	start = st.st_size > (off_t)buflen - 1 ? st.st_size - (off_t)(buflen - 1) : 0;
	n = pread(fd, buf, buflen - 1, start);
	if (n <= 0)
		return n < 0 ? -errno : -EIO;
	buf[n] = '\0';
	if (buf[n - 1] != '\n')
		return -EBADMSG;        /* a torn last line: refuse to chain onto it */
	buf[--n] = '\0';
	nl = memrchr(buf, '\n', (size_t)n);
	if (!nl && start > 0)
		return -E2BIG;
	if (nl) {
		memmove(buf, nl + 1, (size_t)(n - (nl + 1 - buf)) + 1);
		n -= nl + 1 - buf;
	}
	*outlen = (size_t)n;
	return 0;
}

int tenure_audit_open(const char *path, struct tenure_audit **out, char *err, size_t errlen)
{
	struct tenure_audit *a = calloc(1, sizeof(*a));
	char *buf = malloc(TENURE_AUDIT_LINE_MAX + 2);
	size_t len = 0;
	int rc;

	if (!a || !buf) {
		rc = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto err;
	}
	a->fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (a->fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto err;
	}
	/* One writer at a time: a second process appending from its own idea
	 * of the last line would break the chain for good. */
	if (flock(a->fd, LOCK_EX | LOCK_NB) < 0) {
		rc = errno == EWOULDBLOCK ? -EBUSY : -errno;
		snprintf(err, errlen, "%s: %s", path, rc == -EBUSY ?
			 "in use by another process (tenure-syncd already running?)" : strerror(-rc));
		goto err;
	}
	rc = last_line(a->fd, buf, TENURE_AUDIT_LINE_MAX + 2, &len);
	if (rc == 1) {
		a->seq = 0;
		memcpy(a->prev, ZERO_HASH, 65);
	} else if (rc == 0) {
		char p[65];
		if (parse_prefix(buf, &a->seq, p) < 0) {
			rc = -EBADMSG;
			snprintf(err, errlen, "%s: last line is not an audit record", path);
			goto err;
		}
		tenure_sha256_hex(buf, len, a->prev);
	} else {
		snprintf(err, errlen, "%s: cannot read the last line: %s", path, strerror(-rc));
		goto err;
	}
	pthread_mutex_init(&a->lock, NULL);
	free(buf);
	*out = a;
	return 0;
err:
	if (a && a->fd > 0)
		close(a->fd);
	free(a);
	free(buf);
	return rc;
}

void tenure_audit_close(struct tenure_audit *a)
{
	if (!a)
		return;
	close(a->fd);
	pthread_mutex_destroy(&a->lock);
	free(a);
}

int tenure_audit_append(struct tenure_audit *a, const char *json_fields)
{
	struct timespec ts;
	struct tm tm;
	char stamp[96];
	char *line = NULL;
	int n, rc = 0;

	if (!a)
		return -EINVAL;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(stamp, sizeof(stamp), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
		 tm.tm_sec, ts.tv_nsec / 1000000);
	pthread_mutex_lock(&a->lock);
	n = asprintf(&line, "{\"seq\":%ld,\"prev\":\"%s\",\"ts\":\"%s\"%s%s}\n", a->seq + 1,
		     a->prev, stamp, json_fields && *json_fields ? "," : "",
		     json_fields ? json_fields : "");
	if (n < 0) {
		line = NULL;
		rc = -ENOMEM;
		goto out;
	}
	if (n > TENURE_AUDIT_LINE_MAX || memchr(line, '\n', (size_t)n - 1)) {
		rc = -EINVAL;
		goto out;
	}
	if (write(a->fd, line, (size_t)n) != n) {
		rc = errno ? -errno : -EIO;
		goto out;
	}
	if (!a->hold)
		fdatasync(a->fd);
	a->seq++;
	tenure_sha256_hex(line, (size_t)n - 1, a->prev);
out:
	pthread_mutex_unlock(&a->lock);
	free(line);
	return rc;
}

void tenure_audit_hold(struct tenure_audit *a)
{
	if (!a)
		return;
	pthread_mutex_lock(&a->lock);
	a->hold++;
	pthread_mutex_unlock(&a->lock);
}

void tenure_audit_release(struct tenure_audit *a)
{
	if (!a)
		return;
	pthread_mutex_lock(&a->lock);
	if (a->hold > 0 && --a->hold == 0)
		fdatasync(a->fd);
	pthread_mutex_unlock(&a->lock);
}

void tenure_audit_head(struct tenure_audit *a, long *seq, char hash[65])
{
	pthread_mutex_lock(&a->lock);
	*seq = a->seq;
	memcpy(hash, a->prev, 65);
	pthread_mutex_unlock(&a->lock);
}

/* The chain check; with anchor_seq > 0 the SHA-256 of that line is kept in
 * at_anchor (empty when the file is shorter). */
static int verify(const char *path, long anchor_seq, char at_anchor[65], long *lines,
		  long *bad_line, char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	char expect[65] = ZERO_HASH, prev[65];
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	long no = 0, seq;
	int rc = 0;

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	while ((n = getline(&line, &cap, f)) >= 0) {
		no++;
		if (n == 0 || line[n - 1] != '\n') {
			snprintf(err, errlen, "line %ld: incomplete (no newline)", no);
			rc = 1;
			break;
		}
		line[--n] = '\0';
		if (parse_prefix(line, &seq, prev) < 0 || line[n - 1] != '}') {
			snprintf(err, errlen, "line %ld: not an audit record", no);
			rc = 1;
			break;
		}
		if (seq != no) {
			snprintf(err, errlen, "line %ld: seq %ld, expected %ld (lines removed or"
				 " inserted before it)", no, seq, no);
			rc = 1;
			break;
		}
		if (strcmp(prev, expect) != 0 && no == 1) {
			snprintf(err, errlen, "line 1: prev is not 64 zeros (the start of the log was cut or edited)");
			rc = 1;
			break;
		}
		if (strcmp(prev, expect) != 0) {
			/* The hash of line no-1 no longer matches what line no
			 * recorded: line no-1 was edited (or this prev field). */
			no--;
			snprintf(err, errlen, "line %ld: changed (its SHA-256 does not match"
				 " prev of line %ld)", no, no + 1);
			rc = 1;
			break;
		}
		tenure_sha256_hex(line, (size_t)n, expect);
		if (no == anchor_seq)
			memcpy(at_anchor, expect, 65);
	}
	if (ferror(f) && !rc) {
		snprintf(err, errlen, "%s: read error", path);
		rc = -EIO;
	}
	free(line);
	fclose(f);
	if (rc == 1)
		*bad_line = no;
	*lines = no;
	return rc;
}

int tenure_audit_verify(const char *path, long *lines, long *bad_line, char *err, size_t errlen)
{
	char unused[65] = "";

	return verify(path, 0, unused, lines, bad_line, err, errlen);
}

int tenure_audit_verify_anchor(const char *path, long anchor_seq, const char *anchor_hash,
			       long *lines, long *bad_line, char *err, size_t errlen)
{
	char at[65] = "";
	int rc;

	if (anchor_seq < 1 || strlen(anchor_hash) != 64) {
		snprintf(err, errlen, "anchor: a seq of 1 or more and a SHA-256 of 64 hex digits");
		return -EINVAL;
	}
	rc = verify(path, anchor_seq, at, lines, bad_line, err, errlen);
	if (rc)
		return rc;
	if (*lines < anchor_seq) {
		snprintf(err, errlen, "line %ld: missing: the log ends at line %ld but the anchor "
			 "names line %ld (lines cut from the end)", *lines + 1, *lines, anchor_seq);
		*bad_line = *lines + 1;
		return 1;
	}
	if (strcasecmp(at, anchor_hash) != 0) {
		snprintf(err, errlen, "line %ld: differs from the anchor (SHA-256 %.16s..., anchor "
			 "%.16s...)", anchor_seq, at, anchor_hash);
		*bad_line = anchor_seq;
		return 1;
	}
	return 0;
}
