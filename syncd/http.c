/* tenure-syncd — the HTTP(S) server (libmicrohttpd, thread pool) and the
 * small endpoints: /healthz and /metrics. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "syncd.h"
#include "tenure/secret.h"

const double syncd_hist_bounds[HIST_N] = {
	0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 60,
};

static struct MHD_Daemon *mhd;
static char *tls_cert_pem, *tls_key_pem;

struct conn_ctx {
	char *buf;
	size_t len;
	int too_big;
};

const char *req_header(const struct request *rq, const char *name)
{
	return MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, name);
}

const char *req_query(const struct request *rq, const char *name)
{
	return MHD_lookup_connection_value(rq->conn, MHD_GET_ARGUMENT_KIND, name);
}

void reply_text(struct reply *r, int status, const char *ctype, const char *text)
{
	free(r->body);
	r->status = status;
	r->ctype = ctype;
	r->body = strdup(text ? text : "");
}

/* ---- /metrics ---- */

static void metrics(struct reply *r)
{
	static const char *const kinds[] = { "received", "duplicate", "applied", "failed" };
	atomic_long *arrays[] = { S.m.received, S.m.duplicates, S.m.applied, S.m.failed };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	long cum = 0;

	if (!f) {
		reply_text(r, 500, "text/plain", "out of memory\n");
		return;
	}
	for (int k = 0; k < 4; k++) {
		fprintf(f, "# HELP tenure_syncd_events_%s_total Events %s, by source.\n"
			"# TYPE tenure_syncd_events_%s_total counter\n", kinds[k], kinds[k], kinds[k]);
		for (int s = 0; s < SRC_N; s++)
			fprintf(f, "tenure_syncd_events_%s_total{source=\"%s\"} %ld\n", kinds[k],
				syncd_source_name(s), atomic_load(&arrays[k][s]));
	}
	fprintf(f, "# HELP tenure_syncd_journal_backlog Journaled events not yet applied.\n"
		"# TYPE tenure_syncd_journal_backlog gauge\n"
		"tenure_syncd_journal_backlog %ld\n", atomic_load(&S.m.backlog));
	fprintf(f, "# HELP tenure_syncd_dead_letters Events for users the directory does not have.\n"
		"# TYPE tenure_syncd_dead_letters gauge\n"
		"tenure_syncd_dead_letters %ld\n", atomic_load(&S.m.dead));
	fprintf(f, "# HELP tenure_syncd_ldap_up 1 when the last LDAP operation succeeded.\n"
		"# TYPE tenure_syncd_ldap_up gauge\n"
		"tenure_syncd_ldap_up %d\n", atomic_load(&S.m.ldap_up));
	fprintf(f, "# HELP tenure_syncd_rejected_total Events refused with 503 (backlog full or journal unavailable).\n"
		"# TYPE tenure_syncd_rejected_total counter\n"
		"tenure_syncd_rejected_total %ld\n", atomic_load(&S.m.rejected_503));
	fprintf(f, "# HELP tenure_syncd_apply_seconds Seconds from receipt (or effective time) to applied.\n"
		"# TYPE tenure_syncd_apply_seconds histogram\n");
	for (int i = 0; i < HIST_N; i++) {
		cum += atomic_load(&S.m.hist[i]);
		fprintf(f, "tenure_syncd_apply_seconds_bucket{le=\"%g\"} %ld\n",
			syncd_hist_bounds[i], cum);
	}
	cum += atomic_load(&S.m.hist[HIST_N]);
	fprintf(f, "tenure_syncd_apply_seconds_bucket{le=\"+Inf\"} %ld\n"
		"tenure_syncd_apply_seconds_sum %.6f\n"
		"tenure_syncd_apply_seconds_count %ld\n",
		cum, atomic_load(&S.m.hist_sum), atomic_load(&S.m.hist_count));
	fclose(f);
	r->status = 200;
	r->ctype = "text/plain; version=0.0.4";
	r->body = buf;
}

static void healthz(struct reply *r)
{
	char buf[256];

	snprintf(buf, sizeof(buf), "{\"status\":\"ok\",\"ldap\":\"%s\",\"backlog\":%ld,"
		 "\"dead_letters\":%ld}\n", atomic_load(&S.m.ldap_up) ? "up" : "down",
		 atomic_load(&S.m.backlog), atomic_load(&S.m.dead));
	reply_text(r, 200, "application/json", buf);
}

