/* tenure — logging through a sink the front end chooses.
 *
 * Core code does not log; it returns errors.  Front ends log through a sink:
 * pam_syslog inside PAM, syslog(LOG_AUTHPRIV) in the NSS module, stderr for
 * tenure-syncd and tenurectl.  Messages are key=value pairs so that a log
 * pipeline can parse them: `user=alice rhost=10.0.0.1 result=deny reason=locked`.
 */
#ifndef TENURE_LOG_H
#define TENURE_LOG_H

#include <stdarg.h>
#include <stddef.h>
#include <syslog.h>

typedef void (*tenure_log_fn)(void *ctx, int priority, const char *msg);

struct tenure_log {
	tenure_log_fn fn;
	void *ctx;
	int min_priority;         /* messages with priority > this are dropped */
};

/* Sinks. */
void tenure_log_stderr(void *ctx, int priority, const char *msg);   /* ctx: program name or NULL */
void tenure_log_syslog(void *ctx, int priority, const char *msg);   /* LOG_AUTHPRIV */

/* Format and send.  A NULL log or NULL fn drops the message. */
void tenure_log(const struct tenure_log *log, int priority, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void tenure_vlog(const struct tenure_log *log, int priority, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

/* Quote a value for key=value output: printable ASCII without spaces or
 * quotes passes; anything else is written "..." with \" \\ and \xNN escapes.
 * Always NUL-terminates; truncates with "..." past len. */
const char *tenure_log_quote(const char *value, char *buf, size_t len);

#endif
