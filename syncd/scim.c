/* tenure-syncd — SCIM 2.0 (RFC 7643/7644), the subset identity providers
 * use for joiners and leavers.
 *
 *   id = entryUUID, userName = uid, externalId = employeeNumber,
 *   name.givenName / familyName = givenName / sn, emails[0].value = mail,
 *   active = neither shadowExpire has passed nor pwdAccountLockedTime is set.
 *
 * Reads go to LDAP directly; a change of `active` (PATCH, PUT, DELETE) is a
 * journaled leaver/rehire event like any other, applied by the worker.
 * POST creates the entry directly: the uidNumber is the highest in
 * uid_min..uid_max plus one, chosen under a mutex; another writer on the
 * same directory is caught by the unique overlay (a refused add takes the
 * next number) and by a check after the add (settle_uid), which also
 * covers what the overlay lets through.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "syncd.h"
#include "tenure/secret.h"

#define SCIM_ERR   "urn:ietf:params:scim:api:messages:2.0:Error"
#define SCIM_LIST  "urn:ietf:params:scim:api:messages:2.0:ListResponse"
#define SCIM_PATCH "urn:ietf:params:scim:api:messages:2.0:PatchOp"
#define SCIM_USER  "urn:ietf:params:scim:schemas:core:2.0:User"
#define CT_SCIM    "application/scim+json"
#define MAX_COUNT  1000

static pthread_mutex_t create_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const user_attrs[] = {
	"uid", "entryUUID", "employeeNumber", "givenName", "sn", "cn", "mail",
	"shadowExpire", "pwdAccountLockedTime", "createTimestamp", "modifyTimestamp", NULL,
};

static void put_json(struct reply *r, int status, json_t *o)
{
	free(r->body);
	r->body = json_dumps(o, JSON_COMPACT);
	r->status = status;
	r->ctype = CT_SCIM;
	json_decref(o);
}

static void scim_error(struct reply *r, int status, const char *type, const char *detail)
{
	json_t *o = json_pack("{s:[s],s:s,s:s}", "schemas", SCIM_ERR, "status", "", "detail", detail);
	char st[8];

	snprintf(st, sizeof(st), "%d", status);
	json_object_set_new(o, "status", json_string(st));
	if (type)
		json_object_set_new(o, "scimType", json_string(type));
	put_json(r, status, o);
}

static void ldap_failure(struct reply *r, int rc)
{
	if (rc == -EHOSTUNREACH || rc == -ETIMEDOUT)
		scim_error(r, 503, NULL, "directory unavailable, retry later");
	else
		scim_error(r, 500, NULL, "directory error");
}

/* Bearer token, compared in constant time against every configured token. */
static int authorized(const struct request *rq, const struct syncd_rt *rt)
{
	const char *h = req_header(rq, "Authorization");
	char got[65], want[65];
	int ok = 0;

	if (!h || strncasecmp(h, "Bearer ", 7) || rt->n_tokens == 0)
		return 0;
	h += 7;
	while (*h == ' ')
		h++;
	/* Hash both sides so the compare is of equal lengths whatever was sent. */
	tenure_sha256_hex(h, strlen(h), got);
	for (size_t i = 0; i < rt->n_tokens; i++) {
		tenure_sha256_hex(rt->tokens[i], strlen(rt->tokens[i]), want);
		ok |= CRYPTO_memcmp(got, want, 64) == 0;
	}
	secret_wipe(got, sizeof(got));
	secret_wipe(want, sizeof(want));
	return ok;
}

static const char *people_base(const struct tenure_config *cfg)
{
	return cfg->base_passwd ? cfg->base_passwd : cfg->base;
}

static int get_opt(struct tenure_ldap_res *res, tenure_ldap_entry *e, const char *a,
		   char *buf, size_t len)
{
	int rc = tenure_ldap_get_str(res, e, a, buf, len);

	if (rc)
		buf[0] = '\0';
	return rc == 0;
}

static int entry_active(struct tenure_ldap_res *res, tenure_ldap_entry *e)
{
	char buf[64];
	long exp;

	if (get_opt(res, e, "pwdAccountLockedTime", buf, sizeof(buf)))
		return 0;
	if (tenure_ldap_get_long(res, e, "shadowExpire", -1, 1L << 40, &exp) == 0 &&
	    exp >= 0 && exp <= time(NULL) / 86400)
		return 0;
	return 1;
}

static void gen_to_iso(const char *g, char *out, size_t len)
{
	/* 20261125180000Z -> 2026-11-25T18:00:00Z */
	if (strlen(g) < 15) {
		out[0] = '\0';
		return;
	}
	snprintf(out, len, "%.4s-%.2s-%.2sT%.2s:%.2s:%.2sZ", g, g + 4, g + 6, g + 8, g + 10, g + 12);
}

