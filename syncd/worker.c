/* tenure-syncd — the worker: applies journaled events to LDAP, one at a
 * time, in journal order per user.
 *
 * Leaver = one modify: shadowExpire 1, pwdAccountLockedTime 000001010000Z,
 * and where the directory has the tenure schema tenureDisabledAt,
 * tenureDisabledReason, tenureLastEvent (+ objectClass tenureAccount); with
 * set_nsaccountlock also nsAccountLock TRUE.  The previous values are saved
 * in the journal first, so a rehire restores exactly them.  tenureLastEvent
 * makes a replay after a crash a no-op.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <jansson.h>

#include "syncd.h"

#define MAX_ATTEMPTS 8
#define BATCH 64
#define LOCKED_FOREVER "000001010000Z"

static pthread_t worker_thread;
static double backoff;             /* current LDAP-down back-off, seconds */

static double dmin(double a, double b)
{
	return a < b ? a : b;
}

/* Attributes a leaver changes and a rehire restores. */
static const char *const state_attrs[] = {
	"shadowExpire", "pwdAccountLockedTime", "tenureDisabledAt", "tenureDisabledReason",
	"nsAccountLock", NULL,
};

struct entry {
	char dn[512];
	char **vals[6];            /* per state_attrs */
	int has_class;             /* objectClass tenureAccount present */
	int has_event;             /* tenureLastEvent holds this event id */
	long shadow_expire;        /* -1 when absent */
};

static void entry_free(struct entry *e)
{
	for (int i = 0; state_attrs[i]; i++)
		tenure_strv_free(e->vals[i]);
	memset(e, 0, sizeof(*e));
}

static int ldap_down(int rc)
{
	return rc == -EHOSTUNREACH || rc == -ETIMEDOUT || rc == -ECONNREFUSED || rc == -ENOMEM;
}

/* Find the entry of ev's user and read its state. 0, -ENOENT, -EEXIST
 * (ambiguous) or an LDAP error. */
static int read_entry(struct tenure_ldap *ld, const struct tenure_config *cfg,
		      const struct tenure_event *ev, struct entry *e)
{
	const char *attrs[] = { "shadowExpire", "pwdAccountLockedTime", "tenureDisabledAt",
				"tenureDisabledReason", "nsAccountLock", "tenureLastEvent",
				"objectClass", NULL };
	struct tenure_ldap_res *res = NULL;
	tenure_ldap_entry *le;
	char esc[3 * TENURE_EV_USER_MAX + 1], filter[1024];
	char **v = NULL;
	int rc;

	memset(e, 0, sizeof(*e));
	e->shadow_expire = -1;
	rc = tenure_ldap_escape(ev->user[0] ? ev->user : ev->employee_id, esc, sizeof(esc));
	if (rc)
		return rc;
	snprintf(filter, sizeof(filter), "(&%s(%s=%s))",
		 cfg->filter_passwd ? cfg->filter_passwd : "(objectClass=posixAccount)",
		 ev->user[0] ? "uid" : "employeeNumber", esc);
	rc = tenure_ldap_search(ld, cfg->base_passwd ? cfg->base_passwd : cfg->base,
				LDAP_SCOPE_SUBTREE, filter, attrs, 2, &res);
	if (rc)
		goto out;
	if (tenure_ldap_res_count(res) == 0) {
		rc = -ENOENT;
		goto out;
	}
	if (tenure_ldap_res_count(res) > 1) {
		rc = -EEXIST;
		goto out;
	}
	le = tenure_ldap_first(res);
	rc = tenure_ldap_get_dn(res, le, e->dn, sizeof(e->dn));
	for (int i = 0; !rc && state_attrs[i]; i++)
		rc = tenure_ldap_get_strs(res, le, state_attrs[i], 16, 1024, &e->vals[i]);
	if (!rc)
		rc = tenure_ldap_get_strs(res, le, "objectClass", 64, 256, &v);
	for (size_t i = 0; !rc && v[i]; i++)
		if (!strcasecmp(v[i], "tenureAccount"))
			e->has_class = 1;
	tenure_strv_free(v);
	v = NULL;
	if (!rc)
		rc = tenure_ldap_get_strs(res, le, "tenureLastEvent", 100000, 256, &v);
	for (size_t i = 0; !rc && v[i]; i++)
		if (!strcmp(v[i], ev->id))
			e->has_event = 1;
	tenure_strv_free(v);
	if (!rc && e->vals[0][0])
		e->shadow_expire = strtol(e->vals[0][0], NULL, 10);
out:
	tenure_ldap_res_free(res);
	return rc;
}

