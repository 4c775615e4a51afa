/* tenure-syncd — small helpers: time, ids, the reloadable runtime, audit. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <jansson.h>

#include "syncd.h"
#include "tenure/secret.h"

double syncd_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void syncd_random_hex(char *buf, size_t nbytes)
{
	static const char digits[] = "0123456789abcdef";
	unsigned char raw[64];

	if (nbytes > sizeof(raw))
		nbytes = sizeof(raw);
	if (getrandom(raw, nbytes, 0) != (ssize_t)nbytes) {
		/* getrandom on a booted system does not fail for <= 256 bytes. */
		for (size_t i = 0; i < nbytes; i++)
			raw[i] = (unsigned char)rand();
	}
	for (size_t i = 0; i < nbytes; i++) {
		buf[2 * i] = digits[raw[i] >> 4];
		buf[2 * i + 1] = digits[raw[i] & 15];
	}
	buf[2 * nbytes] = '\0';
}

static int digits_n(const char *s, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

/* RFC 3339 date-time ("2026-01-31T17:00:00Z", "...+02:00", fractions
 * ignored) or a full date ("2026-01-31", midnight UTC). */
int syncd_parse_time(const char *s, int64_t *out)
{
	struct tm tm = { 0 };
	int y, mo, d, h = 0, mi = 0, se = 0, oh, om, sign = 0;
	const char *p;
	time_t t;

	if (!s || strlen(s) < 10 || digits_n(s, 4, &y) || s[4] != '-' || digits_n(s + 5, 2, &mo) ||
	    s[7] != '-' || digits_n(s + 8, 2, &d))
		return -EINVAL;
	p = s + 10;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		if (digits_n(p + 1, 2, &h) || p[3] != ':' || digits_n(p + 4, 2, &mi) ||
		    p[6] != ':' || digits_n(p + 7, 2, &se))
			return -EINVAL;
		p += 9;
		if (*p == '.') {
			p++;
			if (*p < '0' || *p > '9')
				return -EINVAL;
			while (*p >= '0' && *p <= '9')
				p++;
		}
		if (*p == 'Z' || *p == 'z') {
			p++;
		} else if (*p == '+' || *p == '-') {
			sign = *p == '+' ? 1 : -1;
			if (digits_n(p + 1, 2, &oh) || p[3] != ':' || digits_n(p + 4, 2, &om) ||
			    oh > 23 || om > 59)
				return -EINVAL;
			p += 6;
		} else {
			return -EINVAL;
		}
	}
	if (*p || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60 || y < 1970)
		return -EINVAL;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	t = timegm(&tm);
	if (t == (time_t)-1)
		return -EINVAL;
	if (sign)
		t -= sign * (oh * 3600 + om * 60);
	*out = (int64_t)t;
	return 0;
}

static const char *const source_names[SRC_N] = { "scim", "webhook", "csv", "other" };

int syncd_source_index(const char *source)
{
	for (int i = 0; i < SRC_OTHER; i++)
		if (!strcmp(source, source_names[i]))
			return i;
	return SRC_OTHER;
}

const char *syncd_source_name(int idx)
{
	return idx >= 0 && idx < SRC_N ? source_names[idx] : "other";
}

/* A uid as tenure accepts it from HR feeds: 1..64 of [A-Za-z0-9._@-], not
 * starting with '-'. */
int syncd_valid_user(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > TENURE_EV_USER_MAX || s[0] == '-')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._@-", s[i]))
			return 0;
	return 1;
}

/* An event id: 1..128 of [A-Za-z0-9._:@/+=-]. */
int syncd_valid_id(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > TENURE_EV_ID_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:@/+=-", s[i]))
			return 0;
	return 1;
}

/* ---- the reloadable runtime ---- */

static void strv_wipe(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		secret_free(v[i]);
	free(v);
}

void rt_free(struct syncd_rt *rt)
{
	if (!rt)
		return;
	strv_wipe(rt->tokens, rt->n_tokens);
	strv_wipe(rt->hmac, rt->n_hmac);
	tenure_config_free(rt->cfg);
	free(rt);
}

/* One secret per non-empty line. */
static int read_lines(const char *path, char ***out, size_t *n, char *err, size_t errlen)
{
	char *text = NULL, *save = NULL, *line;
	size_t len = 0, cap = 0;
	char **v = NULL;
	int rc;

	rc = tenure_read_secret_file(path, &text, &len, err, errlen);
	if (rc)
		return rc;
	for (line = strtok_r(text, "\r\n", &save); line; line = strtok_r(NULL, "\r\n", &save)) {
		if (!*line)
			continue;
		if (*n == cap) {
			char **nv = realloc(v, (cap = cap ? cap * 2 : 4) * sizeof(*v));
			if (!nv) {
				rc = -ENOMEM;
				break;
			}
			v = nv;
		}
		v[(*n)++] = secret_strdup(line);
	}
	secret_freezero(text, len);
	if (!rc && *n == 0) {
		snprintf(err, errlen, "%s: no secret in the file", path);
		rc = -EINVAL;
	}
	*out = v;
	return rc;
}

