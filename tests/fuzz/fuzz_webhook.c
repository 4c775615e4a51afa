/* Fuzz target: POST /v1/events of tenure-syncd, through webhook_handle():
 * the three signature schemes (X-Tenure-Signature, Standard Webhooks,
 * BambooHR) with their header parsing, timestamp windows, hex and base64
 * decoding, and the event body parser behind them.
 *
 * Input, like an HTTP request without the request line:
 *   Header-Name: value\n ... \n\n body
 * In header values the harness replaces "@NOW@" by the current unix time
 * and "@SIG@" by the right signature for that header's scheme (computed
 * over the body, with the secrets below), so seeds stay valid forever and
 * the fuzzer reaches the body parser; anything else is taken as it is.
 *
 * The HTTP server (http.c), the journal intake (intake.c) and main.c are
 * not linked: this file stands in for them.  The stand-in for the intake
 * checks every event handed to it (valid id, type and user), so a body
 * that gets an invalid event through fails the run.  FUZZ_DEBUG=1 in the
 * environment prints each reply. */
// fuzz-sources: syncd/webhook.c syncd/util.c
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "../../syncd/syncd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { if (!(cond)) { \
	fprintf(stderr, "fuzz_webhook: check failed: %s (line %d)\n", #cond, __LINE__); \
	abort(); } } while (0)

#define SECRET     "fuzz-secret"
#define STD_KEY    "fuzz-std-key"                 /* whsec_ secret: base64 of it */
#define STD_SECRET "whsec_ZnV6ei1zdGQta2V5"
#define MAX_HDRS   16

/* ---- stand-ins for http.c, intake.c and main.c ---- */

struct syncd S;

struct fake_conn {
	const char *name[MAX_HDRS];
	char *value[MAX_HDRS];
	int n;
};

const char *req_header(const struct request *rq, const char *name)
{
	const struct fake_conn *c = rq->conn;

	for (int i = 0; i < c->n; i++)
		if (!strcasecmp(c->name[i], name))
			return c->value[i];
	return NULL;
}

const char *req_query(const struct request *rq, const char *name)
{
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
	CHECK(ev->user[0] || ev->employee_id[0]);
	CHECK(!ev->user[0] || syncd_valid_user(ev->user));
	CHECK(tenure_utf8_valid(ev->employee_id, strlen(ev->employee_id)));
	CHECK(tenure_utf8_valid(ev->reason, strlen(ev->reason)));
	CHECK(!strcmp(ev->source, "webhook"));
	/* Any answer the journal may give: new, duplicate, full, broken. */
	switch (ev->id[0] & 3) {
	case 0: return 0;
	case 1: return 1;
	case 2: return -EAGAIN;
	default: return -EIO;
	}
}

void syncd_wake_worker(void)
{
}

static void setup(void)
{
	static char *hmac[2], *tokens[1];
	struct syncd_rt *rt = calloc(1, sizeof(*rt));

	hmac[0] = strdup(SECRET);
	hmac[1] = strdup(STD_SECRET);
	tokens[0] = strdup("fuzz-token");
	if (!rt || !(rt->cfg = tenure_config_new()) || !hmac[0] || !hmac[1] || !tokens[0])
		abort();
	rt->hmac = hmac;
	rt->n_hmac = 2;
	rt->tokens = tokens;
	rt->n_tokens = 1;
	atomic_init(&rt->refs, 1);          /* never freed */
	pthread_mutex_init(&S.rt_lock, NULL);
	S.rt = rt;
	S.log.fn = NULL;                    /* dropped */
}

/* ---- signing ---- */

static void hmac_hex(const char *key, size_t kl, const char *a, size_t al, const char *b,
		     size_t bl, const char *c, size_t cl, char *out)
{
	unsigned char md[32];
	unsigned int mdl = 0;
	size_t n = al + bl + cl;
	char *msg = malloc(n + 1);

	if (!msg)
		abort();
	memcpy(msg, a, al);
	memcpy(msg + al, b, bl);
	memcpy(msg + al + bl, c, cl);
	HMAC(EVP_sha256(), key, (int)kl, (unsigned char *)msg, n, md, &mdl);
	free(msg);
	for (unsigned i = 0; i < 32; i++)
		sprintf(out + 2 * i, "%02x", md[i]);
}

