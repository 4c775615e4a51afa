/* Unit tests of the policy engine: each rule refuses just past its
 * boundary and accepts at it; UTF-8; disguised dictionary words. */
#include "tenure/config.h"
#include "tenure/policy.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct tenure_config *cfg;
static struct tenure_policy *pol;

/* Everything off except what a test turns on. */
static void setup(void)
{
	static const char *const base[][2] = {
		{ "minlen", "6" }, { "dictcheck", "no" }, { "usercheck", "no" },
		{ "difok", "0" }, { "breached_filter", "/nonexistent/breached.filter" },
	};
	char err[TENURE_ERRLEN];

	cfg = tenure_config_new();
	ck_assert_ptr_nonnull(cfg);
	for (size_t i = 0; i < sizeof(base) / sizeof(base[0]); i++)
		ck_assert_int_eq(tenure_config_set(cfg, TENURE_SCOPE_HOST, base[i][0], base[i][1],
						   "test", 1, err, sizeof(err)), 0);
	/* breached_filter pointing nowhere would fail open(): unset it. */
	free(cfg->breached_filter);
	cfg->breached_filter = NULL;
	pol = NULL;
}

static void teardown(void)
{
	tenure_policy_close(pol);
	tenure_config_free(cfg);
}

static void set(const char *key, const char *value)
{
	char err[TENURE_ERRLEN];

	ck_assert_msg(tenure_config_set(cfg, TENURE_SCOPE_HOST, key, value, "test", 1, err, sizeof(err)) == 0,
		      "%s", err);
}

static void open_policy(void)
{
	char err[TENURE_ERRLEN];

	tenure_policy_close(pol);
	pol = NULL;
	ck_assert_msg(tenure_policy_open(cfg, &pol, err, sizeof(err)) == 0, "%s", err);
}

static void use_words(void)
{
	const char *b = getenv("TENURE_BUILD");
	char path[4096], abs[4096];

	snprintf(path, sizeof(path), "%s/share/tenure/words", b ? b : "build");
	ck_assert_msg(realpath(path, abs) != NULL, "%s: build the data files first", path);
	set("dictpath", abs);
	set("dictcheck", "yes");
}

/* Does pw fail `reason`?  (The other rules may fail too.) */
static int fails_acct(const char *pw, int reason, const struct tenure_pw_account *acct)
{
	struct tenure_pw_result res;

	if (!pol)
		open_policy();
	tenure_policy_check(pol, pw, strlen(pw), acct, &res);
	for (int i = 0; i < res.n; i++)
		if (res.reason[i] == reason)
			return 1;
	return 0;
}

static int fails(const char *pw, int reason)
{
	return fails_acct(pw, reason, NULL);
}

static int accepted(const char *pw)
{
	struct tenure_pw_result res;

	if (!pol)
		open_policy();
	return tenure_policy_check(pol, pw, strlen(pw), NULL, &res) == 0;
}

START_TEST(t_minlen)
{
	set("minlen", "12");
	ck_assert(fails("abcdefghijk", TENURE_PW_TOO_SHORT));   /* 11 */
	ck_assert(!fails("abcdefghijkm", TENURE_PW_TOO_SHORT)); /* 12 */
}
END_TEST

START_TEST(t_minlen_codepoints)
{
	set("minlen", "8");
	/* 8 Chinese characters: 24 bytes, 8 code points. */
	ck_assert(!fails("我的密码很长很长", TENURE_PW_TOO_SHORT));
	ck_assert(fails("我的密码很长很", TENURE_PW_TOO_SHORT));
	/* letters without case are letters, not "other" */
	set("minclass", "2");
	ck_assert(!fails("我的密码很长很长1", TENURE_PW_CLASSES));
	ck_assert(fails("我的密码很长很长", TENURE_PW_CLASSES));
}
END_TEST

START_TEST(t_maxlen)
{
	char buf[300];

	set("maxlen", "16");
	ck_assert(!fails("abcdefghijkmnopq", TENURE_PW_TOO_LONG));  /* 16 */
	ck_assert(fails("abcdefghijkmnopqr", TENURE_PW_TOO_LONG));  /* 17 */
	set("maxlen", "256");
	memset(buf, 'a', 257);
	buf[257] = '\0';
	ck_assert(fails(buf, TENURE_PW_TOO_LONG));
	buf[256] = '\0';
	ck_assert(!fails(buf, TENURE_PW_TOO_LONG));
}
END_TEST

