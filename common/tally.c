/* tenure — the lockout tally store (see include/tenure/tally.h). */
#include "tenure/tally.h"
#include "tenure/config.h"
#include "tenure/secret.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#define TALLY_MAGIC   "TENURETL"
#define TALLY_VERSION 1u

struct tally_header {
	char magic[8];
	uint32_t version;
	uint32_t recsize;
};

_Static_assert(sizeof(struct tenure_tally_rec) == 128, "tally record is 128 bytes on disk");
_Static_assert(sizeof(struct tally_header) == 16, "tally header is 16 bytes");

int tenure_tally_name_ok(const char *user)
{
	size_t len;

	if (!user || !*user || user[0] == '.')
		return 0;
	len = strnlen(user, 256);
	if (len > 255)
		return 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)user[i];
		if (c == '/' || c < 0x20 || c == 0x7f)
			return 0;
	}
	return 1;
}

void tenure_lockout_policy(const struct tenure_config *cfg, int is_privileged,
			   struct tenure_lockout *p)
{
	p->deny = cfg->deny;
	p->fail_interval = cfg->fail_interval;
	p->unlock_time = cfg->unlock_time;
	p->deny_per_rhost = cfg->deny_per_rhost;
	if (is_privileged) {
		if (!cfg->even_deny_root) {
			p->deny = 0;
			p->deny_per_rhost = 0;
		} else if (cfg->root_unlock_time >= 0) {
			p->unlock_time = cfg->root_unlock_time;
		}
	}
}

struct tenure_tally *tenure_tally_new(void)
{
	return calloc(1, sizeof(struct tenure_tally));
}

void tenure_tally_free(struct tenure_tally *t)
{
	free(t);
}

void tenure_tally_rec_init(struct tenure_tally_rec *rec, int64_t now, const char *rhost,
			   const char *tty, const char *service)
{
	memset(rec, 0, sizeof(*rec));
	rec->time = now;
	if (rhost && *rhost) {
		rec->flags |= TENURE_TALLY_RHOST;
		snprintf(rec->source, sizeof(rec->source), "%s", rhost);
	} else if (tty && *tty) {
		rec->flags |= TENURE_TALLY_TTY;
		snprintf(rec->source, sizeof(rec->source), "%s", tty);
	}
	if (service)
		snprintf(rec->service, sizeof(rec->service), "%s", service);
}

/* ---- files ---- */

/* Open the tally directory; create it (0700) when asked.  It must be a
 * directory owned by us and not writable by group or others. */
static int open_dir(const char *dir, int create)
{
	struct stat st;
	int fd;

	if (!dir || !*dir)
		return -EINVAL;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && errno == ENOENT && create) {
		if (mkdir(dir, 0700) < 0 && errno != EEXIST)
			return -errno;
		fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	}
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISDIR(st.st_mode)) {
		close(fd);
		return -ENOTDIR;
	}
	if (st.st_uid != geteuid() || (st.st_mode & 022)) {
		close(fd);
		return -EPERM;
	}
	return fd;
}

/* Open a user's file.  write: O_RDWR|O_CREAT, exclusive lock; else
 * read-only, shared lock, -ENOENT when absent. */
