/* hostguard — the modules leave their host process as they found it.
 *
 * Runs NSS lookups (through glibc, service "tenure") and a PAM
 * conversation with pam_tenure in one process, with the directory up and
 * with it unreachable, and checks after each step that nothing of the
 * host changed: umask, working directory, every signal disposition, the
 * signal mask, the environment, the thread's resolver settings (_res),
 * stdout and stderr (nothing written), and
 * that no descriptor lacks close-on-exec.  The process staying alive to
 * report is the check that nothing called exit or abort.
 *
 *   hostguard PAMDIR SERVICE USER PASSWORD   (TENURE_CONF names the NSS config)
 *
 * stdout and stderr must be redirected to files by the caller, which
 * checks they stay empty; the report goes to descriptor 3.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <resolv.h>
#include <security/pam_appl.h>
#include <shadow.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

extern char **environ;
int __nss_configure_lookup(const char *db, const char *service);

struct state {
	mode_t umask;
	char cwd[PATH_MAX];
	struct sigaction act[NSIG];
	sigset_t mask;
	char env[8192];
	int retrans, retry;       /* this thread's resolver (_res) */
	unsigned long options;
};

static FILE *report;
static char inherited[1024];   /* ",fd,fd," open at start */
static int failures;
static const char *answer;

static void ok(int cond, const char *what)
{
	fprintf(report, "%s - %s\n", cond ? "ok" : "FAIL", what);
	fflush(report);
	failures += !cond;
}

static void snapshot(struct state *s)
{
	size_t off = 0;

	s->umask = umask(022);
	umask(s->umask);
	if (!getcwd(s->cwd, sizeof(s->cwd)))
		s->cwd[0] = '\0';
	memset(s->act, 0, sizeof(s->act));
	for (int sig = 1; sig < NSIG; sig++)
		sigaction(sig, NULL, &s->act[sig]);
	sigprocmask(SIG_BLOCK, NULL, &s->mask);
	s->retrans = _res.retrans;
	s->retry = _res.retry;
	s->options = _res.options;
	s->env[0] = '\0';
	for (char **e = environ; e && *e && off < sizeof(s->env); e++)
		off += (size_t)snprintf(s->env + off, sizeof(s->env) - off, "%s\n", *e);
}

static void compare(const struct state *a, const char *step)
{
	struct state b;
	char what[256];
	int disp_same = 1, bad_sig = 0;

	snapshot(&b);
	snprintf(what, sizeof(what), "%s: umask unchanged", step);
	ok(a->umask == b.umask, what);
	snprintf(what, sizeof(what), "%s: working directory unchanged", step);
	ok(strcmp(a->cwd, b.cwd) == 0, what);
	for (int sig = 1; sig < NSIG; sig++) {
		if (a->act[sig].sa_handler != b.act[sig].sa_handler ||
		    a->act[sig].sa_flags != b.act[sig].sa_flags) {
			disp_same = 0;
			bad_sig = sig;
		}
	}
	snprintf(what, sizeof(what), "%s: every signal disposition unchanged%s%s", step,
		 disp_same ? "" : " (changed: ", disp_same ? "" : strsignal(bad_sig));
	if (!disp_same)
		strncat(what, ")", sizeof(what) - strlen(what) - 1);
	ok(disp_same, what);
	{
		int same = 1;
		for (int sig = 1; sig < NSIG; sig++)
			if (sigismember(&a->mask, sig) != sigismember(&b.mask, sig))
				same = 0;
		snprintf(what, sizeof(what), "%s: signal mask unchanged", step);
		ok(same, what);
	}
	snprintf(what, sizeof(what), "%s: environment unchanged", step);
	ok(strcmp(a->env, b.env) == 0, what);
	snprintf(what, sizeof(what), "%s: resolver settings (_res retrans %d, retry %d) unchanged",
		 step, b.retrans, b.retry);
	ok(a->retrans == b.retrans && a->retry == b.retry && a->options == b.options, what);
}

/* Descriptors open at start came from the caller, not from the modules. */
static void note_inherited(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	size_t off = 1;

	inherited[0] = ',';
	while (d && (de = readdir(d)) && off + 16 < sizeof(inherited))
		if (de->d_name[0] != '.')
			off += (size_t)snprintf(inherited + off, sizeof(inherited) - off, "%s,", de->d_name);
	if (d)
		closedir(d);
}

