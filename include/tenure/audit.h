/* tenure — the hash-chained audit log.
 *
 * One JSON object per line.  Every line carries "seq" (1, 2, ...) and
 * "prev", the SHA-256 (hex) of the previous line's bytes without its newline
 * (64 zeros on the first line), so deleting, inserting or editing any line
 * breaks the chain at the next one.  Appends are one write(2) each on an
 * O_APPEND descriptor, fsync'ed, and serialised by a mutex inside the handle.
 *
 * The chain alone cannot show that its last lines were cut off by someone
 * who can write the file.  For that the writer publishes its head (the seq
 * and SHA-256 of its last line, tenure_audit_head) somewhere else -- the
 * system log, shipped to a collector -- and tenure_audit_verify_anchor
 * checks a file against such an anchor.
 */
#ifndef TENURE_AUDIT_H
#define TENURE_AUDIT_H

#include <stddef.h>

struct tenure_audit;

#define TENURE_AUDIT_LINE_MAX 65536

/* Open (create, mode 0600) and read the last line to continue the chain.
 * The handle holds an exclusive flock: while it is open, another open of
 * the same file fails with -EBUSY (one writer per chain). */
int tenure_audit_open(const char *path, struct tenure_audit **out, char *err, size_t errlen);
void tenure_audit_close(struct tenure_audit *a);

/* Append one record.  json_fields is the inside of a JSON object without
 * braces, e.g. "\"action\":\"intake\",\"id\":\"e1\"" (the caller escapes
 * values, e.g. with jansson); "ts", "seq" and "prev" are added in front.
 * Returns 0 or a negative errno. */
int tenure_audit_append(struct tenure_audit *a, const char *json_fields);

/* Batching: between hold and release, appends are written but not
 * fdatasync'ed one by one; release syncs them all at once. */
void tenure_audit_hold(struct tenure_audit *a);
void tenure_audit_release(struct tenure_audit *a);

/* Verify the chain of the file at path.  Returns 0 when intact (*lines =
 * number of lines), 1 when broken (*bad_line = first bad line, 1-based, and
 * a reason in err), or a negative errno (err says why). */
int tenure_audit_verify(const char *path, long *lines, long *bad_line, char *err, size_t errlen);

/* As tenure_audit_verify, and then against an anchor published earlier by
 * the writer: line anchor_seq must still be there with SHA-256 anchor_hash.
 * 1 with err saying the log was cut short (*bad_line = the first missing
 * line) or the anchored line differs. */
int tenure_audit_verify_anchor(const char *path, long anchor_seq, const char *anchor_hash,
			       long *lines, long *bad_line, char *err, size_t errlen);

/* The writer's head: seq of the last line (0 when empty) and its SHA-256
 * (64 zeros when empty). */
void tenure_audit_head(struct tenure_audit *a, long *seq, char hash[65]);

/* SHA-256 of buf as 64 hex digits + NUL into hex[65]. */
void tenure_sha256_hex(const void *buf, size_t len, char hex[65]);

#endif
