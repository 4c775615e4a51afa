/*
 * faults_pam -- one PAM handle whose LDAP server goes away between the auth
 * and the account phase, for tests.
 *
 *   faults_pam -D CONFDIR -s SERVICE -u USER -a PASSWORD [-b PORT] CMD
 *
 * pam_start_confdir (the stack is CONFDIR/SERVICE), pam_authenticate with
 * PASSWORD, then `sh -c CMD` (waited for: it kills or stops the server),
 * then with -b a listener on 127.0.0.1:PORT that completes TCP handshakes
 * and never answers (a black hole where the server was), then
 * pam_acct_mgmt on the same handle.  Prints one "key value" line each:
 *   auth CODE        PAM code of pam_authenticate
 *   acct CODE        PAM code of pam_acct_mgmt (not run: -1)
 *   acct_secs S      seconds pam_acct_mgmt took
 *   LOG: <PRI> TEXT  each syslog message of the module (pam_syslog ends in
 *                    syslog(), which this program defines: no syslog daemon
 *                    is needed and the host's log is never written)
 * PAM messages go to stderr.  Exit status 0, or 2 when the tool could not
 * run.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <security/pam_appl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

static char *password;   /* points into argv: wiped at exit */

static int converse(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
	struct pam_response *r;

	(void)data;
	*resp = NULL;
	if (n <= 0 || n > PAM_MAX_NUM_MSG)
		return PAM_CONV_ERR;
	r = calloc((size_t)n, sizeof(*r));
	if (!r)
		return PAM_BUF_ERR;
	for (int i = 0; i < n; i++) {
		switch (msg[i]->msg_style) {
		case PAM_PROMPT_ECHO_OFF:
		case PAM_PROMPT_ECHO_ON:
			r[i].resp = strdup(password ? password : "");
			if (!r[i].resp)
				goto err;
			break;
		default:
			fprintf(stderr, "MSG: %s\n", msg[i]->msg ? msg[i]->msg : "");
			break;
		}
	}
	*resp = r;
	return PAM_SUCCESS;
err:
	for (int i = 0; i < n; i++) {
		if (r[i].resp) {
			explicit_bzero(r[i].resp, strlen(r[i].resp));
			free(r[i].resp);
		}
	}
	free(r);
	return PAM_CONV_ERR;
}

/* ---- syslog, intercepted (libpam calls __syslog_chk) ---- */

static void record_log(int pri, const char *fmt, va_list ap)
{
	char msg[2048];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	printf("LOG: <%d> %s\n", pri, msg);
	fflush(stdout);
}

__attribute__((visibility("default"))) void syslog(int pri, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	record_log(pri, fmt, ap);
	va_end(ap);
}

__attribute__((visibility("default"))) void vsyslog(int pri, const char *fmt, va_list ap)
{
	record_log(pri, fmt, ap);
}

void __syslog_chk(int pri, int flag, const char *fmt, ...);
__attribute__((visibility("default"))) void __syslog_chk(int pri, int flag, const char *fmt, ...)
{
	va_list ap;

	(void)flag;
	va_start(ap, fmt);
	record_log(pri, fmt, ap);
	va_end(ap);
}

void __vsyslog_chk(int pri, int flag, const char *fmt, va_list ap);
__attribute__((visibility("default"))) void __vsyslog_chk(int pri, int flag, const char *fmt, va_list ap)
{
	(void)flag;
	record_log(pri, fmt, ap);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A socket that accepts connections into its backlog and never reads. */
static int black_hole(int port)
{
	struct sockaddr_in sa;
	int fd, one = 1;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (int i = 0; i < 100; i++) {
		if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 && listen(fd, 64) == 0)
			return fd;
		usleep(100000);
	}
	close(fd);
	return -1;
}

int main(int argc, char **argv)
{
	const char *confdir = NULL, *service = NULL, *user = NULL;
	struct pam_conv conv = { converse, NULL };
	pam_handle_t *ph = NULL;
	int c, rc, acct = -1, port = 0, hole = -1, status;
	double t = 0, secs = 0;

	while ((c = getopt(argc, argv, "+D:s:u:a:b:")) != -1) {
		switch (c) {
		case 'D': confdir = optarg; break;
		case 's': service = optarg; break;
		case 'u': user = optarg; break;
		case 'a': password = optarg; break;
		case 'b': port = atoi(optarg); break;
		default: goto usage;
		}
	}
	if (!confdir || !service || !user || optind != argc - 1)
		goto usage;
	rc = pam_start_confdir(service, user, &conv, confdir, &ph);
	if (rc != PAM_SUCCESS) {
		fprintf(stderr, "faults_pam: pam_start_confdir: %d\n", rc);
		return 2;
	}
	rc = pam_authenticate(ph, 0);
	printf("auth %d\n", rc);
	fflush(stdout);
	status = system(argv[optind]);
	if (status != 0)
		fprintf(stderr, "faults_pam: command exited with status %d\n", status);
	if (port > 0 && (hole = black_hole(port)) < 0) {
		fprintf(stderr, "faults_pam: cannot listen on port %d: %s\n", port, strerror(errno));
		pam_end(ph, rc);
		return 2;
	}
	if (rc == PAM_SUCCESS) {
		t = now();
		acct = pam_acct_mgmt(ph, 0);
		secs = now() - t;
	}
	printf("acct %d\nacct_secs %.3f\n", acct, secs);
	pam_end(ph, acct == PAM_SUCCESS ? PAM_SUCCESS : rc);
	if (hole >= 0)
		close(hole);
	if (password)
		explicit_bzero(password, strlen(password));
	return 0;
usage:
	fprintf(stderr, "usage: faults_pam -D CONFDIR -s SERVICE -u USER -a PASSWORD [-b PORT] CMD\n");
	return 2;
}