static json_t *user_json(struct tenure_ldap_res *res, tenure_ldap_entry *e, int active)
{
	char uid[256], id[64], ext[256], given[512], sn[512], cn[512], mail[512], loc[128];
	char created[40], modified[40], buf[64];
	json_t *o, *name, *meta;

	get_opt(res, e, "uid", uid, sizeof(uid));
	get_opt(res, e, "entryUUID", id, sizeof(id));
	o = json_pack("{s:[s],s:s,s:s}", "schemas", SCIM_USER, "id", id, "userName", uid);
	if (get_opt(res, e, "employeeNumber", ext, sizeof(ext)))
		json_object_set_new(o, "externalId", json_string(ext));
	name = json_object();
	if (get_opt(res, e, "givenName", given, sizeof(given)))
		json_object_set_new(name, "givenName", json_string(given));
	if (get_opt(res, e, "sn", sn, sizeof(sn)))
		json_object_set_new(name, "familyName", json_string(sn));
	if (get_opt(res, e, "cn", cn, sizeof(cn))) {
		json_object_set_new(name, "formatted", json_string(cn));
		json_object_set_new(o, "displayName", json_string(cn));
	}
	json_object_set_new(o, "name", name);
	if (get_opt(res, e, "mail", mail, sizeof(mail)))
		json_object_set_new(o, "emails", json_pack("[{s:s,s:s,s:b}]", "value", mail,
							   "type", "work", "primary", 1));
	json_object_set_new(o, "active", json_boolean(active < 0 ? entry_active(res, e) : active));
	snprintf(loc, sizeof(loc), "/scim/v2/Users/%s", id);
	meta = json_pack("{s:s,s:s}", "resourceType", "User", "location", loc);
	if (get_opt(res, e, "createTimestamp", buf, sizeof(buf))) {
		gen_to_iso(buf, created, sizeof(created));
		json_object_set_new(meta, "created", json_string(created));
	}
	if (get_opt(res, e, "modifyTimestamp", buf, sizeof(buf))) {
		gen_to_iso(buf, modified, sizeof(modified));
		json_object_set_new(meta, "lastModified", json_string(modified));
	}
	json_object_set_new(o, "meta", meta);
	return o;
}

static int valid_uuid(const char *s)
{
	if (strlen(s) != 36)
		return 0;
	for (int i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!isxdigit((unsigned char)s[i])) {
			return 0;
		}
	}
	return 1;
}

/* Search users matching (attr=value) (attr NULL: every user). */
static int search_users(struct syncd_rt *rt, const char *attr, const char *value,
			struct tenure_ldap_res **res)
{
	struct tenure_ldap *ld = syncd_ldap(rt);
	char esc[1024], filter[1400];
	const char *base_filter = rt->cfg->filter_passwd ? rt->cfg->filter_passwd
							 : "(objectClass=posixAccount)";

	if (!ld)
		return -ENOMEM;
	if (attr) {
		if (tenure_ldap_escape(value, esc, sizeof(esc)))
			return -ERANGE;
		snprintf(filter, sizeof(filter), "(&%s(%s=%s))", base_filter, attr, esc);
	} else {
		snprintf(filter, sizeof(filter), "%s", base_filter);
	}
	return tenure_ldap_search(ld, people_base(rt->cfg), LDAP_SCOPE_SUBTREE, filter,
				  (const char *const *)user_attrs, 0, res);
}

/* Look a user up by SCIM id: 0 with res holding exactly one entry, or
 * 404/503 already put into r (returns -1). */
static int find_by_id(struct syncd_rt *rt, const char *id, struct reply *r,
		      struct tenure_ldap_res **res)
{
	char detail[128];
	int rc;

	*res = NULL;
	if (valid_uuid(id)) {
		rc = search_users(rt, "entryUUID", id, res);
		if (rc && rc != -ENOENT) {
			ldap_failure(r, rc);
			return -1;
		}
		if (!rc && tenure_ldap_res_count(*res) == 1)
			return 0;
	}
	tenure_ldap_res_free(*res);
	*res = NULL;
	/* Echo only an id that is a UUID: anything else may be cut inside a
	 * UTF-8 sequence, and the error body must still be valid JSON. */
	if (valid_uuid(id))
		snprintf(detail, sizeof(detail), "Resource %s not found", id);
	else
		snprintf(detail, sizeof(detail), "Resource not found (ids are UUIDs)");
	scim_error(r, 404, NULL, detail);
	return -1;
}

