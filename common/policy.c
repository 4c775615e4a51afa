/* tenure — password policy engine.
 *
 * pwquality's rules and option names (minlen with credits, minclass,
 * maxrepeat, maxsequence, maxclassrepeat, usercheck, gecoscheck, dictcheck,
 * difok, badwords) over Unicode code points, plus a dictionary check that
 * sees through the usual disguises and the breached-password filter.  Every
 * failed rule is reported (explain mode); nothing here logs or prints.
 *
 * The dictionary check parses the candidate into the cheapest sequence of
 * tokens -- dictionary words and common passwords (forwards or reversed,
 * any case, leetspeak undone), years, runs, sequences, single characters --
 * and estimates the guessing cost in bits, in the spirit of zxcvbn.  A
 * candidate that uses at least one word and costs fewer than DICT_BITS is
 * refused: `Summ3r2024!` is "summer" + a year + "!", about 30 bits.
 */
#include "tenure/policy.h"
#include "tenure/config.h"
#include "tenure/filter.h"
#include "tenure/ldap.h"
#include "tenure/secret.h"

#include <errno.h>
#include <libintl.h>
#include <locale.h>
#include <math.h>   /* INFINITY only */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>

#ifndef TENURE_DATADIR
#define TENURE_DATADIR "/usr/share/tenure"
#endif

#define N_(s) s
#define HARD_MAX    4096     /* code points examined at most */
#define WORD_MIN    4        /* shortest dictionary token */
#define WORD_MAXLEN 32       /* longest dictionary token */
#define DICT_BITS   45.0     /* dictcheck refuses below this */

enum cls { C_DIGIT, C_UPPER, C_LOWER, C_OTHER };

struct tenure_policy {
	const struct tenure_config *cfg;
	struct tenure_dict *words;     /* installed list */
	struct tenure_dict *extra;     /* dictpath */
	struct tenure_filter *filter;
	double word_bits, common_bits;
};

static const struct {
	const char *code;
	const char *msg;
} reasons[TENURE_PW_NREASONS] = {
	[0] = { "ok", N_("The password is acceptable.") },
	[TENURE_PW_EMPTY] = { "empty", N_("No password was given.") },
	[TENURE_PW_BAD_UTF8] = { "utf8", N_("The password is not valid UTF-8 text.") },
	[TENURE_PW_TOO_LONG] = { "maxlen", N_("The password is longer than %d characters.") },
	[TENURE_PW_TOO_SHORT] = { "minlen", N_("The password is shorter than %d characters.") },
	[TENURE_PW_DIGITS] = { "dcredit", N_("The password contains fewer than %d digits.") },
	[TENURE_PW_UPPER] = { "ucredit", N_("The password contains fewer than %d upper-case letters.") },
	[TENURE_PW_LOWER] = { "lcredit", N_("The password contains fewer than %d lower-case letters.") },
	[TENURE_PW_OTHER] = { "ocredit", N_("The password contains fewer than %d non-alphanumeric characters.") },
	[TENURE_PW_CLASSES] = { "minclass",
		N_("The password contains fewer than %d character classes (digits, upper case, lower case, others).") },
	[TENURE_PW_REPEAT] = { "maxrepeat", N_("The password contains more than %d identical characters in a row.") },
	[TENURE_PW_SEQUENCE] = { "maxsequence",
		N_("The password contains a sequence (like 12345 or abcde) longer than %d characters.") },
	[TENURE_PW_CLASSREPEAT] = { "maxclassrepeat",
		N_("The password contains more than %d characters of the same class in a row.") },
	[TENURE_PW_USER] = { "usercheck", N_("The password contains the user name in some form.") },
	[TENURE_PW_GECOS] = { "gecoscheck", N_("The password contains words from the user's name or account information.") },
	[TENURE_PW_BADWORD] = { "badwords", N_("The password contains a forbidden word.") },
	[TENURE_PW_DICT] = { "dictcheck",
		N_("The password is based on dictionary words or common passwords (capitals, digits, symbols or leetspeak do not hide them).") },
	[TENURE_PW_BREACHED] = { "breached", N_("The password appears in a list of breached or common passwords.") },
	[TENURE_PW_SAME] = { "same", N_("The password is the same as the old one.") },
	[TENURE_PW_DIFOK] = { "difok", N_("The new password differs from the old one in fewer than %d characters.") },
	[TENURE_PW_REUSED] = { "remember", N_("The password was used recently (it is one of the last %d).") },
};

