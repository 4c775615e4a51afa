/* tenurectl — shared declarations of the admin command.
 *
 * Each command group lives in its own file (cmd_<group>.c) and defines one
 * entry point below.  tenurectl.c lists them; a group whose file is not
 * built yet is reported as not available (weak references).
 *
 * Conventions for every command: one clear line on stderr and a non-zero
 * exit on error (2 = usage, 1 = a refusal/finding); --json prints one JSON
 * document on stdout; the config is read through ctl_load_config().
 */
#ifndef TENURECTL_H
#define TENURECTL_H

#include "tenure/config.h"
#include "tenure/log.h"

struct ctl {
	const char *prog;          /* "tenurectl" */
	const char *conf_path;     /* -c PATH, else TENURE_CONF, else /etc/tenure.conf */
	enum tenure_scope scope;   /* HOST, or SYNCD with --syncd */
	int json;                  /* --json given anywhere */
	struct tenure_log log;     /* stderr sink */
};

/* Load defaults + the config file (a missing default file is not an error
 * for commands that can run without one when allow_missing is set). */
int ctl_load_config(struct ctl *ctl, int allow_missing, struct tenure_config **out);

/* Print "tenurectl: message" on stderr. */
void ctl_err(const struct ctl *ctl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Remove a flag like "--json" from argv wherever it appears; returns 1 when
 * it was present. */
int ctl_take_flag(int *argc, char **argv, const char *flag);
/* Remove "--opt VALUE" / "--opt=VALUE"; returns the value or NULL. */
const char *ctl_take_opt(int *argc, char **argv, const char *opt);

/* 1 with a warning in why when this host's own name is looked up in DNS
 * before any local source (hostname_check.c); else 0. */
int ctl_hostname_check(char *why, size_t len);

/* Command groups: argv[0] is the group name. */
int cmd_policy(struct ctl *ctl, int argc, char **argv);   /* policy check|show */
int cmd_filter(struct ctl *ctl, int argc, char **argv);   /* filter build|check */
int cmd_lockout(struct ctl *ctl, int argc, char **argv);  /* lockout show|reset */
int cmd_account(struct ctl *ctl, int argc, char **argv);  /* account USER */
int cmd_events(struct ctl *ctl, int argc, char **argv);   /* events list|show|retry|release */
int cmd_audit(struct ctl *ctl, int argc, char **argv);    /* audit verify FILE */
int cmd_report(struct ctl *ctl, int argc, char **argv);   /* report */
int cmd_config(struct ctl *ctl, int argc, char **argv);   /* config check|show */

#endif