/* filter: attr eq "value" for userName and externalId. */
static int parse_filter(const char *f, const char **attr, char *value, size_t len)
{
	char name[32];
	size_t n = 0, o = 0;

	while (*f == ' ')
		f++;
	while (*f && *f != ' ' && n < sizeof(name) - 1)
		name[n++] = *f++;
	name[n] = '\0';
	if (!strcasecmp(name, "userName"))
		*attr = "uid";
	else if (!strcasecmp(name, "externalId"))
		*attr = "employeeNumber";
	else if (!strcasecmp(name, "id"))
		*attr = "entryUUID";
	else
		return -1;
	while (*f == ' ')
		f++;
	if (strncasecmp(f, "eq ", 3))
		return -1;
	f += 3;
	while (*f == ' ')
		f++;
	if (*f++ != '"')
		return -1;
	for (; *f && *f != '"'; f++) {
		if (*f == '\\' && f[1])
			f++;
		if (o + 1 >= len)
			return -1;
		value[o++] = *f;
	}
	value[o] = '\0';
	if (*f != '"')
		return -1;
	for (f++; *f == ' '; f++)
		;
	return *f ? -1 : 0;
}

static void list_users(struct syncd_rt *rt, const struct request *rq, struct reply *r)
{
	const char *filter = req_query(rq, "filter");
	const char *si = req_query(rq, "startIndex"), *cnt = req_query(rq, "count");
	struct tenure_ldap_res *res = NULL;
	const char *attr = NULL;
	char value[512];
	long start = 1, count = 100, total, i = 0;
	json_t *list, *o;
	int rc;

	if ((si && tenure_parse_long(si, -2147483647L, 2147483647L, &start)) ||
	    (cnt && tenure_parse_long(cnt, -2147483647L, 2147483647L, &count))) {
		scim_error(r, 400, "invalidValue", "startIndex and count are integers");
		return;
	}
	if (start < 1)
		start = 1;
	if (count < 0)
		count = 0;
	if (count > MAX_COUNT)
		count = MAX_COUNT;
	if (filter && parse_filter(filter, &attr, value, sizeof(value))) {
		scim_error(r, 400, "invalidFilter",
			   "supported filters: userName eq \"...\", externalId eq \"...\", id eq \"...\"");
		return;
	}
	if (attr && !strcmp(attr, "entryUUID") && !valid_uuid(value))
		rc = -ENOENT;
	else
		rc = search_users(rt, attr, attr ? value : NULL, &res);
	if (rc && rc != -ENOENT) {
		ldap_failure(r, rc);
		return;
	}
	total = rc ? 0 : tenure_ldap_res_count(res);
	list = json_array();
	for (tenure_ldap_entry *e = rc ? NULL : tenure_ldap_first(res); e;
	     e = tenure_ldap_next(res, e)) {
		i++;
		if (i < start || (long)json_array_size(list) >= count)
			continue;
		json_array_append_new(list, user_json(res, e, -1));
	}
	tenure_ldap_res_free(res);
	o = json_pack("{s:[s],s:I,s:I,s:I,s:o}", "schemas", SCIM_LIST, "totalResults",
		      (json_int_t)total, "startIndex", (json_int_t)start, "itemsPerPage",
		      (json_int_t)json_array_size(list), "Resources", list);
	put_json(r, 200, o);
}

/* ---- changes of `active` become journaled events ---- */

static int journal_active(const char *uid, int active, const char *why, struct reply *r)
{
	struct tenure_event ev = { 0 };
	char hex[33];
	int rc;

	syncd_random_hex(hex, 16);
	snprintf(ev.id, sizeof(ev.id), "scim-%s", hex);
	snprintf(ev.source, sizeof(ev.source), "scim");
	snprintf(ev.user, sizeof(ev.user), "%s", uid);
	snprintf(ev.reason, sizeof(ev.reason), "%s", why);
	ev.type = active ? TENURE_EV_REHIRE : TENURE_EV_LEAVER;
	rc = syncd_intake(&ev);
	if (rc == -EAGAIN) {
		scim_error(r, 503, NULL, "backlog full, retry later");
		return -1;
	}
	if (rc < 0) {
		scim_error(r, 503, NULL, "journal unavailable, retry later");
		return -1;
	}
	return 0;
}

/* true/false, or "True"/"False" as Entra sends it: 1, 0, or -1. */
static int bool_of(json_t *v)
{
	if (json_is_boolean(v))
		return json_is_true(v);
	if (json_is_string(v)) {
		if (!strcasecmp(json_string_value(v), "true"))
			return 1;
		if (!strcasecmp(json_string_value(v), "false"))
			return 0;
	}
	return -1;
}

