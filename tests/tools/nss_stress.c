/*
 * nss_stress -- drive libnss_tenure.so.2 inside a real process, for tests.
 *
 * The module is found like glibc finds it (LD_LIBRARY_PATH=$TENURE_BUILD);
 * TENURE_CONF names the config.  Some modes call the entry points directly
 * (dlopen + dlsym) to see the exact NSS status and errno; the others go
 * through glibc after __nss_configure_lookup(DB, "tenure").
 *
 *   nss_stress lookup passwd|group|shadow NAME|NUMBER [BUFLEN]
 *       prints "STATUS ERRNO LINE" (direct call)
 *   nss_stress rules            status/errno rules (ERANGE retries, min ids,
 *                               case, names) against the seed directory
 *   nss_stress threads N ITER   N threads x ITER mixed lookups via glibc
 *   nss_stress fork             parent / child / parent lookups, and forks
 *                               while another thread looks up
 *   nss_stress reent            a lookup that recurses into the module
 *   nss_stress droplog          an unsafe entry is dropped and logged once
 *                               (this program's syslog() records messages)
 *   nss_stress fdexec           no descriptor survives exec
 *   nss_stress sigpipe CMD...   lookup, run CMD (kills slapd), lookups again
 *                               with SIGPIPE at its default action
 *   nss_stress twice NAME CMD...   getpwnam_r, run CMD, getpwnam_r: prints the
 *                               two GECOS fields (to see the cache at work)
 *   nss_stress down CONF        slapd down: time of first and next 1000
 *   nss_stress blackhole CONF   a server that accepts and never answers
 *   nss_stress resetter CONF    a server that accepts and resets at once:
 *                               the module writes on a reset connection, with
 *                               SIGPIPE at its default action
 *   nss_stress count passwd|group   entries from a glibc enumeration
 *   nss_stress mem NAME         resident memory (kB) and descriptors a
 *                               process gains from its first lookup
 *   nss_stress hold NAME SECS   look NAME up, then sleep (connection count)
 *   nss_stress bench N NAME...  in-process getpwnam_r timing (lookups/s,
 *                               p50, p99 in microseconds)
 *
 * Every mode prints "ok - ..." / "FAIL - ..." lines and exits 1 on failure.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <grp.h>
#include <netdb.h>
#include <netinet/in.h>
#include <nss.h>
#include <pthread.h>
#include <pwd.h>
#include <shadow.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "bench_samples.h"

extern int __nss_configure_lookup(const char *db, const char *service);

typedef enum nss_status (*pwnam_fn)(const char *, struct passwd *, char *, size_t, int *);
typedef enum nss_status (*pwuid_fn)(uid_t, struct passwd *, char *, size_t, int *);
typedef enum nss_status (*grnam_fn)(const char *, struct group *, char *, size_t, int *);
typedef enum nss_status (*grgid_fn)(gid_t, struct group *, char *, size_t, int *);
typedef enum nss_status (*spnam_fn)(const char *, struct spwd *, char *, size_t, int *);
typedef enum nss_status (*setent_fn)(int);
typedef enum nss_status (*endent_fn)(void);
typedef enum nss_status (*pwent_fn)(struct passwd *, char *, size_t, int *);
typedef enum nss_status (*grent_fn)(struct group *, char *, size_t, int *);
typedef enum nss_status (*initgr_fn)(const char *, gid_t, long *, long *, gid_t **, long, int *);

static struct {
	pwnam_fn getpwnam_r;
	pwuid_fn getpwuid_r;
	grnam_fn getgrnam_r;
	grgid_fn getgrgid_r;
	spnam_fn getspnam_r;
	setent_fn setpwent, setgrent;
	endent_fn endpwent, endgrent;
	pwent_fn getpwent_r;
	grent_fn getgrent_r;
	initgr_fn initgroups_dyn;
} m;

static int failures;

static void ok(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void ok(int cond, const char *fmt, ...)
{
	va_list ap;

	printf("%s - ", cond ? "ok" : "FAIL");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!cond)
		failures++;
}

static void *sym(void *h, const char *name)
{
	void *p = dlsym(h, name);

	if (!p) {
		fprintf(stderr, "nss_stress: %s: %s\n", name, dlerror());
		exit(2);
	}
	return p;
}

static void load_module(void)
{
	void *h = dlopen("libnss_tenure.so.2", RTLD_NOW);

	if (!h) {
		fprintf(stderr, "nss_stress: %s\n", dlerror());
		exit(2);
	}
	m.getpwnam_r = (pwnam_fn)sym(h, "_nss_tenure_getpwnam_r");
	m.getpwuid_r = (pwuid_fn)sym(h, "_nss_tenure_getpwuid_r");
	m.getgrnam_r = (grnam_fn)sym(h, "_nss_tenure_getgrnam_r");
	m.getgrgid_r = (grgid_fn)sym(h, "_nss_tenure_getgrgid_r");
	m.getspnam_r = (spnam_fn)sym(h, "_nss_tenure_getspnam_r");
	m.setpwent = (setent_fn)sym(h, "_nss_tenure_setpwent");
	m.setgrent = (setent_fn)sym(h, "_nss_tenure_setgrent");
	m.endpwent = (endent_fn)sym(h, "_nss_tenure_endpwent");
	m.endgrent = (endent_fn)sym(h, "_nss_tenure_endgrent");
	m.getpwent_r = (pwent_fn)sym(h, "_nss_tenure_getpwent_r");
	m.getgrent_r = (grent_fn)sym(h, "_nss_tenure_getgrent_r");
	m.initgroups_dyn = (initgr_fn)sym(h, "_nss_tenure_initgroups_dyn");
}

static const char *st_name(enum nss_status st)
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

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int is_num(const char *s)
{
	return *s && strspn(s, "0123456789") == strlen(s);
}

static void fmt_group(const struct group *g, char *out, size_t len)
{
	size_t o = (size_t)snprintf(out, len, "%s:%s:%lu:", g->gr_name, g->gr_passwd,
				    (unsigned long)g->gr_gid);
	for (char **p = g->gr_mem; *p && o < len; p++)
		o += (size_t)snprintf(out + o, len - o, "%s%s", p == g->gr_mem ? "" : ",", *p);
}

/* ---- lookup ---- */

