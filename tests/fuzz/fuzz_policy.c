/* Fuzz target: the password policy engine (common/policy.c) with the
 * dictionary and its disguise-aware word walk (leetspeak, case, reversal),
 * the breached-password filter and the word lists (common/dict.c).
 *
 * Input: byte 0 =
 *   bits 0-2  config variant (defaults, classic, nist, strict, lax, ...)
 *   bit 3     a user name is given     bit 4  a GECOS field is given
 *   bit 5     an old password is given
 *   bit 6     the input also holds a word list (loaded as dictpath)
 * then, NUL-terminated and in that order, the user name, the GECOS field,
 * the old password and the word list (each only when its bit is set), and
 * the candidate password as the rest (any bytes, NULs included).
 *
 * Besides crashes, it checks: every reason code is known and has a message
 * and a code name, no reason twice, "empty" exactly for an empty candidate,
 * the same answer twice in a row, and a finite, non-negative guess cost. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tenure/config.h"
#include "tenure/filter.h"
#include "tenure/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { if (!(cond)) { \
	fprintf(stderr, "fuzz_policy: check failed: %s (line %d)\n", #cond, __LINE__); \
	abort(); } } while (0)

/* Words a real list would hold, with common passwords (kind c, the default
 * for dictpath lines) and plain words (w); mixed case and unsorted on
 * purpose: the loader lower-cases and sorts a dictpath list. */
static const char dict_text[] =
	"password\nPassword1\n123456\nqwerty\nletmein\ndragon\nmonkey\nsunshine\n"
	"iloveyou\nwelcome\nadmin\nfootball\nbaseball\nshadow\nmaster\nsuperman\n"
	"summer\twinter\nautumn\tw\nspring\tw\ncorrect\tw\nhorse\tw\nbattery\tw\nstaple\tw\n"
	"alice\tw\nliddell\tw\nwonderland\tw\nrabbit\tw\nlogin\tw\ncompany\tw\n"
	"secret\tw\nwelcome\tw\nzhang\tw\n\xe5\xaf\x86\xe7\xa0\x81\tw\n"
	"trustno1\nabc123\n111111\nprincess\nstarwars\nhello\nfreedom\nwhatever\n"
	"qazwsx\nmustang\naccess\nflower\npassw0rd\nxy\n\n  \ntab\t\n";

static const char *breached[] = { "Summer2024!", "P@ssw0rd123", "correcthorse", "tenure-demo" };

static const char *const variants[] = {
	/* 0: defaults */
	"dictpath @DICT@\n",
	/* 1: classic preset */
	"policy classic\ndictpath @DICT@\nbreached_filter @FILTER@\n",
	/* 2: nist preset, bad words */
	"policy nist\ndictpath @DICT@\nbreached_filter @FILTER@\nbadwords acme tenure Example\n",
	/* 3: every composition rule at its strictest */
	"minlen 6\nmaxlen 8\nminclass 4\ndcredit -2\nucredit -1\nlcredit 1\nocredit -1\n"
	"maxrepeat 1\nmaxsequence 1\nmaxclassrepeat 1\ndifok 256\ngecoscheck yes\n"
	"badwords a ab abc\ndictpath @DICT@\n",
	/* 4: lax, long */
	"minlen 6\nmaxlen 4096\ndictcheck no\nusercheck no\ndifok 0\n",
	/* 5: credits only */
	"minlen 20\ndcredit 3\nucredit 3\nlcredit 3\nocredit 3\ngecoscheck yes\ndifok 5\n"
	"dictpath @DICT@\nbreached_filter @FILTER@\n",
	/* 6: classic with overrides */
	"policy classic\nminlen 1024\nmaxrepeat 256\nmaxsequence 256\nusercheck yes\n",
	/* 7: nist, dictionary only */
	"policy nist\ndictpath @DICT@\nbreached_filter @FILTER@\ngecoscheck no\n",
};
#define NV (sizeof(variants) / sizeof(variants[0]))

static struct tenure_config *cfgs[NV];
static struct tenure_policy *pols[NV];
static int ready;

static int write_temp(char *path, size_t len, const char *tag, const void *buf, size_t n)
{
	int fd;

	snprintf(path, len, "%s/tenure-fuzz-%s-XXXXXX", P_tmpdir, tag);
	fd = mkstemp(path);
	if (fd < 0)
		return -1;
	if (write(fd, buf, n) != (ssize_t)n) {
		close(fd);
		unlink(path);
		return -1;
	}
	close(fd);
	return 0;
}

static int make_filter(char *path, size_t len)
{
	struct tenure_filter_builder *b = NULL;
	unsigned char sha[TENURE_SHA1_LEN];
	int fd, rc;

	snprintf(path, len, "%s/tenure-fuzz-filter-XXXXXX", P_tmpdir);
	fd = mkstemp(path);
	if (fd < 0)
		return -1;
	close(fd);
	if (tenure_filter_builder_new(&b))
		return -1;
	for (size_t i = 0; i < sizeof(breached) / sizeof(breached[0]); i++) {
		tenure_filter_sha1(breached[i], strlen(breached[i]), sha);
		tenure_filter_builder_add(b, sha);
	}
	rc = tenure_filter_builder_write(b, path);
	tenure_filter_builder_free(b);
	return rc;
}