const char *tenure_policy_message(int reason)
{
	if (reason < 0 || reason >= TENURE_PW_NREASONS)
		reason = 0;
	return reasons[reason].msg;
}

const char *tenure_policy_code(int reason)
{
	if (reason < 0 || reason >= TENURE_PW_NREASONS)
		reason = 0;
	return reasons[reason].code;
}

/* The translation is data: substitute "%d" by hand instead of handing a
 * translated string to printf. */
void tenure_policy_format(int reason, int arg, char *buf, size_t len)
{
	const char *t = dgettext("tenure", tenure_policy_message(reason));
	const char *p = strstr(t, "%d");

	if (!len)
		return;
	if (!p)
		snprintf(buf, len, "%s", t);
	else
		snprintf(buf, len, "%.*s%d%s", (int)(p - t), t, arg, p + 2);
}

void tenure_policy_result_add(struct tenure_pw_result *res, int reason, int arg)
{
	for (int i = 0; i < res->n; i++)
		if (res->reason[i] == reason)
			return;
	if (res->n < TENURE_PW_MAXREASONS) {
		res->reason[res->n] = reason;
		res->arg[res->n] = arg;
		res->n++;
	}
}

/* ---- character classes, in a fixed UTF-8 locale ---- */

static pthread_once_t loc_once = PTHREAD_ONCE_INIT;
static locale_t loc_utf8;

static void loc_init(void)
{
	loc_utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

static uint32_t lower_cp(uint32_t c)
{
	if (c < 0x80)
		return (c >= 'A' && c <= 'Z') ? c + 32 : c;
	return loc_utf8 ? (uint32_t)towlower_l((wint_t)c, loc_utf8) : c;
}

static enum cls class_of(uint32_t c)
{
	if (c >= '0' && c <= '9')
		return C_DIGIT;
	if (c < 0x80) {
		if (c >= 'A' && c <= 'Z')
			return C_UPPER;
		if (c >= 'a' && c <= 'z')
			return C_LOWER;
		return C_OTHER;
	}
	if (!loc_utf8)
		return C_OTHER;
	if (iswupper_l((wint_t)c, loc_utf8))
		return C_UPPER;
	if (iswlower_l((wint_t)c, loc_utf8) || iswalpha_l((wint_t)c, loc_utf8))
		return C_LOWER;   /* letters without case are letters */
	if (iswdigit_l((wint_t)c, loc_utf8))
		return C_DIGIT;
	return C_OTHER;
}

/* Decode valid UTF-8 (checked before) into code points; returns the count
 * or, past max, max + 1. */
static size_t decode(const char *s, size_t len, uint32_t *out, size_t max)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	size_t n = 0;

	while (p < end) {
		uint32_t c = *p;
		int extra = c < 0x80 ? 0 : c < 0xe0 ? 1 : c < 0xf0 ? 2 : 3;

		if (extra)
			c &= 0x3fu >> extra;
		for (int i = 1; i <= extra; i++)
			c = (c << 6) | (p[i] & 0x3f);
		p += extra + 1;
		if (n == max)
			return max + 1;
		out[n++] = c;
	}
	return n;
}

/* log2 without libm (the front ends do not link it); plenty precise here. */
static double lg2(double x)
{
	double y, y2, sum = 0, term;
	int e = 0;

	if (x <= 0)
		return 0;
	while (x >= 2) {
		x /= 2;
		e++;
	}
	while (x < 1) {
		x *= 2;
		e--;
	}
	y = (x - 1) / (x + 1);
	y2 = y * y;
	term = y;
	for (int k = 1; k < 40; k += 2) {
		sum += term / k;
		term *= y2;
	}
	return e + 2 * sum / 0.69314718055994530942;
}

/* ---- open / close ---- */