static int cmd_lookup(int argc, char **argv)
{
	size_t len = argc > 4 ? strtoul(argv[4], NULL, 10) : 65536;
	char *buf = malloc(len + 1), line[8192] = "";
	enum nss_status st;
	int err = 0;

	if (argc < 4)
		return 2;
	load_module();
	if (strcmp(argv[2], "passwd") == 0) {
		struct passwd pw;
		st = is_num(argv[3]) ? m.getpwuid_r((uid_t)strtoul(argv[3], NULL, 10), &pw, buf, len, &err)
				     : m.getpwnam_r(argv[3], &pw, buf, len, &err);
		if (st == NSS_STATUS_SUCCESS)
			snprintf(line, sizeof(line), "%s:%s:%lu:%lu:%s:%s:%s", pw.pw_name, pw.pw_passwd,
				 (unsigned long)pw.pw_uid, (unsigned long)pw.pw_gid, pw.pw_gecos,
				 pw.pw_dir, pw.pw_shell);
	} else if (strcmp(argv[2], "group") == 0) {
		struct group gr;
		st = is_num(argv[3]) ? m.getgrgid_r((gid_t)strtoul(argv[3], NULL, 10), &gr, buf, len, &err)
				     : m.getgrnam_r(argv[3], &gr, buf, len, &err);
		if (st == NSS_STATUS_SUCCESS)
			fmt_group(&gr, line, sizeof(line));
	} else if (strcmp(argv[2], "shadow") == 0) {
		struct spwd sp;
		st = m.getspnam_r(argv[3], &sp, buf, len, &err);
		if (st == NSS_STATUS_SUCCESS)
			snprintf(line, sizeof(line), "%s:%s:%ld", sp.sp_namp, sp.sp_pwdp, sp.sp_lstchg);
	} else {
		return 2;
	}
	printf("%s %s %s\n", st_name(st), st == NSS_STATUS_SUCCESS ? "0" : strerrorname_np(err), line);
	free(buf);
	return 0;
}

/* ---- rules ---- */

static void expect_pw(const char *name, enum nss_status want, int want_errno, size_t len)
{
	struct passwd pw;
	char *buf = malloc(len ? len : 1);
	int err = 0;
	enum nss_status st = m.getpwnam_r(name, &pw, buf, len, &err);

	ok(st == want && (want == NSS_STATUS_SUCCESS || err == want_errno),
	   "getpwnam_r(\"%s\", %zu bytes) = %s/%s (want %s/%s)", name, len, st_name(st),
	   st == NSS_STATUS_SUCCESS ? "-" : strerrorname_np(err), st_name(want),
	   want == NSS_STATUS_SUCCESS ? "-" : strerrorname_np(want_errno));
	free(buf);
}

static void rules_erange_named(void)
{
	struct passwd pw;
	struct group gr;
	char small[8], big[65536];
	int err = 0;
	enum nss_status st;

	st = m.getpwnam_r("alice", &pw, small, sizeof(small), &err);
	ok(st == NSS_STATUS_TRYAGAIN && err == ERANGE, "getpwnam_r short buffer: TRYAGAIN/ERANGE");
	st = m.getpwnam_r("alice", &pw, big, sizeof(big), &err);
	ok(st == NSS_STATUS_SUCCESS && strcmp(pw.pw_name, "alice") == 0 && pw.pw_uid == 10001,
	   "getpwnam_r retry with a bigger buffer: alice");
	st = m.getpwuid_r(10002, &pw, small, sizeof(small), &err);
	ok(st == NSS_STATUS_TRYAGAIN && err == ERANGE, "getpwuid_r short buffer: TRYAGAIN/ERANGE");
	st = m.getgrnam_r("staff", &gr, small, sizeof(small), &err);
	ok(st == NSS_STATUS_TRYAGAIN && err == ERANGE, "getgrnam_r short buffer: TRYAGAIN/ERANGE");
	st = m.getgrnam_r("staff", &gr, big, sizeof(big), &err);
	ok(st == NSS_STATUS_SUCCESS && gr.gr_gid == 10001 && gr.gr_mem[0] && gr.gr_mem[3] &&
	   !gr.gr_mem[4], "getgrnam_r retry: staff with 4 members");
}