static void route(const struct request *rq, struct reply *r)
{
	const char *p = rq->path;

	if (!strcmp(p, "/healthz")) {
		if (strcmp(rq->method, "GET") && strcmp(rq->method, "HEAD"))
			reply_text(r, 405, "application/json", "{\"error\":\"method not allowed\"}\n");
		else
			healthz(r);
	} else if (!strcmp(p, "/metrics")) {
		if (strcmp(rq->method, "GET") && strcmp(rq->method, "HEAD"))
			reply_text(r, 405, "application/json", "{\"error\":\"method not allowed\"}\n");
		else
			metrics(r);
	} else if (!strcmp(p, "/v1/events")) {
		webhook_handle(rq, r);
	} else if (!strcmp(p, "/scim/v2") || !strncmp(p, "/scim/v2/", 9)) {
		scim_handle(rq, r);
	} else {
		reply_text(r, 404, "application/json", "{\"error\":\"not found\"}\n");
	}
}

static enum MHD_Result send_reply(struct MHD_Connection *c, struct reply *r)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	size_t len = r->body ? strlen(r->body) : 0;

	resp = MHD_create_response_from_buffer(len, r->body ? r->body : (char *)"",
					       r->body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	if (!resp) {
		free(r->body);
		return MHD_NO;
	}
	r->body = NULL;
	if (r->ctype)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->ctype);
	if (r->location[0])
		MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, r->location);
	if (r->status == 503)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, "1");
	if (r->status == 401 && !strncmp(r->ctype ? r->ctype : "", "application/scim", 16))
		MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
	ret = MHD_queue_response(c, (unsigned)r->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static long max_body(void)
{
	struct syncd_rt *rt = rt_get();
	long n = rt->cfg->max_body;

	rt_put(rt);
	return n;
}

static void too_large(const char *path, struct reply *r)
{
	if (!strncmp(path, "/scim/", 6))
		reply_text(r, 413, "application/scim+json",
			   "{\"schemas\":[\"urn:ietf:params:scim:api:messages:2.0:Error\"],"
			   "\"status\":\"413\",\"detail\":\"request body too large\"}");
	else
		reply_text(r, 413, "application/json", "{\"error\":\"request body too large\"}\n");
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_size, void **con_cls)
{
	struct conn_ctx *ctx = *con_cls;
	struct reply r = { 0 };
	struct request rq;

	(void)cls;
	(void)version;
	if (!ctx) {
		const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
							     MHD_HTTP_HEADER_CONTENT_LENGTH);
		ctx = calloc(1, sizeof(*ctx));
		if (!ctx)
			return MHD_NO;
		*con_cls = ctx;
		if (cl && strtoll(cl, NULL, 10) > max_body()) {
			ctx->too_big = 1;
			too_large(url, &r);
			return send_reply(c, &r);
		}
		return MHD_YES;
	}
	if (*upload_size) {
		long limit = max_body();
		if (!ctx->too_big && ctx->len + *upload_size > (size_t)limit) {
			ctx->too_big = 1;
			free(ctx->buf);
			ctx->buf = NULL;
		}
		if (!ctx->too_big) {
			char *nb = realloc(ctx->buf, ctx->len + *upload_size + 1);
			if (!nb)
				return MHD_NO;
			ctx->buf = nb;
			memcpy(ctx->buf + ctx->len, upload_data, *upload_size);
			ctx->len += *upload_size;
			ctx->buf[ctx->len] = '\0';
		}
		*upload_size = 0;
		return MHD_YES;
	}
	if (ctx->too_big) {
		too_large(url, &r);
		return send_reply(c, &r);
	}
	rq.method = method;
	rq.path = url;
	rq.conn = c;
	rq.body = ctx->buf ? ctx->buf : "";
	rq.body_len = ctx->len;
	route(&rq, &r);
	if (!r.status)
		reply_text(&r, 500, "application/json", "{\"error\":\"internal error\"}\n");
	return send_reply(c, &r);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct conn_ctx *ctx = *con_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (ctx) {
		free(ctx->buf);
		free(ctx);
		*con_cls = NULL;
	}
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	size_t n;

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		msg[--n] = '\0';
	tenure_log(&S.log, LOG_WARNING, "http: %s", msg);
}

