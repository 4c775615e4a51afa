/*
 * pam_login_bench -- time PAM auth round trips against a private stack.
 *
 *   pam_login_bench -D CONFDIR -s SERVICE -u USER -p PASSWORD [-n N] [-w WARMUP] [-H]
 *
 * Each round is what a login does: pam_start_confdir, pam_authenticate,
 * pam_end (so the module is loaded and unloaded every time, as in a fresh
 * sshd child).  With -H one handle is started once and each round is only
 * pam_authenticate: the module's own work (lookup, bind, tally).
 * Prints one line:
 *   SERVICE n=N ok=K p50_us=.. p90_us=.. p99_us=.. mean_us=.. max_us=..
 * Exit status 0 when every round succeeded, 1 otherwise, 64 for usage.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <security/pam_appl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench_samples.h"

static const char *password;

static int converse(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
	struct pam_response *r = calloc((size_t)n, sizeof(*r));

	if (!r)
		return PAM_BUF_ERR;
	for (int i = 0; i < n; i++) {
		if (msg[i]->msg_style == PAM_PROMPT_ECHO_OFF || msg[i]->msg_style == PAM_PROMPT_ECHO_ON)
			r[i].resp = strdup(password);
	}
	*resp = r;
	return PAM_SUCCESS;
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static pam_handle_t *held;   /* -H */

static int round_trip(const char *confdir, const char *service, const char *user)
{
	struct pam_conv conv = { converse, NULL };
	pam_handle_t *ph = NULL;
	int rc;

	if (held)
		return pam_authenticate(held, PAM_SILENT);
	rc = pam_start_confdir(service, user, &conv, confdir, &ph);

	if (rc == PAM_SUCCESS)
		rc = pam_authenticate(ph, PAM_SILENT);
	if (ph)
		pam_end(ph, rc);
	return rc;
}

int main(int argc, char **argv)
{
	const char *confdir = NULL, *service = NULL, *user = NULL;
	int n = 1000, warm = 20, c, ok = 0, last = PAM_SUCCESS, hold = 0;
	double *t, sum = 0;

	while ((c = getopt(argc, argv, "D:s:u:p:n:w:H")) != -1) {
		switch (c) {
		case 'D': confdir = optarg; break;
		case 's': service = optarg; break;
		case 'u': user = optarg; break;
		case 'p': password = optarg; break;
		case 'n': n = atoi(optarg); break;
		case 'w': warm = atoi(optarg); break;
		case 'H': hold = 1; break;
		default: return 64;
		}
	}
	if (!confdir || !service || !user || !password || n < 1 || warm < 0) {
		fprintf(stderr, "usage: pam_login_bench -D CONFDIR -s SERVICE -u USER -p PASSWORD [-n N] [-w WARMUP]\n");
		return 64;
	}
	t = calloc((size_t)n, sizeof(*t));
	if (!t)
		return 1;
	if (hold) {
		static struct pam_conv conv = { converse, NULL };
		if (pam_start_confdir(service, user, &conv, confdir, &held) != PAM_SUCCESS)
			return 1;
	}
	for (int i = 0; i < warm; i++)
		round_trip(confdir, service, user);
	for (int i = 0; i < n; i++) {
		double t0 = now_us();
		int rc = round_trip(confdir, service, user);
		t[i] = now_us() - t0;
		sum += t[i];
		if (rc == PAM_SUCCESS)
			ok++;
		else
			last = rc;
	}
	bench_sort(t, n);
	bench_dump_samples(t, n, 1);
	printf("%s%s n=%d ok=%d p50_us=%.0f p90_us=%.0f p99_us=%.0f mean_us=%.0f max_us=%.0f%s%s\n",
	       service, hold ? " (one handle)" : "", n, ok, t[n / 2], t[(n * 90) / 100], t[(n * 99) / 100], sum / n, t[n - 1],
	       ok == n ? "" : " last_error=", ok == n ? "" : pam_strerror(NULL, last));
	free(t);
	if (held)
		pam_end(held, PAM_SUCCESS);
	return ok == n ? 0 : 1;
}