START_TEST(t_huge)
{
	size_t n = 100000;
	char *buf = malloc(n + 1);

	memset(buf, 'x', n);
	buf[n] = '\0';
	ck_assert(fails(buf, TENURE_PW_TOO_LONG));
	free(buf);
}
END_TEST

START_TEST(t_credits)
{
	set("minlen", "10");
	set("dcredit", "1");
	/* 9 characters + 1 digit credit = 10 */
	ck_assert(!fails("abcdefgh1", TENURE_PW_TOO_SHORT));
	ck_assert(fails("abcdefghi", TENURE_PW_TOO_SHORT));
	set("dcredit", "-2");
	ck_assert(fails("abcdefghij1", TENURE_PW_DIGITS));
	ck_assert(!fails("abcdefghi12", TENURE_PW_DIGITS));
	set("ucredit", "-1");
	ck_assert(fails("abcdefghi12", TENURE_PW_UPPER));
	ck_assert(!fails("Abcdefghi12", TENURE_PW_UPPER));
	set("lcredit", "-3");
	ck_assert(fails("ABCDEFGab12", TENURE_PW_LOWER));
	ck_assert(!fails("ABCDEFabc12", TENURE_PW_LOWER));
	set("ocredit", "-1");
	ck_assert(fails("ABCDEFabc12", TENURE_PW_OTHER));
	ck_assert(!fails("ABCDEFabc1!", TENURE_PW_OTHER));
	/* non-ASCII upper case counts as upper case */
	ck_assert(!fails("ÉBCDEFabc1!", TENURE_PW_UPPER));
}
END_TEST

START_TEST(t_minclass)
{
	set("minclass", "3");
	ck_assert(fails("abcdefgh12", TENURE_PW_CLASSES));
	ck_assert(!fails("abcdefgH12", TENURE_PW_CLASSES));
}
END_TEST

START_TEST(t_maxrepeat)
{
	set("maxrepeat", "3");
	ck_assert(!fails("abcxxxdef", TENURE_PW_REPEAT));
	ck_assert(fails("abcxxxxdef", TENURE_PW_REPEAT));
}
END_TEST

START_TEST(t_maxsequence)
{
	set("maxsequence", "4");
	ck_assert(!fails("xq1234zp", TENURE_PW_SEQUENCE));
	ck_assert(fails("xq12345zp", TENURE_PW_SEQUENCE));
	ck_assert(fails("xqfedcbazp", TENURE_PW_SEQUENCE));
}
END_TEST

START_TEST(t_maxclassrepeat)
{
	set("maxclassrepeat", "4");
	ck_assert(!fails("abcd1EFGH2", TENURE_PW_CLASSREPEAT));
	ck_assert(fails("abcde1EFGH2", TENURE_PW_CLASSREPEAT));
}
END_TEST

START_TEST(t_usercheck)
{
	struct tenure_pw_account acct = { "alice", NULL, NULL };

	set("usercheck", "yes");
	ck_assert(fails_acct("xxAlice99!", TENURE_PW_USER, &acct));
	ck_assert(fails_acct("xxecila99!", TENURE_PW_USER, &acct));   /* reversed */
	ck_assert(fails_acct("xx@l1ce99!", TENURE_PW_USER, &acct));   /* leet */
	ck_assert(!fails_acct("xxalic99!e", TENURE_PW_USER, &acct));
}
END_TEST

START_TEST(t_gecos)
{
	struct tenure_pw_account acct = { "zw", "Zhang Wei,Room 12", NULL };

	set("gecoscheck", "yes");
	ck_assert(fails_acct("mypw-zhang-77", TENURE_PW_GECOS, &acct));
	ck_assert(fails_acct("mypw-ROOM-77", TENURE_PW_GECOS, &acct));
	/* "Wei" has 3 characters: counts; "12" has 2: does not */
	ck_assert(fails_acct("xxweixx", TENURE_PW_GECOS, &acct));
	ck_assert(!fails_acct("xx12xxyy", TENURE_PW_GECOS, &acct));
}
END_TEST

START_TEST(t_badwords)
{
	set("badwords", "acme initech");
	ck_assert(fails("ilove@cme2024", TENURE_PW_BADWORD));
	ck_assert(fails("xINITECHx", TENURE_PW_BADWORD));
	ck_assert(!fails("xinitecx", TENURE_PW_BADWORD));
}
END_TEST