int tenure_policy_open(const struct tenure_config *cfg, struct tenure_policy **out,
		       char *err, size_t errlen)
{
	struct tenure_policy *p = calloc(1, sizeof(*p));
	const char *deflt = TENURE_DATADIR "/breached.filter";
	int rc;

	if (!p) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	pthread_once(&loc_once, loc_init);
	p->cfg = cfg;
	if (cfg->dictcheck) {
		/* The shipped list may be absent (not installed): skip it. */
		rc = tenure_dict_load(TENURE_DATADIR "/words", TENURE_DICT_WORD, &p->words);
		if (rc && rc != -ENOENT) {
			snprintf(err, errlen, "%s/words: %s", TENURE_DATADIR, strerror(-rc));
			goto err;
		}
		if (cfg->dictpath) {
			rc = tenure_dict_load(cfg->dictpath, TENURE_DICT_COMMON, &p->extra);
			if (rc) {
				snprintf(err, errlen, "dictpath %s: %s", cfg->dictpath, strerror(-rc));
				goto err;
			}
		}
	}
	if (cfg->breached_filter) {
		rc = tenure_filter_open(cfg->breached_filter, &p->filter);
		if (rc && !(rc == -ENOENT && strcmp(cfg->breached_filter, deflt) == 0)) {
			snprintf(err, errlen, "breached_filter %s: %s", cfg->breached_filter,
				 rc == -EINVAL ? "not a tenure filter file" : strerror(-rc));
			goto err;
		}
	}
	{
		/* A word costs log2 of the list it comes from. */
		size_t nc = tenure_dict_count_kind(p->words, TENURE_DICT_COMMON) +
			    tenure_dict_count_kind(p->extra, TENURE_DICT_COMMON);
		size_t nw = tenure_dict_count(p->words) + tenure_dict_count(p->extra) - nc;
		p->word_bits = lg2((double)(nw > 1024 ? nw : 1024));
		p->common_bits = lg2((double)(nc > 1024 ? nc : 1024));
	}
	*out = p;
	return 0;
err:
	tenure_policy_close(p);
	return rc;
}

void tenure_policy_close(struct tenure_policy *p)
{
	if (!p)
		return;
	tenure_dict_free(p->words);
	tenure_dict_free(p->extra);
	tenure_filter_close(p->filter);
	free(p);
}

unsigned tenure_policy_status(const struct tenure_policy *p)
{
	return (p->words ? 1u : 0) | (p->extra ? 2u : 0) | (p->filter ? 4u : 0);
}

/* ---- disguises ---- */

/* Letters a character may stand for: itself (lower-cased) and leetspeak. */
static int candidates(uint32_t c, uint32_t out[3])
{
	int n = 0;

	out[n++] = lower_cp(c);
	switch (c) {
	case '@': case '4': out[n++] = 'a'; break;
	case '0': out[n++] = 'o'; break;
	case '1': case '!': case '|': out[n++] = 'i'; out[n++] = 'l'; break;
	case '3': out[n++] = 'e'; break;
	case '$': case '5': out[n++] = 's'; break;
	case '7': case '+': out[n++] = 't'; break;
	case '9': case '6': out[n++] = 'g'; break;
	case '8': out[n++] = 'b'; break;
	case '2': out[n++] = 'z'; break;
	}
	return n;
}

/* 1 when target (lower-case code points) occurs in pw at some position,
 * forwards or reversed, after undoing case and leetspeak. */
static int contains_disguised(const uint32_t *pw, size_t n, const uint32_t *t, size_t tn)
{
	if (tn == 0 || tn > n)
		return 0;
	for (int dir = 0; dir < 2; dir++) {
		for (size_t s = 0; s + tn <= n; s++) {
			size_t k;
			for (k = 0; k < tn; k++) {
				uint32_t cand[3], want = dir ? t[tn - 1 - k] : t[k];
				int nc = candidates(pw[s + k], cand), hit = 0;
				for (int i = 0; i < nc; i++)
					hit |= cand[i] == want;
				if (!hit)
					break;
			}
			if (k == tn)
				return 1;
		}
	}
	return 0;
}

/* Decode text into lower-case code points; 0 on invalid UTF-8. */
static size_t to_lower_cps(const char *s, size_t len, uint32_t *out, size_t max)
{
	size_t n;

	if (!tenure_utf8_valid(s, len))
		return 0;
	n = decode(s, len, out, max);
	if (n > max)
		return 0;
	for (size_t i = 0; i < n; i++)
		out[i] = lower_cp(out[i]);
	return n;
}

/* Does pw contain any word (3+ code points) of text, split at spaces,
 * commas and other separators? */
static int contains_word_of(const uint32_t *pw, size_t n, const char *text)
{
	uint32_t t[256];
	size_t tn = to_lower_cps(text, strlen(text), t, 256), s = 0;

	while (s < tn) {
		size_t e = s;
		while (e < tn && class_of(t[e]) != C_OTHER)
			e++;
		if (e - s >= 3 && contains_disguised(pw, n, t + s, e - s))
			return 1;
		s = e + 1;
	}
	return 0;
}

/* ---- guessing cost ---- */

