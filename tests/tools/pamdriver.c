/*
 * pamdriver -- run PAM operations against a private stack, for tests.
 *
 *   pamdriver -D CONFDIR -s SERVICE -u USER [-r RHOST] [-t TTY]
 *             [-a ANSWER]... [-e NAME=VALUE]... [-E] [-q] OP [OP...]
 *
 * OP is one of auth, acct, chauthtok, chauthtok-expired, open, close,
 * setcred.  The stack is read from CONFDIR/SERVICE (pam_start_confdir,
 * Linux-PAM >= 1.4), so tests never touch /etc/pam.d.
 *
 * The conversation answers every PAM_PROMPT_ECHO_OFF/ECHO_ON prompt with the
 * next -a value, in order; when none are left it fails with PAM_CONV_ERR.
 * Every message is printed on stdout, one line each:
 *   PROMPT: <text>   INFO: <text>   ERROR: <text>
 * and after each operation:
 *   OP: <op> = <PAM_* name> (<number>)
 * The ops run in order and stop at the first failure.  The exit status is
 * the numeric PAM code of the last op run (0 = success); 64 for usage errors.
 * -q: do not print the PROMPT lines.  -E: print the PAM environment at the
 * end, as ENV: NAME=VALUE lines.
 *
 * Answers are copied into memory that PAM frees; each copy (and the argv
 * originals, at exit) is wiped with explicit_bzero.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <locale.h>
#include <stdarg.h>
#include <syslog.h>
#include <security/pam_appl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define EXIT_USAGE 64

struct answers {
	char **v;       /* the -a values, in order (point into argv) */
	int n;
	int next;       /* index of the next unused answer */
	int quiet;      /* -q: hide PROMPT lines */
};

/* ---- syslog capture ----
 * With PAMDRIVER_LOG=FILE, every syslog() message of the process (the
 * module's pam_syslog lines included: libpam calls syslog) is appended to
 * FILE as "<priority> message" instead of going to the system log, so tests
 * can read the module's audit lines on a machine without a syslog daemon. */

static void capture(int pri, const char *fmt, va_list ap)
{
	const char *path = getenv("PAMDRIVER_LOG");
	FILE *f;

	if (!path || !*path) {
		void (*real)(int, const char *, va_list) =
			(void (*)(int, const char *, va_list))dlsym(RTLD_NEXT, "vsyslog");
		if (real)
			real(pri, fmt, ap);
		return;
	}
	f = fopen(path, "ae");
	if (!f)
		return;
	fprintf(f, "<%d> ", pri);
	vfprintf(f, fmt, ap);
	fputc('\n', f);
	fclose(f);
}

#define EXPORT __attribute__((visibility("default")))
EXPORT void syslog(int pri, const char *fmt, ...);
EXPORT void vsyslog(int pri, const char *fmt, va_list ap);
EXPORT void __syslog_chk(int pri, int flag, const char *fmt, ...);
EXPORT void __vsyslog_chk(int pri, int flag, const char *fmt, va_list ap);

EXPORT void syslog(int pri, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	capture(pri, fmt, ap);
	va_end(ap);
}

EXPORT void vsyslog(int pri, const char *fmt, va_list ap)
{
	capture(pri, fmt, ap);
}

EXPORT void __syslog_chk(int pri, int flag, const char *fmt, ...)
{
	va_list ap;

	(void)flag;
	va_start(ap, fmt);
	capture(pri, fmt, ap);
	va_end(ap);
}

EXPORT void __vsyslog_chk(int pri, int flag, const char *fmt, va_list ap)
{
	(void)flag;
	capture(pri, fmt, ap);
}

