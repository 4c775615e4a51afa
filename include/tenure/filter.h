/* tenure — breached-password filter.
 *
 * A cuckoo filter of 32-bit fingerprints in buckets of 4 slots (16 bytes),
 * memory-mapped read-only.  A lookup reads two buckets (two random reads);
 * the false-positive rate is at most 2*4/2^32 ~= 1.9e-9.  Keys are the
 * SHA-1 of the password, so a plain list ("password" per line) and the
 * Have-I-Been-Pwned download ("SHA1HEX:count" per line) give the same keys.
 *
 * File layout (little-endian):
 *   0  char[8]  "TNRCUCK1"
 *   8  u32      version (1)
 *  12  u32      fingerprint bits (32)
 *  16  u32      slots per bucket (4)
 *  20  u32      reserved (0)
 *  24  u64      buckets
 *  32  u64      items
 *  40  u8[24]   reserved (0)
 *  64  u32[buckets][4]
 */
#ifndef TENURE_FILTER_H
#define TENURE_FILTER_H

#include <stddef.h>
#include <stdint.h>

#define TENURE_SHA1_LEN 20

struct tenure_filter;
struct tenure_filter_builder;

/* Open and validate a filter file.  0 or -errno (-EINVAL: not a filter). */
int tenure_filter_open(const char *path, struct tenure_filter **out);
void tenure_filter_close(struct tenure_filter *f);
uint64_t tenure_filter_items(const struct tenure_filter *f);
size_t tenure_filter_bytes(const struct tenure_filter *f);

/* 1 when the key is (probably) listed, 0 when it certainly is not. */
int tenure_filter_contains_sha1(const struct tenure_filter *f, const unsigned char sha1[TENURE_SHA1_LEN]);
int tenure_filter_contains(const struct tenure_filter *f, const char *pw, size_t len);

/* SHA-1 of a password. */
void tenure_filter_sha1(const char *pw, size_t len, unsigned char out[TENURE_SHA1_LEN]);
/* Parse 40 hex digits (followed by NUL, ':' or white space). 0 or -EINVAL. */
int tenure_filter_parse_hex(const char *s, unsigned char out[TENURE_SHA1_LEN]);

/* Building: add keys, then write (duplicates are removed). */
int tenure_filter_builder_new(struct tenure_filter_builder **out);
int tenure_filter_builder_add(struct tenure_filter_builder *b, const unsigned char sha1[TENURE_SHA1_LEN]);
size_t tenure_filter_builder_count(const struct tenure_filter_builder *b);
/* Write to path atomically (temp + fsync + rename).  0 or -errno. */
int tenure_filter_builder_write(struct tenure_filter_builder *b, const char *path);
void tenure_filter_builder_free(struct tenure_filter_builder *b);

#endif
