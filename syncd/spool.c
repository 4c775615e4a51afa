/* tenure-syncd — the CSV drop folder.
 *
 * Files named *.csv that appear in spool_dir (closed after writing, or
 * renamed into place as SFTP servers do) are read whole:
 *
 *   employee_id,user,action,effective
 *   E1001,alice,leaver,2026-01-31T17:00:00Z
 *
 * action is leaver or rehire; effective is optional (RFC 3339 or a date).
 * Fields are plain (no quoting).  Every good row is journaled with the id
 * csv-<first 16 hex of the file's SHA-256>-<line>, so dropping the same file
 * twice changes nothing.  The file then moves to done/, or to failed/ when a
 * line was bad, with FILE.report naming each bad line.  A file that would
 * disable more than mass_change_limit accounts (or mass_change_percent of
 * the directory, whichever is lower) goes to held/ untouched until
 * `tenurectl events release FILE`.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "syncd.h"

#define MAX_FILE (16 << 20)
#define MAX_REPORT_LINES 1000

static pthread_t spool_thread;
static int spool_running;

static int is_csv(const char *name)
{
	size_t n = strlen(name);

	return name[0] != '.' && n > 4 && !strcasecmp(name + n - 4, ".csv");
}

static char *read_all(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	struct stat st;
	char *buf = NULL;
	ssize_t n;

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > MAX_FILE)
		goto out;
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		goto out;
	n = read(fd, buf, (size_t)st.st_size);
	if (n != st.st_size) {
		free(buf);
		buf = NULL;
		goto out;
	}
	buf[n] = '\0';
	*len = (size_t)n;
out:
	close(fd);
	return buf;
}

/* Move dir/name to dir/sub/name (never overwriting); write the report. */
static void file_to(const char *dir, const char *sub, const char *name, const char *report)
{
	char from[4200], to[4200];
	FILE *f;

	snprintf(from, sizeof(from), "%s/%s", dir, name);
	snprintf(to, sizeof(to), "%s/%s/%s", dir, sub, name);
	if (access(to, F_OK) == 0)
		snprintf(to, sizeof(to), "%s/%s/%s.%ld", dir, sub, name, (long)syncd_now());
	if (rename(from, to) < 0)
		tenure_log(&S.log, LOG_ERR, "spool: cannot move %s to %s/: %s", name, sub,
			   strerror(errno));
	if (report && *report) {
		char rp[4300];
		snprintf(rp, sizeof(rp), "%s.report", to);
		f = fopen(rp, "we");
		if (f) {
			fputs(report, f);
			fclose(f);
		}
	}
}

/* Accounts in the directory, for mass_change_percent; -1 when unknown. */
static long count_accounts(struct syncd_rt *rt)
{
	static const char *const attrs[] = { "1.1", NULL };
	struct tenure_ldap *ld = syncd_ldap(rt);
	struct tenure_ldap_res *res = NULL;
	long n;

	if (!ld || tenure_ldap_search(ld, rt->cfg->base_passwd ? rt->cfg->base_passwd : rt->cfg->base,
				      LDAP_SCOPE_SUBTREE,
				      rt->cfg->filter_passwd ? rt->cfg->filter_passwd
							     : "(objectClass=posixAccount)",
				      attrs, 0, &res))
		return -1;
	n = tenure_ldap_res_count(res);
	tenure_ldap_res_free(res);
	return n;
}

struct row {
	struct tenure_event ev;
	int line;
};

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

static int split(char *line, char **f, int max)
{
	int n = 0;

	f[n++] = line;
	for (char *p = line; *p; p++) {
		if (*p == ',') {
			*p = '\0';
			if (n == max)
				return -1;
			f[n++] = p + 1;
		}
	}
	for (int i = 0; i < n; i++)
		f[i] = trim(f[i]);
	return n;
}

