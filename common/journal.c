/* tenure — the event journal: SQLite in WAL mode with synchronous=FULL.
 *
 * One table of events, never pruned by the daemon (an admin may archive old
 * applied rows with sqlite3), and one table of released CSV files.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "tenure/journal.h"

struct tenure_journal {
	sqlite3 *db;
	pthread_mutex_t lock;
	char err[256];
};

static const char *const schema_sql =
	"CREATE TABLE IF NOT EXISTS events ("
	" seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	" id TEXT NOT NULL UNIQUE,"
	" source TEXT NOT NULL,"
	" type INTEGER NOT NULL,"
	" user TEXT NOT NULL DEFAULT '',"
	" employee_id TEXT NOT NULL DEFAULT '',"
	" ukey TEXT NOT NULL,"
	" effective INTEGER NOT NULL DEFAULT 0,"
	" reason TEXT NOT NULL DEFAULT '',"
	" received REAL NOT NULL,"
	" state INTEGER NOT NULL DEFAULT 0,"
	" attempts INTEGER NOT NULL DEFAULT 0,"
	" next_try REAL NOT NULL,"
	" applied REAL NOT NULL DEFAULT 0,"
	" prewritten INTEGER NOT NULL DEFAULT 0,"
	" dn TEXT NOT NULL DEFAULT '',"
	" last_error TEXT NOT NULL DEFAULT '',"
	" prev TEXT NOT NULL DEFAULT '');"
	"CREATE INDEX IF NOT EXISTS events_pending ON events(state, next_try);"
	"CREATE INDEX IF NOT EXISTS events_ukey ON events(ukey, state, seq);"
	"CREATE INDEX IF NOT EXISTS events_dn ON events(dn, type, seq);"
	"CREATE TABLE IF NOT EXISTS releases ("
	" sha256 TEXT PRIMARY KEY, name TEXT NOT NULL, released REAL NOT NULL);";

#define EV_COLS "seq, id, source, type, user, employee_id, effective, reason, received," \
		" state, attempts, next_try, applied, prewritten, dn, last_error, prev"

static double now_real(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int db_err(struct tenure_journal *j, const char *what)
{
	snprintf(j->err, sizeof(j->err), "%s: %s", what, sqlite3_errmsg(j->db));
	return -EIO;
}

const char *tenure_journal_error(const struct tenure_journal *j)
{
	return j ? j->err : "no journal";
}

static const char *const type_names[] = { "", "leaver", "rehire" };
static const char *const state_names[] = { "pending", "applied", "dead", "failed", "cancelled" };

const char *tenure_ev_type_name(int type)
{
	return type == TENURE_EV_LEAVER || type == TENURE_EV_REHIRE ? type_names[type] : "?";
}

int tenure_ev_type_parse(const char *s)
{
	if (!s)
		return -1;
	if (!strcasecmp(s, "leaver") || !strcasecmp(s, "disable") || !strcasecmp(s, "terminate"))
		return TENURE_EV_LEAVER;
	if (!strcasecmp(s, "rehire") || !strcasecmp(s, "enable"))
		return TENURE_EV_REHIRE;
	return -1;
}

const char *tenure_ev_state_name(int state)
{
	return state >= 0 && state <= TENURE_ST_CANCELLED ? state_names[state] : "?";
}

int tenure_ev_state_parse(const char *s)
{
	for (int i = 0; s && i <= TENURE_ST_CANCELLED; i++)
		if (!strcmp(s, state_names[i]))
			return i;
	return -1;
}

static int exec_sql(struct tenure_journal *j, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(j->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(j->err, sizeof(j->err), "%s", msg ? msg : sqlite3_errmsg(j->db));
		sqlite3_free(msg);
		return -EIO;
	}
	return 0;
}

int tenure_journal_open(const char *path, unsigned flags, struct tenure_journal **out)
{
	struct tenure_journal *j = calloc(1, sizeof(*j));
	int rdonly = flags & TENURE_JOURNAL_RDONLY;
	int oflags = rdonly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
	int rc;

	if (!j)
		return -ENOMEM;
	{
		pthread_mutexattr_t ma;
		pthread_mutexattr_init(&ma);
		pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_RECURSIVE);
		pthread_mutex_init(&j->lock, &ma);
		pthread_mutexattr_destroy(&ma);
	}
	if (sqlite3_open_v2(path, &j->db, oflags | SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK) {
		rc = sqlite3_errcode(j->db) == SQLITE_CANTOPEN ? -ENOENT : -EIO;
		goto err;
	}
	sqlite3_busy_timeout(j->db, 10000);
	if (!rdonly) {
		/* The journal holds HR data: owner only. */
		chmod(path, 0600);
		rc = exec_sql(j, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;");
		if (!rc)
			rc = exec_sql(j, schema_sql);
		if (rc)
			goto err;
	} else {
		rc = exec_sql(j, "SELECT 1 FROM events LIMIT 1;");
		if (rc)
			goto err;
	}
	*out = j;
	return 0;