struct dp {
	const struct tenure_policy *p;
	const uint32_t *pw;
	size_t n;
	double *best;       /* best[i]: cost of pw[0..i) */
	int *words;         /* word tokens in that parse */
	double *tok;        /* tok[i*WORD_MAXLEN + len-1]: cheapest word token pw[i..i+len) */
};

static double char_bits(uint32_t c)
{
	switch (class_of(c)) {
	case C_DIGIT: return 3.32;
	case C_UPPER: case C_LOWER: return c < 0x80 ? 4.7 : 8.0;
	default: return c < 0x80 ? 5.0 : 8.0;
	}
}

static void note_token(struct dp *d, size_t start, size_t len, int kind, double extra)
{
	double bits = (kind == TENURE_DICT_COMMON ? d->p->common_bits : d->p->word_bits) + extra;
	double *slot = &d->tok[start * WORD_MAXLEN + len - 1];

	if (*slot == 0 || bits < *slot)
		*slot = bits;
}

static int dict_kind(const struct tenure_policy *p, const char *key, size_t len)
{
	int a = tenure_dict_find(p->extra, key, len), b = tenure_dict_find(p->words, key, len);

	if (a == TENURE_DICT_COMMON || b == TENURE_DICT_COMMON)
		return TENURE_DICT_COMMON;
	return a ? a : b;
}

static int dict_prefix(const struct tenure_policy *p, const char *key, size_t len)
{
	return tenure_dict_has_prefix(p->words, key, len) || tenure_dict_has_prefix(p->extra, key, len);
}

/* Depth-first walk from pw[pos] in direction dir (+1 / -1), extending key
 * with every reading of each character while some word has it as prefix. */
static void walk(struct dp *d, long origin, long pos, int dir, char *key, size_t klen,
		 int leet, int upper)
{
	uint32_t cand[3];
	int nc;

	if (pos < 0 || (size_t)pos >= d->n || klen >= WORD_MAXLEN)
		return;
	nc = candidates(d->pw[pos], cand);
	for (int i = 0; i < nc; i++) {
		int kind;

		if (cand[i] >= 0x80 || cand[i] < 0x21)
			continue;
		key[klen] = (char)cand[i];
		if (!dict_prefix(d->p, key, klen + 1))
			continue;
		{
			int l2 = leet | (i > 0), u2 = upper | (class_of(d->pw[pos]) == C_UPPER);
			if (klen + 1 >= WORD_MIN && (kind = dict_kind(d->p, key, klen + 1))) {
				long a = dir > 0 ? origin : pos;
				note_token(d, (size_t)a, klen + 1, kind, (double)(l2 + u2 + (dir < 0)));
			}
			walk(d, origin, pos + dir, dir, key, klen + 1, l2, u2);
		}
	}
}

static int is_year(const uint32_t *p)
{
	for (int i = 0; i < 4; i++)
		if (p[i] < '0' || p[i] > '9')
			return 0;
	return (p[0] == '1' && p[1] == '9') || (p[0] == '2' && p[1] == '0');
}

#define RUN_MAX 64   /* longest run or sequence scored as one piece */

static void relax(struct dp *d, size_t from, size_t to, double bits, int words)
{
	double c = d->best[from] + bits;

	if (c < d->best[to]) {
		d->best[to] = c;
		d->words[to] = d->words[from] + words;
	}
}