/* Every descriptor the modules opened must be close-on-exec. */
static void check_cloexec(const char *step)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int bad = -1, dfd = d ? dirfd(d) : -1;
	char what[512], target[256] = "";

	while (d && (de = readdir(d))) {
		int fd = atoi(de->d_name);
		int fl;

		char key[300];

		snprintf(key, sizeof(key), ",%s,", de->d_name);
		if (de->d_name[0] == '.' || fd <= 3 || fd == dfd || strstr(inherited, key))
			continue;
		fl = fcntl(fd, F_GETFD);
		if (fl >= 0 && !(fl & FD_CLOEXEC)) {
			char path[64];
			ssize_t n;

			bad = fd;
			snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
			n = readlink(path, target, sizeof(target) - 1);
			target[n > 0 ? n : 0] = '\0';
		}
	}
	if (d)
		closedir(d);
	if (bad >= 0)
		snprintf(what, sizeof(what), "%s: every descriptor is close-on-exec (fd %d -> %s is not)",
			 step, bad, target);
	else
		snprintf(what, sizeof(what), "%s: every descriptor is close-on-exec", step);
	ok(bad < 0, what);
}

static int conv(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
	struct pam_response *r = calloc((size_t)n, sizeof(*r));

	(void)data;
	if (!r)
		return PAM_BUF_ERR;
	for (int i = 0; i < n; i++)
		if (msg[i]->msg_style == PAM_PROMPT_ECHO_OFF || msg[i]->msg_style == PAM_PROMPT_ECHO_ON)
			r[i].resp = strdup(answer);
	*resp = r;
	return PAM_SUCCESS;
}

static void nss_round(const char *user)
{
	struct passwd *pw;
	struct group *gr;
	gid_t groups[64];
	int ng = 64;

	pw = getpwnam(user);
	if (pw)
		getgrouplist(user, pw->pw_gid, groups, &ng);
	gr = getgrgid(pw ? pw->pw_gid : 10001);
	(void)gr;
	getpwnam("no-such-user-here");
	getpwuid(0);
	getspnam(user);
	setpwent();
	while (getpwent())
		;
	endpwent();
	setgrent();
	while (getgrent())
		;
	endgrent();
}

static void pam_round(const char *dir, const char *service, const char *user, const char *password)
{
	struct pam_conv c = { conv, NULL };
	pam_handle_t *ph = NULL;

	if (pam_start_confdir(service, user, &c, dir, &ph) != PAM_SUCCESS)
		return;
	pam_set_item(ph, PAM_RHOST, "192.0.2.1");
	answer = "a-wrong-password";
	pam_authenticate(ph, 0);
	answer = password;
	pam_authenticate(ph, 0);
	pam_acct_mgmt(ph, 0);
	pam_open_session(ph, 0);
	pam_close_session(ph, 0);
	answer = "weak";
	pam_chauthtok(ph, 0);
	pam_end(ph, PAM_SUCCESS);
}

int main(int argc, char **argv)
{
	struct state before;
	const char *down;

	if (argc != 5)
		return 2;
	report = fdopen(3, "w");
	if (!report)
		return 2;
	note_inherited();
	__nss_configure_lookup("passwd", "tenure");
	__nss_configure_lookup("group", "tenure");
	__nss_configure_lookup("shadow", "tenure");
	__nss_configure_lookup("initgroups", "tenure");
	signal(SIGPIPE, SIG_DFL);
	signal(SIGUSR1, SIG_IGN);   /* a host with its own dispositions */
	umask(027);
	/* A host that uses the resolver, with settings of its own; the
	 * modules bound their own lookups and must put these back. */
	res_init();
	_res.retrans = 3;
	_res.retry = 4;

	snapshot(&before);
	nss_round(argv[3]);
	compare(&before, "NSS lookups, directory up");
	check_cloexec("NSS lookups, directory up");
	pam_round(argv[1], argv[2], argv[3], argv[4]);
	compare(&before, "PAM auth/account/session/password, directory up");
	check_cloexec("PAM, directory up");

	/* The same with the directory unreachable (the caller stops slapd and
	 * signals through the file named by HOSTGUARD_DOWN). */
	down = getenv("HOSTGUARD_DOWN");
	if (down) {
		int fd = open(down, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
		if (fd >= 0)
			close(fd);
		for (int i = 0; i < 100 && access(down, F_OK) == 0; i++)
			usleep(100000);
		nss_round(argv[3]);
		compare(&before, "NSS lookups, directory down");
		pam_round(argv[1], argv[2], argv[3], argv[4]);
		compare(&before, "PAM, directory down");
		check_cloexec("directory down");
	}
	fprintf(report, "alive after every step: %s\n", failures ? "with failures" : "yes");
	fclose(report);
	return failures ? 1 : 0;
}