int rt_load(const char *path, struct syncd_rt **out, char *err, size_t errlen)
{
	struct syncd_rt *rt = calloc(1, sizeof(*rt));
	int rc;

	if (!rt || !(rt->cfg = tenure_config_new())) {
		free(rt);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	rc = tenure_config_load_file(rt->cfg, TENURE_SCOPE_SYNCD, path, err, errlen);
	if (!rc)
		rc = tenure_config_check(rt->cfg, TENURE_SCOPE_SYNCD, err, errlen);
	if (!rc && rt->cfg->uid_min > rt->cfg->uid_max) {
		snprintf(err, errlen, "%s: uid_min is above uid_max", path);
		rc = -EINVAL;
	}
	if (!rc && rt->cfg->scim_token_file)
		rc = read_lines(rt->cfg->scim_token_file, &rt->tokens, &rt->n_tokens, err, errlen);
	if (!rc && rt->cfg->webhook_secret_file)
		rc = read_lines(rt->cfg->webhook_secret_file, &rt->hmac, &rt->n_hmac, err, errlen);
	if (rc) {
		rt_free(rt);
		return rc;
	}
	atomic_init(&rt->refs, 1);
	*out = rt;
	return 0;
}

struct syncd_rt *rt_get(void)
{
	struct syncd_rt *rt;

	pthread_mutex_lock(&S.rt_lock);
	rt = S.rt;
	atomic_fetch_add(&rt->refs, 1);
	pthread_mutex_unlock(&S.rt_lock);
	return rt;
}

void rt_put(struct syncd_rt *rt)
{
	if (rt && atomic_fetch_sub(&rt->refs, 1) == 1)
		rt_free(rt);
}

static __thread struct tenure_ldap *tl_ld;
static __thread struct syncd_rt *tl_rt;

struct tenure_ldap *syncd_ldap(struct syncd_rt *rt)
{
	if (tl_ld && tl_rt == rt)
		return tl_ld;
	tenure_ldap_close(tl_ld);
	tl_ld = NULL;
	rt_put(tl_rt);
	tl_rt = NULL;
	if (tenure_ldap_open(rt->cfg, rt->cfg->binddn ? TENURE_LDAP_SERVICE : TENURE_LDAP_ANON,
			     &tl_ld))
		return NULL;
	atomic_fetch_add(&rt->refs, 1);
	tl_rt = rt;
	return tl_ld;
}

/* ---- audit ---- */

/* ,"key":"value" with JSON escaping (jansson); invalid UTF-8 becomes "". */
static void add_field(FILE *f, const char *key, const char *val)
{
	json_t *k = json_string(key), *v = json_string(val ? val : "");
	char *ks, *vs;

	if (!v)
		v = json_string("");
	if (!k || !v) {
		json_decref(k);
		json_decref(v);
		return;
	}
	ks = json_dumps(k, JSON_ENCODE_ANY);
	vs = json_dumps(v, JSON_ENCODE_ANY);
	if (ks && vs)
		fprintf(f, ",%s:%s", ks, vs);
	free(ks);
	free(vs);
	json_decref(k);
	json_decref(v);
}

void syncd_audit_anchor(int force)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static long logged = -1;
	char hash[65];
	long seq;

	if (!S.audit)
		return;
	pthread_mutex_lock(&lock);
	tenure_audit_head(S.audit, &seq, hash);
	if (force || seq != logged) {
		tenure_log(&S.log, LOG_NOTICE, "audit head seq=%ld sha256=%s", seq, hash);
		logged = seq;
	}
	pthread_mutex_unlock(&lock);
}

static void audit_write(char *buf, size_t len)
{
	struct syncd_rt *rt;
	int rc, every;

	if (len > 0 && buf[0] == ',')
		rc = tenure_audit_append(S.audit, buf + 1);
	else
		rc = tenure_audit_append(S.audit, buf);
	if (rc) {
		tenure_log(&S.log, LOG_ERR, "audit append failed: %s", strerror(-rc));
		return;
	}
	rt = rt_get();
	every = rt && rt->cfg->audit_anchor_interval == 0;
	if (rt)
		rt_put(rt);
	if (every)
		syncd_audit_anchor(0);
}

void syncd_audit(const char *action, ...)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	const char *k, *v;
	va_list ap;

	if (!f)
		return;
	add_field(f, "action", action);
	va_start(ap, action);
	while ((k = va_arg(ap, const char *)) != NULL) {
		v = va_arg(ap, const char *);
		add_field(f, k, v);
	}
	va_end(ap);
	fclose(f);
	audit_write(buf, len);
	free(buf);
}

void syncd_audit_event(const char *action, const struct tenure_event *ev, const char *detail)
{
	char eff[32];

	snprintf(eff, sizeof(eff), "%lld", (long long)ev->effective);
	syncd_audit(action, "id", ev->id, "source", ev->source,
		    "type", tenure_ev_type_name(ev->type), "user", ev->user,
		    "employee_id", ev->employee_id, "effective", eff,
		    "detail", detail ? detail : "", (const char *)NULL);
}