static const char *row_from(char **f, int n, struct row *r)
{
	memset(&r->ev, 0, sizeof(r->ev));
	if (n != 4)
		return "expected 4 fields: employee_id,user,action,effective";
	if (strlen(f[0]) > TENURE_EV_USER_MAX || strlen(f[1]) > TENURE_EV_USER_MAX)
		return "employee_id or user too long";
	if (!f[0][0] && !f[1][0])
		return "employee_id or user is required";
	if (f[1][0] && !syncd_valid_user(f[1]))
		return "user: not a valid user name";
	if (f[0][0] && !tenure_utf8_valid(f[0], strlen(f[0])))
		return "employee_id: not UTF-8";
	if ((r->ev.type = tenure_ev_type_parse(f[2])) < 0)
		return "action: leaver or rehire";
	if (f[3][0] && syncd_parse_time(f[3], &r->ev.effective))
		return "effective: RFC 3339 date-time or YYYY-MM-DD";
	snprintf(r->ev.employee_id, sizeof(r->ev.employee_id), "%s", f[0]);
	snprintf(r->ev.user, sizeof(r->ev.user), "%s", f[1]);
	return NULL;
}

static void process(const char *dir, const char *name)
{
	struct syncd_rt *rt = rt_get();
	char path[4200], sha[65], qname[300];
	char *text = NULL, *report = NULL, *save = NULL, *line;
	size_t len = 0, rlen = 0;
	FILE *rep = NULL;
	struct row *rows = NULL;
	int nrows = 0, cap = 0, bad = 0, lineno = 0, leavers = 0, failed = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	tenure_log_quote(name, qname, sizeof(qname));
	text = read_all(path, &len);
	if (!text) {
		tenure_log(&S.log, LOG_ERR, "spool: %s: cannot read (too big or not a file)", qname);
		file_to(dir, "failed", name, "cannot read the file (over 16 MiB or not a regular file)\n");
		goto out;
	}
	tenure_sha256_hex(text, len, sha);
	rep = open_memstream(&report, &rlen);
	if (!rep)
		goto out;
	for (line = text; line && *line; line = save) {
		char *f[6];
		const char *why;
		int n;

		save = strchr(line, '\n');
		if (save)
			*save++ = '\0';
		lineno++;
		if (lineno == 1) {
			char *h = trim(line);
			if (strncmp(h, "\xEF\xBB\xBF", 3) == 0)
				h += 3;
			if (strcasecmp(h, "employee_id,user,action,effective")) {
				fprintf(rep, "line 1: header must be employee_id,user,action,effective\n");
				bad++;
				break;
			}
			continue;
		}
		if (!*trim(line))
			continue;
		if (nrows == cap) {
			struct row *nr = realloc(rows, (size_t)(cap = cap ? cap * 2 : 64) * sizeof(*rows));
			if (!nr)
				goto out;
			rows = nr;
		}
		n = split(line, f, 6);
		why = n < 0 ? "too many fields" : row_from(f, n, &rows[nrows]);
		if (why) {
			if (bad < MAX_REPORT_LINES)
				fprintf(rep, "line %d: %s\n", lineno, why);
			bad++;
			continue;
		}
		rows[nrows].line = lineno;
		leavers += rows[nrows].ev.type == TENURE_EV_LEAVER;
		nrows++;
	}
	if (lineno == 0) {
		fprintf(rep, "line 1: empty file, header missing\n");
		bad++;
	}
	fflush(rep);
	if (!(bad && lineno <= 1) && tenure_journal_release_has(S.journal, sha) != 1) {
		long limit = rt->cfg->mass_change_limit > 0 ? rt->cfg->mass_change_limit : -1;
		if (rt->cfg->mass_change_percent > 0) {
			long acc = count_accounts(rt);
			if (acc >= 0) {
				long pct = acc * rt->cfg->mass_change_percent / 100;
				if (limit < 0 || pct < limit)
					limit = pct;
			}
		}
		if (limit >= 0 && leavers > limit) {
			fprintf(rep, "held: %d leavers exceed the mass-change limit of %ld;"
				" release with: tenurectl --syncd events release %s\n",
				leavers, limit, name);
			fflush(rep);
			tenure_log(&S.log, LOG_WARNING, "spool: %s held: %d leavers > limit %ld",
				   qname, leavers, limit);
			syncd_audit("held", "file", name, "sha256", sha, (const char *)NULL);
			file_to(dir, "held", name, report);
			goto out;
		}
	}
	for (int i = 0; i < nrows; i++) {
		struct tenure_event *ev = &rows[i].ev;
		int rc;

		snprintf(ev->id, sizeof(ev->id), "csv-%.16s-%d", sha, rows[i].line);
		snprintf(ev->source, sizeof(ev->source), "csv");
		snprintf(ev->reason, sizeof(ev->reason), "CSV %s line %d", name, rows[i].line);
		rc = syncd_intake(ev);
		if (rc < 0) {
			fprintf(rep, "line %d: not journaled (%s)\n", rows[i].line,
				rc == -EAGAIN ? "backlog full" : "journal error");
			failed++;
		}
	}
	fprintf(rep, "%d rows journaled, %d bad lines\n", nrows - failed, bad + failed);
	fflush(rep);
	tenure_log(&S.log, bad || failed ? LOG_WARNING : LOG_INFO,
		   "spool: %s rows=%d bad=%d result=%s", qname, nrows, bad + failed,
		   bad || failed ? "failed" : "done");
	syncd_audit("csv", "file", name, "sha256", sha, "result", bad || failed ? "failed" : "done",
		    (const char *)NULL);
	file_to(dir, bad || failed ? "failed" : "done", name, report);
out:
	if (rep)
		fclose(rep);
	free(report);
	free(rows);
	free(text);
	rt_put(rt);
}

