/* tenurectl — the admin command over tenure. */
#include "ctl.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Groups are linked in when their file exists; until then they are NULL. */
#pragma weak cmd_policy
#pragma weak cmd_filter
#pragma weak cmd_lockout
#pragma weak cmd_account
#pragma weak cmd_events
#pragma weak cmd_audit
#pragma weak cmd_report

static const struct {
	const char *name;
	int (*fn)(struct ctl *, int, char **);
	const char *usage;
} groups[] = {
	{ "config",  cmd_config,  "config check|show            check or print the configuration" },
	{ "policy",  cmd_policy,  "policy check [--user NAME] | show   test a password on stdin, print the policy" },
	{ "filter",  cmd_filter,  "filter build|check ...      breached-password filter" },
	{ "lockout", cmd_lockout, "lockout show [USER] | reset USER   failed-login tallies" },
	{ "account", cmd_account, "account USER                 the verdict the account phase would give" },
	{ "events",  cmd_events,  "events list|show|retry|release   tenure-syncd's event journal" },
	{ "audit",   cmd_audit,   "audit verify FILE            check the audit log's hash chain" },
	{ "report",  cmd_report,  "report [--json|--csv]        compliance report" },
};

#define NGROUPS (sizeof(groups) / sizeof(groups[0]))

void ctl_err(const struct ctl *ctl, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", ctl && ctl->prog ? ctl->prog : "tenurectl");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int ctl_take_flag(int *argc, char **argv, const char *flag)
{
	int found = 0, j = 0;

	for (int i = 0; i < *argc; i++) {
		if (strcmp(argv[i], flag) == 0)
			found = 1;
		else
			argv[j++] = argv[i];
	}
	*argc = j;
	argv[j] = NULL;
	return found;
}

const char *ctl_take_opt(int *argc, char **argv, const char *opt)
{
	size_t n = strlen(opt);
	const char *val = NULL;
	int j = 0;

	for (int i = 0; i < *argc; i++) {
		if (strcmp(argv[i], opt) == 0 && i + 1 < *argc) {
			val = argv[++i];
		} else if (strncmp(argv[i], opt, n) == 0 && argv[i][n] == '=') {
			val = argv[i] + n + 1;
		} else {
			argv[j++] = argv[i];
		}
	}
	*argc = j;
	argv[j] = NULL;
	return val;
}

int ctl_load_config(struct ctl *ctl, int allow_missing, struct tenure_config **out)
{
	char err[TENURE_ERRLEN];
	struct tenure_config *cfg = tenure_config_new();
	const char *path = ctl->conf_path ? ctl->conf_path : tenure_config_path();
	int rc;

	if (!cfg) {
		ctl_err(ctl, "out of memory");
		return -ENOMEM;
	}
	rc = tenure_config_load_file(cfg, ctl->scope, path, err, sizeof(err));
	if (rc == -ENOENT && allow_missing && !ctl->conf_path)
		rc = 0;
	if (!rc)
		rc = tenure_config_check(cfg, ctl->scope, err, sizeof(err));
	if (rc) {
		ctl_err(ctl, "%s", err);
		tenure_config_free(cfg);
		return rc;
	}
	*out = cfg;
	return 0;
}

/* config check: parse and report; config show: every key with its source. */
int cmd_config(struct ctl *ctl, int argc, char **argv)
{
	struct tenure_config *cfg;
	char val[2048], where[512];

	if (argc < 2 || (strcmp(argv[1], "check") && strcmp(argv[1], "show"))) {
		ctl_err(ctl, "usage: config check|show");
		return 2;
	}
	if (ctl_load_config(ctl, 0, &cfg))
		return 1;
	if (strcmp(argv[1], "check") == 0) {
		printf("%s: OK\n", ctl->conf_path ? ctl->conf_path : tenure_config_path());
		tenure_config_free(cfg);
		return 0;
	}
	for (size_t i = 0; tenure_config_key(i); i++) {
		const struct tenure_key_info *k = tenure_config_key(i);

		tenure_config_format(cfg, k->name, val, sizeof(val));
		tenure_config_source(cfg, k->name, where, sizeof(where));
		printf("%-26s %-40s # %s\n", k->name, val, where);
	}
	tenure_config_free(cfg);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: tenurectl [-c FILE] [--syncd] COMMAND ...\n\ncommands:\n");
	for (size_t i = 0; i < NGROUPS; i++)
		if (groups[i].fn)
			fprintf(f, "  %s\n", groups[i].usage);
	fprintf(f, "\n-c FILE   read FILE instead of $TENURE_CONF or /etc/tenure.conf\n"
		   "--syncd   FILE is a tenure-syncd configuration\n"
		   "--json    machine-readable output where a command offers it\n");
}

int main(int argc, char **argv)
{
	struct ctl ctl = {
		.prog = "tenurectl",
		.scope = TENURE_SCOPE_HOST,
		.log = { tenure_log_stderr, (void *)"tenurectl", LOG_INFO },
	};
	const char *conf;

	argc--;
	argv++;
	conf = ctl_take_opt(&argc, argv, "-c");
	if (conf)
		ctl.conf_path = conf;
	if (ctl_take_flag(&argc, argv, "--syncd"))
		ctl.scope = TENURE_SCOPE_SYNCD;
	ctl.json = ctl_take_flag(&argc, argv, "--json");
	if (argc < 1 || strcmp(argv[0], "-h") == 0 || strcmp(argv[0], "--help") == 0) {
		usage(argc < 1 ? stderr : stdout);
		return argc < 1 ? 2 : 0;
	}
	for (size_t i = 0; i < NGROUPS; i++) {
		if (strcmp(argv[0], groups[i].name) != 0)
			continue;
		if (!groups[i].fn) {
			ctl_err(&ctl, "%s: not available in this build", argv[0]);
			return 2;
		}
		return groups[i].fn(&ctl, argc, argv);
	}
	ctl_err(&ctl, "unknown command '%s' (try --help)", argv[0]);
	return 2;
}