/* Enumerate with a big buffer, then again with a short buffer on entry k:
 * the retry must give the same entry, and the rest must follow. */
static void rules_erange_pwent(void)
{
	char names[64][64], big[65536], small[4];
	struct passwd pw;
	int n = 0, err, bad = 0;

	m.setpwent(0);
	while (n < 64 && m.getpwent_r(&pw, big, sizeof(big), &err) == NSS_STATUS_SUCCESS)
		snprintf(names[n++], sizeof(names[0]), "%s", pw.pw_name);
	m.endpwent();
	ok(n >= 8, "getpwent_r enumerates (%d entries)", n);
	for (int k = 0; k < n; k += 3) {
		int i = 0;
		m.setpwent(0);
		while (i < n) {
			enum nss_status st;
			if (i == k) {
				st = m.getpwent_r(&pw, small, sizeof(small), &err);
				if (st != NSS_STATUS_TRYAGAIN || err != ERANGE)
					bad++;
			}
			st = m.getpwent_r(&pw, big, sizeof(big), &err);
			if (st != NSS_STATUS_SUCCESS || strcmp(pw.pw_name, names[i]) != 0)
				bad++;
			i++;
		}
		if (m.getpwent_r(&pw, big, sizeof(big), &err) != NSS_STATUS_NOTFOUND || err != ENOENT)
			bad++;
		m.endpwent();
	}
	ok(bad == 0, "getpwent_r: TRYAGAIN/ERANGE then the same entry on retry, at every position");
}

static void rules_erange_grent(void)
{
	char names[64][64], big[65536], small[16];
	struct group gr;
	int n = 0, err, bad = 0;

	m.setgrent(0);
	while (n < 64 && m.getgrent_r(&gr, big, sizeof(big), &err) == NSS_STATUS_SUCCESS)
		snprintf(names[n++], sizeof(names[0]), "%s", gr.gr_name);
	m.endgrent();
	ok(n >= 5, "getgrent_r enumerates (%d entries)", n);
	for (int k = 0; k < n; k++) {
		m.setgrent(0);
		for (int i = 0; i < n; i++) {
			enum nss_status st;
			if (i == k) {
				st = m.getgrent_r(&gr, small, sizeof(small), &err);
				if (st != NSS_STATUS_TRYAGAIN || err != ERANGE)
					bad++;
			}
			st = m.getgrent_r(&gr, big, sizeof(big), &err);
			if (st != NSS_STATUS_SUCCESS || strcmp(gr.gr_name, names[i]) != 0)
				bad++;
		}
		m.endgrent();
	}
	ok(bad == 0, "getgrent_r: TRYAGAIN/ERANGE then the same entry on retry, at every position");
}

static void rules_min_ids(void)
{
	char big[65536];
	struct passwd pw;
	struct group gr;
	gid_t *gs = malloc(4 * sizeof(gid_t));
	long start = 0, size = 4;
	int err, low = 0, n = 0;

	expect_pw("evilroot", NSS_STATUS_NOTFOUND, ENOENT, 4096);
	expect_pw("lowuid", NSS_STATUS_NOTFOUND, ENOENT, 4096);
	ok(m.getpwuid_r(0, &pw, big, sizeof(big), &err) == NSS_STATUS_NOTFOUND, "getpwuid_r(0): NOTFOUND");
	ok(m.getpwuid_r(500, &pw, big, sizeof(big), &err) == NSS_STATUS_NOTFOUND, "getpwuid_r(500): NOTFOUND");
	ok(m.getgrgid_r(0, &gr, big, sizeof(big), &err) == NSS_STATUS_NOTFOUND, "getgrgid_r(0): NOTFOUND");
	ok(m.getgrnam_r("wheel0", &gr, big, sizeof(big), &err) == NSS_STATUS_NOTFOUND, "getgrnam_r(wheel0): NOTFOUND");
	ok(m.getgrnam_r("lowgid", &gr, big, sizeof(big), &err) == NSS_STATUS_NOTFOUND, "getgrnam_r(lowgid): NOTFOUND");
	m.setpwent(0);
	while (m.getpwent_r(&pw, big, sizeof(big), &err) == NSS_STATUS_SUCCESS) {
		n++;
		low += pw.pw_uid < 1000 || strcmp(pw.pw_name, "evilroot") == 0;
	}
	m.endpwent();
	ok(n > 0 && low == 0, "getpwent_r: no uid below nss_min_uid (%d entries)", n);
	n = low = 0;
	m.setgrent(0);
	while (m.getgrent_r(&gr, big, sizeof(big), &err) == NSS_STATUS_SUCCESS) {
		n++;
		low += gr.gr_gid < 1000;
	}
	m.endgrent();
	ok(n > 0 && low == 0, "getgrent_r: no gid below nss_min_gid (%d entries)", n);
	err = 0;
	ok(m.initgroups_dyn("alice", 10001, &start, &size, &gs, 0, &err) == NSS_STATUS_SUCCESS,
	   "initgroups_dyn(alice): SUCCESS");
	low = 0;
	for (long i = 0; i < start; i++)
		low += gs[i] < 1000;
	ok(start >= 4 && low == 0, "initgroups_dyn(alice): %ld groups, none below nss_min_gid", start);
	free(gs);
}