err:
	if (j->db && !j->err[0])
		snprintf(j->err, sizeof(j->err), "%s", sqlite3_errmsg(j->db));
	/* The caller gets no handle, so the message goes to stderr-free errno. */
	sqlite3_close(j->db);
	pthread_mutex_destroy(&j->lock);
	free(j);
	return rc ? rc : -EIO;
}

void tenure_journal_close(struct tenure_journal *j)
{
	if (!j)
		return;
	sqlite3_close(j->db);
	pthread_mutex_destroy(&j->lock);
	free(j);
}

static void copy_col(sqlite3_stmt *st, int col, char *buf, size_t len)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	snprintf(buf, len, "%s", t ? (const char *)t : "");
}

static void row_to_event(sqlite3_stmt *st, struct tenure_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->seq = sqlite3_column_int64(st, 0);
	copy_col(st, 1, ev->id, sizeof(ev->id));
	copy_col(st, 2, ev->source, sizeof(ev->source));
	ev->type = sqlite3_column_int(st, 3);
	copy_col(st, 4, ev->user, sizeof(ev->user));
	copy_col(st, 5, ev->employee_id, sizeof(ev->employee_id));
	ev->effective = sqlite3_column_int64(st, 6);
	copy_col(st, 7, ev->reason, sizeof(ev->reason));
	ev->received = sqlite3_column_double(st, 8);
	ev->state = sqlite3_column_int(st, 9);
	ev->attempts = sqlite3_column_int(st, 10);
	ev->next_try = sqlite3_column_double(st, 11);
	ev->applied = sqlite3_column_double(st, 12);
	ev->prewritten = sqlite3_column_int(st, 13);
	copy_col(st, 14, ev->dn, sizeof(ev->dn));
	copy_col(st, 15, ev->last_error, sizeof(ev->last_error));
	copy_col(st, 16, ev->prev, sizeof(ev->prev));
}

/* Prepare under the lock; the caller finalizes. */
static int prep(struct tenure_journal *j, const char *sql, sqlite3_stmt **st)
{
	if (sqlite3_prepare_v2(j->db, sql, -1, st, NULL) != SQLITE_OK)
		return db_err(j, "prepare");
	return 0;
}

static void ukey_of(const struct tenure_event *ev, char *buf, size_t len)
{
	if (ev->user[0])
		snprintf(buf, len, "%s", ev->user);
	else
		snprintf(buf, len, "emp:%s", ev->employee_id);
}

int tenure_journal_add(struct tenure_journal *j, struct tenure_event *ev)
{
	static const char sql[] =
		"INSERT INTO events (id, source, type, user, employee_id, ukey, effective,"
		" reason, received, next_try) VALUES (?,?,?,?,?,?,?,?,?,?)"
		" ON CONFLICT(id) DO NOTHING";
	sqlite3_stmt *st = NULL;
	char ukey[TENURE_EV_USER_MAX + 8];
	double next;
	int rc;

	if (!ev->id[0] || (!ev->user[0] && !ev->employee_id[0]))
		return -EINVAL;
	if (ev->received == 0)
		ev->received = now_real();
	next = ev->effective > ev->received ? (double)ev->effective : ev->received;
	ukey_of(ev, ukey, sizeof(ukey));
	pthread_mutex_lock(&j->lock);
	rc = prep(j, sql, &st);
	if (rc)
		goto out;
	sqlite3_bind_text(st, 1, ev->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, ev->source, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, ev->type);
	sqlite3_bind_text(st, 4, ev->user, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, ev->employee_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, ukey, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, ev->effective);
	sqlite3_bind_text(st, 8, ev->reason, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 9, ev->received);
	sqlite3_bind_double(st, 10, next);
	if (sqlite3_step(st) != SQLITE_DONE) {
		rc = db_err(j, "insert");
		goto out;
	}
	if (sqlite3_changes(j->db) == 0) {
		rc = 1;
		goto out;
	}
	ev->seq = sqlite3_last_insert_rowid(j->db);
	ev->state = TENURE_ST_PENDING;
	ev->next_try = next;
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&j->lock);
	return rc;
}