static char *prev_json(const struct entry *e)
{
	json_t *o = json_object();
	char *s;

	for (int i = 0; state_attrs[i]; i++) {
		json_t *a = json_array();
		for (size_t k = 0; e->vals[i][k]; k++)
			json_array_append_new(a, json_string(e->vals[i][k]));
		json_object_set_new(o, state_attrs[i], a);
	}
	json_object_set_new(o, "tenureAccount", json_boolean(e->has_class));
	s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	return s;
}

/* A growing list of LDAPMod, freed in one go. */
struct mods {
	LDAPMod m[12];
	LDAPMod *p[13];
	char *v[12][17];
	int n;
};

static void mod_add(struct mods *ms, int op, const char *attr, const char *const *vals)
{
	LDAPMod *m = &ms->m[ms->n];
	int k = 0;

	m->mod_op = op;
	m->mod_type = (char *)attr;
	for (; vals && vals[k] && k < 16; k++)
		ms->v[ms->n][k] = (char *)vals[k];
	ms->v[ms->n][k] = NULL;
	m->mod_values = ms->v[ms->n];
	ms->p[ms->n] = m;
	ms->p[++ms->n] = NULL;
}

static void mod_one(struct mods *ms, int op, const char *attr, const char *val)
{
	const char *vals[2] = { val, NULL };

	mod_add(ms, op, attr, val ? vals : NULL);
}

static void gentime(double t, char *buf, size_t len)
{
	time_t s = (time_t)t;
	struct tm tm;

	gmtime_r(&s, &tm);
	strftime(buf, len, "%Y%m%d%H%M%SZ", &tm);
}

static void build_leaver(struct mods *ms, const struct tenure_config *cfg, int schema,
			 const struct entry *e, const struct tenure_event *ev,
			 char *now, char *reason)
{
	mod_one(ms, LDAP_MOD_REPLACE, "shadowExpire", "1");
	mod_one(ms, LDAP_MOD_REPLACE, "pwdAccountLockedTime", LOCKED_FOREVER);
	if (cfg->set_nsaccountlock)
		mod_one(ms, LDAP_MOD_REPLACE, "nsAccountLock", "TRUE");
	if (!schema)
		return;
	if (!e->has_class)
		mod_one(ms, LDAP_MOD_ADD, "objectClass", "tenureAccount");
	mod_one(ms, LDAP_MOD_REPLACE, "tenureDisabledAt", now);
	mod_one(ms, LDAP_MOD_REPLACE, "tenureDisabledReason", reason);
	mod_one(ms, LDAP_MOD_ADD, "tenureLastEvent", ev->id);
}

/* Restore what the last leaver of this entry saved; without a saved state,
 * clear the markers. */
static int build_rehire(struct mods *ms, const struct tenure_config *cfg, int schema,
			const struct entry *e, const struct tenure_event *ev, json_t *prev)
{
	for (int i = 0; state_attrs[i]; i++) {
		json_t *a = prev ? json_object_get(prev, state_attrs[i]) : NULL;
		const char *vals[17] = { NULL };
		size_t k;
		json_t *v;

		if (!strcmp(state_attrs[i], "nsAccountLock") && !cfg->set_nsaccountlock &&
		    !e->vals[i][0] && !(a && json_array_size(a)))
			continue;
		if (!schema && !strncmp(state_attrs[i], "tenure", 6))
			continue;
		json_array_foreach(a, k, v) {
			if (k < 16 && json_is_string(v))
				vals[k] = json_string_value(v);
		}
		if (!vals[0] && !e->vals[i][0])
			continue;          /* absent before and now */
		/* No saved state (never disabled by tenure): remove only tenure's
		 * own markers, keep e.g. a contract-end shadowExpire. */
		if (!prev && i == 0 && strcmp(e->vals[i][0], "1"))
			continue;
		if (!prev && i == 1 && strcmp(e->vals[i][0], LOCKED_FOREVER))
			continue;
		mod_add(ms, LDAP_MOD_REPLACE, state_attrs[i], vals);
	}
	if (schema) {
		if (!e->has_class)
			mod_one(ms, LDAP_MOD_ADD, "objectClass", "tenureAccount");
		mod_one(ms, LDAP_MOD_ADD, "tenureLastEvent", ev->id);
	}
	return 0;
}