/* `active` inside an object, any case of the key. */
static int active_in(json_t *obj, int *active)
{
	const char *k;
	json_t *v;

	json_object_foreach(obj, k, v) {
		if (!strcasecmp(k, "active")) {
			int b = bool_of(v);
			if (b < 0)
				return -1;
			*active = b;
		}
	}
	return 0;
}

/* PATCH body: the desired `active` (-1 = not mentioned).  0 or -1 (bad). */
static int patch_active(json_t *body, int *active, const char **why)
{
	json_t *ops = json_object_get(body, "Operations"), *op;
	size_t i;

	if (!ops) {
		const char *k;
		json_t *v;
		json_object_foreach(body, k, v)
			if (!strcasecmp(k, "operations"))
				ops = v;
	}
	*active = -1;
	if (!json_is_array(ops) || json_array_size(ops) == 0) {
		*why = "Operations: a non-empty array is required";
		return -1;
	}
	json_array_foreach(ops, i, op) {
		const char *name = json_string_value(json_object_get(op, "op"));
		const char *path = json_string_value(json_object_get(op, "path"));
		json_t *val = json_object_get(op, "value");

		if (!json_is_object(op) || !name) {
			*why = "each operation needs \"op\"";
			return -1;
		}
		if (strcasecmp(name, "add") && strcasecmp(name, "replace") &&
		    strcasecmp(name, "remove")) {
			*why = "op must be add, replace or remove";
			return -1;
		}
		if (!strcasecmp(name, "remove"))
			continue;
		if (path && !strcasecmp(path, "active")) {
			int b = bool_of(val);
			if (b < 0) {
				*why = "active: a boolean";
				return -1;
			}
			*active = b;
		} else if (!path && json_is_object(val)) {
			if (active_in(val, active)) {
				*why = "active: a boolean";
				return -1;
			}
		}
		/* other attributes are not managed by tenure: accepted, ignored */
	}
	return 0;
}

static json_t *parse_body(const struct request *rq, struct reply *r)
{
	json_error_t jerr;
	json_t *o = json_loadb(rq->body, rq->body_len, JSON_REJECT_DUPLICATES, &jerr);
	char detail[256];

	if (!o || !json_is_object(o)) {
		snprintf(detail, sizeof(detail), "malformed JSON: %s", o ? "not an object" : jerr.text);
		json_decref(o);
		scim_error(r, 400, "invalidSyntax", detail);
		return NULL;
	}
	return o;
}

static void change_user(struct syncd_rt *rt, const struct request *rq, const char *id,
			struct reply *r)
{
	struct tenure_ldap_res *res = NULL;
	json_t *body = NULL;
	const char *why = NULL;
	char uid[TENURE_EV_USER_MAX + 1];
	int active = -1;

	if (strcmp(rq->method, "DELETE")) {
		body = parse_body(rq, r);
		if (!body)
			return;
		if (!strcmp(rq->method, "PATCH") ? patch_active(body, &active, &why)
						  : active_in(body, &active)) {
			scim_error(r, 400, "invalidValue", why ? why : "active: a boolean");
			goto out;
		}
	} else {
		active = 0;
	}
	if (find_by_id(rt, id, r, &res))
		goto out;
	if (tenure_ldap_get_str(res, tenure_ldap_first(res), "uid", uid, sizeof(uid)) ||
	    !syncd_valid_user(uid)) {
		scim_error(r, 500, NULL, "the entry's uid is not usable");
		goto out;
	}
	if (active >= 0 && journal_active(uid, active, !strcmp(rq->method, "DELETE")
				  ? "SCIM DELETE" : active ? "SCIM active=true"
							   : "SCIM active=false", r))
		goto out;
	if (!strcmp(rq->method, "DELETE")) {
		reply_text(r, 204, NULL, "");
		goto out;
	}
	put_json(r, 200, user_json(res, tenure_ldap_first(res), active));
out:
	tenure_ldap_res_free(res);
	json_decref(body);
}

/* ---- POST /Users ---- */