static void hex_to_b64(const char *hex, char *out)
{
	unsigned char raw[32];

	for (int i = 0; i < 32; i++) {
		unsigned v;
		sscanf(hex + 2 * i, "%2x", &v);
		raw[i] = (unsigned char)v;
	}
	EVP_EncodeBlock((unsigned char *)out, raw, 32);
}

/* s with every `from` replaced by `to` (malloc'ed). */
static char *replace(const char *s, const char *from, const char *to)
{
	size_t fl = strlen(from), tl = strlen(to), n = 0;
	char *out, *o;

	for (const char *p = strstr(s, from); p; p = strstr(p + fl, from))
		n++;
	out = malloc(strlen(s) + n * tl + 1);
	if (!out)
		abort();
	for (o = out; *s;) {
		if (!strncmp(s, from, fl)) {
			memcpy(o, to, tl);
			o += tl;
			s += fl;
		} else {
			*o++ = *s++;
		}
	}
	*o = '\0';
	return out;
}

static void sign(struct fake_conn *c, const char *body, size_t len)
{
	char now[24], sig[90], hex[65], id[160] = "";

	snprintf(now, sizeof(now), "%ld", (long)syncd_now());
	for (int i = 0; i < c->n; i++) {
		char *v = replace(c->value[i], "@NOW@", now);
		free(c->value[i]);
		c->value[i] = v;
		if (!strcasecmp(c->name[i], "webhook-id"))
			snprintf(id, sizeof(id), "%s", v);
	}
	for (int i = 0; i < c->n; i++) {
		char *v;

		if (!strstr(c->value[i], "@SIG@"))
			continue;
		if (!strcasecmp(c->name[i], "X-Tenure-Signature")) {
			hmac_hex(SECRET, strlen(SECRET), now, strlen(now), ".", 1, body, len, sig);
		} else if (!strcasecmp(c->name[i], "webhook-signature")) {
			char head[200];
			snprintf(head, sizeof(head), "%s.%s.", id, now);
			hmac_hex(STD_KEY, strlen(STD_KEY), head, strlen(head), "", 0, body, len, hex);
			hex_to_b64(hex, sig);
		} else {
			hmac_hex(SECRET, strlen(SECRET), body, len, now, strlen(now), "", 0, sig);
		}
		v = replace(c->value[i], "@SIG@", sig);
		free(c->value[i]);
		c->value[i] = v;
	}
}

/* ---- the request ---- */

/* Headers up to an empty line; returns where the body starts. */
static size_t parse_headers(const char *text, size_t len, struct fake_conn *c)
{
	size_t pos = 0;

	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
		const char *line = text + pos, *colon;

		pos += n + (nl ? 1 : 0);
		if (n == 0)
			break;
		colon = memchr(line, ':', n);
		if (!colon || c->n == MAX_HDRS || memchr(line, '\0', n))
			continue;
		c->name[c->n] = strndup(line, (size_t)(colon - line));
		colon++;
		while (colon < line + n && *colon == ' ')
			colon++;
		c->value[c->n] = strndup(colon, (size_t)(line + n - colon));
		if (!c->name[c->n] || !c->value[c->n])
			abort();
		c->n++;
	}
	return pos;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fake_conn conn = { .n = 0 };
	struct request rq = { 0 };
	struct reply r = { 0 };
	const char *text = (const char *)data;
	size_t body;

	if (!S.rt)
		setup();
	body = parse_headers(text, size, &conn);
	sign(&conn, text + body, size - body);
	rq.method = "POST";
	rq.path = "/v1/events";
	rq.conn = &conn;
	rq.body = text + body;
	rq.body_len = size - body;
	webhook_handle(&rq, &r);
	if (getenv("FUZZ_DEBUG"))
		fprintf(stderr, "%d %s\n", r.status, r.body ? r.body : "(no body)");
	CHECK(r.status >= 200 && r.status < 600);
	CHECK(r.body != NULL);
	{
		json_error_t jerr;
		json_t *o = json_loads(r.body, 0, &jerr);
		CHECK(o != NULL);
		json_decref(o);
	}
	free(r.body);
	for (int i = 0; i < conn.n; i++) {
		free((char *)conn.name[i]);
		free(conn.value[i]);
	}
	return 0;
}