static void observe_applied(const struct tenure_event *ev, double now)
{
	double base = ev->effective > ev->received ? (double)ev->effective : ev->received;
	double d = now - base;
	int i;

	if (d < 0)
		d = 0;
	for (i = 0; i < HIST_N && d > syncd_hist_bounds[i]; i++)
		;
	atomic_fetch_add(&S.m.hist[i], 1);
	atomic_fetch_add(&S.m.hist_count, 1);
	{
		double old = atomic_load(&S.m.hist_sum);
		while (!atomic_compare_exchange_weak(&S.m.hist_sum, &old, old + d))
			;
	}
}

static void done_applied(const struct tenure_event *ev, const char *dn, const char *detail)
{
	double now = syncd_now();
	char q[160];
	int rc = tenure_journal_mark_applied(S.journal, ev->seq, dn, now);

	if (rc)
		tenure_log(&S.log, LOG_ERR, "event=%s journal update failed: %s",
			   tenure_log_quote(ev->id, q, sizeof(q)), tenure_journal_error(S.journal));
	atomic_fetch_sub(&S.m.backlog, 1);
	atomic_fetch_add(&S.m.applied[syncd_source_index(ev->source)], 1);
	observe_applied(ev, now);
	tenure_log(&S.log, LOG_INFO, "event=%s type=%s dn=%s result=applied%s%s",
		   tenure_log_quote(ev->id, q, sizeof(q)), tenure_ev_type_name(ev->type), dn,
		   detail ? " note=" : "", detail ? detail : "");
	syncd_audit("apply", "id", ev->id, "type", tenure_ev_type_name(ev->type),
		    "dn", dn, "detail", detail ? detail : "", (const char *)NULL);
}

static double jittered(double base)
{
	unsigned r = 0;

	if (getrandom(&r, sizeof(r), 0) != sizeof(r))
		r = (unsigned)rand();
	/* "full jitter" on the upper half: [base/2, base] */
	return base / 2 + (base / 2) * (r / (double)UINT32_MAX);
}

/* LDAP is down (or refused): keep the event, retry later. */
static double retry_later(const struct tenure_config *cfg, const struct tenure_event *ev,
			  int rc, const char *err)
{
	double cap = cfg->reconnect_retrytime > 0 ? cfg->reconnect_retrytime : 30;
	double wait;
	char q[160];

	backoff = backoff == 0 ? 0.5 : dmin(backoff * 2, cap);
	wait = jittered(backoff);
	if (ev) {
		tenure_journal_defer(S.journal, ev->seq, syncd_now() + wait, err, !ldap_down(rc));
		tenure_log(&S.log, LOG_WARNING, "event=%s result=retry in=%.1fs reason=%s",
			   tenure_log_quote(ev->id, q, sizeof(q)), wait,
			   tenure_log_quote(err, q + 80, 80));
		syncd_audit("retry", "id", ev->id, "error", err, (const char *)NULL);
	}
	return wait;
}

static void give_up(const struct tenure_event *ev, int dead, const char *err)
{
	char q[160], u[160];

	if (dead) {
		tenure_journal_mark_dead(S.journal, ev->seq, err);
		atomic_fetch_add(&S.m.dead, 1);
	} else {
		tenure_journal_mark_failed(S.journal, ev->seq, err);
		atomic_fetch_add(&S.m.failed[syncd_source_index(ev->source)], 1);
	}
	atomic_fetch_sub(&S.m.backlog, 1);
	tenure_log(&S.log, LOG_ERR, "event=%s user=%s result=%s reason=%s",
		   tenure_log_quote(ev->id, q, sizeof(q)),
		   tenure_log_quote(ev->user[0] ? ev->user : ev->employee_id, u, sizeof(u)),
		   dead ? "dead_letter" : "failed",
		   tenure_log_quote(err, q + 80, 80));
	syncd_audit(dead ? "dead_letter" : "failed", "id", ev->id, "user", ev->user,
		    "employee_id", ev->employee_id, "error", err, (const char *)NULL);
}

/* One event of a batch and what became of it. */
enum { J_SKIP, J_TODO, J_ALREADY, J_DONE };

struct job {
	struct tenure_event ev;
	struct entry e;
	int state;
	char *pj;                  /* leaver: previous values as JSON */
	json_t *prev;              /* rehire: what the last leaver saved */
	struct mods ms;
	char now[32];
	char reason[TENURE_EV_REASON_MAX + 200];
};

