/* Unit tests: the account-phase verdict (common/account.c), every rule at
 * its boundary. */
#include <check.h>
#include <shadow.h>
#include <string.h>

#include "tenure/account.h"
#include "tenure/config.h"

static struct tenure_config *cfg;
static struct tenure_acct_info info;
static struct tenure_acct_result res;
static const long TODAY = 20000;

static void setup(void)
{
	cfg = tenure_config_new();
	ck_assert_ptr_nonnull(cfg);
	memset(&info, 0, sizeof(info));
	info.source = TENURE_ACCT_LDAP;
	info.uid = 10001;
	info.last_change = TODAY - 10;
	info.max_days = 90;
	info.warn_days = 7;
	info.inactive_days = TENURE_ACCT_UNSET;
	info.expire = TENURE_ACCT_UNSET;
}

static void teardown(void)
{
	tenure_config_free(cfg);
}

static int verdict(void)
{
	tenure_account_eval(cfg, &info, TODAY, &res);
	return res.verdict;
}

START_TEST(ok)
{
	ck_assert_int_eq(verdict(), TENURE_V_OK);
	ck_assert_str_eq(res.reason, "ok");
	ck_assert_str_eq(tenure_verdict_name(TENURE_V_OK), "ok");
}
END_TEST

START_TEST(shadow_expire)
{
	info.expire = TODAY + 1;
	ck_assert_int_eq(verdict(), TENURE_V_OK);
	info.expire = TODAY;
	ck_assert_int_eq(verdict(), TENURE_V_EXPIRED);
	info.expire = TODAY - 1;
	ck_assert_int_eq(verdict(), TENURE_V_EXPIRED);
	info.expire = 1;
	ck_assert_int_eq(verdict(), TENURE_V_EXPIRED);
	info.expire = 0;   /* as pam_unix reads it */
	ck_assert_int_eq(verdict(), TENURE_V_EXPIRED);
	ck_assert_str_eq(res.reason, "account-expired");
	/* Expiry wins over a disabled flag and over rotation. */
	info.disabled = 1;
	info.last_change = 0;
	ck_assert_int_eq(verdict(), TENURE_V_EXPIRED);
}
END_TEST

START_TEST(disabled_flags)
{
	info.disabled = 1;
	strcpy(info.disabled_at, "20240101000000Z");
	strcpy(info.disabled_reason, "leaver");
	ck_assert_int_eq(verdict(), TENURE_V_DISABLED);
	ck_assert_str_eq(res.reason, "disabled");
	ck_assert_ptr_nonnull(strstr(res.detail, "leaver"));
	info.disabled = 0;
	info.pwd_locked = 1;
	ck_assert_int_eq(verdict(), TENURE_V_DISABLED);
	ck_assert_str_eq(res.reason, "ppolicy-locked");
	info.pwd_locked = 0;
	info.ns_locked = 1;
	ck_assert_int_eq(verdict(), TENURE_V_DISABLED);
	ck_assert_str_eq(res.reason, "nsaccountlock");
	/* Disabled wins over "must change". */
	info.pwd_reset = 1;
	ck_assert_int_eq(verdict(), TENURE_V_DISABLED);
}
END_TEST

START_TEST(change_now)
{
	info.last_change = 0;
	ck_assert_int_eq(verdict(), TENURE_V_CHANGE);
	ck_assert_str_eq(res.reason, "change-required");
	info.last_change = TODAY;
	info.pwd_reset = 1;
	ck_assert_int_eq(verdict(), TENURE_V_CHANGE);
	ck_assert_str_eq(res.reason, "password-reset");
}
END_TEST

START_TEST(rotation_boundaries)
{
	/* max 90, warn 7: day 83 quiet, 84..90 warn (6..0 days left), 91 change. */
	info.last_change = TODAY - 83;
	ck_assert_int_eq(verdict(), TENURE_V_OK);
	info.last_change = TODAY - 84;
	ck_assert_int_eq(verdict(), TENURE_V_WARN);
	ck_assert_int_eq(res.days, 6);
	info.last_change = TODAY - 87;
	ck_assert_int_eq(verdict(), TENURE_V_WARN);
	ck_assert_int_eq(res.days, 3);
	info.last_change = TODAY - 90;
	ck_assert_int_eq(verdict(), TENURE_V_WARN);
	ck_assert_int_eq(res.days, 0);
	info.last_change = TODAY - 91;
	ck_assert_int_eq(verdict(), TENURE_V_CHANGE);
	ck_assert_str_eq(res.reason, "password-too-old");
	/* inactive 5: day 95 still a change, 96 expired for good. */
	info.inactive_days = 5;
	info.last_change = TODAY - 95;
	ck_assert_int_eq(verdict(), TENURE_V_CHANGE);
	info.last_change = TODAY - 96;
	ck_assert_int_eq(verdict(), TENURE_V_PW_EXPIRED);
	ck_assert_str_eq(res.reason, "password-inactive");
	/* No aging information: nothing to say. */
	info.last_change = TENURE_ACCT_UNSET;
	ck_assert_int_eq(verdict(), TENURE_V_OK);
}
END_TEST