static int cmd_rules(void)
{
	struct passwd pw;
	char big[65536];
	int err;

	load_module();
	expect_pw("alice", NSS_STATUS_SUCCESS, 0, 4096);
	expect_pw("nosuchuser", NSS_STATUS_NOTFOUND, ENOENT, 4096);
	expect_pw("ALICE", NSS_STATUS_NOTFOUND, ENOENT, 4096);
	expect_pw("Alice", NSS_STATUS_NOTFOUND, ENOENT, 4096);
	expect_pw("*", NSS_STATUS_NOTFOUND, ENOENT, 4096);
	expect_pw("alice)(uid=*", NSS_STATUS_NOTFOUND, ENOENT, 4096);
	expect_pw("", NSS_STATUS_NOTFOUND, ENOENT, 4096);
	expect_pw("badgecos", NSS_STATUS_NOTFOUND, ENOENT, 4096);
	ok(m.getpwuid_r(10001, &pw, big, sizeof(big), &err) == NSS_STATUS_SUCCESS &&
	   strcmp(pw.pw_name, "alice") == 0 && strcmp(pw.pw_passwd, "x") == 0,
	   "getpwuid_r(10001) = alice, password field \"x\"");
	rules_erange_named();
	rules_erange_pwent();
	rules_erange_grent();
	rules_min_ids();
	return failures ? 1 : 0;
}

/* ---- threads ---- */

struct expect_user { const char *name; uid_t uid; };
static const struct expect_user users[] = {
	{ "alice", 10001 }, { "bob", 10002 }, { "carol", 10003 }, { "zhangwei", 10004 },
	{ "expired", 10005 }, { "pwold", 10008 },
};
#define NUSERS (sizeof(users) / sizeof(users[0]))

static int iters;
static int threads_bad;
static pthread_mutex_t bad_lock = PTHREAD_MUTEX_INITIALIZER;

static int one_mixed(unsigned r, char *buf, size_t len)
{
	const struct expect_user *u = &users[r % NUSERS];
	struct passwd pw, *pp = NULL;
	struct group gr, *gp = NULL;

	switch ((r / NUSERS) % 5) {
	case 0:
		return getpwnam_r(u->name, &pw, buf, len, &pp) != 0 || !pp || pp->pw_uid != u->uid;
	case 1:
		return getpwuid_r(u->uid, &pw, buf, len, &pp) != 0 || !pp || strcmp(pp->pw_name, u->name) != 0;
	case 2:
		return getpwnam_r("nosuchuser", &pw, buf, len, &pp) != 0 || pp != NULL;
	case 3:
		return getgrnam_r("developers", &gr, buf, len, &gp) != 0 || !gp || gp->gr_gid != 10020 ||
		       !gp->gr_mem[0] || strcmp(gp->gr_mem[0], "alice") != 0;
	default:
		return getgrgid_r(10001, &gr, buf, len, &gp) != 0 || !gp || strcmp(gp->gr_name, "staff") != 0;
	}
}

static void *thread_main(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg * 2654435761u;
	char buf[8192];
	int bad = 0;

	for (int i = 0; i < iters; i++) {
		seed = seed * 1103515245u + 12345u;
		bad += one_mixed(seed >> 8, buf, sizeof(buf));
	}
	pthread_mutex_lock(&bad_lock);
	threads_bad += bad;
	pthread_mutex_unlock(&bad_lock);
	return NULL;
}

static int cmd_threads(int argc, char **argv)
{
	int n = argc > 2 ? atoi(argv[2]) : 16;
	pthread_t t[256];
	double t0;

	iters = argc > 3 ? atoi(argv[3]) : 10000;
	if (n < 1 || n > 256)
		return 2;
	__nss_configure_lookup("passwd", "tenure");
	__nss_configure_lookup("group", "tenure");
	t0 = now();
	for (int i = 0; i < n; i++)
		pthread_create(&t[i], NULL, thread_main, (void *)(uintptr_t)(i + 1));
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	ok(threads_bad == 0, "%d threads x %d mixed lookups: %d wrong (%.2f s)", n, iters, threads_bad,
	   now() - t0);
	return failures ? 1 : 0;
}

/* ---- fork ---- */

static int check_alice(void)
{
	struct passwd pw, *pp = NULL;
	char buf[4096];

	return getpwnam_r("alice", &pw, buf, sizeof(buf), &pp) == 0 && pp && pp->pw_uid == 10001 &&
	       getpwuid_r(10002, &pw, buf, sizeof(buf), &pp) == 0 && pp && strcmp(pp->pw_name, "bob") == 0;
}