static int next_uid(struct syncd_rt *rt, long *out)
{
	static const char *const attrs[] = { "uidNumber", NULL };
	struct tenure_ldap *ld = syncd_ldap(rt);
	struct tenure_ldap_res *res = NULL;
	long max = rt->cfg->uid_min - 1, v;
	int rc;

	if (!ld)
		return -ENOMEM;
	rc = tenure_ldap_search(ld, people_base(rt->cfg), LDAP_SCOPE_SUBTREE, "(uidNumber=*)",
				attrs, 0, &res);
	if (rc && rc != -ENOENT)
		return rc;
	for (tenure_ldap_entry *e = rc ? NULL : tenure_ldap_first(res); e;
	     e = tenure_ldap_next(res, e))
		if (!tenure_ldap_get_long(res, e, "uidNumber", 0, 4294967295L, &v) &&
		    v >= rt->cfg->uid_min && v <= rt->cfg->uid_max && v > max)
			max = v;
	tenure_ldap_res_free(res);
	if (max + 1 > rt->cfg->uid_max)
		return -ENOSPC;
	*out = max + 1;
	return 0;
}

/* Whether an entry created before DN also holds uidNumber N (another
 * tenure-syncd on the same directory, or an admin, between our search and
 * our add): 1 with its DN in other, 0 when DN is the only or the earliest
 * holder, or a negative errno.  "Earliest" is by entryCSN, the time of an
 * entry's last change -- for entries just added, their creation -- which
 * orders changes on a directory with one provider (with several, clocks
 * decide: the overlay is the sure way); equal CSNs fall back to the DN, so
 * two writers agree on who keeps the number. */
static int uid_held_earlier(struct syncd_rt *rt, long n, const char *dn, char *other,
			    size_t olen)
{
	static const char *const attrs[] = { "entryCSN", NULL };
	struct tenure_ldap *ld = syncd_ldap(rt);
	struct tenure_ldap_res *res = NULL;
	char filter[64], mine[128] = "", csn[128], edn[700];
	char best[128] = "", best_dn[700] = "";
	int rc;

	if (!ld)
		return -ENOMEM;
	snprintf(filter, sizeof(filter), "(uidNumber=%ld)", n);
	rc = tenure_ldap_search(ld, people_base(rt->cfg), LDAP_SCOPE_SUBTREE, filter, attrs, 0, &res);
	if (rc)
		return rc == -ENOENT ? 0 : rc;
	for (tenure_ldap_entry *e = tenure_ldap_first(res); e; e = tenure_ldap_next(res, e)) {
		if (tenure_ldap_get_dn(res, e, edn, sizeof(edn)) ||
		    tenure_ldap_get_str(res, e, "entryCSN", csn, sizeof(csn)))
			continue;
		if (strcasecmp(edn, dn) == 0) {
			snprintf(mine, sizeof(mine), "%s", csn);
			continue;
		}
		if (!best[0] || strcmp(csn, best) < 0 ||
		    (strcmp(csn, best) == 0 && strcasecmp(edn, best_dn) < 0)) {
			snprintf(best, sizeof(best), "%s", csn);
			snprintf(best_dn, sizeof(best_dn), "%s", edn);
		}
	}
	tenure_ldap_res_free(res);
	if (!best[0])
		return 0;
	if (mine[0] && (strcmp(mine, best) < 0 || (strcmp(mine, best) == 0 && strcasecmp(dn, best_dn) < 0)))
		return 0;
	snprintf(other, olen, "%s", best_dn);
	return 1;
}

/* After the add: if an earlier entry holds the same uidNumber, move ours
 * to a free one (and check again).  Without the unique overlay this is
 * what keeps numbers distinct across several tenure-syncd on one
 * directory; with it, it still matters, because the overlay checks before
 * each write: two adds of the same number at the same moment can both
 * pass it (seen under load). */
static int settle_uid(struct syncd_rt *rt, const char *dn, long *uidn)
{
	char other[700], num[24];
	char *vals[] = { num, NULL };
	LDAPMod m = { .mod_op = LDAP_MOD_REPLACE, .mod_type = (char *)"uidNumber", .mod_values = vals };
	LDAPMod *mods[] = { &m, NULL };
	long next;
	int rc;

	for (int i = 0; i < 16; i++) {
		rc = uid_held_earlier(rt, *uidn, dn, other, sizeof(other));
		if (rc <= 0)
			return rc;
		rc = next_uid(rt, &next);
		if (rc)
			return rc;
		tenure_log(&S.log, LOG_WARNING,
			   "scim create: uidNumber %ld of %s is also held by %s, created earlier by "
			   "another writer: moving to %ld (the unique overlay, "
			   "examples/ldap/unique.conf, makes the directory refuse such duplicates)",
			   *uidn, dn, other, next);
		snprintf(num, sizeof(num), "%ld", next);
		rc = tenure_ldap_modify(syncd_ldap(rt), dn, mods);
		if (rc == -EPROTO &&
		    tenure_ldap_result_code(syncd_ldap(rt)) == LDAP_CONSTRAINT_VIOLATION)
			continue;   /* the overlay: someone took `next` meanwhile */
		if (rc)
			return rc;
		*uidn = next;
	}
	return -EAGAIN;
}