double tenure_policy_guess_bits(const struct tenure_policy *p, const char *pw, size_t len,
				int *words)
{
	uint32_t *cp = NULL;
	struct dp d = { p, NULL, 0, NULL, NULL, NULL };
	char key[WORD_MAXLEN + 1];
	double result = 0;
	size_t n;

	*words = 0;
	pthread_once(&loc_once, loc_init);
	if (!tenure_utf8_valid(pw, len))
		return 0;
	cp = calloc(len + 1, sizeof(*cp));
	if (!cp)
		return 0;
	n = decode(pw, len, cp, HARD_MAX);
	if (n > HARD_MAX)
		goto out;
	d.pw = cp;
	d.n = n;
	d.best = calloc(n + 1, sizeof(double));
	d.words = calloc(n + 1, sizeof(int));
	d.tok = calloc(n * WORD_MAXLEN + 1, sizeof(double));
	if (!d.best || !d.words || !d.tok)
		goto out;
	for (size_t i = 0; i < n; i++) {
		walk(&d, (long)i, (long)i, +1, key, 0, 0, 0);
		walk(&d, (long)i, (long)i, -1, key, 0, 0, 0);
	}
	for (size_t i = 1; i <= n; i++)
		d.best[i] = INFINITY;
	for (size_t i = 0; i < n; i++) {
		size_t run;

		relax(&d, i, i + 1, char_bits(cp[i]), 0);
		for (size_t l = 1; l <= WORD_MAXLEN && i + l <= n; l++)
			if (d.tok[i * WORD_MAXLEN + l - 1] > 0)
				relax(&d, i, i + l, d.tok[i * WORD_MAXLEN + l - 1], 1);
		if (i + 4 <= n && is_year(cp + i))
			relax(&d, i, i + 4, 7.0, 0);
		/* Runs of one character, and sequences like 1234 / dcba, at most
		 * RUN_MAX long each (a longer run is several), so that a long
		 * paste costs linear time. */
		for (run = 1; i + run < n && run < RUN_MAX && cp[i + run] == cp[i]; run++)
			;
		for (size_t l = 3; l <= run; l++)
			relax(&d, i, i + l, char_bits(cp[i]) + lg2((double)l) + 1, 0);
		for (int step = -1; step <= 1; step += 2) {
			for (run = 1; i + run < n && run < RUN_MAX &&
				      cp[i + run] == cp[i + run - 1] + (uint32_t)step; run++)
				;
			for (size_t l = 3; l <= run; l++)
				relax(&d, i, i + l, char_bits(cp[i]) + lg2((double)l) + 2, 0);
		}
	}
	result = d.best[n];
	*words = d.words[n];
out:
	secret_wipe(key, sizeof(key));
	if (cp)
		secret_freezero(cp, (len + 1) * sizeof(*cp));
	free(d.best);
	free(d.words);
	free(d.tok);
	return result;
}

/* ---- the rules ---- */

static size_t longest_run(const uint32_t *cp, size_t n, int by_class)
{
	size_t best = n ? 1 : 0, run = 1;

	for (size_t i = 1; i < n; i++) {
		int same = by_class ? class_of(cp[i]) == class_of(cp[i - 1]) : cp[i] == cp[i - 1];
		run = same ? run + 1 : 1;
		if (run > best)
			best = run;
	}
	return best;
}

static size_t longest_sequence(const uint32_t *cp, size_t n)
{
	size_t best = n ? 1 : 0, run = 1;
	int64_t dir = 0;

	for (size_t i = 1; i < n; i++) {
		int64_t step = (int64_t)cp[i] - (int64_t)cp[i - 1];

		if ((step == 1 || step == -1) && (run == 1 || step == dir))
			run++;
		else if (step == 1 || step == -1)
			run = 2;
		else
			run = 1;
		dir = step;
		if (run > best)
			best = run;
	}
	return best;
}

static size_t levenshtein(const uint32_t *a, size_t an, const uint32_t *b, size_t bn)
{
	size_t *row = calloc(bn + 1, sizeof(*row)), r;

	if (!row)
		return 0;
	for (size_t j = 0; j <= bn; j++)
		row[j] = j;
	for (size_t i = 1; i <= an; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= bn; j++) {
			size_t up = row[j], v = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < v)
				v = up + 1;
			if (row[j - 1] + 1 < v)
				v = row[j - 1] + 1;
			diag = up;
			row[j] = v;
		}
	}
	r = row[bn];
	free(row);
	return r;
}

static void check_composition(const struct tenure_config *c, const uint32_t *cp, size_t n,
			      struct tenure_pw_result *res)
{
	size_t cnt[4] = { 0 };
	long size = (long)n;
	int credit[4] = { c->dcredit, c->ucredit, c->lcredit, c->ocredit };
	static const int why[4] = { TENURE_PW_DIGITS, TENURE_PW_UPPER, TENURE_PW_LOWER, TENURE_PW_OTHER };
	int classes = 0;

	for (size_t i = 0; i < n; i++)
		cnt[class_of(cp[i])]++;
	for (int k = 0; k < 4; k++) {
		if (cnt[k])
			classes++;
		if (credit[k] > 0)
			size += (long)cnt[k] < credit[k] ? (long)cnt[k] : credit[k];
		else if (credit[k] < 0 && (long)cnt[k] < -credit[k])
			tenure_policy_result_add(res, why[k], -credit[k]);
	}
	if (size < c->minlen)
		tenure_policy_result_add(res, TENURE_PW_TOO_SHORT, c->minlen);
	if (c->minclass && classes < c->minclass)
		tenure_policy_result_add(res, TENURE_PW_CLASSES, c->minclass);
	if (c->maxrepeat && longest_run(cp, n, 0) > (size_t)c->maxrepeat)
		tenure_policy_result_add(res, TENURE_PW_REPEAT, c->maxrepeat);
	if (c->maxsequence && longest_sequence(cp, n) > (size_t)c->maxsequence)
		tenure_policy_result_add(res, TENURE_PW_SEQUENCE, c->maxsequence);
	if (c->maxclassrepeat && longest_run(cp, n, 1) > (size_t)c->maxclassrepeat)
		tenure_policy_result_add(res, TENURE_PW_CLASSREPEAT, c->maxclassrepeat);
}