/* Run a query returning events; the first row goes to *ev (when ev). */
static int query_one(struct tenure_journal *j, const char *sql, double d, const char *s,
		     struct tenure_event *ev)
{
	sqlite3_stmt *st = NULL;
	int rc, step;

	pthread_mutex_lock(&j->lock);
	rc = prep(j, sql, &st);
	if (rc)
		goto out;
	if (s)
		sqlite3_bind_text(st, 1, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_double(st, 1, d);
	step = sqlite3_step(st);
	if (step == SQLITE_ROW)
		row_to_event(st, ev);
	else if (step == SQLITE_DONE)
		rc = 1;
	else
		rc = db_err(j, "select");
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&j->lock);
	return rc;
}

int tenure_journal_next_due(struct tenure_journal *j, double now, struct tenure_event *ev)
{
	static const char sql[] =
		"SELECT " EV_COLS " FROM events e WHERE state = 0 AND next_try <= ?1"
		" AND NOT EXISTS (SELECT 1 FROM events p WHERE p.ukey = e.ukey AND p.state = 0"
		" AND p.seq < e.seq AND NOT (p.type = 1 AND p.effective > ?1)) ORDER BY next_try, seq LIMIT 1";

	return query_one(j, sql, now, NULL, ev);
}

int tenure_journal_next_due_batch(struct tenure_journal *j, double now,
				  struct tenure_event *evs, int max)
{
	static const char sql[] =
		"SELECT " EV_COLS " FROM events e WHERE state = 0 AND next_try <= ?1"
		" AND NOT EXISTS (SELECT 1 FROM events p WHERE p.ukey = e.ukey AND p.state = 0"
		" AND p.seq < e.seq AND NOT (p.type = 1 AND p.effective > ?1)) ORDER BY next_try, seq LIMIT ?2";
	sqlite3_stmt *st = NULL;
	int rc, n = 0, step = SQLITE_DONE;

	pthread_mutex_lock(&j->lock);
	rc = prep(j, sql, &st);
	if (rc)
		goto out;
	sqlite3_bind_double(st, 1, now);
	sqlite3_bind_int(st, 2, max);
	while (n < max && (step = sqlite3_step(st)) == SQLITE_ROW)
		row_to_event(st, &evs[n++]);
	if (n < max && step != SQLITE_DONE)
		rc = db_err(j, "select");
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&j->lock);
	return rc ? rc : n;
}

int tenure_journal_begin(struct tenure_journal *j)
{
	int rc;

	pthread_mutex_lock(&j->lock);
	rc = exec_sql(j, "BEGIN IMMEDIATE");
	if (rc)
		pthread_mutex_unlock(&j->lock);
	return rc;
}

int tenure_journal_commit(struct tenure_journal *j)
{
	int rc = exec_sql(j, "COMMIT");

	/* A failed COMMIT (disk full) may have rolled back already: roll back
	 * only what is still open, so the error text stays the real cause. */
	if (rc && !sqlite3_get_autocommit(j->db))
		exec_sql(j, "ROLLBACK");
	pthread_mutex_unlock(&j->lock);
	return rc;
}

int tenure_journal_next_prewrite(struct tenure_journal *j, double now, struct tenure_event *ev)
{
	static const char sql[] =
		"SELECT " EV_COLS " FROM events WHERE state = 0 AND type = 1 AND prewritten = 0"
		" AND effective > ?1 AND attempts < 3 ORDER BY seq LIMIT 1";

	return query_one(j, sql, now, NULL, ev);
}

