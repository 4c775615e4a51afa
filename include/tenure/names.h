/* tenure — user and group name validation (nslcd's `validnames`). */
#ifndef TENURE_NAMES_H
#define TENURE_NAMES_H

#define TENURE_NAME_MAX 256   /* longest name accepted, bytes */

/* 1 when name is acceptable under pattern ("/regex/" or "/regex/i", POSIX
 * extended), 0 when not (also for empty, too long, invalid UTF-8 or a bad
 * pattern).  Thread-safe; the compiled pattern is cached. */
int tenure_name_valid(const char *pattern, const char *name);

#endif
