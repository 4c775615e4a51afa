/* Fuzz target: the SCIM 2.0 endpoint of tenure-syncd, through scim_handle():
 * bearer-token check, routing, request bodies (POST and PUT users), PATCH
 * operations, the filter parser (`userName eq "..."`), startIndex/count,
 * and the discovery documents.
 *
 * Input, like an HTTP request:
 *   METHOD /scim/v2/PATH[?query]\n Header: value\n ... \n\n body
 * Query arguments are %-decoded as the HTTP server does.  When byte 0 of
 * the input is not a letter, it is a flag byte and dropped: bit 0 adds the
 * right bearer token (so the fuzzer does not spend its time on 401s).
 *
 * No directory is configured (no uri), so every LDAP call fails at once
 * with "unavailable" and the handler answers 503; everything before the
 * directory is reached is exercised.  The HTTP server (http.c), the intake
 * (intake.c) and main.c are not linked: this file stands in for them.
 * Checks: a status in 200..599 and, when there is a body, valid JSON.
 * FUZZ_DEBUG=1 in the environment prints each reply. */
// fuzz-sources: syncd/scim.c syncd/util.c
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "../../syncd/syncd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { if (!(cond)) { \
	fprintf(stderr, "fuzz_scim: check failed: %s (line %d)\n", #cond, __LINE__); \
	abort(); } } while (0)

#define TOKEN    "fuzz-token"
#define MAX_KV   16

/* ---- stand-ins for http.c, intake.c and main.c ---- */

struct syncd S;

struct fake_conn {
	char *hname[MAX_KV], *hvalue[MAX_KV];
	int nh;
	char *qname[MAX_KV], *qvalue[MAX_KV];
	int nq;
};

const char *req_header(const struct request *rq, const char *name)
{
	const struct fake_conn *c = rq->conn;

	for (int i = 0; i < c->nh; i++)
		if (!strcasecmp(c->hname[i], name))
			return c->hvalue[i];
	return NULL;
}

const char *req_query(const struct request *rq, const char *name)
{
	const struct fake_conn *c = rq->conn;

	for (int i = 0; i < c->nq; i++)
		if (!strcmp(c->qname[i], name))
			return c->qvalue[i];
	return NULL;
}

void reply_text(struct reply *r, int status, const char *ctype, const char *text)
{
	free(r->body);
	r->status = status;
	r->ctype = ctype;
	r->body = strdup(text ? text : "");
}

int syncd_intake(struct tenure_event *ev)
{
	CHECK(syncd_valid_id(ev->id));
	CHECK(ev->type == TENURE_EV_LEAVER || ev->type == TENURE_EV_REHIRE);
	CHECK(syncd_valid_user(ev->user));
	CHECK(!strcmp(ev->source, "scim"));
	return 0;
}

void syncd_wake_worker(void)
{
}

static void setup(void)
{
	static char *tokens[2];
	struct syncd_rt *rt = calloc(1, sizeof(*rt));

	tokens[0] = strdup("an-older-token");
	tokens[1] = strdup(TOKEN);
	if (!rt || !(rt->cfg = tenure_config_new()) || !tokens[0] || !tokens[1])
		abort();
	rt->tokens = tokens;
	rt->n_tokens = 2;
	atomic_init(&rt->refs, 1);          /* never freed */
	pthread_mutex_init(&S.rt_lock, NULL);
	S.rt = rt;
	S.log.fn = NULL;                    /* dropped */
}

/* ---- the request ---- */

static char *decode(const char *s, size_t n)
{
	char *out = malloc(n + 1), *o = out;

	if (!out)
		abort();
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n && isxdigit((unsigned char)s[i + 1]) &&
		    isxdigit((unsigned char)s[i + 2])) {
			char hex[3] = { s[i + 1], s[i + 2], 0 };
			*o++ = (char)strtol(hex, NULL, 16);
			i += 2;
		} else {
			*o++ = s[i];
		}
	}
	*o = '\0';
	return out;
}

