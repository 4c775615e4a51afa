/* tenure-syncd — start-up, signals, reload.
 *
 * A new-style daemon: foreground, logs to stderr, sd_notify(READY=1) once
 * the journal is open and the HTTP socket listens, SIGTERM exits cleanly
 * (the worker finishes the event in hand), SIGHUP reloads the config and
 * secrets and keeps the old ones if the new file is bad.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "syncd.h"

struct syncd S;

static void usage(FILE *f)
{
	fprintf(f, "usage: %s -c FILE [-d]\n"
		"  -c FILE  configuration (tenure.conf format, tenure-syncd keys)\n"
		"  -d       debug logging\n", SYNCD_PROG);
}

static void reload(void)
{
	char err[TENURE_ERRLEN];
	struct syncd_rt *nrt = NULL, *old;

	sd_notify(0, "RELOADING=1");
	if (rt_load(S.conf_path, &nrt, err, sizeof(err))) {
		tenure_log(&S.log, LOG_ERR, "reload refused, keeping the running config: %s", err);
		syncd_audit("reload", "result", "refused", "error", err, (const char *)NULL);
		sd_notify(0, "READY=1");
		return;
	}
	pthread_mutex_lock(&S.rt_lock);
	old = S.rt;
	nrt->gen = old->gen + 1;
	if (strcmp(old->cfg->listen, nrt->cfg->listen) ||
	    (old->cfg->tls_cert && nrt->cfg->tls_cert && strcmp(old->cfg->tls_cert, nrt->cfg->tls_cert)))
		tenure_log(&S.log, LOG_WARNING, "listen/tls changes take effect at restart");
	if (strcmp(old->cfg->journal, nrt->cfg->journal) ||
	    strcmp(old->cfg->audit_log, nrt->cfg->audit_log))
		tenure_log(&S.log, LOG_WARNING, "journal/audit_log changes take effect at restart");
	S.rt = nrt;
	pthread_mutex_unlock(&S.rt_lock);
	rt_put(old);
	syncd_wake_worker();
	tenure_log(&S.log, LOG_NOTICE, "reloaded %s", S.conf_path);
	syncd_audit("reload", "result", "ok", (const char *)NULL);
	sd_notify(0, "READY=1");
}

static int open_state(const struct tenure_config *cfg)
{
	char err[TENURE_ERRLEN];
	int rc;

	rc = tenure_journal_open(cfg->journal, 0, &S.journal);
	if (rc) {
		tenure_log(&S.log, LOG_ERR, "journal %s: cannot open: %s", cfg->journal,
			   strerror(-rc));
		return rc;
	}
	rc = tenure_audit_open(cfg->audit_log, &S.audit, err, sizeof(err));
	if (rc) {
		tenure_log(&S.log, LOG_ERR, "audit_log: %s", err);
		return rc;
	}
	return 0;
}

int main(int argc, char **argv)
{
	char err[TENURE_ERRLEN];
	sigset_t set;
	int opt, sig, rc = 1, debug = 0;

	S.log.fn = tenure_log_stderr;
	S.log.ctx = (void *)SYNCD_PROG;
	S.log.min_priority = LOG_INFO;
	while ((opt = getopt(argc, argv, "c:dh")) != -1) {
		switch (opt) {
		case 'c': S.conf_path = optarg; break;
		case 'd': debug = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!S.conf_path || optind != argc) {
		usage(stderr);
		return 2;
	}
	if (debug)
		S.log.min_priority = LOG_DEBUG;
	setvbuf(stderr, NULL, _IOLBF, 0);
	umask(077);
	pthread_mutex_init(&S.rt_lock, NULL);
	pthread_mutex_init(&S.wlock, NULL);
	pthread_cond_init(&S.wcond, NULL);
	S.started = syncd_now();
	if (rt_load(S.conf_path, &S.rt, err, sizeof(err))) {
		tenure_log(&S.log, LOG_ERR, "%s", err);
		return 1;
	}
	/* Every thread inherits this mask; only the main thread takes them. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (open_state(S.rt->cfg))
		goto out;
	syncd_audit("start", "config", S.conf_path, (const char *)NULL);
	if (worker_start() || spool_start())
		goto out;
	if (http_start(S.rt->cfg, err, sizeof(err))) {
		tenure_log(&S.log, LOG_ERR, "%s", err);
		goto stop;
	}
	sd_notify(0, "READY=1");
	tenure_log(&S.log, LOG_NOTICE, "ready journal=%s backlog=%ld", S.rt->cfg->journal,
		   atomic_load(&S.m.backlog));
	syncd_audit_anchor(1);
	for (;;) {
		struct syncd_rt *rt = rt_get();
		/* The audit head goes to the log every audit_anchor_interval
		 * seconds when it moved (0: after each record, in util.c). */
		struct timespec every = { .tv_sec = rt && rt->cfg->audit_anchor_interval > 0
							    ? rt->cfg->audit_anchor_interval
							    : 3600 };

		rt_put(rt);
		sig = sigtimedwait(&set, NULL, &every);
		if (sig < 0) {
			syncd_audit_anchor(0);
			continue;
		}
		if (sig == SIGHUP) {
			reload();
			continue;
		}
		if (sig == SIGTERM || sig == SIGINT)
			break;
	}
	sd_notify(0, "STOPPING=1");
	tenure_log(&S.log, LOG_NOTICE, "stopping");
	rc = 0;
	http_stop();
stop:
	atomic_store(&S.stop, 1);
	worker_join();
	spool_join();
	syncd_audit("stop", (const char *)NULL);
	syncd_audit_anchor(0);
out:
	tenure_journal_close(S.journal);
	tenure_audit_close(S.audit);
	rt_put(S.rt);
	return rc;
}