START_TEST(stricter_wins)
{
	/* tenure.conf stricter than the entry. */
	cfg->max_days = 30;
	info.last_change = TODAY - 31;
	ck_assert_int_eq(verdict(), TENURE_V_CHANGE);
	/* The entry stricter than tenure.conf. */
	cfg->max_days = 365;
	info.max_days = 20;
	ck_assert_int_eq(verdict(), TENURE_V_CHANGE);
	/* No max anywhere (99999 = no rotation). */
	cfg->max_days = 99999;
	info.max_days = TENURE_ACCT_UNSET;
	info.last_change = 1;
	ck_assert_int_eq(verdict(), TENURE_V_OK);
	info.max_days = 99999;
	ck_assert_int_eq(verdict(), TENURE_V_OK);
	/* The larger warning window wins. */
	info.max_days = 90;
	info.warn_days = 3;
	cfg->warn_days = 14;
	info.last_change = TODAY - 80;
	ck_assert_int_eq(verdict(), TENURE_V_WARN);
	ck_assert_int_eq(res.days, 10);
	/* inactive from tenure.conf when the entry has none; smaller wins. */
	cfg->inactive_days = 2;
	info.last_change = TODAY - 93;
	ck_assert_int_eq(verdict(), TENURE_V_PW_EXPIRED);
	info.inactive_days = 1;
	info.last_change = TODAY - 92;
	ck_assert_int_eq(verdict(), TENURE_V_PW_EXPIRED);
}
END_TEST

START_TEST(from_shadow)
{
	struct spwd sp = { .sp_namp = (char *)"daemon", .sp_pwdp = (char *)"*", .sp_lstchg = 0,
			   .sp_min = -1, .sp_max = -1, .sp_warn = -1, .sp_inact = -1,
			   .sp_expire = -1 };

	info.expire = TENURE_ACCT_UNSET;
	tenure_account_from_shadow(&sp, &info);
	ck_assert_int_eq(info.last_change, 0);
	ck_assert_int_eq(info.max_days, TENURE_ACCT_UNSET);
	ck_assert_int_eq(info.expire, TENURE_ACCT_UNSET);
	ck_assert_int_eq(verdict(), TENURE_V_CHANGE);
	sp.sp_lstchg = TODAY - 100;
	sp.sp_max = 99999;
	sp.sp_expire = 0;
	tenure_account_from_shadow(&sp, &info);
	ck_assert_int_eq(verdict(), TENURE_V_EXPIRED);
	sp.sp_expire = -1;
	tenure_account_from_shadow(&sp, &info);
	ck_assert_int_eq(verdict(), TENURE_V_OK);
}
END_TEST

START_TEST(gentime)
{
	int64_t t;

	ck_assert_int_eq(tenure_parse_gentime("19700102000000Z", &t), 0);
	ck_assert_int_eq(t, 86400);
	ck_assert_int_eq(tenure_parse_gentime("20240101000000.123Z", &t), 0);
	ck_assert_int_eq(t / 86400, 19723);
	ck_assert_int_eq(tenure_parse_gentime("202401010000Z", &t), 0);
	ck_assert_int_eq(tenure_parse_gentime("000001010000Z", &t), 0);
	ck_assert_int_ne(tenure_parse_gentime("2024", &t), 0);
	ck_assert_int_ne(tenure_parse_gentime("20241301000000Z", &t), 0);
	ck_assert_int_ne(tenure_parse_gentime("20240101000000+0100", &t), 0);
	ck_assert_int_ne(tenure_parse_gentime("", &t), 0);
}
END_TEST

START_TEST(verdict_invalid_names)
{
	static const char *const bad[] = { "*", "alice)(uid=*", "", "a\nb", "../root", NULL };

	for (int i = 0; bad[i]; i++) {
		ck_assert_int_ne(tenure_account_verdict(cfg, bad[i], NULL, TODAY * 86400, &res), 0);
		ck_assert_int_eq(res.verdict, TENURE_V_UNKNOWN);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("account");
	TCase *tc = tcase_create("verdict");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, ok);
	tcase_add_test(tc, shadow_expire);
	tcase_add_test(tc, disabled_flags);
	tcase_add_test(tc, change_now);
	tcase_add_test(tc, rotation_boundaries);
	tcase_add_test(tc, stricter_wins);
	tcase_add_test(tc, from_shadow);
	tcase_add_test(tc, gentime);
	tcase_add_test(tc, verdict_invalid_names);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