static void check_words(const struct tenure_policy *p, const char *pw, size_t len,
			const uint32_t *cp, size_t n, const struct tenure_pw_account *acct,
			struct tenure_pw_result *res)
{
	const struct tenure_config *c = p->cfg;

	if (c->usercheck && acct && acct->user && strlen(acct->user) >= 3) {
		uint32_t u[256];
		size_t un = to_lower_cps(acct->user, strlen(acct->user), u, 256);
		if (un && contains_disguised(cp, n, u, un))
			tenure_policy_result_add(res, TENURE_PW_USER, 0);
	}
	if (c->gecoscheck && acct && acct->gecos && contains_word_of(cp, n, acct->gecos))
		tenure_policy_result_add(res, TENURE_PW_GECOS, 0);
	if (c->badwords && contains_word_of(cp, n, c->badwords))
		tenure_policy_result_add(res, TENURE_PW_BADWORD, 0);
	if (c->dictcheck && (p->words || p->extra)) {
		int words;
		double bits = tenure_policy_guess_bits(p, pw, len, &words);
		if (words > 0 && bits < DICT_BITS)
			tenure_policy_result_add(res, TENURE_PW_DICT, 0);
	}
	if (p->filter && tenure_filter_contains(p->filter, pw, len))
		tenure_policy_result_add(res, TENURE_PW_BREACHED, 0);
}

static void check_old(const struct tenure_config *c, const char *pw, size_t len,
		      const uint32_t *cp, size_t n, const char *old, struct tenure_pw_result *res)
{
	size_t olen = strlen(old), on;
	uint32_t *ocp;

	if (olen == len && secret_memcmp(old, pw, len) == 0) {
		tenure_policy_result_add(res, TENURE_PW_SAME, 0);
		return;
	}
	if (!c->difok || !tenure_utf8_valid(old, olen))
		return;
	ocp = calloc(olen + 1, sizeof(*ocp));
	if (!ocp)
		return;
	on = decode(old, olen, ocp, HARD_MAX);
	if (on <= HARD_MAX && levenshtein(ocp, on, cp, n) < (size_t)c->difok)
		tenure_policy_result_add(res, TENURE_PW_DIFOK, c->difok);
	secret_freezero(ocp, (olen + 1) * sizeof(*ocp));
}

int tenure_policy_check(const struct tenure_policy *p, const char *pw, size_t len,
			const struct tenure_pw_account *acct, struct tenure_pw_result *res)
{
	const struct tenure_config *c = p->cfg;
	uint32_t *cp = NULL;
	size_t n;

	memset(res, 0, sizeof(*res));
	pthread_once(&loc_once, loc_init);
	if (!pw || len == 0) {
		tenure_policy_result_add(res, TENURE_PW_EMPTY, 0);
		return res->n;
	}
	if (!tenure_utf8_valid(pw, len)) {
		tenure_policy_result_add(res, TENURE_PW_BAD_UTF8, 0);
		return res->n;
	}
	/* Bounded work: past the hard limit only the length is reported. */
	if (len > 4 * HARD_MAX) {
		tenure_policy_result_add(res, TENURE_PW_TOO_LONG, c->maxlen);
		return res->n;
	}
	cp = calloc(len + 1, sizeof(*cp));
	if (!cp) {
		tenure_policy_result_add(res, TENURE_PW_TOO_LONG, c->maxlen);
		return res->n;
	}
	n = decode(pw, len, cp, HARD_MAX);
	if (n > (size_t)c->maxlen) {
		tenure_policy_result_add(res, TENURE_PW_TOO_LONG, c->maxlen);
		if (n > HARD_MAX)
			goto out;
	}
	check_composition(c, cp, n, res);
	check_words(p, pw, len, cp, n, acct, res);
	if (acct && acct->oldpw)
		check_old(c, pw, len, cp, n, acct->oldpw, res);
out:
	secret_freezero(cp, (len + 1) * sizeof(*cp));
	return res->n;
}