static _Atomic int spin_stop;

/* The AddressSanitizer of this toolchain (GCC 12's libasan) does not hold
 * its allocator's locks across fork(): a child forked while another thread
 * is inside malloc can wait forever inside ASan itself (seen, about 1 run
 * in 50 under load: the child stuck in SizeClassAllocator64::
 * GetFromAllocator, called from libldap's ber_strdup).  glibc's malloc is
 * fork-safe, so the case is left to the plain and ThreadSanitizer builds. */
#if defined(__SANITIZE_ADDRESS__)
#define FORK_WITH_THREADS 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FORK_WITH_THREADS 0
#endif
#endif
#ifndef FORK_WITH_THREADS
#define FORK_WITH_THREADS 1
#endif

static void *spinner(void *arg)
{
	while (!spin_stop)
		check_alice();
	return NULL;
}

static int run_child(void)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return 0;
	if (pid == 0) {
		struct passwd pw, *pp = NULL;
		char buf[4096];
		int rc;

		alarm(20);
		rc = getpwnam_r("alice", &pw, buf, sizeof(buf), &pp);
		if (rc != 0 || !pp || pp->pw_uid != 10001) {
			printf("  child %d: getpwnam_r(alice) = %d (%s), %s\n", (int)getpid(), rc,
			       strerror(rc), pp ? "wrong entry" : "no entry");
			_exit(1);
		}
		rc = getpwuid_r(10002, &pw, buf, sizeof(buf), &pp);
		if (rc != 0 || !pp || strcmp(pp->pw_name, "bob") != 0) {
			printf("  child %d: getpwuid_r(10002) = %d (%s), %s\n", (int)getpid(), rc,
			       strerror(rc), pp ? "wrong entry" : "no entry");
			_exit(1);
		}
		_exit(0);
	}
	if (waitpid(pid, &status, 0) < 0)
		return 0;
	if (WIFSIGNALED(status))
		printf("  child %d: killed by signal %d\n", (int)pid, WTERMSIG(status));
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* Parent reads 3 entries, forks; the child reads the 4th and must get the
 * same one the parent gets next. */
static int fork_mid_enumeration(void)
{
	char first[8][64], childs[64] = "", buf[8192];
	struct passwd *p;
	int fds[2], status, n = 0;
	pid_t pid;

	setpwent();
	while (n < 3 && (p = getpwent()))
		snprintf(first[n++], sizeof(first[0]), "%s", p->pw_name);
	if (n < 3 || pipe(fds) < 0)
		return 0;
	pid = fork();
	if (pid == 0) {
		alarm(20);
		p = getpwent();
		if (write(fds[1], p ? p->pw_name : "-", p ? strlen(p->pw_name) : 1) < 0)
			_exit(1);
		_exit(0);
	}
	close(fds[1]);
	n = (int)read(fds[0], childs, sizeof(childs) - 1);
	childs[n > 0 ? n : 0] = '\0';
	close(fds[0]);
	waitpid(pid, &status, 0);
	p = getpwent();
	snprintf(buf, sizeof(buf), "%s", p ? p->pw_name : "-");
	endpwent();
	if (strcmp(buf, childs) != 0)
		printf("  parent's 4th entry %s, child's %s\n", buf, childs);
	return strcmp(buf, childs) == 0 && strcmp(buf, "-") != 0;
}

static int cmd_fork(void)
{
	pthread_t t;
	int good = 0;

	__nss_configure_lookup("passwd", "tenure");
	ok(check_alice(), "parent: lookup before fork");
	ok(run_child(), "child: lookup after fork");
	ok(check_alice(), "parent: lookup after the child's");
	ok(run_child(), "second child: lookup");
	ok(check_alice(), "parent: lookup again");
	/* Fork while another thread is inside lookups (holds the session). */
	if (FORK_WITH_THREADS) {
		pthread_create(&t, NULL, spinner, NULL);
		for (int i = 0; i < 20; i++)
			good += run_child();
		spin_stop = 1;
		pthread_join(t, NULL);
		ok(good == 20, "20 forks while a thread looks up: %d children right", good);
	} else {
		printf("skip - 20 forks while a thread looks up: AddressSanitizer's allocator is not "
		       "fork-safe here (runs in the plain and ThreadSanitizer passes)\n");
	}
	ok(check_alice(), "parent: lookup after the forks");
	good = fork_mid_enumeration();
	ok(good == 1, "fork in the middle of getpwent: the child goes on where the parent was");
	return failures ? 1 : 0;
}

/* ---- re-entrancy: the module calls getaddrinfo() on connect; this
 * program's getaddrinfo (exported with -rdynamic) looks a user up from
 * inside that call. ---- */

static int reent_armed;
static enum nss_status reent_status = (enum nss_status)99;

__attribute__((visibility("default"))) int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
		struct addrinfo **res)
{
	typedef int (*gai_fn)(const char *, const char *, const struct addrinfo *, struct addrinfo **);
	static gai_fn real;

