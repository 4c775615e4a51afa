/* tenure-syncd — POST /v1/events: a signed JSON leaver/rehire event.
 *
 * The signature is checked on the raw bytes before the body is parsed.
 * Three schemes, each with a 300 s window and a constant-time compare,
 * against every secret in webhook_secret_file (one per line, so a secret
 * can be rotated without downtime):
 *   X-Tenure-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>
 *   Standard Webhooks: webhook-id, webhook-timestamp,
 *     webhook-signature: v1,<base64 HMAC-SHA256(key, "<id>.<ts>.<body>")>
 *     (a "whsec_" secret is base64 of the key)
 *   BambooHR: X-BambooHR-Timestamp, X-BambooHR-Signature =
 *     hex HMAC-SHA256(secret, body || timestamp)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "syncd.h"
#include "tenure/secret.h"

#define WINDOW 300
#define MAC_LEN 32

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int hex_decode(const char *s, size_t n, unsigned char *out, size_t outlen)
{
	if (n != 2 * outlen)
		return -1;
	for (size_t i = 0; i < outlen; i++) {
		int h = hexval(s[2 * i]), l = hexval(s[2 * i + 1]);
		if (h < 0 || l < 0)
			return -1;
		out[i] = (unsigned char)(h << 4 | l);
	}
	return 0;
}

/* Base64 (standard alphabet, padded) to bytes; returns the length or -1. */
static int b64_decode(const char *s, size_t n, unsigned char *out, size_t outlen)
{
	unsigned char tmp[1024];
	int len, pad = 0;

	if (n == 0 || n % 4 || n / 4 * 3 > sizeof(tmp))
		return -1;
	len = EVP_DecodeBlock(tmp, (const unsigned char *)s, (int)n);
	if (len < 0)
		return -1;
	if (s[n - 1] == '=')
		pad++;
	if (s[n - 2] == '=')
		pad++;
	len -= pad;
	if ((size_t)len > outlen) {
		secret_wipe(tmp, sizeof(tmp));
		return -1;
	}
	memcpy(out, tmp, (size_t)len);
	secret_wipe(tmp, sizeof(tmp));
	return len;
}

/* HMAC over the concatenation of up to three parts. */
static void mac3(const void *key, size_t keylen, const char *a, size_t al, const char *b,
		 size_t bl, const char *c, size_t cl, unsigned char out[MAC_LEN])
{
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string("digest", (char *)"SHA256", 0),
		OSSL_PARAM_construct_end(),
	};
	size_t outl = 0;

	memset(out, 0, MAC_LEN);
	if (ctx && EVP_MAC_init(ctx, key, keylen, params) &&
	    EVP_MAC_update(ctx, (const unsigned char *)a, al) &&
	    EVP_MAC_update(ctx, (const unsigned char *)b, bl) &&
	    EVP_MAC_update(ctx, (const unsigned char *)c, cl))
		EVP_MAC_final(ctx, out, &outl, MAC_LEN);
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
}

static int fresh(const char *ts, long *out)
{
	long t;
	double now = syncd_now();

	if (!ts || tenure_parse_long(ts, 0, 4102444800L, &t))
		return 0;
	*out = t;
	return t >= now - WINDOW && t <= now + WINDOW;
}

/* Any secret's MAC equals sig?  Every secret is tried (no early exit). */
static int any_match(const struct syncd_rt *rt, int whsec, const char *a, size_t al,
		     const char *b, size_t bl, const char *c, size_t cl,
		     const unsigned char sig[MAC_LEN])
{
	unsigned char want[MAC_LEN], key[256];
	int ok = 0;

	for (size_t i = 0; i < rt->n_hmac; i++) {
		const char *s = rt->hmac[i];
		size_t kl = strlen(s);
		const void *k = s;

		if (whsec && !strncmp(s, "whsec_", 6)) {
			int n = b64_decode(s + 6, kl - 6, key, sizeof(key));
			if (n <= 0)
				continue;
			k = key;
			kl = (size_t)n;
		}
		mac3(k, kl, a, al, b, bl, c, cl, want);
		ok |= CRYPTO_memcmp(want, sig, MAC_LEN) == 0;
	}
	secret_wipe(key, sizeof(key));
	secret_wipe(want, sizeof(want));
	return ok;
}