static const struct {
	int code;
	const char *name;
} pam_names[] = {
#define N(x) { x, #x }
	N(PAM_SUCCESS), N(PAM_OPEN_ERR), N(PAM_SYMBOL_ERR),
	N(PAM_SERVICE_ERR), N(PAM_SYSTEM_ERR), N(PAM_BUF_ERR),
	N(PAM_PERM_DENIED), N(PAM_AUTH_ERR), N(PAM_CRED_INSUFFICIENT),
	N(PAM_AUTHINFO_UNAVAIL), N(PAM_USER_UNKNOWN), N(PAM_MAXTRIES),
	N(PAM_NEW_AUTHTOK_REQD), N(PAM_ACCT_EXPIRED), N(PAM_SESSION_ERR),
	N(PAM_CRED_UNAVAIL), N(PAM_CRED_EXPIRED), N(PAM_CRED_ERR),
	N(PAM_NO_MODULE_DATA), N(PAM_CONV_ERR), N(PAM_AUTHTOK_ERR),
	N(PAM_AUTHTOK_RECOVERY_ERR), N(PAM_AUTHTOK_LOCK_BUSY),
	N(PAM_AUTHTOK_DISABLE_AGING), N(PAM_TRY_AGAIN), N(PAM_IGNORE),
	N(PAM_ABORT), N(PAM_AUTHTOK_EXPIRED), N(PAM_MODULE_UNKNOWN),
	N(PAM_BAD_ITEM), N(PAM_CONV_AGAIN), N(PAM_INCOMPLETE),
#undef N
};

static const char *pam_name(int code)
{
	size_t i;

	for (i = 0; i < sizeof(pam_names) / sizeof(pam_names[0]); i++)
		if (pam_names[i].code == code)
			return pam_names[i].name;
	return "PAM_UNKNOWN";
}

static void free_replies(struct pam_response *r, int n)
{
	int i;

	if (r == NULL)
		return;
	for (i = 0; i < n; i++) {
		if (r[i].resp != NULL) {
			explicit_bzero(r[i].resp, strlen(r[i].resp));
			free(r[i].resp);
		}
	}
	free(r);
}

/* Print a message on one line: a multi-line PAM message stays one record. */
static void print_msg(const char *tag, const char *text)
{
	const char *p;

	fputs(tag, stdout);
	fputs(": ", stdout);
	for (p = text ? text : ""; *p != '\0'; p++)
		putchar(*p == '\n' ? ' ' : *p);
	putchar('\n');
}

static int converse(int n, const struct pam_message **msg,
		    struct pam_response **resp, void *data)
{
	struct answers *a = data;
	struct pam_response *r;
	int i;

	*resp = NULL;
	if (n <= 0 || n > PAM_MAX_NUM_MSG)
		return PAM_CONV_ERR;
	r = calloc((size_t)n, sizeof(*r));
	if (r == NULL)
		return PAM_BUF_ERR;
	for (i = 0; i < n; i++) {
		switch (msg[i]->msg_style) {
		case PAM_PROMPT_ECHO_OFF:
		case PAM_PROMPT_ECHO_ON:
			if (!a->quiet)
				print_msg("PROMPT", msg[i]->msg);
			if (a->next >= a->n)
				goto err;
			r[i].resp = strdup(a->v[a->next++]);
			if (r[i].resp == NULL)
				goto err;
			break;
		case PAM_ERROR_MSG:
			print_msg("ERROR", msg[i]->msg);
			break;
		case PAM_TEXT_INFO:
			print_msg("INFO", msg[i]->msg);
			break;
		default:
			goto err;
		}
	}
	fflush(stdout);
	*resp = r;
	return PAM_SUCCESS;
err:
	fflush(stdout);
	free_replies(r, n);
	return PAM_CONV_ERR;
}

static int run_op(pam_handle_t *ph, const char *op, int *rc)
{
	if (strcmp(op, "auth") == 0)
		*rc = pam_authenticate(ph, 0);
	else if (strcmp(op, "acct") == 0)
		*rc = pam_acct_mgmt(ph, 0);
	else if (strcmp(op, "chauthtok") == 0)
		*rc = pam_chauthtok(ph, 0);
	else if (strcmp(op, "chauthtok-expired") == 0)
		*rc = pam_chauthtok(ph, PAM_CHANGE_EXPIRED_AUTHTOK);
	else if (strcmp(op, "open") == 0)
		*rc = pam_open_session(ph, 0);
	else if (strcmp(op, "close") == 0)
		*rc = pam_close_session(ph, 0);
	else if (strcmp(op, "setcred") == 0)
		*rc = pam_setcred(ph, PAM_ESTABLISH_CRED);
	else
		return -1;
	return 0;
}