	if (!real)
		real = (gai_fn)dlsym(RTLD_NEXT, "getaddrinfo");
	if (reent_armed) {
		struct passwd pw;
		char buf[4096];
		int err = 0;

		reent_armed = 0;
		reent_status = m.getpwnam_r("bob", &pw, buf, sizeof(buf), &err);
	}
	return real(node, service, hints, res);
}

static int cmd_reent(void)
{
	struct passwd pw;
	char buf[4096];
	int err = 0;
	enum nss_status st;

	load_module();
	alarm(20); /* without the guard, the inner call deadlocks */
	reent_armed = 1;
	st = m.getpwnam_r("alice", &pw, buf, sizeof(buf), &err);
	ok(reent_armed == 0, "the inner lookup ran (getaddrinfo hook called)");
	ok(reent_status == NSS_STATUS_UNAVAIL, "inner (recursive) lookup: %s (want UNAVAIL)",
	   st_name(reent_status));
	ok(st == NSS_STATUS_SUCCESS, "outer lookup: %s", st_name(st));
	return failures ? 1 : 0;
}

/* ---- syslog, intercepted: the module's messages land here ---- */

static char logged[16][1024];
static int nlogged;

static void record_log(int pri, const char *fmt, va_list ap)
{
	if (nlogged < 16) {
		int n = snprintf(logged[nlogged], sizeof(logged[0]), "<%d> ", pri);
		vsnprintf(logged[nlogged] + n, sizeof(logged[0]) - (size_t)n, fmt, ap);
	}
	nlogged++;
}

__attribute__((visibility("default"))) void syslog(int pri, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	record_log(pri, fmt, ap);
	va_end(ap);
}

void __syslog_chk(int pri, int flag, const char *fmt, ...);
__attribute__((visibility("default"))) void __syslog_chk(int pri, int flag, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	record_log(pri, fmt, ap);
	va_end(ap);
}

static int cmd_droplog(void)
{
	struct passwd pw;
	char buf[65536];
	int err, seen = 0;

	load_module();
	for (int i = 0; i < 3; i++)
		ok(m.getpwnam_r("badgecos", &pw, buf, sizeof(buf), &err) == NSS_STATUS_NOTFOUND,
		   "badgecos (':' in gecos): NOTFOUND, try %d", i + 1);
	for (int i = 0; i < 2; i++) {
		m.setpwent(0);
		while (m.getpwent_r(&pw, buf, sizeof(buf), &err) == NSS_STATUS_SUCCESS)
			seen += strcmp(pw.pw_name, "badgecos") == 0;
		m.endpwent();
	}
	ok(seen == 0, "badgecos never enumerated");
	ok(nlogged == 1, "logged once (%d messages)", nlogged);
	if (nlogged >= 1)
		ok(strstr(logged[0], "uid=badgecos") && strstr(logged[0], "reason=") &&
		   (atoi(logged[0] + 1) & LOG_FACMASK) == LOG_AUTHPRIV,
		   "message names the DN and the reason, facility authpriv: %s", logged[0]);
	return failures ? 1 : 0;
}

/* ---- descriptors ---- */

static int count_fds(char *list, size_t len)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;
	size_t o = 0;

	if (!d)
		return -1;
	list[0] = '\0';
	while ((de = readdir(d))) {
		int fd = atoi(de->d_name);
		if (de->d_name[0] == '.' || fd <= 2 || fd == dirfd(d))
			continue;
		n++;
		o += (size_t)snprintf(list + o, len > o ? len - o : 0, " %d", fd);
	}
	closedir(d);
	return n;
}

static int cmd_fdexec(char *self)
{
	char list[1024];
	int before, after, status;
	pid_t pid;

	__nss_configure_lookup("passwd", "tenure");
	closefrom(3); /* whatever the caller left open is not ours to judge */
	before = count_fds(list, sizeof(list));
	ok(check_alice(), "lookup");
	after = count_fds(list, sizeof(list));
	ok(after - before <= 1, "descriptors added by the module: %d (%s)", after - before, list);
	pid = fork();
	if (pid == 0) {
		execl("/proc/self/exe", self, "fdlist", (char *)NULL);
		_exit(127);
	}
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "after exec, no descriptor beyond 0-2");
	return failures ? 1 : 0;
}

static int cmd_fdlist(void)
{
	char list[1024];
	int n = count_fds(list, sizeof(list));

	if (n != 0)
		printf("  descriptors open after exec:%s\n", list);
	return n == 0 ? 0 : 1;
}

/* ---- SIGPIPE ---- */

