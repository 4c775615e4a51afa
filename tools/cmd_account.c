/* tenurectl account USER — the verdict pam_tenure's account phase would
 * give now, with its reason (the same code: common/account.c). */
#include "ctl.h"
#include "tenure/account.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static int allowed(int verdict)
{
	return verdict == TENURE_V_OK || verdict == TENURE_V_WARN;
}

int cmd_account(struct ctl *ctl, int argc, char **argv)
{
	struct tenure_acct_result res;
	struct tenure_config *cfg;
	const char *rhost = ctl_take_opt(&argc, argv, "--rhost");
	int64_t now = time(NULL);

	if (argc != 2 || argv[1][0] == '-') {
		ctl_err(ctl, "usage: account USER [--rhost HOST] [--json]");
		return 2;
	}
	if (ctl_load_config(ctl, 1, &cfg))
		return 1;
	tenure_account_verdict(cfg, argv[1], rhost, now, &res);
	if (ctl->json) {
		json_t *o = json_pack("{s:s,s:s,s:s,s:b,s:s,s:I}",
			"user", argv[1], "verdict", tenure_verdict_name(res.verdict),
			"reason", res.reason ? res.reason : "", "allowed", allowed(res.verdict),
			"detail", res.detail, "days", (json_int_t)res.days);
		if (o && res.verdict == TENURE_V_LOCKOUT)
			json_object_set_new(o, "locked_until", json_integer(res.lock.locked_until));
		if (o) {
			json_dumpf(o, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
			putchar('\n');
			json_decref(o);
		}
	} else {
		printf("%s: %s (%s)%s%s\n", argv[1], tenure_verdict_name(res.verdict),
		       res.reason ? res.reason : "", res.detail[0] ? ": " : "", res.detail);
	}
	tenure_config_free(cfg);
	if (res.verdict == TENURE_V_UNAVAIL || res.verdict == TENURE_V_ERROR)
		return 3;
	return allowed(res.verdict) ? 0 : 1;
}