struct newuser {
	const char *userName, *given, *family, *formatted, *mail, *ext;
};

static const char *read_newuser(json_t *b, struct newuser *u)
{
	json_t *name = json_object_get(b, "name"), *emails = json_object_get(b, "emails");

	memset(u, 0, sizeof(*u));
	u->userName = json_string_value(json_object_get(b, "userName"));
	if (!u->userName || !syncd_valid_user(u->userName))
		return "userName: required, 1..64 of A-Z a-z 0-9 . _ @ -";
	u->ext = json_string_value(json_object_get(b, "externalId"));
	u->given = json_string_value(json_object_get(name, "givenName"));
	u->family = json_string_value(json_object_get(name, "familyName"));
	u->formatted = json_string_value(json_object_get(name, "formatted"));
	if (!u->formatted)
		u->formatted = json_string_value(json_object_get(b, "displayName"));
	if (json_is_array(emails) && json_array_size(emails))
		u->mail = json_string_value(json_object_get(json_array_get(emails, 0), "value"));
	const char *all[] = { u->given, u->family, u->formatted, u->mail, u->ext };
	for (size_t i = 0; i < 5; i++)
		if (all[i] && (strlen(all[i]) > 256 || !tenure_utf8_valid(all[i], strlen(all[i])) ||
			       !*all[i]))
			return "name, emails and externalId: non-empty UTF-8 strings of at most 256 bytes";
	return NULL;
}

static int add_entry(struct syncd_rt *rt, const struct newuser *u, long uidn, char *dn,
		     size_t dnlen)
{
	const struct tenure_config *cfg = rt->cfg;
	char uidnum[24], gidnum[24], home[600], cnbuf[600], today[24];
	const char *oc[] = { "inetOrgPerson", "posixAccount", "shadowAccount", NULL };
	const char *cn = u->formatted;
	LDAPMod m[14], *mods[15];
	char *vals[14][4];
	int n = 0;

	if (!cn) {
		if (u->given && u->family)
			snprintf(cnbuf, sizeof(cnbuf), "%s %s", u->given, u->family);
		else
			snprintf(cnbuf, sizeof(cnbuf), "%s", u->userName);
		cn = cnbuf;
	}
	snprintf(uidnum, sizeof(uidnum), "%ld", uidn);
	snprintf(gidnum, sizeof(gidnum), "%ld", cfg->default_gid);
	snprintf(home, sizeof(home), "%s/%s", cfg->home_base, u->userName);
	snprintf(today, sizeof(today), "%ld", (long)(time(NULL) / 86400));
	snprintf(dn, dnlen, "uid=%s,%s", u->userName, people_base(cfg));
#define ADD1(attr, val) do { if ((const char *)(val) != NULL) { vals[n][0] = (char *)(val); vals[n][1] = NULL; \
	m[n].mod_op = LDAP_MOD_ADD; m[n].mod_type = (char *)(attr); m[n].mod_values = vals[n]; \
	mods[n] = &m[n]; n++; } } while (0)
	m[n].mod_op = LDAP_MOD_ADD;
	m[n].mod_type = (char *)"objectClass";
	m[n].mod_values = (char **)oc;
	mods[n] = &m[n];
	n++;
	ADD1("uid", u->userName);
	ADD1("cn", cn);
	ADD1("sn", u->family ? u->family : u->userName);
	ADD1("givenName", u->given);
	ADD1("mail", u->mail);
	ADD1("employeeNumber", u->ext);
	ADD1("uidNumber", (const char *)uidnum);
	ADD1("gidNumber", (const char *)gidnum);
	ADD1("homeDirectory", (const char *)home);
	ADD1("loginShell", cfg->login_shell);
	ADD1("shadowLastChange", (const char *)today);
#undef ADD1
	mods[n] = NULL;
	return tenure_ldap_add(syncd_ldap(rt), dn, mods);
}