/* An LDAP error for job j: back off (LDAP down) or count an attempt.
 * Returns the wait when LDAP is down, else 0. */
static double job_ldap_error(const struct tenure_config *cfg, struct tenure_ldap *ld,
			     struct job *j, int rc)
{
	char err[300];

	snprintf(err, sizeof(err), "%s", tenure_ldap_error(ld));
	j->state = J_SKIP;
	if (ldap_down(rc)) {
		atomic_store(&S.m.ldap_up, 0);
		return retry_later(cfg, &j->ev, rc, err);
	}
	if (j->ev.attempts + 1 >= MAX_ATTEMPTS)
		give_up(&j->ev, 0, err);
	else
		retry_later(cfg, &j->ev, rc, err);
	return 0;
}

/* Phase 1: read every entry; decide what each event needs. */
static double batch_read(const struct tenure_config *cfg, struct tenure_ldap *ld,
			 struct job *jobs, int n, int schema)
{
	for (int i = 0; i < n; i++) {
		struct job *j = &jobs[i];
		int rc = read_entry(ld, cfg, &j->ev, &j->e);

		if (rc == -ENOENT || rc == -EEXIST) {
			give_up(&j->ev, 1, rc == -ENOENT ? "no such user in the directory"
							 : "more than one entry matches");
			j->state = J_SKIP;
			continue;
		}
		if (rc) {
			double wait = job_ldap_error(cfg, ld, j, rc);
			if (wait > 0)
				return wait;   /* the rest stays pending, untouched */
			continue;
		}
		if (schema && j->e.has_event) {
			j->state = J_ALREADY;
			continue;
		}
		j->state = J_TODO;
		if (j->ev.type == TENURE_EV_LEAVER) {
			j->pj = prev_json(&j->e);
		} else {
			char buf[TENURE_EV_PREV_MAX + 1];
			if (tenure_journal_last_leaver_prev(S.journal, j->e.dn, j->ev.seq, buf,
							    sizeof(buf)) == 0)
				j->prev = json_loads(buf, 0, NULL);
		}
	}
	return 0;
}

/* Phase 2: the previous values of every leaver, durably, in one commit. */
static int batch_save_prev(struct job *jobs, int n)
{
	int rc = tenure_journal_begin(S.journal);

	for (int i = 0; !rc && i < n; i++)
		if (jobs[i].state == J_TODO && jobs[i].ev.type == TENURE_EV_LEAVER)
			rc = tenure_journal_save_prev(S.journal, jobs[i].ev.seq, jobs[i].e.dn,
						      jobs[i].pj ? jobs[i].pj : "", 0);
	if (rc == -ENOENT)
		rc = 0;
	if (!rc)
		return tenure_journal_commit(S.journal);
	tenure_journal_commit(S.journal);
	return rc;
}

/* Phase 3: one modify per entry. */
static double batch_modify(const struct tenure_config *cfg, struct tenure_ldap *ld,
			   struct job *jobs, int n, int schema)
{
	for (int i = 0; i < n; i++) {
		struct job *j = &jobs[i];
		int rc;

		if (j->state != J_TODO)
			continue;
		j->ms.n = 0;
		j->ms.p[0] = NULL;
		if (j->ev.type == TENURE_EV_LEAVER) {
			gentime(syncd_now(), j->now, sizeof(j->now));
			snprintf(j->reason, sizeof(j->reason), "leaver: %s (event %s, %s)",
				 j->ev.reason[0] ? j->ev.reason : "HR event", j->ev.id, j->ev.source);
			build_leaver(&j->ms, cfg, schema, &j->e, &j->ev, j->now, j->reason);
		} else {
			build_rehire(&j->ms, cfg, schema, &j->e, &j->ev, j->prev);
		}
		rc = j->ms.n ? tenure_ldap_modify(ld, j->e.dn, j->ms.p) : 0;
		if (rc) {
			double wait = job_ldap_error(cfg, ld, j, rc);
			if (wait > 0) {
				for (int k = i + 1; k < n; k++)
					if (jobs[k].state == J_TODO)
						jobs[k].state = J_SKIP;
				return wait;
			}
			continue;
		}
		j->state = J_DONE;
		backoff = 0;
		atomic_store(&S.m.ldap_up, 1);
	}
	return 0;
}