int tenure_journal_get(struct tenure_journal *j, const char *id, struct tenure_event *ev)
{
	static const char sql[] = "SELECT " EV_COLS " FROM events WHERE id = ?1";
	int rc = query_one(j, sql, 0, id, ev);

	return rc == 1 ? -ENOENT : rc;
}

int tenure_journal_next_wakeup(struct tenure_journal *j, double *when)
{
	sqlite3_stmt *st = NULL;
	int rc;

	pthread_mutex_lock(&j->lock);
	rc = prep(j, "SELECT min(next_try) FROM events WHERE state = 0", &st);
	if (rc)
		goto out;
	if (sqlite3_step(st) != SQLITE_ROW) {
		rc = db_err(j, "select");
		goto out;
	}
	if (sqlite3_column_type(st, 0) == SQLITE_NULL)
		rc = 1;
	else
		*when = sqlite3_column_double(st, 0);
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&j->lock);
	return rc;
}

/* UPDATE with up to three text/double parameters described by fmt:
 * 't' text, 'd' double, 'i' int64. */
static int update(struct tenure_journal *j, const char *sql, const char *fmt, ...)
{
	sqlite3_stmt *st = NULL;
	va_list ap;
	int rc;

	pthread_mutex_lock(&j->lock);
	rc = prep(j, sql, &st);
	if (rc)
		goto out;
	va_start(ap, fmt);
	for (int i = 0; fmt[i]; i++) {
		if (fmt[i] == 't') {
			const char *s = va_arg(ap, const char *);
			sqlite3_bind_text(st, i + 1, s ? s : "", -1, SQLITE_TRANSIENT);
		} else if (fmt[i] == 'd') {
			sqlite3_bind_double(st, i + 1, va_arg(ap, double));
		} else {
			sqlite3_bind_int64(st, i + 1, va_arg(ap, int64_t));
		}
	}
	va_end(ap);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = db_err(j, "update");
	else if (sqlite3_changes(j->db) == 0)
		rc = -ENOENT;
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&j->lock);
	return rc;
}

int tenure_journal_mark_applied(struct tenure_journal *j, int64_t seq, const char *dn, double when)
{
	return update(j, "UPDATE events SET state = 1, dn = ?1, applied = ?2, last_error = ''"
		      " WHERE seq = ?3", "tdi", dn, when, seq);
}

int tenure_journal_mark_dead(struct tenure_journal *j, int64_t seq, const char *error)
{
	return update(j, "UPDATE events SET state = 2, attempts = attempts + 1, last_error = ?1"
		      " WHERE seq = ?2", "ti", error, seq);
}

int tenure_journal_mark_failed(struct tenure_journal *j, int64_t seq, const char *error)
{
	return update(j, "UPDATE events SET state = 3, attempts = attempts + 1, last_error = ?1"
		      " WHERE seq = ?2", "ti", error, seq);
}

int tenure_journal_defer(struct tenure_journal *j, int64_t seq, double next_try, const char *error,
			 int count_attempt)
{
	return update(j, "UPDATE events SET attempts = attempts + ?1, next_try = ?2,"
		      " last_error = ?3 WHERE seq = ?4", "idti", (int64_t)(count_attempt != 0),
		      next_try, error, seq);
}

int tenure_journal_save_prev(struct tenure_journal *j, int64_t seq, const char *dn,
			     const char *prev_json, int prewritten)
{
	return update(j, "UPDATE events SET dn = ?1,"
		      " prev = CASE WHEN prev = '' THEN ?2 ELSE prev END,"
		      " prewritten = max(prewritten, ?3) WHERE seq = ?4",
		      "ttii", dn, prev_json, (int64_t)prewritten, seq);
}