static void create_user(struct syncd_rt *rt, const struct request *rq, struct reply *r)
{
	struct tenure_ldap_res *res = NULL;
	struct newuser u;
	json_t *body = parse_body(rq, r);
	const char *bad;
	char dn[700], detail[300];
	long uidn = 0;
	int rc, active;

	if (!body)
		return;
	bad = read_newuser(body, &u);
	active = json_object_get(body, "active") ? bool_of(json_object_get(body, "active")) : 1;
	if (bad || active < 0) {
		scim_error(r, 400, "invalidValue", bad ? bad : "active: a boolean");
		goto out;
	}
	pthread_mutex_lock(&create_lock);
	rc = search_users(rt, "uid", u.userName, &res);
	if (!rc && tenure_ldap_res_count(res) > 0) {
		pthread_mutex_unlock(&create_lock);
		snprintf(detail, sizeof(detail), "userName %s already exists", u.userName);
		scim_error(r, 409, "uniqueness", detail);
		goto out;
	}
	tenure_ldap_res_free(res);
	res = NULL;
	if (rc && rc != -ENOENT) {
		pthread_mutex_unlock(&create_lock);
		ldap_failure(r, rc);
		goto out;
	}
	/* Another writer may take the number between the search and the add:
	 * a directory with the unique overlay refuses ours (constraint
	 * violation), and the next search sees theirs. */
	for (int attempt = 0;; attempt++) {
		rc = next_uid(rt, &uidn);
		if (!rc)
			rc = add_entry(rt, &u, uidn, dn, sizeof(dn));
		if (rc != -EPROTO || attempt == 15 ||
		    tenure_ldap_result_code(syncd_ldap(rt)) != LDAP_CONSTRAINT_VIOLATION)
			break;
		tenure_log(&S.log, LOG_INFO, "scim create user=%s: uidNumber %ld taken meanwhile (%s); "
			   "trying the next", u.userName, uidn, tenure_ldap_error(syncd_ldap(rt)));
	}
	if (!rc) {
		rc = settle_uid(rt, dn, &uidn);
		if (rc)
			tenure_log(&S.log, LOG_ERR, "scim create user=%s: %s was added but its uidNumber "
				   "%ld could not be checked unique: %s", u.userName, dn, uidn,
				   tenure_ldap_error(syncd_ldap(rt)));
	}
	pthread_mutex_unlock(&create_lock);
	if (rc == -ENOSPC) {
		scim_error(r, 409, "uniqueness", "no free uidNumber left in uid_min..uid_max");
		goto out;
	}
	if (rc) {
		tenure_log(&S.log, LOG_ERR, "scim create user=%s failed: %s", u.userName,
			   tenure_ldap_error(syncd_ldap(rt)));
		if (rc == -EPROTO && strstr(tenure_ldap_error(syncd_ldap(rt)), "exists"))
			scim_error(r, 409, "uniqueness", "userName already exists");
		else
			ldap_failure(r, rc);
		goto out;
	}
	tenure_log(&S.log, LOG_INFO, "scim create user=%s uidNumber=%ld dn=%s", u.userName, uidn, dn);
	syncd_audit("create", "source", "scim", "user", u.userName, "dn", dn, (const char *)NULL);
	rc = search_users(rt, "uid", u.userName, &res);
	if (rc || tenure_ldap_res_count(res) != 1) {
		ldap_failure(r, rc ? rc : -EPROTO);
		goto out;
	}
	if (!active && journal_active(u.userName, 0, "SCIM create active=false", r))
		goto out;
	{
		json_t *o = user_json(res, tenure_ldap_first(res), active);
		const char *loc = json_string_value(json_object_get(json_object_get(o, "meta"),
								    "location"));
		snprintf(r->location, sizeof(r->location), "%s", loc ? loc : "");
		put_json(r, 201, o);
	}
out:
	tenure_ldap_res_free(res);
	json_decref(body);
}

/* ---- discovery ---- */

static void service_provider_config(struct reply *r)
{
	json_t *o = json_pack(
		"{s:[s],s:s,s:{s:b},s:{s:b,s:i,s:i},s:{s:b,s:i},s:{s:b},s:{s:b},s:{s:b},"
		"s:[{s:s,s:s,s:s,s:b}],s:{s:s}}",
		"schemas", "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig",
		"documentationUri", "man:tenure-syncd(8)",
		"patch", "supported", 1,
		"bulk", "supported", 0, "maxOperations", 0, "maxPayloadSize", 0,
		"filter", "supported", 1, "maxResults", MAX_COUNT,
		"changePassword", "supported", 0,
		"sort", "supported", 0,
		"etag", "supported", 0,
		"authenticationSchemes", "type", "oauthbearertoken", "name", "OAuth Bearer Token",
		"description", "Authentication with a bearer token", "primary", 1,
		"meta", "resourceType", "ServiceProviderConfig");
	put_json(r, 200, o);
}

static json_t *attr_def(const char *name, const char *type, int multi, int required,
			const char *mut, const char *uniq)
{
	return json_pack("{s:s,s:s,s:b,s:b,s:b,s:s,s:s,s:s}", "name", name, "type", type,
			 "multiValued", multi, "required", required, "caseExact", 0,
			 "mutability", mut, "returned", "default", "uniqueness", uniq);
}