static int known_op(const char *op)
{
	static const char *const ops[] = { "auth", "acct", "chauthtok",
		"chauthtok-expired", "open", "close", "setcred" };
	size_t i;

	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strcmp(op, ops[i]) == 0)
			return 1;
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: pamdriver -D CONFDIR -s SERVICE -u USER "
		"[-r RHOST] [-t TTY] [-a ANSWER]... [-e NAME=VALUE]... [-E] [-q]\n"
		"                 OP [OP...]\n"
		"OP: auth acct chauthtok chauthtok-expired open close setcred\n");
}

static void print_env(pam_handle_t *ph)
{
	char **env = pam_getenvlist(ph);
	char **e;

	if (env == NULL)
		return;
	for (e = env; *e != NULL; e++) {
		print_msg("ENV", *e);
		free(*e);
	}
	free(env);
}

static void wipe_answers(struct answers *a)
{
	int i;

	for (i = 0; i < a->n; i++)
		explicit_bzero(a->v[i], strlen(a->v[i]));
	free(a->v);
	a->v = NULL;
	a->n = 0;
}

int main(int argc, char **argv)
{
	const char *confdir = NULL, *service = NULL, *user = NULL;
	const char *rhost = NULL, *tty = NULL;
	struct answers ans = { NULL, 0, 0, 0 };
	struct pam_conv conv = { converse, &ans };
	pam_handle_t *ph = NULL;
	char **envs = NULL;
	int nenv = 0, show_env = 0, rc = PAM_SUCCESS, status = EXIT_USAGE;
	int c, i;

	/* Like passwd and login: messages in the language of the environment. */
	setlocale(LC_ALL, "");
	ans.v = calloc((size_t)argc, sizeof(*ans.v));
	envs = calloc((size_t)argc, sizeof(*envs));
	if (ans.v == NULL || envs == NULL) {
		perror("pamdriver");
		goto out;
	}
	while ((c = getopt(argc, argv, "+D:s:u:r:t:a:e:Eq")) != -1) {
		switch (c) {
		case 'D': confdir = optarg; break;
		case 's': service = optarg; break;
		case 'u': user = optarg; break;
		case 'r': rhost = optarg; break;
		case 't': tty = optarg; break;
		case 'a': ans.v[ans.n++] = optarg; break;
		case 'e':
			if (strchr(optarg, '=') == NULL || optarg[0] == '=') {
				fprintf(stderr, "pamdriver: -e wants NAME=VALUE\n");
				goto out;
			}
			envs[nenv++] = optarg;
			break;
		case 'E': show_env = 1; break;
		case 'q': ans.quiet = 1; break;
		default: usage(); goto out;
		}
	}
	if (confdir == NULL || service == NULL || user == NULL || optind >= argc) {
		usage();
		goto out;
	}
	for (i = optind; i < argc; i++) {
		if (!known_op(argv[i])) {
			fprintf(stderr, "pamdriver: unknown op: %s\n", argv[i]);
			usage();
			goto out;
		}
	}

	rc = pam_start_confdir(service, user, &conv, confdir, &ph);
	if (rc != PAM_SUCCESS) {
		printf("OP: start = %s (%d)\n", pam_name(rc), rc);
		status = rc;
		goto out;
	}
	if ((rhost != NULL && (rc = pam_set_item(ph, PAM_RHOST, rhost)) != PAM_SUCCESS) ||
	    (tty != NULL && (rc = pam_set_item(ph, PAM_TTY, tty)) != PAM_SUCCESS)) {
		printf("OP: set_item = %s (%d)\n", pam_name(rc), rc);
		status = rc;
		goto end;
	}
	for (i = 0; i < nenv; i++) {
		rc = pam_putenv(ph, envs[i]);
		if (rc != PAM_SUCCESS) {
			printf("OP: putenv = %s (%d)\n", pam_name(rc), rc);
			status = rc;
			goto end;
		}
	}
	for (i = optind; i < argc; i++) {
		run_op(ph, argv[i], &rc);
		printf("OP: %s = %s (%d)\n", argv[i], pam_name(rc), rc);
		fflush(stdout);
		if (rc != PAM_SUCCESS)
			break;
	}
	status = rc;
	if (show_env)
		print_env(ph);
end:
	pam_end(ph, status);
out:
	fflush(stdout);
	if (ans.v != NULL)
		wipe_answers(&ans);
	free(envs);
	return status;
}