int tenure_journal_cancel_scheduled(struct tenure_journal *j, const struct tenure_event *rehire,
				    const char *dn, double now)
{
	char ukey[TENURE_EV_USER_MAX + 8], why[TENURE_EV_ID_MAX + 32];
	int rc;

	ukey_of(rehire, ukey, sizeof(ukey));
	snprintf(why, sizeof(why), "cancelled by rehire %s", rehire->id);
	pthread_mutex_lock(&j->lock);
	rc = update(j, "UPDATE events SET state = 4, last_error = ?1 WHERE state = 0 AND type = 1"
		    " AND seq < ?2 AND effective > ?3 AND (ukey = ?4 OR (dn != '' AND dn = ?5))",
		    "tidtt", why, rehire->seq, now, ukey, dn);
	if (rc == 0)
		rc = sqlite3_changes(j->db);
	else if (rc == -ENOENT)
		rc = 0;
	pthread_mutex_unlock(&j->lock);
	return rc;
}

int tenure_journal_retry(struct tenure_journal *j, const char *id)
{
	return update(j, "UPDATE events SET state = 0, attempts = 0, next_try = ?1,"
		      " last_error = '' WHERE id = ?2 AND state IN (2, 3)",
		      "dt", now_real(), id);
}

int tenure_journal_last_leaver_prev(struct tenure_journal *j, const char *dn,
				    int64_t before_seq, char *buf, size_t len)
{
	static const char sql[] =
		"SELECT prev FROM events WHERE dn = ?1 AND type = 1 AND prev != '' AND seq < ?2"
		" AND seq > coalesce((SELECT max(seq) FROM events WHERE dn = ?1 AND type = 2"
		" AND state = 1 AND seq < ?2), 0) ORDER BY seq LIMIT 1";
	sqlite3_stmt *st = NULL;
	int rc, step;

	pthread_mutex_lock(&j->lock);
	rc = prep(j, sql, &st);
	if (rc)
		goto out;
	sqlite3_bind_text(st, 1, dn, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, before_seq);
	step = sqlite3_step(st);
	if (step == SQLITE_ROW)
		copy_col(st, 0, buf, len);
	else if (step == SQLITE_DONE)
		rc = -ENOENT;
	else
		rc = db_err(j, "select");
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&j->lock);
	return rc;
}

int tenure_journal_list(struct tenure_journal *j, int state, int limit,
			tenure_journal_cb cb, void *ctx)
{
	sqlite3_stmt *st = NULL;
	struct tenure_event ev;
	int rc, step;

	pthread_mutex_lock(&j->lock);
	rc = prep(j, "SELECT " EV_COLS " FROM events WHERE (?1 < 0 OR state = ?1)"
		  " ORDER BY seq LIMIT ?2", &st);
	if (rc)
		goto out;
	sqlite3_bind_int(st, 1, state);
	sqlite3_bind_int(st, 2, limit > 0 ? limit : -1);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		row_to_event(st, &ev);
		if (cb(ctx, &ev))
			break;
	}
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		rc = db_err(j, "select");
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&j->lock);
	return rc;
}

int tenure_journal_count(struct tenure_journal *j, int state, long *out)
{
	sqlite3_stmt *st = NULL;
	int rc;

	pthread_mutex_lock(&j->lock);
	rc = prep(j, "SELECT count(*) FROM events WHERE (?1 < 0 OR state = ?1)", &st);
	if (rc)
		goto out;
	sqlite3_bind_int(st, 1, state);
	if (sqlite3_step(st) != SQLITE_ROW)
		rc = db_err(j, "count");
	else
		*out = (long)sqlite3_column_int64(st, 0);
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&j->lock);
	return rc;
}

int tenure_journal_release_add(struct tenure_journal *j, const char *sha256_hex, const char *name)
{
	int rc = update(j, "INSERT OR REPLACE INTO releases (sha256, name, released)"
			" VALUES (?1, ?2, ?3)", "ttd", sha256_hex, name, now_real());

	return rc == -ENOENT ? 0 : rc;
}

int tenure_journal_release_has(struct tenure_journal *j, const char *sha256_hex)
{
	sqlite3_stmt *st = NULL;
	int rc, step;

	pthread_mutex_lock(&j->lock);
	rc = prep(j, "SELECT 1 FROM releases WHERE sha256 = ?1", &st);
	if (rc)
		goto out;
	sqlite3_bind_text(st, 1, sha256_hex, -1, SQLITE_STATIC);
	step = sqlite3_step(st);
	if (step == SQLITE_ROW)
		rc = 1;
	else if (step != SQLITE_DONE)
		rc = db_err(j, "select");
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&j->lock);
	return rc;
}
