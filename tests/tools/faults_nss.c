/*
 * faults_nss -- libnss_tenure.so.2 while its LDAP server dies, for tests.
 *
 *   faults_nss enum [passwd|group|shadow] K KILLCMD RESTARTCMD
 *       Direct calls (dlopen + dlsym, to see the exact NSS status):
 *       setXXent, then getXXent_r (passwd when no database is named)
 *       until K entries were returned; then
 *       KILLCMD is started (sh -c) and NOT waited for, so the server dies
 *       while the enumeration goes on; getpwent_r is called until it
 *       returns something other than SUCCESS, then three more times.
 *       Then RESTARTCMD is run (waited for), getpwnam_r("alice") is retried
 *       until it succeeds (at most 20 s), and a fresh enumeration is
 *       counted in the same process.
 *   faults_nss glibc K KILLCMD
 *       The same enumeration through glibc (getpwent_r after
 *       __nss_configure_lookup("passwd", "tenure")): what a program sees.
 *
 * The module is found like glibc finds it (LD_LIBRARY_PATH); TENURE_CONF
 * names the config.  Output, one "key value" line each:
 *   before N        entries returned before KILLCMD started
 *   total N         entries returned by the enumeration in all
 *   dups N          names returned more than once
 *   bad N           entries with an empty name, or (passwd) a uid below 1000
 *                   or no shell, or (group) a gid below 1000
 *   end STATUS ERRNO      the call that ended the enumeration: the NSS
 *                   status (enum) or getpwent_r's return value (glibc), and
 *                   errno
 *   after S S S     the next three calls (NSS status, or return value)
 *   maxcall SECONDS the slowest single call
 *   recover SECONDS (enum) restart to the first successful lookup, -1 never
 *   recount N       (enum) entries of a fresh enumeration after the restart
 * Exit status 0 unless the tool itself could not run (2).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <nss.h>
#include <grp.h>
#include <pwd.h>
#include <shadow.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern int __nss_configure_lookup(const char *db, const char *service);

typedef enum nss_status (*pwnam_fn)(const char *, struct passwd *, char *, size_t, int *);
typedef enum nss_status (*setent_fn)(int);
typedef enum nss_status (*endent_fn)(void);
typedef enum nss_status (*pwent_fn)(struct passwd *, char *, size_t, int *);
typedef enum nss_status (*grent_fn)(struct group *, char *, size_t, int *);
typedef enum nss_status (*spent_fn)(struct spwd *, char *, size_t, int *);

enum db { DB_PW, DB_GR, DB_SP };

#define BUFLEN 65536

static struct {
	pwnam_fn getpwnam_r;
	setent_fn setent[3];
	endent_fn endent[3];
	pwent_fn getpwent_r;
	grent_fn getgrent_r;
	spent_fn getspent_r;
} m;

/* What the enumeration returned. */
struct seen {
	char **names;
	size_t n, cap;
	long bad;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *st_name(int st)
{
	switch (st) {
	case NSS_STATUS_SUCCESS: return "SUCCESS";
	case NSS_STATUS_NOTFOUND: return "NOTFOUND";
	case NSS_STATUS_UNAVAIL: return "UNAVAIL";
	case NSS_STATUS_TRYAGAIN: return "TRYAGAIN";
	case NSS_STATUS_RETURN: return "RETURN";
	default: return "?";
	}
}

static const char *errno_name(int e)
{
	switch (e) {
	case 0: return "0";
	case ENOENT: return "ENOENT";
	case ERANGE: return "ERANGE";
	case EAGAIN: return "EAGAIN";
	case EIO: return "EIO";
	case ETIMEDOUT: return "ETIMEDOUT";
	case EHOSTUNREACH: return "EHOSTUNREACH";
	case ECONNREFUSED: return "ECONNREFUSED";
	default: return "other";
	}
}

static void *sym(void *h, const char *name)
{
	void *p = dlsym(h, name);

	if (!p) {
		fprintf(stderr, "faults_nss: %s: %s\n", name, dlerror());
		exit(2);
	}
	return p;
}

static void load_module(void)
{
	void *h = dlopen("libnss_tenure.so.2", RTLD_NOW);

	if (!h) {
		fprintf(stderr, "faults_nss: %s\n", dlerror());
		exit(2);
	}
	m.getpwnam_r = (pwnam_fn)sym(h, "_nss_tenure_getpwnam_r");
	m.setent[DB_PW] = (setent_fn)sym(h, "_nss_tenure_setpwent");
	m.endent[DB_PW] = (endent_fn)sym(h, "_nss_tenure_endpwent");
	m.getpwent_r = (pwent_fn)sym(h, "_nss_tenure_getpwent_r");
	m.setent[DB_GR] = (setent_fn)sym(h, "_nss_tenure_setgrent");
	m.endent[DB_GR] = (endent_fn)sym(h, "_nss_tenure_endgrent");
	m.getgrent_r = (grent_fn)sym(h, "_nss_tenure_getgrent_r");
	m.setent[DB_SP] = (setent_fn)sym(h, "_nss_tenure_setspent");
	m.endent[DB_SP] = (endent_fn)sym(h, "_nss_tenure_endspent");
	m.getspent_r = (spent_fn)sym(h, "_nss_tenure_getspent_r");
}

/* One getXXent_r of database db; on SUCCESS *name is the entry's name and
 * *bad is set when the entry is malformed. */
static int next_ent(enum db db, char *buf, size_t len, int *err, const char **name, int *bad)
{
	static struct passwd pw;
	static struct group gr;
	static struct spwd sp;
	int st;

	*bad = 0;
	switch (db) {
	case DB_PW:
		st = m.getpwent_r(&pw, buf, len, err);
		if (st == NSS_STATUS_SUCCESS) {
			*name = pw.pw_name;
			*bad = !pw.pw_name || !*pw.pw_name || pw.pw_uid < 1000 || !pw.pw_shell;
		}
		return st;
	case DB_GR:
		st = m.getgrent_r(&gr, buf, len, err);
		if (st == NSS_STATUS_SUCCESS) {
			*name = gr.gr_name;
			*bad = !gr.gr_name || !*gr.gr_name || gr.gr_gid < 1000 || !gr.gr_mem;
		}
		return st;
	default:
		st = m.getspent_r(&sp, buf, len, err);
		if (st == NSS_STATUS_SUCCESS) {
			*name = sp.sp_namp;
			*bad = !sp.sp_namp || !*sp.sp_namp;
		}
		return st;
	}
}

static void remember(struct seen *s, const char *name, int bad)
{
	if (bad)
		s->bad++;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 1024;
		char **v = realloc(s->names, cap * sizeof(*v));
		if (!v) {
			perror("faults_nss");
			exit(2);
		}
		s->names = v;
		s->cap = cap;
	}
	s->names[s->n] = strdup(name ? name : "");
	if (!s->names[s->n]) {
		perror("faults_nss");
		exit(2);
	}
	s->n++;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static long dups(struct seen *s)
{
	long d = 0;

	qsort(s->names, s->n, sizeof(*s->names), cmp_str);
	for (size_t i = 1; i < s->n; i++)
		if (strcmp(s->names[i], s->names[i - 1]) == 0)
			d++;
	return d;
}

static void seen_free(struct seen *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->names[i]);
	free(s->names);
	memset(s, 0, sizeof(*s));
}

