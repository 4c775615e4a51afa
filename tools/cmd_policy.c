/* tenurectl policy check|show — the password policy from the admin's side.
 *
 *   tenurectl policy check [--user NAME] [--json]  < candidate
 *       reads one candidate (the first line of stdin, newline dropped),
 *       prints every rule it fails; exit 0 accepted, 1 refused, 2 error.
 *       --user adds the user-name and GECOS checks (GECOS from the passwd
 *       database) and the password history: the local store, then the
 *       directory entry's tenurePasswordHistory (binddn, so as root).
 *   tenurectl policy check --batch [--user NAME]  < candidates
 *       one candidate per line; prints "accepted" or "refused RULE,RULE..."
 *       per line (for auditing a list, and for bench/policy.sh); exit 0
 *       when all are accepted, 1 when any is refused.
 *   tenurectl policy show [--json]
 *       every policy key with its effective value and where it came from.
 */
#include "ctl.h"
#include "tenure/account.h"
#include "tenure/history.h"
#include "tenure/ldap.h"
#include "tenure/names.h"
#include "tenure/policy.h"
#include "tenure/secret.h"

#include <errno.h>
#include <jansson.h>
#include <libintl.h>
#include <locale.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef TENURE_DATADIR
#define TENURE_DATADIR "/usr/share/tenure"
#endif
#ifndef TENURE_LOCALEDIR
#define TENURE_LOCALEDIR "/usr/share/locale"
#endif

#define CANDIDATE_MAX (64 * 1024)

static const char *const policy_keys[] = {
	"policy", "minlen", "maxlen", "minclass", "dcredit", "ucredit", "lcredit", "ocredit",
	"maxrepeat", "maxsequence", "maxclassrepeat", "usercheck", "gecoscheck", "dictcheck",
	"difok", "badwords", "enforcing", "enforce_for_root", "retry", "dictpath",
	"breached_filter", "remember", "history_m_cost", "history_t_cost", "history_dir",
	"passwd_hash", "min_days", "max_days", "warn_days", "inactive_days", NULL,
};

static void i18n(void)
{
	const char *dir = secure_getenv("TENURE_LOCALEDIR");

	setlocale(LC_ALL, "");
	bindtextdomain("tenure", dir && *dir ? dir : TENURE_LOCALEDIR);
	bind_textdomain_codeset("tenure", "UTF-8");
}