/* "ADDR:PORT" or "[V6]:PORT" into a sockaddr; *loopback set. */
static int parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *sl, int *loopback)
{
	char host[128];
	const char *colon;
	long port;
	size_t hl;

	memset(ss, 0, sizeof(*ss));
	if (s[0] == '[') {
		const char *rb = strchr(s, ']');
		if (!rb || rb[1] != ':')
			return -EINVAL;
		hl = (size_t)(rb - s - 1);
		colon = rb + 1;
		if (hl >= sizeof(host))
			return -EINVAL;
		memcpy(host, s + 1, hl);
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return -EINVAL;
		hl = (size_t)(colon - s);
		if (hl >= sizeof(host))
			return -EINVAL;
		memcpy(host, s, hl);
	}
	host[hl] = '\0';
	if (tenure_parse_long(colon + 1, 0, 65535, &port))
		return -EINVAL;
	if (strchr(host, ':')) {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, host, &a6->sin6_addr) != 1)
			return -EINVAL;
		*loopback = IN6_IS_ADDR_LOOPBACK(&a6->sin6_addr);
		*sl = sizeof(*a6);
	} else {
		struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)port);
		if (inet_pton(AF_INET, host[0] ? host : "0.0.0.0", &a4->sin_addr) != 1)
			return -EINVAL;
		*loopback = (ntohl(a4->sin_addr.s_addr) >> 24) == 127;
		*sl = sizeof(*a4);
	}
	return 0;
}

static char *read_pem(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t len = 0;
	FILE *m;
	int c;

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	m = open_memstream(&buf, &len);
	while (m && (c = fgetc(f)) != EOF && len < 1 << 20)
		fputc(c, m);
	if (m)
		fclose(m);
	fclose(f);
	return buf;
}

int http_start(const struct tenure_config *cfg, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sl = 0;
	int loopback = 0;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
	const union MHD_DaemonInfo *info;

	if (parse_listen(cfg->listen, &ss, &sl, &loopback)) {
		snprintf(err, errlen, "listen: %s: expected ADDR:PORT", cfg->listen);
		return -EINVAL;
	}
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	if (!loopback && !cfg->tls_cert) {
		snprintf(err, errlen, "listen: %s is not a loopback address: tls_cert and tls_key"
			 " are required", cfg->listen);
		return -EINVAL;
	}
	if (cfg->tls_cert) {
		tls_cert_pem = read_pem(cfg->tls_cert, err, errlen);
		tls_key_pem = tls_cert_pem ? read_pem(cfg->tls_key, err, errlen) : NULL;
		if (!tls_key_pem)
			return -EINVAL;
		flags |= MHD_USE_TLS;
	}
	mhd = MHD_start_daemon(flags, 0, NULL, NULL, on_request, NULL,
			       MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
			       MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
			       MHD_OPTION_THREAD_POOL_SIZE, (unsigned)cfg->http_threads,
			       MHD_OPTION_CONNECTION_LIMIT, (unsigned)cfg->max_connections,
			       MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)cfg->per_ip_connections,
			       MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)cfg->connection_timeout,
			       MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)64 * 1024,
			       MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u,
			       MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
			       tls_cert_pem ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, tls_cert_pem,
			       MHD_OPTION_HTTPS_MEM_KEY, tls_key_pem,
			       MHD_OPTION_END);
	if (!mhd) {
		snprintf(err, errlen, "listen: cannot serve on %s: %s", cfg->listen,
			 errno ? strerror(errno) : "libmicrohttpd refused the options");
		return -EADDRINUSE;
	}
	info = MHD_get_daemon_info(mhd, MHD_DAEMON_INFO_BIND_PORT);
	tenure_log(&S.log, LOG_NOTICE, "listening on %s port=%u tls=%s", cfg->listen,
		   info ? info->port : 0, tls_cert_pem ? "yes" : "no");
	return 0;
}

void http_stop(void)
{
	if (mhd)
		MHD_stop_daemon(mhd);
	mhd = NULL;
	secret_free(tls_key_pem);
	free(tls_cert_pem);
	tls_key_pem = tls_cert_pem = NULL;
}