/* Start sh -c CMD; not waited for here. */
static pid_t start_cmd(const char *cmd)
{
	pid_t pid = fork();

	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	if (pid < 0) {
		perror("faults_nss: fork");
		exit(2);
	}
	return pid;
}

static int wait_cmd(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Count a whole enumeration (direct calls); -1 if it did not end with
 * NOTFOUND. */
static long count_direct(enum db db, char *buf)
{
	const char *name;
	long n = 0;
	int err = 0, st, bad;

	m.setent[db](0);
	while ((st = next_ent(db, buf, BUFLEN, &err, &name, &bad)) == NSS_STATUS_SUCCESS)
		n++;
	m.endent[db]();
	return st == NSS_STATUS_NOTFOUND ? n : -1;
}

static int cmd_enum(enum db db, long k, const char *killcmd, const char *restartcmd)
{
	static char buf[BUFLEN];
	struct seen s = { 0 };
	struct passwd pw;
	const char *name = NULL;
	double t, dt, maxcall = 0, t0;
	long before = -1, total;
	int st, err = 0, after[3], rc, bad;
	pid_t killer = -1;

	m.setent[db](0);
	for (;;) {
		if ((long)s.n == k && killer < 0) {
			before = (long)s.n;
			killer = start_cmd(killcmd);
		}
		err = 0;
		t = now();
		st = next_ent(db, buf, sizeof(buf), &err, &name, &bad);
		dt = now() - t;
		if (dt > maxcall)
			maxcall = dt;
		if (st != NSS_STATUS_SUCCESS)
			break;
		remember(&s, name, bad);
	}
	for (int i = 0; i < 3; i++) {
		int e = 0;
		t = now();
		after[i] = next_ent(db, buf, sizeof(buf), &e, &name, &bad);
		dt = now() - t;
		if (dt > maxcall)
			maxcall = dt;
	}
	m.endent[db]();
	if (killer < 0) {
		before = (long)s.n;
		killer = start_cmd(killcmd);
	}
	rc = wait_cmd(killer);
	if (rc != 0)
		fprintf(stderr, "faults_nss: kill command exited %d\n", rc);
	total = (long)s.n;
	printf("before %ld\ntotal %ld\ndups %ld\nbad %ld\n", before, total, dups(&s), s.bad);
	printf("end %s %s\n", st_name(st), errno_name(err));
	printf("after %s %s %s\n", st_name(after[0]), st_name(after[1]), st_name(after[2]));
	printf("maxcall %.3f\n", maxcall);
	fflush(stdout);
	seen_free(&s);

	rc = wait_cmd(start_cmd(restartcmd));
	if (rc != 0)
		fprintf(stderr, "faults_nss: restart command exited %d\n", rc);
	t0 = now();
	for (;;) {
		err = 0;
		st = m.getpwnam_r("alice", &pw, buf, sizeof(buf), &err);
		if (st == NSS_STATUS_SUCCESS || now() - t0 > 20)
			break;
		usleep(100000);
	}
	printf("recover %.3f\n", st == NSS_STATUS_SUCCESS ? now() - t0 : -1.0);
	printf("recount %ld\n", count_direct(db, buf));
	return 0;
}

static int cmd_glibc(long k, const char *killcmd)
{
	static char buf[BUFLEN];
	struct seen s = { 0 };
	struct passwd pw, *res;
	double t, dt, maxcall = 0;
	long before = -1;
	int ret, err, after[3];
	pid_t killer = -1;

	if (__nss_configure_lookup("passwd", "tenure") != 0) {
		fprintf(stderr, "faults_nss: __nss_configure_lookup failed\n");
		return 2;
	}
	setpwent();
	for (;;) {
		if ((long)s.n == k && killer < 0) {
			before = (long)s.n;
			killer = start_cmd(killcmd);
		}
		errno = 0;
		res = NULL;
		t = now();
		ret = getpwent_r(&pw, buf, sizeof(buf), &res);
		err = errno;
		dt = now() - t;
		if (dt > maxcall)
			maxcall = dt;
		if (ret != 0 || !res)
			break;
		remember(&s, res->pw_name,
			 !res->pw_name || !*res->pw_name || res->pw_uid < 1000 || !res->pw_shell);
	}
	for (int i = 0; i < 3; i++) {
		t = now();
		after[i] = getpwent_r(&pw, buf, sizeof(buf), &res);
		dt = now() - t;
		if (dt > maxcall)
			maxcall = dt;
	}
	endpwent();
	if (killer < 0) {
		before = (long)s.n;
		killer = start_cmd(killcmd);
	}
	wait_cmd(killer);
	printf("before %ld\ntotal %ld\ndups %ld\nbad %ld\n", before, (long)s.n, dups(&s), s.bad);
	printf("end %s %s\n", ret == 0 ? "0" : errno_name(ret), errno_name(err));
	printf("after %s %s %s\n", after[0] == 0 ? "0" : errno_name(after[0]),
	       after[1] == 0 ? "0" : errno_name(after[1]), after[2] == 0 ? "0" : errno_name(after[2]));
	printf("maxcall %.3f\n", maxcall);
	seen_free(&s);
	return 0;
}

static int parse_count(const char *s, long *out)
{
	char *end;

	errno = 0;
	*out = strtol(s, &end, 10);
	return errno || end == s || *end || *out < 0 ? -1 : 0;
}

int main(int argc, char **argv)
{
	enum db db = DB_PW;
	long k;

	if (argc == 6 && strcmp(argv[1], "enum") == 0) {
		if (strcmp(argv[2], "group") == 0)
			db = DB_GR;
		else if (strcmp(argv[2], "shadow") == 0)
			db = DB_SP;
		else if (strcmp(argv[2], "passwd") != 0)
			goto usage;
		argv[2] = argv[1];   /* drop the database name */
		argv++;
		argc--;
	}
	if (argc < 4 || parse_count(argv[2], &k) < 0)
		goto usage;
	if (strcmp(argv[1], "enum") == 0 && argc == 5) {
		load_module();
		return cmd_enum(db, k, argv[3], argv[4]);
	}
	if (strcmp(argv[1], "glibc") == 0 && argc == 4)
		return cmd_glibc(k, argv[3]);
usage:
	fprintf(stderr, "usage: faults_nss enum [passwd|group|shadow] K KILLCMD RESTARTCMD\n"
		"       faults_nss glibc K KILLCMD\n");
	return 2;
}