static int run_cmd(char **argv)
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		execvp(argv[0], argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int cmd_sigpipe(int argc, char **argv)
{
	struct passwd pw;
	char buf[4096];
	int err, unavail = 0;

	if (argc < 3)
		return 2;
	signal(SIGPIPE, SIG_DFL);
	load_module();
	ok(m.getpwnam_r("alice", &pw, buf, sizeof(buf), &err) == NSS_STATUS_SUCCESS, "lookup before");
	ok(run_cmd(argv + 2) == 0, "command between lookups ran");
	for (int i = 0; i < 5; i++) {
		enum nss_status st = m.getpwnam_r("bob", &pw, buf, sizeof(buf), &err);
		unavail += st == NSS_STATUS_UNAVAIL;
	}
	ok(1, "still alive after 5 lookups on the dead connection (%d UNAVAIL)", unavail);
	ok(unavail == 5, "lookups with the server gone: UNAVAIL");
	return failures ? 1 : 0;
}

static int cmd_twice(int argc, char **argv)
{
	struct passwd pw;
	char buf[4096], first[1024] = "-";
	int err;

	if (argc < 4)
		return 2;
	load_module();
	if (m.getpwnam_r(argv[2], &pw, buf, sizeof(buf), &err) == NSS_STATUS_SUCCESS)
		snprintf(first, sizeof(first), "%s", pw.pw_gecos);
	if (run_cmd(argv + 3) != 0)
		return 1;
	printf("%s|%s\n", first,
	       m.getpwnam_r(argv[2], &pw, buf, sizeof(buf), &err) == NSS_STATUS_SUCCESS ? pw.pw_gecos : "-");
	return 0;
}

/* ---- server down / black hole: the program writes its own config ---- */

static int listener(int *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 64) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &al) < 0)
		return -1;
	*port = ntohs(a.sin_port);
	return fd;
}

static void *blackhole(void *arg)
{
	int lfd = (int)(intptr_t)arg;

	for (;;) {
		int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0)
			break;
		/* accept, keep open, never answer */
	}
	return NULL;
}

/* Accept, then close with a reset (SO_LINGER 0): the client's next write
 * hits EPIPE, which raises SIGPIPE unless the module guards against it. */
static void *resetter(void *arg)
{
	int lfd = (int)(intptr_t)arg;

	for (;;) {
		struct linger lg = { 1, 0 };
		int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0)
			break;
		setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(c);
	}
	return NULL;
}

static void write_conf(const char *path, int port, int timelimit, int bind_timelimit)
{
	FILE *f = fopen(path, "w");

	if (!f) {
		perror(path);
		exit(2);
	}
	fprintf(f, "uri ldap://127.0.0.1:%d/\nbase dc=example,dc=org\n"
		   "timelimit %d\nbind_timelimit %d\nreconnect_sleeptime 5\nreconnect_retrytime 60\n",
		port, timelimit, bind_timelimit);
	fclose(f);
	chmod(path, 0644);
	setenv("TENURE_CONF", path, 1);
}

static void time_lookups(const char *what, double first_bound)
{
	struct passwd pw;
	char buf[4096];
	int err, unavail = 0;
	double t0 = now(), t1, t2;
	enum nss_status st = m.getpwnam_r("alice", &pw, buf, sizeof(buf), &err);

	t1 = now();
	ok(st == NSS_STATUS_UNAVAIL, "%s: first lookup %s/%s", what, st_name(st), strerrorname_np(err));
	ok(t1 - t0 < first_bound, "%s: first lookup returned in %.3f s (bound %.1f s)", what, t1 - t0,
	   first_bound);
	for (int i = 0; i < 1000; i++)
		unavail += m.getpwnam_r(i % 2 ? "alice" : "bob", &pw, buf, sizeof(buf), &err) ==
			   NSS_STATUS_UNAVAIL;
	t2 = now();
	ok(unavail == 1000, "%s: next 1000 lookups UNAVAIL (%d)", what, unavail);
	ok(t2 - t1 < 1.0, "%s: next 1000 lookups in %.3f s (< 1 s together)", what, t2 - t1);
}

static int cmd_down(int argc, char **argv)
{
	int port, fd;

	if (argc < 3)
		return 2;
	fd = listener(&port);
	close(fd); /* nothing listens there now */
	write_conf(argv[2], port, 2, 2);
	load_module();
	time_lookups("server down", 2.0 + 0.5);
	return failures ? 1 : 0;
}

static int cmd_blackhole(int argc, char **argv)
{
	pthread_t t;
	int port, fd;

	if (argc < 3)
		return 2;
	fd = listener(&port);
	pthread_create(&t, NULL, blackhole, (void *)(intptr_t)fd);
	write_conf(argv[2], port, 1, 1);
	load_module();
	time_lookups("black hole", 1.0 + 1.5);
	return failures ? 1 : 0;
}

static int cmd_resetter(int argc, char **argv)
{
	struct passwd pw;
	char buf[4096];
	pthread_t t;
	int port, fd, err, unavail = 0;

	if (argc < 3)
		return 2;
	signal(SIGPIPE, SIG_DFL);
	fd = listener(&port);
	pthread_create(&t, NULL, resetter, (void *)(intptr_t)fd);
	write_conf(argv[2], port, 2, 2);
	/* No back-off: every lookup connects and writes again. */
	{
		FILE *f = fopen(argv[2], "a");
		if (f) {
			fputs("reconnect_sleeptime 0\n", f);
			fclose(f);
		}
	}
	load_module();
	for (int i = 0; i < 50; i++) {
		unavail += m.getpwnam_r("alice", &pw, buf, sizeof(buf), &err) == NSS_STATUS_UNAVAIL;
		usleep(2000);
	}
	ok(unavail == 50, "server that resets every connection: 50 lookups UNAVAIL (%d), "
	   "process alive with SIGPIPE at SIG_DFL", unavail);
	return failures ? 1 : 0;
}