/* "@DICT@" and "@FILTER@" replaced by the temporary files. */
static char *expand(const char *tmpl, const char *dict, const char *filter)
{
	size_t cap = strlen(tmpl) + 8 * 512;
	char *out = malloc(cap), *o = out;

	if (!out)
		return NULL;
	for (const char *p = tmpl; *p;) {
		if (!strncmp(p, "@DICT@", 6)) {
			o += sprintf(o, "%s", dict);
			p += 6;
		} else if (!strncmp(p, "@FILTER@", 8)) {
			o += sprintf(o, "%s", filter);
			p += 8;
		} else {
			*o++ = *p++;
		}
	}
	*o = '\0';
	return out;
}

static void setup(void)
{
	char dict[256], filter[256], err[TENURE_ERRLEN];

	ready = 1;
	if (write_temp(dict, sizeof(dict), "dict", dict_text, sizeof(dict_text) - 1) ||
	    make_filter(filter, sizeof(filter))) {
		fprintf(stderr, "fuzz_policy: cannot write temporary files under %s\n", P_tmpdir);
		abort();
	}
	for (size_t i = 0; i < NV; i++) {
		char *text = expand(variants[i], dict, filter);

		cfgs[i] = tenure_config_new();
		if (!text || !cfgs[i] ||
		    tenure_config_load_buffer(cfgs[i], TENURE_SCOPE_HOST, "fuzz.conf", text,
					      strlen(text), err, sizeof(err)) ||
		    tenure_policy_open(cfgs[i], &pols[i], err, sizeof(err))) {
			fprintf(stderr, "fuzz_policy: variant %zu: %s\n", i, err);
			abort();
		}
		free(text);
	}
	/* Loaded into memory or mapped: the files can go now. */
	unlink(dict);
	unlink(filter);
}

/* The next NUL-terminated string, or NULL when the input ends first. */
static const char *take(const uint8_t **p, size_t *left)
{
	const uint8_t *nul = memchr(*p, '\0', *left);
	const char *s = (const char *)*p;

	if (!nul)
		return NULL;
	*left -= (size_t)(nul - *p) + 1;
	*p = nul + 1;
	return s;
}

static void check_result(const struct tenure_pw_result *res, size_t len)
{
	int seen[TENURE_PW_NREASONS] = { 0 };
	char buf[64];

	CHECK(res->n >= 0 && res->n <= TENURE_PW_MAXREASONS);
	for (int i = 0; i < res->n; i++) {
		int r = res->reason[i];
		CHECK(r >= TENURE_PW_EMPTY && r < TENURE_PW_NREASONS);
		CHECK(!seen[r]);
		seen[r] = 1;
		CHECK(tenure_policy_message(r) != NULL && tenure_policy_code(r) != NULL);
		tenure_policy_format(r, res->arg[i], buf, sizeof(buf));
		tenure_policy_format(r, res->arg[i], buf, 4);
	}
	CHECK(seen[TENURE_PW_EMPTY] == (len == 0));
}

/* A policy over a word list taken from the input, in a memfd. */
static void own_dict(const struct tenure_config *base, const char *words, const char *pw,
		     size_t len, const struct tenure_pw_account *acct)
{
	struct tenure_config *cfg = tenure_config_new();
	struct tenure_policy *p = NULL;
	struct tenure_pw_result res;
	char path[64], err[TENURE_ERRLEN];
	int fd = memfd_create("fuzz-dict", MFD_CLOEXEC), w;
	size_t wl = strlen(words);

	if (fd < 0 || !cfg || write(fd, words, wl) != (ssize_t)wl)
		goto out;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (tenure_config_set(cfg, TENURE_SCOPE_HOST, "dictpath", path, NULL, 0, err, sizeof(err)) ||
	    tenure_config_set(cfg, TENURE_SCOPE_HOST, "gecoscheck", base->gecoscheck ? "yes" : "no",
			      NULL, 0, err, sizeof(err)))
		goto out;
	if (tenure_policy_open(cfg, &p, err, sizeof(err)))
		goto out;
	tenure_policy_check(p, pw, len, acct, &res);
	check_result(&res, len);
	(void)tenure_policy_guess_bits(p, pw, len, &w);
out:
	tenure_policy_close(p);
	tenure_config_free(cfg);
	if (fd >= 0)
		close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tenure_pw_account acct = { NULL, NULL, NULL };
	struct tenure_pw_result res, again;
	const char *words = NULL;
	const uint8_t *p;
	size_t left, v;
	unsigned flags;
	double bits;
	int w = -1;

	if (!ready)
		setup();
	if (size < 1)
		return 0;
	flags = data[0];
	v = (flags & 7) % NV;
	p = data + 1;
	left = size - 1;
	if ((flags & 8) && !(acct.user = take(&p, &left)))
		return 0;
	if ((flags & 16) && !(acct.gecos = take(&p, &left)))
		return 0;
	if ((flags & 32) && !(acct.oldpw = take(&p, &left)))
		return 0;
	if ((flags & 64) && !(words = take(&p, &left)))
		return 0;

	tenure_policy_check(pols[v], (const char *)p, left, &acct, &res);
	check_result(&res, left);
	tenure_policy_check(pols[v], (const char *)p, left, &acct, &again);
	CHECK(again.n == res.n && !memcmp(again.reason, res.reason, sizeof(res.reason)) &&
	      !memcmp(again.arg, res.arg, sizeof(res.arg)));

	bits = tenure_policy_guess_bits(pols[v], (const char *)p, left, &w);
	CHECK(!isnan(bits) && bits >= 0 && w >= 0);

	if (words)
		own_dict(cfgs[v], words, (const char *)p, left, &acct);
	return 0;
}