/* Apply a batch of due events (each the first pending one of its user).
 * Returns a wait in seconds when LDAP is down, else 0. */
static double apply_batch(struct syncd_rt *rt, struct tenure_ldap *ld, struct job *jobs, int n)
{
	const struct tenure_config *cfg = rt->cfg;
	int schema = atomic_load(&S.tenure_schema) == 1;
	double wait;
	int any = 0;

	wait = batch_read(cfg, ld, jobs, n, schema);
	if (batch_save_prev(jobs, n)) {
		char err[300];
		snprintf(err, sizeof(err), "journal: %s", tenure_journal_error(S.journal));
		for (int i = 0; i < n; i++)
			if (jobs[i].state == J_TODO) {
				wait = retry_later(cfg, &jobs[i].ev, -EIO, err);
				jobs[i].state = J_SKIP;
			}
	}
	if (wait == 0)
		wait = batch_modify(cfg, ld, jobs, n, schema);
	for (int i = 0; i < n; i++)
		any |= jobs[i].state == J_DONE || jobs[i].state == J_ALREADY;
	if (any) {
		int in_tx;

		tenure_audit_hold(S.audit);
		/* One transaction for the batch; if it cannot begin, each mark
		 * below still commits on its own (the begin released the lock). */
		in_tx = tenure_journal_begin(S.journal) == 0;
		if (!in_tx)
			tenure_log(&S.log, LOG_WARNING, "journal: cannot begin a transaction: %s; marking events one by one",
				   tenure_journal_error(S.journal));
		for (int i = 0; i < n; i++) {
			struct job *j = &jobs[i];
			int c;

			if (j->state != J_DONE && j->state != J_ALREADY)
				continue;
			done_applied(&j->ev, j->e.dn, j->state == J_ALREADY ? "already on the entry" : NULL);
			if (j->ev.type != TENURE_EV_REHIRE)
				continue;
			c = tenure_journal_cancel_scheduled(S.journal, &j->ev, j->e.dn, syncd_now());
			if (c > 0) {
				atomic_fetch_sub(&S.m.backlog, c);
				tenure_log(&S.log, LOG_INFO, "event=%s dn=%s cancelled_scheduled_leavers=%d",
					   j->ev.id, j->e.dn, c);
				syncd_audit("cancel", "id", j->ev.id, "dn", j->e.dn, (const char *)NULL);
			}
		}
		if (in_tx)
			tenure_journal_commit(S.journal);
		tenure_audit_release(S.audit);
	}
	for (int i = 0; i < n; i++) {
		json_decref(jobs[i].prev);
		free(jobs[i].pj);
		entry_free(&jobs[i].e);
		jobs[i].prev = NULL;
		jobs[i].pj = NULL;
	}
	return wait;
}

/* Future leaver: write shadowExpire = leaving day now, so the directory
 * enforces it even if the daemon is down then. */
static double prewrite(struct syncd_rt *rt, struct tenure_ldap *ld, struct tenure_event *ev)
{
	long day = (long)(ev->effective / 86400);
	struct mods ms = { .n = 0 };
	struct entry e;
	char days[32], q[160];
	char *pj = NULL;
	int rc;

	ms.p[0] = NULL;
	rc = read_entry(ld, rt->cfg, ev, &e);
	if (rc) {
		if (ldap_down(rc))
			return retry_later(rt->cfg, NULL, rc, "");
		/* unknown user: the due-time apply dead-letters it */
		tenure_journal_save_prev(S.journal, ev->seq, "", "", 1);
		goto out;
	}
	pj = prev_json(&e);
	rc = tenure_journal_save_prev(S.journal, ev->seq, e.dn, pj ? pj : "", 0);
	if (rc < 0)
		goto out;
	if (e.shadow_expire < 0 || e.shadow_expire > day) {
		snprintf(days, sizeof(days), "%ld", day);
		mod_one(&ms, LDAP_MOD_REPLACE, "shadowExpire", days);
		rc = tenure_ldap_modify(ld, e.dn, ms.p);
		if (rc) {
			if (ldap_down(rc))
				return retry_later(rt->cfg, NULL, rc, "");
			tenure_log(&S.log, LOG_WARNING, "event=%s result=prewrite_refused reason=%s",
				   tenure_log_quote(ev->id, q, sizeof(q)),
				   tenure_log_quote(tenure_ldap_error(ld), q + 80, 80));
		}
	}
	tenure_journal_save_prev(S.journal, ev->seq, e.dn, pj ? pj : "", 1);
	if (!rc) {
		tenure_log(&S.log, LOG_INFO, "event=%s dn=%s result=scheduled shadowExpire=%ld",
			   tenure_log_quote(ev->id, q, sizeof(q)), e.dn, day);
		syncd_audit("schedule", "id", ev->id, "dn", e.dn, (const char *)NULL);
	}
out:
	free(pj);
	entry_free(&e);
	return 0;
}