static void scan(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d)) != NULL)
		if (is_csv(de->d_name) && (de->d_type == DT_REG || de->d_type == DT_UNKNOWN))
			process(dir, de->d_name);
	closedir(d);
}

static void *spool_main(void *arg)
{
	char *dir = arg;
	char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
	int fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	double last_scan = 0;

	if (fd < 0 || inotify_add_watch(fd, dir, IN_CLOSE_WRITE | IN_MOVED_TO) < 0) {
		tenure_log(&S.log, LOG_ERR, "spool: inotify on %s: %s", dir, strerror(errno));
		if (fd >= 0)
			close(fd);
		free(dir);
		return NULL;
	}
	scan(dir);
	last_scan = syncd_now();
	while (!atomic_load(&S.stop)) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 500) > 0) {
			while ((n = read(fd, buf, sizeof(buf))) > 0) {
				for (char *q = buf; q < buf + n;) {
					struct inotify_event *ie = (struct inotify_event *)q;
					if (ie->len && is_csv(ie->name))
						process(dir, ie->name);
					q += sizeof(*ie) + ie->len;
				}
			}
		}
		/* files left behind (backlog full, missed events): rescan now and then */
		if (syncd_now() - last_scan > 10) {
			scan(dir);
			last_scan = syncd_now();
		}
	}
	close(fd);
	free(dir);
	return NULL;
}

int spool_start(void)
{
	struct syncd_rt *rt = rt_get();
	char sub[4200];
	char *dir = strdup(rt->cfg->spool_dir);
	struct stat st;
	int rc = 0;

	rt_put(rt);
	if (!dir)
		return -ENOMEM;
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		tenure_log(&S.log, LOG_WARNING, "spool: %s is not a directory: CSV intake off", dir);
		free(dir);
		return 0;
	}
	for (int i = 0; i < 3; i++) {
		static const char *const subs[] = { "done", "failed", "held" };
		snprintf(sub, sizeof(sub), "%s/%s", dir, subs[i]);
		if (mkdir(sub, 0700) < 0 && errno != EEXIST) {
			tenure_log(&S.log, LOG_ERR, "spool: mkdir %s: %s", sub, strerror(errno));
			free(dir);
			return -errno;
		}
	}
	rc = pthread_create(&spool_thread, NULL, spool_main, dir);
	if (rc) {
		free(dir);
		return -rc;
	}
	spool_running = 1;
	return 0;
}

void spool_join(void)
{
	if (spool_running)
		pthread_join(spool_thread, NULL);
	spool_running = 0;
}