/* ---- enumeration count via glibc ---- */

static int cmd_count(int argc, char **argv)
{
	int n = 0;

	if (argc < 3)
		return 2;
	if (strcmp(argv[2], "passwd") == 0) {
		__nss_configure_lookup("passwd", "tenure");
		setpwent();
		while (getpwent())
			n++;
		endpwent();
	} else {
		__nss_configure_lookup("group", "tenure");
		setgrent();
		while (getgrent())
			n++;
		endgrent();
	}
	printf("%d\n", n);
	return 0;
}

/* NSS_SERVICE: the service to use (default tenure); "none" keeps
 * nsswitch.conf (and nscd) in charge. */
static void configure_from_env(void)
{
	const char *svc = getenv("NSS_SERVICE");

	if (!svc || !*svc)
		svc = "tenure";
	if (strcmp(svc, "none") != 0)
		__nss_configure_lookup("passwd", svc);
}

/* ---- memory and descriptors ---- */

static long rss_kb(void)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	long kb = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static int cmd_mem(int argc, char **argv)
{
	struct passwd pw, *pp = NULL;
	char buf[8192], list[1024];
	long r0, r1;
	int f0, f1;

	if (argc < 3)
		return 2;
	configure_from_env();
	closefrom(3);
	r0 = rss_kb();
	f0 = count_fds(list, sizeof(list));
	getpwnam_r(argv[2], &pw, buf, sizeof(buf), &pp);
	r1 = rss_kb();
	f1 = count_fds(list, sizeof(list));
	printf("found=%d rss_kb_added=%ld fds_added=%d\n", pp != NULL, r1 - r0, f1 - f0);
	return 0;
}

static int cmd_hold(int argc, char **argv)
{
	struct passwd pw, *pp = NULL;
	char buf[8192];

	if (argc < 4)
		return 2;
	configure_from_env();
	getpwnam_r(argv[2], &pw, buf, sizeof(buf), &pp);
	sleep((unsigned)atoi(argv[3]));
	return pp ? 0 : 1;
}

/* ---- in-process timing ---- */

static int cmd_bench(int argc, char **argv)
{
	int n = argc > 2 ? atoi(argv[2]) : 1000, names = argc - 3, bad = 0;
	double *t, t0, total;
	char buf[8192];

	if (n < 1 || names < 1)
		return 2;
	configure_from_env();
	t = calloc((size_t)n, sizeof(double));
	t0 = now();
	for (int i = 0; i < n; i++) {
		struct passwd pw, *pp = NULL;
		double a = now();
		if (getpwnam_r(argv[3 + i % names], &pw, buf, sizeof(buf), &pp) != 0 || !pp)
			bad++;
		t[i] = now() - a;
	}
	total = now() - t0;
	bench_sort(t, n);
	bench_dump_samples(t, n, 1e6);
	printf("lookups=%d failed=%d per_s=%.0f p50_us=%.1f p99_us=%.1f\n", n, bad, n / total,
	       t[n / 2] * 1e6, t[(int)(n * 0.99)] * 1e6);
	free(t);
	return 0;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strcmp(mode, "lookup") == 0)
		return cmd_lookup(argc, argv);
	if (strcmp(mode, "rules") == 0)
		return cmd_rules();
	if (strcmp(mode, "threads") == 0)
		return cmd_threads(argc, argv);
	if (strcmp(mode, "fork") == 0)
		return cmd_fork();
	if (strcmp(mode, "reent") == 0)
		return cmd_reent();
	if (strcmp(mode, "droplog") == 0)
		return cmd_droplog();
	if (strcmp(mode, "fdexec") == 0)
		return cmd_fdexec(argv[0]);
	if (strcmp(mode, "fdlist") == 0)
		return cmd_fdlist();
	if (strcmp(mode, "sigpipe") == 0)
		return cmd_sigpipe(argc, argv);
	if (strcmp(mode, "twice") == 0)
		return cmd_twice(argc, argv);
	if (strcmp(mode, "down") == 0)
		return cmd_down(argc, argv);
	if (strcmp(mode, "blackhole") == 0)
		return cmd_blackhole(argc, argv);
	if (strcmp(mode, "resetter") == 0)
		return cmd_resetter(argc, argv);
	if (strcmp(mode, "count") == 0)
		return cmd_count(argc, argv);
	if (strcmp(mode, "mem") == 0)
		return cmd_mem(argc, argv);
	if (strcmp(mode, "hold") == 0)
		return cmd_hold(argc, argv);
	if (strcmp(mode, "bench") == 0)
		return cmd_bench(argc, argv);
	fprintf(stderr, "usage: nss_stress lookup|rules|threads|fork|reent|fdexec|sigpipe|down|"
			"blackhole|count|bench ...\n");
	return 2;
}