START_TEST(t_difok)
{
	struct tenure_pw_account acct = { NULL, NULL, "Kq8#vRz2-Lp" };

	set("difok", "3");
	ck_assert(fails_acct("Kq8#vRz2-Lp", TENURE_PW_SAME, &acct));
	ck_assert(fails_acct("Kq8#vRz2-Lp12", TENURE_PW_DIFOK, &acct));     /* distance 2 */
	ck_assert(!fails_acct("Kq8#vRz2-Lp123", TENURE_PW_DIFOK, &acct));   /* distance 3 */
}
END_TEST

START_TEST(t_utf8)
{
	ck_assert(fails("abc\xff\xfe" "defgh", TENURE_PW_BAD_UTF8));
	ck_assert(fails("abc\xc0\xaf" "defgh", TENURE_PW_BAD_UTF8));        /* overlong */
	ck_assert(fails("abc\xed\xa0\x80" "defgh", TENURE_PW_BAD_UTF8));    /* surrogate */
	ck_assert(!fails("pässwörd-ñ", TENURE_PW_BAD_UTF8));
	ck_assert(fails("", TENURE_PW_EMPTY));
}
END_TEST

START_TEST(t_dictionary_disguises)
{
	use_words();
	ck_assert(fails("Summ3r2024!", TENURE_PW_DICT));
	ck_assert(fails("Sunshine#Football7", TENURE_PW_DICT));
	ck_assert(fails("P@ssw0rd123!", TENURE_PW_DICT));
	ck_assert(fails("!1drowssaP", TENURE_PW_DICT));          /* reversed */
	ck_assert(fails("MONKEY-dragon-99", TENURE_PW_DICT));
	/* random strings and four-word passphrases pass */
	ck_assert(accepted("Xk9#mQ2$vL7pW"));
	ck_assert(accepted("Granite-Lantern-Pickle-Orbit7"));
	ck_assert(accepted("我的密码是一个很长的句子吧1A"));
}
END_TEST

START_TEST(t_explain_all)
{
	struct tenure_pw_result res;

	use_words();
	set("minlen", "12");
	set("minclass", "3");
	set("maxrepeat", "2");
	open_policy();
	tenure_policy_check(pol, "passsword", 9, NULL, &res);
	ck_assert_int_ge(res.n, 4);   /* minlen, minclass, maxrepeat, dictcheck */
	for (int i = 0; i < res.n; i++) {
		char buf[512];
		tenure_policy_format(res.reason[i], res.arg[i], buf, sizeof(buf));
		ck_assert(strlen(buf) > 10);
		ck_assert(strstr(buf, "%d") == NULL);
		ck_assert(strcmp(tenure_policy_code(res.reason[i]), "ok") != 0);
	}
}
END_TEST

START_TEST(t_presets)
{
	/* Explicit keys win over a preset: start from a fresh config. */
	tenure_config_free(cfg);
	cfg = tenure_config_new();
	set("policy", "nist");
	ck_assert_int_eq(cfg->minlen, 15);
	ck_assert_int_eq(cfg->minclass, 0);
	set("policy", "classic");
	ck_assert_int_eq(cfg->minlen, 12);
	ck_assert_int_eq(cfg->minclass, 3);
	ck_assert_int_eq(cfg->remember, 5);
	set("minlen", "14");
	set("policy", "nist");
	ck_assert_int_eq(cfg->minlen, 14);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("policy");
	TCase *rules = tcase_create("rules"), *words = tcase_create("words");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(rules, setup, teardown);
	tcase_add_test(rules, t_minlen);
	tcase_add_test(rules, t_minlen_codepoints);
	tcase_add_test(rules, t_maxlen);
	tcase_add_test(rules, t_huge);
	tcase_add_test(rules, t_credits);
	tcase_add_test(rules, t_minclass);
	tcase_add_test(rules, t_maxrepeat);
	tcase_add_test(rules, t_maxsequence);
	tcase_add_test(rules, t_maxclassrepeat);
	tcase_add_test(rules, t_usercheck);
	tcase_add_test(rules, t_gecos);
	tcase_add_test(rules, t_badwords);
	tcase_add_test(rules, t_difok);
	tcase_add_test(rules, t_utf8);
	tcase_add_test(rules, t_presets);
	suite_add_tcase(s, rules);
	tcase_add_checked_fixture(words, setup, teardown);
	tcase_set_timeout(words, 30);
	tcase_add_test(words, t_dictionary_disguises);
	tcase_add_test(words, t_explain_all);
	suite_add_tcase(s, words);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
