/* tenure — log sinks and key=value formatting. */
#include "tenure/log.h"

#include <stdio.h>
#include <string.h>

void tenure_log_stderr(void *ctx, int priority, const char *msg)
{
	static const char *const names[] = {
		"emerg", "alert", "crit", "error", "warning", "notice", "info", "debug",
	};
	const char *prog = ctx;

	if (priority < 0 || priority > 7)
		priority = LOG_ERR;
	if (prog)
		fprintf(stderr, "%s: %s: %s\n", prog, names[priority], msg);
	else
		fprintf(stderr, "%s: %s\n", names[priority], msg);
}

void tenure_log_syslog(void *ctx, int priority, const char *msg)
{
	(void)ctx;
	syslog(LOG_AUTHPRIV | priority, "%s", msg);
}

void tenure_vlog(const struct tenure_log *log, int priority, const char *fmt, va_list ap)
{
	char msg[1024];

	if (!log || !log->fn || priority > log->min_priority)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	log->fn(log->ctx, priority, msg);
}

void tenure_log(const struct tenure_log *log, int priority, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tenure_vlog(log, priority, fmt, ap);
	va_end(ap);
}

const char *tenure_log_quote(const char *value, char *buf, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)(value ? value : "");
	size_t o = 0;
	int plain = *p != '\0';

	if (!len)
		return "";
	for (const unsigned char *q = p; *q; q++)
		if (*q <= 0x20 || *q >= 0x7f || *q == '"' || *q == '\\' || *q == '=')
			plain = 0;
	if (plain) {
		snprintf(buf, len, "%s", (const char *)p);
		if (strlen((const char *)p) >= len && len > 4)
			memcpy(buf + len - 4, "...", 4);
		return buf;
	}
	if (len < 8) {
		buf[0] = '\0';
		return buf;
	}
	buf[o++] = '"';
	for (; *p && o + 6 < len; p++) {
		if (*p == '"' || *p == '\\') {
			buf[o++] = '\\';
			buf[o++] = (char)*p;
		} else if (*p < 0x20 || *p == 0x7f) {
			buf[o++] = '\\';
			buf[o++] = 'x';
			buf[o++] = hex[*p >> 4];
			buf[o++] = hex[*p & 15];
		} else {
			buf[o++] = (char)*p;   /* UTF-8 passes as is */
		}
	}
	if (*p) {
		buf[o++] = '.';
		buf[o++] = '.';
		buf[o++] = '.';
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}