static void parse_query(const char *q, struct fake_conn *c)
{
	while (*q && c->nq < MAX_KV) {
		const char *amp = strchr(q, '&'), *end = amp ? amp : q + strlen(q);
		const char *eq = memchr(q, '=', (size_t)(end - q));

		if (eq) {
			c->qname[c->nq] = decode(q, (size_t)(eq - q));
			c->qvalue[c->nq] = decode(eq + 1, (size_t)(end - eq - 1));
			c->nq++;
		}
		q = amp ? amp + 1 : end;
	}
}

static void add_header(struct fake_conn *c, const char *name, const char *value, size_t vlen)
{
	if (c->nh == MAX_KV)
		return;
	c->hname[c->nh] = strdup(name);
	c->hvalue[c->nh] = strndup(value, vlen);
	if (!c->hname[c->nh] || !c->hvalue[c->nh])
		abort();
	c->nh++;
}

/* Splits text into request line, headers and body; 0 or -1. */
static int parse_request(const char *text, size_t len, struct fake_conn *c, char **method,
			 char **path, size_t *body)
{
	const char *nl = memchr(text, '\n', len), *sp, *q;
	size_t n = nl ? (size_t)(nl - text) : len, pos;

	if (memchr(text, '\0', n) || !(sp = memchr(text, ' ', n)))
		return -1;
	*method = strndup(text, (size_t)(sp - text));
	sp++;
	q = memchr(sp, '?', n - (size_t)(sp - text));
	*path = strndup(sp, (size_t)((q ? q : text + n) - sp));
	if (!*method || !*path)
		abort();
	if (q) {
		char *query = strndup(q + 1, (size_t)(text + n - q - 1));
		if (!query)
			abort();
		parse_query(query, c);
		free(query);
	}
	pos = n + (nl ? 1 : 0);
	while (pos < len) {
		const char *l = text + pos, *e = memchr(l, '\n', len - pos), *colon;
		size_t ln = e ? (size_t)(e - l) : len - pos;
		char name[64];

		pos += ln + (e ? 1 : 0);
		if (ln == 0)
			break;
		colon = memchr(l, ':', ln);
		if (!colon || memchr(l, '\0', ln) || (size_t)(colon - l) >= sizeof(name))
			continue;
		memcpy(name, l, (size_t)(colon - l));
		name[colon - l] = '\0';
		for (colon++; colon < l + ln && *colon == ' '; colon++)
			;
		add_header(c, name, colon, (size_t)(l + ln - colon));
	}
	*body = pos;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fake_conn conn = { .nh = 0 };
	struct request rq = { 0 };
	struct reply r = { 0 };
	const char *text = (const char *)data;
	char *method = NULL, *path = NULL;
	size_t body = 0;
	int flags = 0;

	if (!S.rt)
		setup();
	if (size && !isalpha(data[0])) {
		flags = data[0];
		text++;
		size--;
	}
	if (flags & 1)
		add_header(&conn, "Authorization", "Bearer " TOKEN, strlen("Bearer " TOKEN));
	if (parse_request(text, size, &conn, &method, &path, &body))
		goto out;
	/* http.c routes only these paths here. */
	if (strcmp(path, "/scim/v2") && strncmp(path, "/scim/v2/", 9))
		goto out;
	rq.method = method;
	rq.path = path;
	rq.conn = &conn;
	rq.body = text + body;
	rq.body_len = size - body;
	scim_handle(&rq, &r);
	if (getenv("FUZZ_DEBUG"))
		fprintf(stderr, "%d %s\n", r.status, r.body ? r.body : "(no body)");
	CHECK(r.status >= 200 && r.status < 600);
	if (r.body && *r.body) {
		json_error_t jerr;
		json_t *o = json_loads(r.body, 0, &jerr);
		CHECK(o != NULL);
		json_decref(o);
	}
out:
	free(r.body);
	free(method);
	free(path);
	for (int i = 0; i < conn.nh; i++) {
		free(conn.hname[i]);
		free(conn.hvalue[i]);
	}
	for (int i = 0; i < conn.nq; i++) {
		free(conn.qname[i]);
		free(conn.qvalue[i]);
	}
	return 0;
}
