/* tenure — password history: argon2id hashes in PHC string format.
 *
 * `remember N` keeps the last N passwords, the current one included; a new
 * password matching any of them is refused.  Entries are PHC strings
 * ($argon2id$v=19$m=M,t=T,p=1$salt$hash), oldest first.
 *
 * Local store: one file per user under history_dir (mode 0600 in a 0700
 * directory), one PHC string per line, replaced atomically (temp file,
 * fsync, rename, fsync of the directory) under an exclusive lock on
 * history_dir/.lock.  The LDAP store (the entry's tenurePasswordHistory
 * values) is handled by the PAM module, which owns the session.
 */
#ifndef TENURE_HISTORY_H
#define TENURE_HISTORY_H

#include <stddef.h>

#define TENURE_PHC_MAX   256    /* longest PHC string accepted */
#define TENURE_HIST_MAX  400    /* most entries kept (remember's maximum) */

/* Hash pw into a PHC string (m_cost KiB, t_cost passes, p=1, 16-byte
 * random salt, 32-byte tag).  0 or -errno. */
int tenure_history_hash(const char *pw, size_t len, int m_cost, int t_cost,
			char *out, size_t outlen);

/* 1 when pw matches the PHC string, 0 when not, -EINVAL for a string that
 * is not an argon2 PHC string. */
int tenure_history_verify(const char *phc, const char *pw, size_t len);

/* Index of the first entry pw matches, or -1 (entries NULL-terminated).
 * Entries are verified on up to two threads. */
int tenure_history_find(char *const *entries, const char *pw, size_t len);

/* The list after adding phc and keeping the last `keep` entries: a new
 * NULL-terminated array of copies (free with tenure_strv_free).  NULL on
 * ENOMEM. */
char **tenure_history_push(char *const *entries, const char *phc, int keep);

/* Local store.  user must be a validated name without '/'.  read gives an
 * empty list when the user has no file. */
int tenure_history_local_read(const char *dir, const char *user, char ***out);
int tenure_history_local_write(const char *dir, const char *user, char *const *entries);
/* read + push + write, all under the lock. */
int tenure_history_local_append(const char *dir, const char *user, const char *phc, int keep);

#endif