static json_t *user_schema(void)
{
	json_t *attrs = json_array(), *name = attr_def("name", "complex", 0, 0, "readWrite", "none");
	json_t *emails = attr_def("emails", "complex", 1, 0, "readWrite", "none");

	json_array_append_new(attrs, attr_def("userName", "string", 0, 1, "readWrite", "server"));
	json_object_set_new(name, "subAttributes", json_pack("[o,o,o]",
		attr_def("givenName", "string", 0, 0, "readWrite", "none"),
		attr_def("familyName", "string", 0, 0, "readWrite", "none"),
		attr_def("formatted", "string", 0, 0, "readWrite", "none")));
	json_array_append_new(attrs, name);
	json_object_set_new(emails, "subAttributes", json_pack("[o]",
		attr_def("value", "string", 0, 0, "readWrite", "none")));
	json_array_append_new(attrs, emails);
	json_array_append_new(attrs, attr_def("active", "boolean", 0, 0, "readWrite", "none"));
	json_array_append_new(attrs, attr_def("externalId", "string", 0, 0, "readWrite", "none"));
	return json_pack("{s:[s],s:s,s:s,s:s,s:o,s:{s:s,s:s}}",
			 "schemas", "urn:ietf:params:scim:schemas:core:2.0:Schema",
			 "id", SCIM_USER, "name", "User", "description", "User Account",
			 "attributes", attrs, "meta", "resourceType", "Schema",
			 "location", "/scim/v2/Schemas/" SCIM_USER);
}

static json_t *user_type(void)
{
	return json_pack("{s:[s],s:s,s:s,s:s,s:s,s:s,s:{s:s,s:s}}",
			 "schemas", "urn:ietf:params:scim:schemas:core:2.0:ResourceType",
			 "id", "User", "name", "User", "endpoint", "/Users",
			 "description", "User Account", "schema", SCIM_USER,
			 "meta", "resourceType", "ResourceType",
			 "location", "/scim/v2/ResourceTypes/User");
}

static void list_of(struct reply *r, json_t *item)
{
	json_t *arr = json_array();

	if (item)
		json_array_append_new(arr, item);
	put_json(r, 200, json_pack("{s:[s],s:I,s:i,s:I,s:o}", "schemas", SCIM_LIST,
				   "totalResults", (json_int_t)json_array_size(arr), "startIndex", 1,
				   "itemsPerPage", (json_int_t)json_array_size(arr), "Resources", arr));
}

void scim_handle(const struct request *rq, struct reply *r)
{
	struct syncd_rt *rt = rt_get();
	const char *p = rq->path + 8;      /* after /scim/v2 */
	const char *m = rq->method;
	int get = !strcmp(m, "GET");

	if (!authorized(rq, rt)) {
		syncd_audit("reject", "source", "scim", "error", "bad bearer token", (const char *)NULL);
		scim_error(r, 401, NULL, "Authorization failure: a valid bearer token is required");
		goto out;
	}
	if (!strcmp(p, "/Users") || !strcmp(p, "/Users/")) {
		if (get)
			list_users(rt, rq, r);
		else if (!strcmp(m, "POST"))
			create_user(rt, rq, r);
		else
			scim_error(r, 405, NULL, "method not allowed");
	} else if (!strncmp(p, "/Users/", 7)) {
		struct tenure_ldap_res *res = NULL;
		if (get) {
			if (!find_by_id(rt, p + 7, r, &res))
				put_json(r, 200, user_json(res, tenure_ldap_first(res), -1));
			tenure_ldap_res_free(res);
		} else if (!strcmp(m, "PATCH") || !strcmp(m, "PUT") || !strcmp(m, "DELETE")) {
			change_user(rt, rq, p + 7, r);
		} else {
			scim_error(r, 405, NULL, "method not allowed");
		}
	} else if (!get) {
		scim_error(r, 405, NULL, "method not allowed");
	} else if (!strcmp(p, "/ServiceProviderConfig")) {
		service_provider_config(r);
	} else if (!strcmp(p, "/Schemas")) {
		list_of(r, user_schema());
	} else if (!strcmp(p, "/Schemas/" SCIM_USER)) {
		put_json(r, 200, user_schema());
	} else if (!strcmp(p, "/ResourceTypes")) {
		list_of(r, user_type());
	} else if (!strcmp(p, "/ResourceTypes/User")) {
		put_json(r, 200, user_type());
	} else if (!strcmp(p, "/Groups")) {
		list_of(r, NULL);
	} else {
		scim_error(r, 404, NULL, "no such endpoint");
	}
out:
	rt_put(rt);
}
