/* Unit tests: filter escaping, UTF-8, names, log quoting, secrets. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tenure/config.h"
#include "tenure/ldap.h"
#include "tenure/log.h"
#include "tenure/names.h"
#include "tenure/secret.h"

START_TEST(escape_rfc4515)
{
	char out[64];

	ck_assert_int_eq(tenure_ldap_escape("alice", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "alice");
	ck_assert_int_eq(tenure_ldap_escape("*)(uid=*", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "\\2a\\29\\28uid=\\2a");
	ck_assert_int_eq(tenure_ldap_escape("a\\b", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "a\\5cb");
	ck_assert_int_eq(tenure_ldap_escape("\x01\x7f", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "\\01\\7f");
	ck_assert_int_eq(tenure_ldap_escape("张伟", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "张伟");
	ck_assert_int_eq(tenure_ldap_escape("", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "");
}
END_TEST

START_TEST(escape_bounds)
{
	char out[6];

	ck_assert_int_eq(tenure_ldap_escape("abcde", out, sizeof(out)), 0);
	ck_assert_int_eq(tenure_ldap_escape("abcdef", out, sizeof(out)), -ERANGE);
	ck_assert_int_eq(tenure_ldap_escape("ab*", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "ab\\2a");
	ck_assert_int_eq(tenure_ldap_escape("abc*", out, sizeof(out)), -ERANGE);
	ck_assert_int_eq(tenure_ldap_escape("x", out, 1), -ERANGE);
}
END_TEST

START_TEST(utf8)
{
	ck_assert_int_eq(tenure_utf8_valid("plain", 5), 1);
	ck_assert_int_eq(tenure_utf8_valid("张伟", strlen("张伟")), 1);
	ck_assert_int_eq(tenure_utf8_valid("\xf0\x9f\x94\x91", 4), 1);      /* U+1F511 */
	ck_assert_int_eq(tenure_utf8_valid("\xc0\xaf", 2), 0);              /* overlong '/' */
	ck_assert_int_eq(tenure_utf8_valid("\xe0\x80\xaf", 3), 0);          /* overlong */
	ck_assert_int_eq(tenure_utf8_valid("\xed\xa0\x80", 3), 0);          /* surrogate */
	ck_assert_int_eq(tenure_utf8_valid("\xf4\x90\x80\x80", 4), 0);      /* > U+10FFFF */
	ck_assert_int_eq(tenure_utf8_valid("\xe5\xbc", 2), 0);              /* truncated */
	ck_assert_int_eq(tenure_utf8_valid("\xff", 1), 0);
	ck_assert_int_eq(tenure_utf8_valid("a\0b", 3), 0);                  /* NUL */
	ck_assert_int_eq(tenure_utf8_valid("", 0), 1);
}
END_TEST

START_TEST(names)
{
	struct tenure_config *cfg = tenure_config_new();
	const char *p = cfg->validnames;
	char longname[TENURE_NAME_MAX + 2];

	ck_assert_int_eq(tenure_name_valid(p, "alice"), 1);
	ck_assert_int_eq(tenure_name_valid(p, "Alice.B_c-d"), 1);
	ck_assert_int_eq(tenure_name_valid(p, "a"), 1);
	ck_assert_int_eq(tenure_name_valid(p, ""), 0);
	ck_assert_int_eq(tenure_name_valid(p, "-alice"), 0);
	ck_assert_int_eq(tenure_name_valid(p, "alice "), 0);
	ck_assert_int_eq(tenure_name_valid(p, "a*"), 0);
	ck_assert_int_eq(tenure_name_valid(p, "a)(uid=*"), 0);
	ck_assert_int_eq(tenure_name_valid(p, "a\nb"), 0);
	ck_assert_int_eq(tenure_name_valid(p, "a:b"), 0);
	ck_assert_int_eq(tenure_name_valid(p, "a/b"), 0);
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	ck_assert_int_eq(tenure_name_valid(p, longname), 0);
	longname[TENURE_NAME_MAX] = '\0';
	ck_assert_int_eq(tenure_name_valid(p, longname), 1);
	/* Case-sensitive pattern, and a bad pattern refuses everything. */
	ck_assert_int_eq(tenure_name_valid("/^[a-z]+$/", "Alice"), 0);
	ck_assert_int_eq(tenure_name_valid("/^[a-z]+$/i", "Alice"), 1);
	ck_assert_int_eq(tenure_name_valid("/[/", "alice"), 0);
	ck_assert_int_eq(tenure_name_valid("nope", "alice"), 0);
	tenure_config_free(cfg);
}
END_TEST

START_TEST(log_quote)
{
	char buf[32];

	ck_assert_str_eq(tenure_log_quote("alice", buf, sizeof(buf)), "alice");
	ck_assert_str_eq(tenure_log_quote("a b", buf, sizeof(buf)), "\"a b\"");
	ck_assert_str_eq(tenure_log_quote("x=1 y", buf, sizeof(buf)), "\"x=1 y\"");
	ck_assert_str_eq(tenure_log_quote("a\"b\\", buf, sizeof(buf)), "\"a\\\"b\\\\\"");
	ck_assert_str_eq(tenure_log_quote("a\nb", buf, sizeof(buf)), "\"a\\x0ab\"");
	ck_assert_str_eq(tenure_log_quote("", buf, sizeof(buf)), "\"\"");
	ck_assert_str_eq(tenure_log_quote(NULL, buf, sizeof(buf)), "\"\"");
	/* Long values are cut, still quoted, never overflow. */
	tenure_log_quote("a very long value with spaces that goes on", buf, sizeof(buf));
	ck_assert_int_lt(strlen(buf), sizeof(buf));
	ck_assert_int_eq(buf[0], '"');
	ck_assert_int_eq(buf[strlen(buf) - 1], '"');
}
END_TEST

static int seen_priority;
static char seen[256];

static void sink(void *ctx, int priority, const char *msg)
{
	(void)ctx;
	seen_priority = priority;
	snprintf(seen, sizeof(seen), "%s", msg);
}

START_TEST(log_sink)
{
	struct tenure_log log = { sink, NULL, LOG_INFO };

	tenure_log(&log, LOG_NOTICE, "user=%s result=%s", "bob", "deny");
	ck_assert_int_eq(seen_priority, LOG_NOTICE);
	ck_assert_str_eq(seen, "user=bob result=deny");
	seen[0] = '\0';
	tenure_log(&log, LOG_DEBUG, "dropped");
	ck_assert_str_eq(seen, "");
	tenure_log(NULL, LOG_ERR, "no sink, no crash");
}
END_TEST

START_TEST(secrets)
{
	char buf[8] = "secret!";
	char *s = secret_strdup("hunter2");

	secret_wipe(buf, sizeof(buf));
	for (size_t i = 0; i < sizeof(buf); i++)
		ck_assert_int_eq(buf[i], 0);
	ck_assert_str_eq(s, "hunter2");
	secret_free(s);
	secret_free(NULL);
	secret_freezero(NULL, 10);
	ck_assert_int_eq(secret_memcmp("abc", "abc", 3), 0);
	ck_assert_int_ne(secret_memcmp("abc", "abd", 3), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("core");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, escape_rfc4515);
	tcase_add_test(tc, escape_bounds);
	tcase_add_test(tc, utf8);
	tcase_add_test(tc, names);
	tcase_add_test(tc, log_quote);
	tcase_add_test(tc, log_sink);
	tcase_add_test(tc, secrets);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
