/* tenure — secrets: wipe memory that held a password, key or token. */
#ifndef TENURE_SECRET_H
#define TENURE_SECRET_H

#include <stddef.h>

/* Overwrite len bytes at p with zeros in a way the compiler keeps. NULL ok. */
void secret_wipe(void *p, size_t len);

/* Wipe a NUL-terminated string and free it. NULL ok. */
void secret_free(char *s);

/* Wipe len bytes and free. NULL ok. */
void secret_freezero(void *p, size_t len);

/* strdup for secrets: the caller frees with secret_free(). */
char *secret_strdup(const char *s);

/* Constant-time comparison of two buffers of the same length: 0 if equal. */
int secret_memcmp(const void *a, const void *b, size_t len);

#endif
