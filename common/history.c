/* tenure — password history (argon2id PHC strings) and its local store. */
#include "tenure/history.h"
#include "tenure/ldap.h"
#include "tenure/secret.h"

#include <argon2.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#define SALT_LEN 16
#define TAG_LEN  32
#define FILE_MAX (TENURE_HIST_MAX * (TENURE_PHC_MAX + 1))

int tenure_history_hash(const char *pw, size_t len, int m_cost, int t_cost,
			char *out, size_t outlen)
{
	unsigned char salt[SALT_LEN];
	size_t got = 0;
	int rc;

	while (got < sizeof(salt)) {
		ssize_t r = getrandom(salt + got, sizeof(salt) - got, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		got += (size_t)r;
	}
	rc = argon2id_hash_encoded((uint32_t)t_cost, (uint32_t)m_cost, 1, pw, len, salt, sizeof(salt),
				   TAG_LEN, out, outlen);
	return rc == ARGON2_OK ? 0 : (rc == ARGON2_MEMORY_ALLOCATION_ERROR ? -ENOMEM : -EINVAL);
}

int tenure_history_verify(const char *phc, const char *pw, size_t len)
{
	int rc;

	if (strncmp(phc, "$argon2id$", 10) != 0 && strncmp(phc, "$argon2i$", 9) != 0)
		return -EINVAL;
	rc = argon2_verify(phc, pw, len, phc[8] == 'd' ? Argon2_id : Argon2_i);
	if (rc == ARGON2_OK)
		return 1;
	if (rc == ARGON2_VERIFY_MISMATCH)
		return 0;
	return -EINVAL;
}

struct job {
	char *const *entries;
	const char *pw;
	size_t len;
	size_t n, start, step;
	int found;          /* first matching index this job saw, or -1 */
};

static void *verify_some(void *arg)
{
	struct job *j = arg;

	for (size_t i = j->start; i < j->n; i += j->step) {
		if (tenure_history_verify(j->entries[i], j->pw, j->len) == 1) {
			j->found = (int)i;
			break;
		}
	}
	return NULL;
}

int tenure_history_find(char *const *entries, const char *pw, size_t len)
{
	struct job a = { entries, pw, len, 0, 0, 2, -1 }, b = { entries, pw, len, 0, 1, 2, -1 };
	pthread_t t;
	size_t n = 0;

	while (entries && entries[n])
		n++;
	a.n = b.n = n;
	/* Two threads, each taking every other entry: argon2id at OWASP's
	 * parameters costs ~30 ms, and remember can be 24 or more. */
	if (n < 2 || pthread_create(&t, NULL, verify_some, &b) != 0) {
		a.step = 1;
		verify_some(&a);
		return a.found;
	}
	verify_some(&a);
	pthread_join(t, NULL);
	if (a.found < 0 || (b.found >= 0 && b.found < a.found))
		return b.found;
	return a.found;
}

char **tenure_history_push(char *const *entries, const char *phc, int keep)
{
	size_t n = 0, skip, k = 0;
	char **v;

	while (entries && entries[n])
		n++;
	if (keep < 1)
		keep = 1;
	skip = n + 1 > (size_t)keep ? n + 1 - (size_t)keep : 0;
	v = calloc(n + 2, sizeof(*v));
	if (!v)
		return NULL;
	for (size_t i = skip; i < n; i++)
		if (!(v[k++] = strdup(entries[i])))
			goto err;
	if (!(v[k++] = strdup(phc)))
		goto err;
	return v;
err:
	tenure_strv_free(v);
	return NULL;
}

/* ---- local store ---- */

static int user_path(const char *dir, const char *user, const char *suffix, char *buf, size_t len)
{
	if (!*user || strchr(user, '/') || user[0] == '.')
		return -EINVAL;
	if ((size_t)snprintf(buf, len, "%s/%s%s", dir, user, suffix) >= len)
		return -ENAMETOOLONG;
	return 0;
}

static int ensure_dir(const char *dir)
{
	struct stat st;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	if (lstat(dir, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	/* Root-only: refuse a directory others could write into. */
	if (st.st_uid != geteuid() || (st.st_mode & 022))
		return -EPERM;
	return 0;
}

static int lock_dir(const char *dir)
{
	char path[PATH_MAX];
	int fd;

	if ((size_t)snprintf(path, sizeof(path), "%s/.lock", dir) >= sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			int e = -errno;
			close(fd);
			return e;
		}
	}
	return fd;
}

static int read_entries(const char *path, char ***out)
{
	char *buf = NULL, **v = NULL;
	size_t len = 0, n = 0;
	struct stat st;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno != ENOENT)
			return -errno;
		v = calloc(1, sizeof(*v));
		if (!v)
			return -ENOMEM;
		*out = v;
		return 0;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > FILE_MAX) {
		rc = -EINVAL;
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	v = calloc(TENURE_HIST_MAX + 1, sizeof(*v));
	if (!buf || !v) {
		rc = -ENOMEM;
		goto out;
	}
	while (len < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + len, (size_t)st.st_size - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	buf[len] = '\0';
	for (char *save = NULL, *line = strtok_r(buf, "\n", &save); line && n < TENURE_HIST_MAX;
	     line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "$argon2", 7) != 0 || strlen(line) > TENURE_PHC_MAX)
			continue;
		if (!(v[n++] = strdup(line))) {
			rc = -ENOMEM;
			goto out;
		}
	}
	*out = v;
	v = NULL;
out:
	tenure_strv_free(v);
	free(buf);
	close(fd);
	return rc;
}

int tenure_history_local_read(const char *dir, const char *user, char ***out)
{
	char path[PATH_MAX];
	int rc = user_path(dir, user, "", path, sizeof(path));

	return rc ? rc : read_entries(path, out);
}

static int write_entries(const char *dir, const char *user, char *const *entries)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	FILE *f;
	int fd, rc, dfd;

	if ((rc = user_path(dir, user, "", path, sizeof(path))) ||
	    (rc = user_path(dir, user, ".XXXXXX", tmp, sizeof(tmp))))
		return rc;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		rc = -errno;
		close(fd);
		unlink(tmp);
		return rc;
	}
	for (size_t i = 0; entries && entries[i]; i++)
		fprintf(f, "%s\n", entries[i]);
	rc = 0;
	if (fflush(f) != 0 || fsync(fileno(f)) < 0)
		rc = -errno;
	if (fclose(f) != 0 && !rc)
		rc = -errno;
	if (!rc && rename(tmp, path) < 0)
		rc = -errno;
	if (rc) {
		unlink(tmp);
		return rc;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
}

int tenure_history_local_write(const char *dir, const char *user, char *const *entries)
{
	int lock, rc;

	if ((rc = ensure_dir(dir)))
		return rc;
	lock = lock_dir(dir);
	if (lock < 0)
		return lock;
	rc = write_entries(dir, user, entries);
	close(lock);
	return rc;
}

int tenure_history_local_append(const char *dir, const char *user, const char *phc, int keep)
{
	char path[PATH_MAX], **old = NULL, **v = NULL;
	int lock, rc;

	if ((rc = ensure_dir(dir)))
		return rc;
	if ((rc = user_path(dir, user, "", path, sizeof(path))))
		return rc;
	lock = lock_dir(dir);
	if (lock < 0)
		return lock;
	rc = read_entries(path, &old);
	if (!rc) {
		v = tenure_history_push(old, phc, keep);
		rc = v ? write_entries(dir, user, v) : -ENOMEM;
	}
	tenure_strv_free(old);
	tenure_strv_free(v);
	close(lock);
	return rc;
}
