/* tenure — the lockout tally: failed logins per user (faillock's model).
 *
 * One file per user under `dir` (default /var/lib/tenure/tally, created
 * 0700; survives a reboot, unlike faillock's /run).  A file is a small
 * header followed by fixed-size records, at most TENURE_TALLY_MAX of them
 * (the oldest are dropped first).  Files are owned by the effective user
 * (root) with mode 0600, opened with O_CLOEXEC|O_NOFOLLOW, and every
 * read-modify-write happens under flock(LOCK_EX), so concurrent logins lose
 * no failure.  User names are checked before they become file names.
 *
 * Lock rule (as pam_faillock): with `latest` the time of the newest counted
 * failure, the failures counted are those newer than latest - fail_interval;
 * when there are at least `deny` of them the user is locked until latest +
 * unlock_time (unlock_time 0 = until an admin resets).  With deny_per_rhost
 * the same rule runs over the failures from one source (rhost), and locks
 * only that source.  An attempt refused because the user (or source) is
 * already locked is not counted, nor is a wrong password identical to one
 * already counted in the window: records carry an HMAC-SHA256 of the guess
 * under a per-host key (never the password itself).
 *
 * Functions return 0 or a negative errno; nothing here logs or knows PAM.
 */
#ifndef TENURE_TALLY_H
#define TENURE_TALLY_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct tenure_config;

#define TENURE_TALLY_MAX      1024  /* records kept per user (>= the largest deny) */
#define TENURE_TALLY_HASH_LEN 32    /* HMAC-SHA256 */
#define TENURE_TALLY_KEY_LEN  32
#define TENURE_TALLY_SRC_LEN  56
#define TENURE_TALLY_SVC_LEN  24

enum tenure_tally_flags {
	TENURE_TALLY_VALID = 1 << 0,  /* counts towards a lock */
	TENURE_TALLY_RHOST = 1 << 1,  /* source is a remote host */
	TENURE_TALLY_TTY   = 1 << 2,  /* source is a terminal */
	TENURE_TALLY_HASH  = 1 << 3,  /* hash holds a keyed hash of the guess */
};

/* One failure; 128 bytes on disk, host byte order. */
struct tenure_tally_rec {
	int64_t time;                           /* unix seconds */
	uint16_t flags;                         /* enum tenure_tally_flags */
	uint16_t reserved0;
	uint32_t reserved1;
	uint8_t hash[TENURE_TALLY_HASH_LEN];
	char source[TENURE_TALLY_SRC_LEN];      /* rhost or tty, NUL-terminated */
	char service[TENURE_TALLY_SVC_LEN];     /* PAM service, NUL-terminated */
};

/* A user's records in memory, oldest first. */
struct tenure_tally {
	size_t n;
	struct tenure_tally_rec rec[TENURE_TALLY_MAX];
};

/* The lock rule for one user (see tenure_lockout_policy). */
struct tenure_lockout {
	int deny;            /* 0 = never locked */
	int fail_interval;   /* seconds */
	int unlock_time;     /* seconds, 0 = admin only */
	int deny_per_rhost;  /* 0 = off */
};

struct tenure_lock_state {
	int failures;        /* failures counted now (all sources) */
	int rhost_failures;  /* of those, from the rhost asked about */
	int locked;          /* 1: refuse now */
	int by_rhost;        /* the lock is on the rhost asked about only */
	int64_t locked_until;/* unix seconds; 0 = until an admin resets */
	int64_t latest;      /* newest counted failure, 0 = none */
	char last_source[TENURE_TALLY_SRC_LEN];
	char last_service[TENURE_TALLY_SVC_LEN];
};

/* What tenure_tally_fail did with the attempt. */
enum tenure_tally_outcome {
	TENURE_TALLY_COUNTED   = 0,
	TENURE_TALLY_DUPLICATE = 1,  /* same guess already counted in the window */
	TENURE_TALLY_LOCKED    = 2,  /* already locked: not counted */
	TENURE_TALLY_OFF       = 3,  /* deny 0: nothing is recorded */
};

/* 1 when user is safe as a file name (1..255 bytes, no '/', no control
 * character, not starting with '.'), else 0. */
int tenure_tally_name_ok(const char *user);

/* The rule for a user from the config: root and admin_group members
 * (is_privileged) are locked only with even_deny_root, then with
 * root_unlock_time (-1 = unlock_time). */
void tenure_lockout_policy(const struct tenure_config *cfg, int is_privileged,
			   struct tenure_lockout *p);

/* A fresh, empty tally (heap: it is large).  NULL on ENOMEM. */
struct tenure_tally *tenure_tally_new(void);
void tenure_tally_free(struct tenure_tally *t);

/* Read user's records under a shared lock.  No file: 0 with none.  The
 * directory is not created. */
int tenure_tally_read(const char *dir, const char *user, struct tenure_tally *t);

/* Evaluate the lock rule at `now` for an attempt from rhost (NULL/"" = no
 * remote host: only the user-wide rule applies). */
void tenure_tally_eval(const struct tenure_tally *t, const struct tenure_lockout *p,
		       const char *rhost, int64_t now, struct tenure_lock_state *st);

/* Record a failure under an exclusive lock: unless the user or the source
 * is already locked, or the same keyed hash is already counted within
 * fail_interval, rec is appended (rec->flags gets TENURE_TALLY_VALID).
 * Creates the directory (0700) and the file (0600) when missing.  *outcome
 * says what happened; st (may be NULL) gets the state afterwards. */
int tenure_tally_fail(const char *dir, const char *user, const struct tenure_lockout *p,
		      const char *rhost, const struct tenure_tally_rec *rec, int64_t now,
		      int *outcome, struct tenure_lock_state *st);

/* Clear the user's failures (truncate under an exclusive lock).  No file: 0. */
int tenure_tally_reset(const char *dir, const char *user);

/* Call cb for each user that has a tally file, in directory order.  cb
 * returns non-zero to stop. */
int tenure_tally_list(const char *dir, int (*cb)(void *ctx, const char *user), void *ctx);

/* Fill a record's source/service (truncated, NUL-terminated) and time. */
void tenure_tally_rec_init(struct tenure_tally_rec *rec, int64_t now, const char *rhost,
			   const char *tty, const char *service);

/* The per-host HMAC key at path: read it, or create it (0600, random) when
 * missing.  Root-owned and not readable by others, else -EPERM.  Error text
 * in err. */
int tenure_tally_key_load(const char *path, unsigned char key[TENURE_TALLY_KEY_LEN],
			  char *err, size_t errlen);

/* HMAC-SHA256(key, user "\0" password) into out.  0, or -EIO. */
int tenure_tally_hash(const unsigned char key[TENURE_TALLY_KEY_LEN], const char *user,
		      const char *password, unsigned char out[TENURE_TALLY_HASH_LEN]);

#endif