/* X-Tenure-Signature: t=...,v1=...[,v1=...] */
static const char *check_tenure(const struct syncd_rt *rt, const char *hdr, const char *body,
				size_t len)
{
	char ts[24] = "";
	unsigned char sig[MAC_LEN];
	const char *p = hdr;
	long t;
	int ok = 0, any = 0;

	for (const char *q = p; *q;) {
		const char *end = strchr(q, ',');
		size_t n = end ? (size_t)(end - q) : strlen(q);
		while (*q == ' ' && n) {
			q++;
			n--;
		}
		if (n > 2 && !strncmp(q, "t=", 2) && n - 2 < sizeof(ts)) {
			memcpy(ts, q + 2, n - 2);
			ts[n - 2] = '\0';
		}
		q += n;
		if (*q == ',')
			q++;
	}
	if (!fresh(ts, &t))
		return "timestamp missing or outside the 300 s window";
	for (const char *q = p; *q;) {
		const char *end = strchr(q, ',');
		size_t n = end ? (size_t)(end - q) : strlen(q);
		while (*q == ' ' && n) {
			q++;
			n--;
		}
		if (n > 3 && !strncmp(q, "v1=", 3) && !hex_decode(q + 3, n - 3, sig, MAC_LEN)) {
			any = 1;
			ok |= any_match(rt, 0, ts, strlen(ts), ".", 1, body, len, sig);
		}
		q += n;
		if (*q == ',')
			q++;
	}
	if (!any)
		return "no v1 signature";
	return ok ? NULL : "signature does not match";
}

static const char *check_stdwh(const struct syncd_rt *rt, const char *id, const char *ts,
			       const char *hdr, const char *body, size_t len)
{
	unsigned char sig[MAC_LEN];
	char head[TENURE_EV_ID_MAX + 40];
	long t;
	int ok = 0, any = 0;

	if (!id || !*id || strlen(id) > TENURE_EV_ID_MAX)
		return "webhook-id missing";
	if (!fresh(ts, &t))
		return "timestamp missing or outside the 300 s window";
	snprintf(head, sizeof(head), "%s.%s.", id, ts);
	for (const char *q = hdr; *q;) {
		const char *end = strchr(q, ' ');
		size_t n = end ? (size_t)(end - q) : strlen(q);
		if (n > 3 && !strncmp(q, "v1,", 3) && b64_decode(q + 3, n - 3, sig, MAC_LEN) == MAC_LEN) {
			any = 1;
			ok |= any_match(rt, 1, head, strlen(head), "", 0, body, len, sig);
		}
		q += n;
		while (*q == ' ')
			q++;
	}
	if (!any)
		return "no v1 signature";
	return ok ? NULL : "signature does not match";
}

static const char *check_bamboo(const struct syncd_rt *rt, const char *ts, const char *hdr,
				const char *body, size_t len)
{
	unsigned char sig[MAC_LEN];
	long t;

	if (!fresh(ts, &t))
		return "timestamp missing or outside the 300 s window";
	if (hex_decode(hdr, strlen(hdr), sig, MAC_LEN))
		return "malformed signature";
	return any_match(rt, 0, body, len, ts, strlen(ts), "", 0, sig) ? NULL
								     : "signature does not match";
}

static void json_reply(struct reply *r, int status, const char *key, const char *msg,
		       const char *id)
{
	json_t *o = json_object();

	json_object_set_new(o, key, json_string(msg));
	if (id)
		json_object_set_new(o, "id", json_string(id));
	free(r->body);
	r->body = json_dumps(o, JSON_COMPACT);
	r->status = status;
	r->ctype = "application/json";
	json_decref(o);
}

static int copy_str(json_t *o, const char *key, char *buf, size_t len, int required)
{
	json_t *v = json_object_get(o, key);
	const char *s;

	if (!v || json_is_null(v))
		return required ? -1 : 0;
	if (!json_is_string(v))
		return -1;
	s = json_string_value(v);
	if (strlen(s) >= len || !tenure_utf8_valid(s, strlen(s)))
		return -1;
	snprintf(buf, len, "%s", s);
	return 0;
}