static void sleep_until(double deadline, int interruptible)
{
	struct timespec ts;

	pthread_mutex_lock(&S.wlock);
	while (!atomic_load(&S.stop) && !(interruptible && S.wake) && syncd_now() < deadline) {
		ts.tv_sec = (time_t)deadline;
		ts.tv_nsec = (long)((deadline - (double)ts.tv_sec) * 1e9);
		pthread_cond_timedwait(&S.wcond, &S.wlock, &ts);
	}
	S.wake = 0;
	pthread_mutex_unlock(&S.wlock);
}

static double detect_schema(struct syncd_rt *rt, struct tenure_ldap *ld, unsigned *seen_gen)
{
	int rc;

	if (*seen_gen == rt->gen && atomic_load(&S.tenure_schema) >= 0)
		return 0;
	rc = tenure_ldap_has_objectclass(ld, "tenureAccount");
	if (rc < 0) {
		atomic_store(&S.m.ldap_up, 0);
		return retry_later(rt->cfg, NULL, rc, "");
	}
	atomic_store(&S.tenure_schema, rc);
	atomic_store(&S.m.ldap_up, 1);
	*seen_gen = rt->gen;
	tenure_log(&S.log, LOG_INFO, "ldap=%s tenure_schema=%s", tenure_ldap_uri(ld),
		   rc ? "yes" : "no");
	return 0;
}

/* Backlog and dead letters from the journal itself, so that changes made by
 * `tenurectl events retry` (or by hand) show in /metrics. */
static void refresh_gauges(void)
{
	long n = 0;

	if (tenure_journal_count(S.journal, TENURE_ST_PENDING, &n) == 0)
		atomic_store(&S.m.backlog, n);
	if (tenure_journal_count(S.journal, TENURE_ST_DEAD, &n) == 0)
		atomic_store(&S.m.dead, n);
}

static void *worker_main(void *arg)
{
	unsigned seen_gen = (unsigned)-1;
	double last_refresh = 0;
	struct tenure_event ev;
	struct tenure_event *evbuf = calloc(BATCH, sizeof(*evbuf));
	struct job *jobs = calloc(BATCH, sizeof(*jobs));

	(void)arg;
	while (!atomic_load(&S.stop)) {
		struct syncd_rt *rt = rt_get();
		struct tenure_ldap *ld = syncd_ldap(rt);
		double wait = 0, now = syncd_now(), when;
		int rc;

		if (!ld || !evbuf || !jobs) {
			wait = 1;
			goto next;
		}
		wait = detect_schema(rt, ld, &seen_gen);
		if (wait > 0)
			goto next;
		if (tenure_journal_next_prewrite(S.journal, now, &ev) == 0) {
			wait = prewrite(rt, ld, &ev);
			goto next;
		}
		rc = tenure_journal_next_due_batch(S.journal, now, evbuf, BATCH);
		if (rc > 0) {
			for (int i = 0; i < rc; i++) {
				memset(&jobs[i], 0, sizeof(jobs[i]));
				jobs[i].ev = evbuf[i];
			}
			wait = apply_batch(rt, ld, jobs, rc);
			goto next;
		}
		if (now - last_refresh > 5) {
			refresh_gauges();
			last_refresh = now;
		}
		if (tenure_journal_next_wakeup(S.journal, &when) == 0 && when > now)
			wait = dmin(when - now, 1.0);
		else
			wait = 1.0;
		rt_put(rt);
		sleep_until(now + wait, 1);
		continue;
next:
		rt_put(rt);
		if (wait > 0)
			sleep_until(syncd_now() + wait, 0);
	}
	free(evbuf);
	free(jobs);
	return NULL;
}

int worker_start(void)
{
	atomic_store(&S.tenure_schema, -1);
	refresh_gauges();
	return -pthread_create(&worker_thread, NULL, worker_main, NULL);
}

void worker_join(void)
{
	syncd_wake_worker();
	pthread_join(worker_thread, NULL);
}
