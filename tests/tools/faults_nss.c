/*
 * faults_nss -- libnss_tenure.so.2 while its LDAP server dies, for tests.
 *
 *   faults_nss enum K KILLCMD RESTARTCMD
 *       Direct calls (dlopen + dlsym, to see the exact NSS status):
 *       setpwent, then getpwent_r until K entries were returned; then
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
 *   bad N           entries with an empty name, a uid below 1000 or no shell
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
#include <pwd.h>
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

#define BUFLEN 65536

static struct {
	pwnam_fn getpwnam_r;
	setent_fn setpwent;
	endent_fn endpwent;
	pwent_fn getpwent_r;
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
	m.setpwent = (setent_fn)sym(h, "_nss_tenure_setpwent");
	m.endpwent = (endent_fn)sym(h, "_nss_tenure_endpwent");
	m.getpwent_r = (pwent_fn)sym(h, "_nss_tenure_getpwent_r");
}

static void remember(struct seen *s, const struct passwd *pw)
{
	if (!pw->pw_name || !*pw->pw_name || pw->pw_uid < 1000 || !pw->pw_shell)
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
	s->names[s->n] = strdup(pw->pw_name ? pw->pw_name : "");
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
static long count_direct(char *buf)
{
	struct passwd pw;
	long n = 0;
	int err = 0, st;

	m.setpwent(0);
	while ((st = m.getpwent_r(&pw, buf, BUFLEN, &err)) == NSS_STATUS_SUCCESS)
		n++;
	m.endpwent();
	return st == NSS_STATUS_NOTFOUND ? n : -1;
}

static int cmd_enum(long k, const char *killcmd, const char *restartcmd)
{
	static char buf[BUFLEN];
	struct seen s = { 0 };
	struct passwd pw;
	double t, dt, maxcall = 0, t0;
	long before = -1, total;
	int st, err = 0, after[3], rc;
	pid_t killer = -1;

	m.setpwent(0);
	for (;;) {
		if ((long)s.n == k && killer < 0) {
			before = (long)s.n;
			killer = start_cmd(killcmd);
		}
		err = 0;
		t = now();
		st = m.getpwent_r(&pw, buf, sizeof(buf), &err);
		dt = now() - t;
		if (dt > maxcall)
			maxcall = dt;
		if (st != NSS_STATUS_SUCCESS)
			break;
		remember(&s, &pw);
	}
	for (int i = 0; i < 3; i++) {
		int e = 0;
		t = now();
		after[i] = m.getpwent_r(&pw, buf, sizeof(buf), &e);
		dt = now() - t;
		if (dt > maxcall)
			maxcall = dt;
	}
	m.endpwent();
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
	printf("recount %ld\n", count_direct(buf));
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
		remember(&s, res);
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

int main(int argc, char **argv)
{
	char *end;
	long k;

	if (argc < 4)
		goto usage;
	k = strtol(argv[2], &end, 10);
	if (*end || k < 0)
		goto usage;
	if (strcmp(argv[1], "enum") == 0 && argc == 5) {
		load_module();
		return cmd_enum(k, argv[3], argv[4]);
	}
	if (strcmp(argv[1], "glibc") == 0 && argc == 4)
		return cmd_glibc(k, argv[3]);
usage:
	fprintf(stderr, "usage: faults_nss enum K KILLCMD RESTARTCMD\n"
		"       faults_nss glibc K KILLCMD\n");
	return 2;
}