/* Body to event.  Returns NULL or what is wrong. */
static const char *parse_event(const char *body, size_t len, const char *hdr_id,
			       struct tenure_event *ev)
{
	json_error_t jerr;
	json_t *o = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	char type[16] = "", eff[64] = "";
	const char *bad = NULL;

	memset(ev, 0, sizeof(*ev));
	if (!o || !json_is_object(o)) {
		bad = "body is not a JSON object (or repeats a key)";
		goto out;
	}
	if (copy_str(o, "id", ev->id, sizeof(ev->id), 0) || (!ev->id[0] && !hdr_id)) {
		bad = "id: required string";
		goto out;
	}
	if (!ev->id[0])
		snprintf(ev->id, sizeof(ev->id), "%s", hdr_id);
	if (!syncd_valid_id(ev->id)) {
		bad = "id: 1..128 of A-Z a-z 0-9 . _ : @ / + = -";
		goto out;
	}
	if (copy_str(o, "type", type, sizeof(type), 1) ||
	    (ev->type = tenure_ev_type_parse(type)) < 0) {
		bad = "type: \"leaver\" or \"rehire\"";
		goto out;
	}
	if (copy_str(o, "user", ev->user, sizeof(ev->user), 0) ||
	    copy_str(o, "employee_id", ev->employee_id, sizeof(ev->employee_id), 0) ||
	    (!ev->user[0] && !ev->employee_id[0]) ||
	    (ev->user[0] && !syncd_valid_user(ev->user))) {
		bad = "user or employee_id: required, a valid name";
		goto out;
	}
	if (copy_str(o, "effective", eff, sizeof(eff), 0) ||
	    (eff[0] && syncd_parse_time(eff, &ev->effective))) {
		bad = "effective: RFC 3339 date-time";
		goto out;
	}
	if (copy_str(o, "reason", ev->reason, sizeof(ev->reason), 0)) {
		bad = "reason: string of at most 256 bytes";
		goto out;
	}
	snprintf(ev->source, sizeof(ev->source), "webhook");
out:
	json_decref(o);
	return bad;
}

void webhook_handle(const struct request *rq, struct reply *r)
{
	struct syncd_rt *rt;
	struct tenure_event ev;
	const char *ten, *whs, *bamboo, *why, *bad;
	int rc;

	if (strcmp(rq->method, "POST")) {
		json_reply(r, 405, "error", "method not allowed", NULL);
		return;
	}
	rt = rt_get();
	ten = req_header(rq, "X-Tenure-Signature");
	whs = req_header(rq, "webhook-signature");
	bamboo = req_header(rq, "X-BambooHR-Signature");
	if (rt->n_hmac == 0)
		why = "no webhook_secret_file configured";
	else if (ten)
		why = check_tenure(rt, ten, rq->body, rq->body_len);
	else if (whs)
		why = check_stdwh(rt, req_header(rq, "webhook-id"),
				  req_header(rq, "webhook-timestamp"), whs, rq->body, rq->body_len);
	else if (bamboo)
		why = check_bamboo(rt, req_header(rq, "X-BambooHR-Timestamp"), bamboo,
				   rq->body, rq->body_len);
	else
		why = "no signature header";
	rt_put(rt);
	if (why) {
		tenure_log(&S.log, LOG_WARNING, "source=webhook result=unauthorized reason=\"%s\"", why);
		syncd_audit("reject", "source", "webhook", "error", why, (const char *)NULL);
		json_reply(r, 401, "error", why, NULL);
		return;
	}
	bad = parse_event(rq->body, rq->body_len, whs ? req_header(rq, "webhook-id") : NULL, &ev);
	if (bad) {
		json_reply(r, 400, "error", bad, NULL);
		return;
	}
	rc = syncd_intake(&ev);
	if (rc == 0)
		json_reply(r, 202, "status", "accepted", ev.id);
	else if (rc == 1)
		json_reply(r, 200, "status", "duplicate", ev.id);
	else if (rc == -EAGAIN)
		json_reply(r, 503, "error", "backlog full, retry later", ev.id);
	else
		json_reply(r, 503, "error", "journal unavailable, retry later", ev.id);
}