static int open_file(const char *dir, const char *user, int write)
{
	struct stat st;
	int dfd, fd, rc;

	if (!tenure_tally_name_ok(user))
		return -EINVAL;
	dfd = open_dir(dir, write);
	if (dfd < 0)
		return dfd;
	if (write)
		fd = openat(dfd, user, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
	else
		fd = openat(dfd, user, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	rc = fd < 0 ? -errno : 0;
	close(dfd);
	if (rc)
		return rc == -ELOOP ? -EPERM : rc;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1 ||
	    st.st_uid != geteuid()) {
		close(fd);
		return -EPERM;
	}
	if (write && (st.st_mode & 07777) != 0600 && fchmod(fd, 0600) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	while (flock(fd, write ? LOCK_EX : LOCK_SH) < 0) {
		if (errno != EINTR) {
			rc = -errno;
			close(fd);
			return rc;
		}
	}
	return fd;
}

static int read_all(int fd, void *buf, size_t len, size_t *got)
{
	size_t off = 0;

	while (off < len) {
		ssize_t r = pread(fd, (char *)buf + off, len - off, (off_t)off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			break;
		off += (size_t)r;
	}
	*got = off;
	return 0;
}

/* Load the records of an open file.  An empty file is an empty tally; a
 * file that is not a tally is refused (-EBADMSG); a torn last record is
 * ignored. */
static int load(int fd, struct tenure_tally *t)
{
	struct tally_header h;
	struct stat st;
	size_t got = 0, n;
	int rc;

	t->n = 0;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (st.st_size == 0)
		return 0;
	rc = read_all(fd, &h, sizeof(h), &got);
	if (rc)
		return rc;
	if (got != sizeof(h) || memcmp(h.magic, TALLY_MAGIC, 8) != 0 ||
	    h.version != TALLY_VERSION || h.recsize != sizeof(struct tenure_tally_rec))
		return -EBADMSG;
	n = ((size_t)st.st_size - sizeof(h)) / sizeof(struct tenure_tally_rec);
	if (n > TENURE_TALLY_MAX)
		n = TENURE_TALLY_MAX;
	{
		/* Read the newest n records (the file never holds more, but
		 * be safe). */
		size_t total = ((size_t)st.st_size - sizeof(h)) / sizeof(struct tenure_tally_rec);
		off_t off = (off_t)(sizeof(h) + (total - n) * sizeof(struct tenure_tally_rec));
		size_t len = n * sizeof(struct tenure_tally_rec), done = 0;

		while (done < len) {
			ssize_t r = pread(fd, (char *)t->rec + done, len - done, off + (off_t)done);
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0)
				return -errno;
			if (r == 0)
				break;
			done += (size_t)r;
		}
		t->n = done / sizeof(struct tenure_tally_rec);
	}
	for (size_t i = 0; i < t->n; i++) {
		t->rec[i].source[TENURE_TALLY_SRC_LEN - 1] = '\0';
		t->rec[i].service[TENURE_TALLY_SVC_LEN - 1] = '\0';
	}
	return 0;
}

static int write_all(int fd, const void *buf, size_t len, off_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t r = pwrite(fd, (const char *)buf + done, len - done, off + (off_t)done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		done += (size_t)r;
	}
	return 0;
}

static int store(int fd, const struct tenure_tally *t)
{
	struct tally_header h;
	size_t len = t->n * sizeof(struct tenure_tally_rec);
	int rc;

	if (t->n == 0)
		return ftruncate(fd, 0) < 0 ? -errno : 0;
	memset(&h, 0, sizeof(h));
	memcpy(h.magic, TALLY_MAGIC, 8);
	h.version = TALLY_VERSION;
	h.recsize = sizeof(struct tenure_tally_rec);
	rc = write_all(fd, &h, sizeof(h), 0);
	if (!rc)
		rc = write_all(fd, t->rec, len, sizeof(h));
	if (!rc && ftruncate(fd, (off_t)(sizeof(h) + len)) < 0)
		rc = -errno;
	return rc;
}

int tenure_tally_read(const char *dir, const char *user, struct tenure_tally *t)
{
	int fd, rc;

	t->n = 0;
	fd = open_file(dir, user, 0);
	if (fd == -ENOENT)
		return 0;
	if (fd < 0)
		return fd;
	rc = load(fd, t);
	close(fd);
	return rc;
}

/* ---- the lock rule ---- */

static int same_source(const struct tenure_tally_rec *r, const char *rhost)
{
	return (r->flags & TENURE_TALLY_RHOST) && strncmp(r->source, rhost, TENURE_TALLY_SRC_LEN - 1) == 0;
}

/* Count failures in the window ending at the newest one; only records
 * matching rhost when rhost is not NULL. */
static int count_window(const struct tenure_tally *t, const char *rhost, int fail_interval,
			int64_t *latest)
{
	int64_t last = 0;
	int n = 0;

	for (size_t i = 0; i < t->n; i++) {
		const struct tenure_tally_rec *r = &t->rec[i];
		if ((r->flags & TENURE_TALLY_VALID) && (!rhost || same_source(r, rhost)) && r->time > last)
			last = r->time;
	}
	for (size_t i = 0; last && i < t->n; i++) {
		const struct tenure_tally_rec *r = &t->rec[i];
		if ((r->flags & TENURE_TALLY_VALID) && (!rhost || same_source(r, rhost)) &&
		    r->time > last - fail_interval)
			n++;
	}
	*latest = last;
	return n;
}

static int lock_applies(int failures, int deny, int unlock_time, int64_t latest, int64_t now,
			int64_t *until)
{
	if (!deny || failures < deny)
		return 0;
	if (unlock_time == 0) {
		*until = 0;
		return 1;
	}
	*until = latest + unlock_time;
	return now < *until;
}

void tenure_tally_eval(const struct tenure_tally *t, const struct tenure_lockout *p,
		       const char *rhost, int64_t now, struct tenure_lock_state *st)
{
	int64_t until = 0, r_latest = 0;

	memset(st, 0, sizeof(*st));
	st->failures = count_window(t, NULL, p->fail_interval, &st->latest);
	for (size_t i = t->n; i-- > 0;) {
		if ((t->rec[i].flags & TENURE_TALLY_VALID) && t->rec[i].time == st->latest) {
			memcpy(st->last_source, t->rec[i].source, sizeof(st->last_source));
			memcpy(st->last_service, t->rec[i].service, sizeof(st->last_service));
			break;
		}
	}
	if (lock_applies(st->failures, p->deny, p->unlock_time, st->latest, now, &until)) {
		st->locked = 1;
		st->locked_until = until;
		return;
	}
	if (!rhost || !*rhost || !p->deny_per_rhost)
		return;
	st->rhost_failures = count_window(t, rhost, p->fail_interval, &r_latest);
	if (lock_applies(st->rhost_failures, p->deny_per_rhost, p->unlock_time, r_latest, now, &until)) {
		st->locked = 1;
		st->by_rhost = 1;
		st->locked_until = until;
	}
}

/* Forget records that can no longer count: invalid ones, ones outside
 * the window that a new failure at `now` opens, and every one when a lock
 * has run out (a fresh start after an automatic unlock, as faillock). */
static void prune(struct tenure_tally *t, const struct tenure_lockout *p, int64_t now)
{
	int64_t latest, until;
	int n = count_window(t, NULL, p->fail_interval, &latest);
	int expired = p->deny && n >= p->deny && !lock_applies(n, p->deny, p->unlock_time, latest, now, &until);
	size_t k = 0;

	for (size_t i = 0; i < t->n; i++) {
		const struct tenure_tally_rec *r = &t->rec[i];
		if (expired || !(r->flags & TENURE_TALLY_VALID) || r->time <= now - p->fail_interval)
			continue;
		/* A source whose own lock ran out starts afresh too. */
		if (p->deny_per_rhost && (r->flags & TENURE_TALLY_RHOST)) {
			int64_t rl, ru;
			int rn = count_window(t, r->source, p->fail_interval, &rl);
			if (rn >= p->deny_per_rhost &&
			    !lock_applies(rn, p->deny_per_rhost, p->unlock_time, rl, now, &ru))
				continue;
		}
		t->rec[k++] = *r;
	}
	t->n = k;
}

static int seen_guess(const struct tenure_tally *t, const struct tenure_tally_rec *rec,
		      int fail_interval, int64_t now)
{
	if (!(rec->flags & TENURE_TALLY_HASH))
		return 0;
	for (size_t i = 0; i < t->n; i++) {
		const struct tenure_tally_rec *r = &t->rec[i];
		if ((r->flags & TENURE_TALLY_VALID) && (r->flags & TENURE_TALLY_HASH) &&
		    r->time > now - fail_interval &&
		    secret_memcmp(r->hash, rec->hash, TENURE_TALLY_HASH_LEN) == 0)
			return 1;
	}
	return 0;
}

int tenure_tally_fail(const char *dir, const char *user, const struct tenure_lockout *p,
		      const char *rhost, const struct tenure_tally_rec *rec, int64_t now,
		      int *outcome, struct tenure_lock_state *st)
{
	struct tenure_tally *t = NULL;
	struct tenure_lock_state before;
	int fd = -1, rc;

	*outcome = TENURE_TALLY_OFF;
	if (!p->deny && !p->deny_per_rhost) {
		if (st)
			memset(st, 0, sizeof(*st));
		return 0;
	}
	t = tenure_tally_new();
	if (!t)
		return -ENOMEM;
	fd = open_file(dir, user, 1);
	if (fd < 0) {
		rc = fd;
		goto out;
	}
	rc = load(fd, t);
	if (rc)
		goto out;
	tenure_tally_eval(t, p, rhost, now, &before);
	if (before.locked) {
		*outcome = TENURE_TALLY_LOCKED;
	} else if (seen_guess(t, rec, p->fail_interval, now)) {
		*outcome = TENURE_TALLY_DUPLICATE;
	} else {
		prune(t, p, now);
		if (t->n == TENURE_TALLY_MAX) {
			memmove(t->rec, t->rec + 1, (TENURE_TALLY_MAX - 1) * sizeof(t->rec[0]));
			t->n--;
		}
		t->rec[t->n] = *rec;
		t->rec[t->n].flags |= TENURE_TALLY_VALID;
		t->n++;
		rc = store(fd, t);
		if (rc)
			goto out;
		*outcome = TENURE_TALLY_COUNTED;
	}
	if (st)
		tenure_tally_eval(t, p, rhost, now, st);
out:
	if (fd >= 0)
		close(fd);
	tenure_tally_free(t);
	return rc;
}

int tenure_tally_reset(const char *dir, const char *user)
{
	int fd, rc = 0;

	if (!tenure_tally_name_ok(user))
		return -EINVAL;
	fd = open_file(dir, user, 0);
	if (fd == -ENOENT)
		return 0;
	if (fd < 0)
		return fd;
	close(fd);
	/* Exclusive now (the read-only probe avoided creating a file). */
	fd = open_file(dir, user, 1);
	if (fd < 0)
		return fd;
	if (ftruncate(fd, 0) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

int tenure_tally_list(const char *dir, int (*cb)(void *ctx, const char *user), void *ctx)
{
	struct dirent *de;
	DIR *d;
	int fd;

	fd = open_dir(dir, 0);
	if (fd < 0)
		return fd == -ENOENT ? 0 : fd;
	d = fdopendir(fd);
	if (!d) {
		int rc = -errno;
		close(fd);
		return rc;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_type != DT_REG && de->d_type != DT_UNKNOWN)
			continue;
		if (!tenure_tally_name_ok(de->d_name))
			continue;
		if (cb(ctx, de->d_name))
			break;
	}
	closedir(d);
	return 0;
}

/* ---- keyed hash of guesses ---- */

static int key_decode(const char *hex, size_t len, unsigned char key[TENURE_TALLY_KEY_LEN])
{
	if (len != 2 * TENURE_TALLY_KEY_LEN)
		return -EINVAL;
	for (size_t i = 0; i < TENURE_TALLY_KEY_LEN; i++) {
		char pair[3] = { hex[2 * i], hex[2 * i + 1], 0 };

		if (!isxdigit((unsigned char)pair[0]) || !isxdigit((unsigned char)pair[1]))
			return -EINVAL;
		key[i] = (unsigned char)strtoul(pair, NULL, 16);
	}
	return 0;
}

static int key_create(const char *path, char *err, size_t errlen)
{
	unsigned char raw[TENURE_TALLY_KEY_LEN];
	char hex[2 * TENURE_TALLY_KEY_LEN + 2];
	int fd, rc = 0;

	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw)) {
		snprintf(err, errlen, "%s: no random bytes: %s", path, strerror(errno));
		return -EIO;
	}
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(hex + 2 * i, 3, "%02x", raw[i]);
	hex[2 * TENURE_TALLY_KEY_LEN] = '\n';
	hex[2 * TENURE_TALLY_KEY_LEN + 1] = '\0';
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
	if (fd < 0) {
		rc = -errno;
		if (rc != -EEXIST)
			snprintf(err, errlen, "%s: cannot create: %s", path, strerror(errno));
		goto out;
	}
	rc = write_all(fd, hex, 2 * TENURE_TALLY_KEY_LEN + 1, 0);
	if (!rc && fsync(fd) < 0)
		rc = -errno;
	close(fd);
	if (rc) {
		snprintf(err, errlen, "%s: cannot write: %s", path, strerror(-rc));
		unlink(path);
	}
out:
	secret_wipe(raw, sizeof(raw));
	secret_wipe(hex, sizeof(hex));
	return rc;
}

int tenure_tally_key_load(const char *path, unsigned char key[TENURE_TALLY_KEY_LEN],
			  char *err, size_t errlen)
{
	char *text = NULL;
	size_t len = 0;
	int rc;

	rc = tenure_read_secret_file(path, &text, &len, err, errlen);
	if (rc == -ENOENT && path) {
		rc = key_create(path, err, errlen);
		if (rc && rc != -EEXIST)
			return rc;
		rc = tenure_read_secret_file(path, &text, &len, err, errlen);
	}
	if (rc)
		return rc;
	rc = key_decode(text, len, key);
	if (rc)
		snprintf(err, errlen, "%s: not a key (want %d hex digits)", path, 2 * TENURE_TALLY_KEY_LEN);
	secret_freezero(text, len);
	return rc;
}

int tenure_tally_hash(const unsigned char key[TENURE_TALLY_KEY_LEN], const char *user,
		      const char *password, unsigned char out[TENURE_TALLY_HASH_LEN])
{
	EVP_MAC *mac = NULL;
	EVP_MAC_CTX *ctx = NULL;
	OSSL_PARAM params[2];
	size_t outlen = 0;
	int rc = -EIO;

	mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (!mac)
		goto out;
	ctx = EVP_MAC_CTX_new(mac);
	if (!ctx)
		goto out;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_MAC_init(ctx, key, TENURE_TALLY_KEY_LEN, params) != 1 ||
	    EVP_MAC_update(ctx, (const unsigned char *)user, strlen(user) + 1) != 1 ||
	    EVP_MAC_update(ctx, (const unsigned char *)password, strlen(password)) != 1 ||
	    EVP_MAC_final(ctx, out, &outlen, TENURE_TALLY_HASH_LEN) != 1 ||
	    outlen != TENURE_TALLY_HASH_LEN)
		goto out;
	rc = 0;
out:
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return rc;
}
