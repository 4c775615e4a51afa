/* tenure-syncd — the one way into the journal. */
#include <errno.h>
#include <string.h>

#include "syncd.h"

void syncd_wake_worker(void)
{
	pthread_mutex_lock(&S.wlock);
	S.wake = 1;
	pthread_cond_signal(&S.wcond);
	pthread_mutex_unlock(&S.wlock);
}

/* Journal first, answer after: the caller acknowledges the sender only when
 * this returns 0 (new) or 1 (already journaled). */
int syncd_intake(struct tenure_event *ev)
{
	struct syncd_rt *rt = rt_get();
	int src = syncd_source_index(ev->source);
	long limit = rt->cfg->max_backlog;
	char q[160], u[160];
	int rc;

	rt_put(rt);
	if (atomic_load(&S.m.backlog) >= limit) {
		atomic_fetch_add(&S.m.rejected_503, 1);
		return -EAGAIN;
	}
	rc = tenure_journal_add(S.journal, ev);
	if (rc < 0) {
		atomic_fetch_add(&S.m.rejected_503, 1);   /* answered 503 by the caller */
		tenure_log(&S.log, LOG_ERR, "event=%s journal add failed: %s",
			   tenure_log_quote(ev->id, q, sizeof(q)), tenure_journal_error(S.journal));
		return rc;
	}
	if (rc == 1) {
		atomic_fetch_add(&S.m.duplicates[src], 1);
		tenure_log(&S.log, LOG_INFO, "event=%s source=%s result=duplicate",
			   tenure_log_quote(ev->id, q, sizeof(q)), ev->source);
		syncd_audit_event("duplicate", ev, NULL);
		return 1;
	}
	atomic_fetch_add(&S.m.received[src], 1);
	atomic_fetch_add(&S.m.backlog, 1);
	tenure_log(&S.log, LOG_INFO, "event=%s source=%s type=%s user=%s result=journaled",
		   tenure_log_quote(ev->id, q, sizeof(q)), ev->source, tenure_ev_type_name(ev->type),
		   tenure_log_quote(ev->user[0] ? ev->user : ev->employee_id, u, sizeof(u)));
	syncd_audit_event("intake", ev, NULL);
	syncd_wake_worker();
	return 0;
}
