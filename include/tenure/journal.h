/* tenure — the event journal of tenure-syncd (SQLite, WAL, synchronous=FULL).
 *
 * Every lifecycle event (leaver, rehire) is committed here before the sender
 * is answered, so an acknowledged event survives a crash, kill -9 or power
 * loss.  Event ids are unique: adding an id that is already present is not
 * an error but reports a duplicate, which makes intake idempotent.
 *
 * States:
 *   pending   waiting to be applied (next_try says when; a future-dated
 *             leaver is pending with next_try = effective)
 *   applied   written to the directory (done; kept, never deleted)
 *   dead      the user does not exist in the directory (dead letter)
 *   failed    gave up after repeated errors other than "LDAP down"
 *   cancelled a future-dated leaver that a later rehire called off
 *
 * The worker takes events in order per user: an event is due only when no
 * earlier event for the same user key is still pending, future-dated
 * leavers excepted (a leaver "now" must not wait behind one dated next
 * month).
 *
 * A journal handle serialises its own calls (one mutex), so the HTTP
 * threads, the spool watcher and the worker may share it.  Functions return
 * 0 or a negative errno (-EIO for an SQLite error, text in
 * tenure_journal_error()).  Nothing here logs.
 */
#ifndef TENURE_JOURNAL_H
#define TENURE_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#define TENURE_EV_ID_MAX     128
#define TENURE_EV_USER_MAX   64
#define TENURE_EV_REASON_MAX 256
#define TENURE_EV_PREV_MAX   2048

enum tenure_ev_type { TENURE_EV_LEAVER = 1, TENURE_EV_REHIRE = 2 };

enum tenure_ev_state {
	TENURE_ST_PENDING = 0,
	TENURE_ST_APPLIED = 1,
	TENURE_ST_DEAD    = 2,
	TENURE_ST_FAILED  = 3,
	TENURE_ST_CANCELLED = 4,   /* a scheduled leaver overtaken by a rehire */
};

struct tenure_event {
	int64_t seq;                           /* journal order, set by add */
	char id[TENURE_EV_ID_MAX + 1];
	char source[16];                       /* "scim", "webhook", "csv", "ctl" */
	int type;                              /* enum tenure_ev_type */
	char user[TENURE_EV_USER_MAX + 1];     /* uid, may be empty */
	char employee_id[TENURE_EV_USER_MAX + 1];
	int64_t effective;                     /* unix seconds; 0 = now */
	char reason[TENURE_EV_REASON_MAX + 1];
	double received;                       /* unix seconds, set by add when 0 */
	int state;                             /* enum tenure_ev_state */
	int attempts;
	double next_try;
	double applied;                        /* unix seconds, 0 until applied */
	int prewritten;                        /* shadowExpire pre-written (future leaver) */
	char dn[512];                          /* entry the event was applied to */
	char last_error[256];
	char prev[TENURE_EV_PREV_MAX + 1];     /* JSON: previous values of the entry */
};

struct tenure_journal;

enum tenure_journal_flags { TENURE_JOURNAL_RDONLY = 1 << 0 };

int tenure_journal_open(const char *path, unsigned flags, struct tenure_journal **out);
void tenure_journal_close(struct tenure_journal *j);
const char *tenure_journal_error(const struct tenure_journal *j);

const char *tenure_ev_type_name(int type);
int tenure_ev_type_parse(const char *s);           /* -1 when unknown */
const char *tenure_ev_state_name(int state);
int tenure_ev_state_parse(const char *s);          /* -1 when unknown */

/* Commit ev (state pending, next_try = max(now, effective)).  Returns 0 when
 * added (ev->seq set), 1 when the id was already journaled (nothing
 * changed), or an error. */
int tenure_journal_add(struct tenure_journal *j, struct tenure_event *ev);

/* The first due event (pending, next_try <= now, no earlier pending event
 * for the same user): 0 with *ev filled, 1 when none is due. */
int tenure_journal_next_due(struct tenure_journal *j, double now, struct tenure_event *ev);

/* Up to max due events at once (each the first pending event of its user):
 * returns how many (0 = none) or an error. */
int tenure_journal_next_due_batch(struct tenure_journal *j, double now,
				  struct tenure_event *evs, int max);

/* Group the updates that follow into one transaction (one fsync): begin
 * holds the journal's lock until commit, so keep it short and never wait on
 * the network in between.  commit returns the result of COMMIT. */
int tenure_journal_begin(struct tenure_journal *j);
int tenure_journal_commit(struct tenure_journal *j);

/* The first future leaver whose shadowExpire has not been pre-written:
 * 0 with *ev, 1 when none. */
int tenure_journal_next_prewrite(struct tenure_journal *j, double now, struct tenure_event *ev);

/* Earliest next_try among pending events: 0 with *when, 1 when none. */
int tenure_journal_next_wakeup(struct tenure_journal *j, double *when);

/* Updates of one event by seq. */
int tenure_journal_mark_applied(struct tenure_journal *j, int64_t seq, const char *dn, double when);
int tenure_journal_mark_dead(struct tenure_journal *j, int64_t seq, const char *error);
int tenure_journal_mark_failed(struct tenure_journal *j, int64_t seq, const char *error);
/* Retry later; count_attempt 0 for "LDAP down" waits, which do not use up
 * the event's attempts. */
int tenure_journal_defer(struct tenure_journal *j, int64_t seq, double next_try, const char *error,
			 int count_attempt);
/* Save the entry's previous values (only the first time: an existing value
 * is kept so a retried leaver never overwrites the true originals). */
int tenure_journal_save_prev(struct tenure_journal *j, int64_t seq, const char *dn,
			     const char *prev_json, int prewritten);
/* A rehire was applied: cancel the earlier future-dated leavers of the same
 * user (by user key or entry DN).  Returns how many, or an error. */
int tenure_journal_cancel_scheduled(struct tenure_journal *j, const struct tenure_event *rehire,
				    const char *dn, double now);

/* Back to pending, due now (tenurectl events retry): 0, or -ENOENT. */
int tenure_journal_retry(struct tenure_journal *j, const char *id);

/* Lookups. */
int tenure_journal_get(struct tenure_journal *j, const char *id, struct tenure_event *ev); /* -ENOENT */
/* The state a rehire (at seq) restores: prev JSON saved by the first
 * leaver of entry dn since the last applied rehire, i.e. from before the
 * account was first disabled.  0 with buf, -ENOENT when none. */
int tenure_journal_last_leaver_prev(struct tenure_journal *j, const char *dn,
				    int64_t before_seq, char *buf, size_t len);

/* Iterate events (state -1 = all), oldest first, at most limit (0 = all).
 * The callback returns non-zero to stop. */
typedef int (*tenure_journal_cb)(void *ctx, const struct tenure_event *ev);
int tenure_journal_list(struct tenure_journal *j, int state, int limit,
			tenure_journal_cb cb, void *ctx);

/* Count of events in a state (state -1 = all). */
int tenure_journal_count(struct tenure_journal *j, int state, long *out);

/* Released CSV files: the SHA-256 (hex) of a held file an admin released,
 * so the spool watcher skips the mass-change check for exactly that
 * content. */
int tenure_journal_release_add(struct tenure_journal *j, const char *sha256_hex, const char *name);
int tenure_journal_release_has(struct tenure_journal *j, const char *sha256_hex); /* 1/0/err */

#endif