/* Read stdin up to CANDIDATE_MAX bytes; the first line is the candidate. */
static char *read_candidate(size_t *len)
{
	char *buf = malloc(CANDIDATE_MAX + 1);
	size_t n = 0;

	if (!buf)
		return NULL;
	while (n < CANDIDATE_MAX) {
		size_t r = fread(buf + n, 1, CANDIDATE_MAX - n, stdin);
		if (r == 0)
			break;
		n += r;
	}
	buf[n] = '\0';
	{
		char *nl = memchr(buf, '\n', n);
		if (nl)
			n = (size_t)(nl - buf);
	}
	if (n && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	*len = n;
	return buf;
}

static void gecos_of(const char *user, char *buf, size_t len)
{
	struct passwd pw, *res = NULL;
	char tmp[4096];

	buf[0] = '\0';
	if (getpwnam_r(user, &pw, tmp, sizeof(tmp), &res) == 0 && res && pw.pw_gecos)
		snprintf(buf, len, "%s", pw.pw_gecos);
}

static void print_result(const struct ctl *ctl, const struct tenure_pw_result *res)
{
	char msg[512];

	if (ctl->json) {
		json_t *o = json_object(), *a = json_array();
		char *s;

		json_object_set_new(o, "accepted", json_boolean(res->n == 0));
		for (int i = 0; i < res->n; i++) {
			json_t *r = json_object();
			tenure_policy_format(res->reason[i], res->arg[i], msg, sizeof(msg));
			json_object_set_new(r, "rule", json_string(tenure_policy_code(res->reason[i])));
			json_object_set_new(r, "message", json_string(msg));
			json_array_append_new(a, r);
		}
		json_object_set_new(o, "failed", a);
		s = json_dumps(o, JSON_COMPACT);
		if (s)
			puts(s);
		free(s);
		json_decref(o);
		return;
	}
	if (res->n == 0) {
		puts(dgettext("tenure", "The password is acceptable."));
		return;
	}
	for (int i = 0; i < res->n; i++) {
		tenure_policy_format(res->reason[i], res->arg[i], msg, sizeof(msg));
		printf("%s: %s\n", tenure_policy_code(res->reason[i]), msg);
	}
}

static int batch(const struct tenure_policy *pol, const struct tenure_pw_account *acct)
{
	struct tenure_pw_result res;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int any = 0;

	while ((n = getline(&line, &cap, stdin)) >= 0) {
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		tenure_policy_check(pol, line, (size_t)n, acct, &res);
		if (res.n == 0) {
			puts("accepted");
			continue;
		}
		any = 1;
		fputs("refused ", stdout);
		for (int i = 0; i < res.n; i++)
			printf("%s%s", i ? "," : "", tenure_policy_code(res.reason[i]));
		putchar('\n');
	}
	if (line)
		secret_freezero(line, cap);
	return any ? 1 : 0;
}

/* Whether pw is in the user's history: the local store (local accounts,
 * and directories without the tenure schema), then the directory entry's
 * tenurePasswordHistory, where pam_tenure keeps it for directory accounts
 * (read with binddn, so as root).  Nothing readable: not reused, said on
 * stderr when the directory could not be asked. */
static int reused(struct ctl *ctl, const struct tenure_config *cfg, const char *user,
		  const char *pw, size_t len)
{
	char **hist = NULL, err[TENURE_ERRLEN];
	long uid;
	int found = 0, rc;

	if (tenure_history_local_read(cfg->history_dir, user, &hist) == 0)
		found = tenure_history_find(hist, pw, len) >= 0;
	tenure_strv_free(hist);
	hist = NULL;
	if (found || tenure_local_user(user, &uid) == 1 || cfg->n_uri == 0)
		return found;
	rc = tenure_account_ldap_history(cfg, user, &hist, err, sizeof(err));
	if (rc == 0)
		found = tenure_history_find(hist, pw, len) >= 0;
	else if (rc != -ENOENT)
		ctl_err(ctl, "--user %s: the directory's password history could not be read (%s%s%s)",
			user, strerror(-rc), err[0] ? ": " : "", err);
	tenure_strv_free(hist);
	return found;
}

static int check(struct ctl *ctl, int argc, char **argv)
{
	const char *user = ctl_take_opt(&argc, argv, "--user");
	int many = ctl_take_flag(&argc, argv, "--batch");
	struct tenure_config *cfg = NULL;
	struct tenure_policy *pol = NULL;
	struct tenure_pw_account acct = { 0 };
	struct tenure_pw_result res;
	char err[TENURE_ERRLEN], gecos[1024];
	char *pw = NULL;
	size_t len = 0;
	int rc = 2;

	if (argc != 2) {
		ctl_err(ctl, "usage: policy check [--user NAME] [--json] < candidate");
		return 2;
	}
	if (ctl_load_config(ctl, 1, &cfg))
		return 2;
	if (user && !tenure_name_valid(cfg->validnames, user)) {
		ctl_err(ctl, "--user: '%s' is not a valid user name", user);
		goto out;
	}
	if (tenure_policy_open(cfg, &pol, err, sizeof(err))) {
		ctl_err(ctl, "%s", err);
		goto out;
	}
	if (user) {
		acct.user = user;
		gecos_of(user, gecos, sizeof(gecos));
		acct.gecos = gecos;
	}
	if (many) {
		rc = batch(pol, &acct);
		goto out;
	}
	pw = read_candidate(&len);
	if (!pw) {
		ctl_err(ctl, "out of memory");
		goto out;
	}
	tenure_policy_check(pol, pw, len, &acct, &res);
	if (user && cfg->remember > 0 && reused(ctl, cfg, user, pw, len))
		tenure_policy_result_add(&res, TENURE_PW_REUSED, cfg->remember);
	print_result(ctl, &res);
	rc = res.n ? 1 : 0;
out:
	if (pw)
		secret_freezero(pw, CANDIDATE_MAX + 1);
	tenure_policy_close(pol);
	tenure_config_free(cfg);
	return rc;
}

/* Which word lists and filter the checks will really use. */
static void show_sources(struct ctl *ctl, const struct tenure_config *cfg, json_t *o)
{
	struct tenure_policy *pol = NULL;
	char err[TENURE_ERRLEN];
	unsigned st = 0;

	if (tenure_policy_open(cfg, &pol, err, sizeof(err)) != 0) {
		ctl_err(ctl, "%s", err);
	} else {
		st = tenure_policy_status(pol);
		tenure_policy_close(pol);
	}
	if (o) {
		json_object_set_new(o, "dictionary_loaded", json_boolean(st & 1));
		json_object_set_new(o, "dictpath_loaded", json_boolean(st & 2));
		json_object_set_new(o, "breached_filter_loaded", json_boolean(st & 4));
		return;
	}
	printf("# dictionary %s: %s\n", TENURE_DATADIR "/words",
	       (st & 1) ? "loaded" : (cfg->dictcheck ? "NOT FOUND (dictcheck uses dictpath only)" : "off"));
	printf("# dictpath: %s\n", (st & 2) ? "loaded" : "none");
	printf("# breached_filter: %s\n", (st & 4) ? "loaded" : "NOT FOUND (breached check skipped)");
}

static int show(struct ctl *ctl)
{
	struct tenure_config *cfg;
	char val[2048], where[512];
	json_t *o = NULL;

	if (ctl_load_config(ctl, 1, &cfg))
		return 2;
	if (ctl->json)
		o = json_object();
	for (size_t i = 0; policy_keys[i]; i++) {
		tenure_config_format(cfg, policy_keys[i], val, sizeof(val));
		tenure_config_source(cfg, policy_keys[i], where, sizeof(where));
		if (o) {
			json_t *k = json_object();
			json_object_set_new(k, "value", json_string(val));
			json_object_set_new(k, "source", json_string(where));
			json_object_set_new(o, policy_keys[i], k);
		} else {
			printf("%-18s %-36s # %s\n", policy_keys[i], val[0] ? val : "(unset)", where);
		}
	}
	show_sources(ctl, cfg, o);
	if (o) {
		char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
		if (s)
			puts(s);
		free(s);
		json_decref(o);
	}
	tenure_config_free(cfg);
	return 0;
}

int cmd_policy(struct ctl *ctl, int argc, char **argv)
{
	i18n();
	if (argc >= 2 && strcmp(argv[1], "check") == 0)
		return check(ctl, argc, argv);
	if (argc == 2 && strcmp(argv[1], "show") == 0)
		return show(ctl);
	ctl_err(ctl, "usage: policy check [--user NAME] [--json] | policy show [--json]");
	return 2;
}
