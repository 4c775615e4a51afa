/* tenure-syncd — internal declarations shared by the daemon's files.
 *
 *   main.c     start-up, signals (SIGTERM, SIGHUP reload), sd_notify
 *   intake.c   the one path every event takes into the journal + audit
 *   http.c     libmicrohttpd server, routing, /healthz, /metrics
 *   scim.c     SCIM 2.0 under /scim/v2
 *   webhook.c  POST /v1/events with HMAC signatures
 *   spool.c    CSV drop folder (inotify)
 *   worker.c   applies journaled events to LDAP
 *   util.c     time, random ids, secrets lists, LDAP sessions per thread
 */
#ifndef TENURE_SYNCD_H
#define TENURE_SYNCD_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "tenure/audit.h"
#include "tenure/config.h"
#include "tenure/journal.h"
#include "tenure/ldap.h"
#include "tenure/log.h"

#define SYNCD_PROG "tenure-syncd"

/* What a reload swaps: the config and the secrets read from its files.
 * Readers take a reference with rt_get() and drop it with rt_put(). */
struct syncd_rt {
	atomic_int refs;
	unsigned gen;                   /* increases with every reload */
	struct tenure_config *cfg;
	char **tokens;                  /* SCIM bearer tokens */
	size_t n_tokens;
	char **hmac;                    /* webhook secrets */
	size_t n_hmac;
};

enum { SRC_SCIM, SRC_WEBHOOK, SRC_CSV, SRC_OTHER, SRC_N };

#define HIST_N 12
extern const double syncd_hist_bounds[HIST_N];

struct syncd_metrics {
	atomic_long received[SRC_N];
	atomic_long duplicates[SRC_N];
	atomic_long applied[SRC_N];
	atomic_long failed[SRC_N];
	atomic_long dead;
	atomic_long backlog;            /* pending events */
	atomic_int ldap_up;
	atomic_long rejected_503;
	atomic_long hist[HIST_N + 1];   /* receipt -> applied, cumulative at output */
	_Atomic double hist_sum;
	atomic_long hist_count;
};

struct syncd {
	const char *conf_path;
	struct tenure_log log;
	pthread_mutex_t rt_lock;
	struct syncd_rt *rt;
	struct tenure_journal *journal;
	struct tenure_audit *audit;
	atomic_int tenure_schema;       /* 1 when the directory has tenureAccount */
	atomic_int stop;
	pthread_mutex_t wlock;          /* worker wake-up */
	pthread_cond_t wcond;
	int wake;
	struct syncd_metrics m;
	double started;
};

extern struct syncd S;

/* util.c */
double syncd_now(void);
void syncd_random_hex(char *buf, size_t nbytes);          /* buf: 2*nbytes+1 */
int syncd_parse_time(const char *s, int64_t *out);       /* RFC 3339 or YYYY-MM-DD */
int syncd_source_index(const char *source);
const char *syncd_source_name(int idx);
struct syncd_rt *rt_get(void);
void rt_put(struct syncd_rt *rt);
int rt_load(const char *path, struct syncd_rt **out, char *err, size_t errlen);
void rt_free(struct syncd_rt *rt);
/* The calling thread's LDAP session for the current config (service bind). */
struct tenure_ldap *syncd_ldap(struct syncd_rt *rt);
int syncd_valid_user(const char *s);
int syncd_valid_id(const char *s);
/* Append key/value pairs (NULL-terminated list of key, value) as JSON
 * fields to the audit log. */
void syncd_audit(const char *action, ...) __attribute__((sentinel));
void syncd_audit_event(const char *action, const struct tenure_event *ev, const char *detail);
/* Log the audit log's head ("audit head seq=N sha256=HASH"), the anchor
 * for `tenurectl audit verify --head`, when it moved since the last one
 * (or always, with force). */
void syncd_audit_anchor(int force);

/* intake.c: journal ev, audit it, wake the worker.  Returns 0 new, 1
 * duplicate id (already journaled), -EAGAIN backlog full, or an error. */
int syncd_intake(struct tenure_event *ev);
void syncd_wake_worker(void);

/* worker.c */
int worker_start(void);
void worker_join(void);

/* spool.c */
int spool_start(void);
void spool_join(void);

/* http.c */
struct reply {
	int status;
	char *body;                     /* malloc'ed, may be NULL */
	const char *ctype;
	char location[512];
};
struct request {
	const char *method;
	const char *path;               /* URL path without query */
	void *conn;                     /* struct MHD_Connection * */
	const char *body;
	size_t body_len;
};
const char *req_header(const struct request *rq, const char *name);
const char *req_query(const struct request *rq, const char *name);
void reply_text(struct reply *r, int status, const char *ctype, const char *text);
int http_start(const struct tenure_config *cfg, char *err, size_t errlen);
void http_stop(void);

/* scim.c, webhook.c */
void scim_handle(const struct request *rq, struct reply *r);
void webhook_handle(const struct request *rq, struct reply *r);

#endif
