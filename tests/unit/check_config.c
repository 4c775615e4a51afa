/* Unit tests: the configuration table and its parser. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tenure/config.h"
#include "tenure/secret.h"

static struct tenure_config *cfg;
static char err[TENURE_ERRLEN];

static void setup(void)
{
	cfg = tenure_config_new();
	ck_assert_ptr_nonnull(cfg);
	err[0] = '\0';
}

static void teardown(void)
{
	tenure_config_free(cfg);
}

static int load(const char *text)
{
	err[0] = '\0';
	return tenure_config_load_buffer(cfg, TENURE_SCOPE_HOST, "test.conf", text, strlen(text),
					 err, sizeof(err));
}

START_TEST(defaults)
{
	ck_assert_int_eq(cfg->minlen, 8);
	ck_assert_int_eq(cfg->deny, 3);
	ck_assert_int_eq(cfg->fail_interval, 900);
	ck_assert_int_eq(cfg->unlock_time, 600);
	ck_assert_int_eq(cfg->pagesize, 500);
	ck_assert_int_eq(cfg->nss_min_uid, 1000);
	ck_assert_int_eq(cfg->max_days, 99999);
	ck_assert_int_eq(cfg->ssl, TENURE_SSL_OFF);
	ck_assert_int_eq(cfg->tls_reqcert, TENURE_REQCERT_DEMAND);
	ck_assert_str_eq(cfg->filter_passwd, "(objectClass=posixAccount)");
	ck_assert_int_eq(cfg->n_uri, 0);
	ck_assert_int_eq(cfg->max_body, 1048576);
}
END_TEST

/* Every integer key: its minimum and maximum are accepted, one past each
 * is refused with a message naming the range. */
START_TEST(every_int_key_bounds)
{
	for (size_t i = 0; tenure_config_key(i); i++) {
		const struct tenure_key_info *k = tenure_config_key(i);
		enum tenure_scope scope = (k->users & (TENURE_FE_PAM | TENURE_FE_NSS | TENURE_FE_CTL))
			? TENURE_SCOPE_HOST : TENURE_SCOPE_SYNCD;
		char v[64], want[128], got[64];

		if (k->type != TENURE_T_INT)
			continue;
		snprintf(v, sizeof(v), "%ld", k->min);
		ck_assert_msg(tenure_config_set(cfg, scope, k->name, v, "f", 1, err, sizeof(err)) == 0,
			      "%s min: %s", k->name, err);
		tenure_config_format(cfg, k->name, got, sizeof(got));
		ck_assert_msg(strcmp(got, v) == 0 || strcmp(got, "never") == 0, "%s: %s != %s", k->name, got, v);
		snprintf(v, sizeof(v), "%ld", k->max);
		ck_assert_msg(tenure_config_set(cfg, scope, k->name, v, "f", 1, err, sizeof(err)) == 0,
			      "%s max: %s", k->name, err);
		snprintf(v, sizeof(v), "%ld", k->min - 1);
		ck_assert_int_eq(tenure_config_set(cfg, scope, k->name, v, "f", 7, err, sizeof(err)), -EINVAL);
		snprintf(want, sizeof(want), "f:7: %s: %s is out of range (accepted: %ld to %ld", k->name, v,
			 k->min, k->max);
		ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "%s: '%s'", k->name, err);
		snprintf(v, sizeof(v), "%ld", k->max + 1);
		ck_assert_int_eq(tenure_config_set(cfg, scope, k->name, v, "f", 8, err, sizeof(err)), -EINVAL);
		ck_assert_msg(strstr(err, "out of range") != NULL, "%s: %s", k->name, err);
		ck_assert_int_eq(tenure_config_set(cfg, scope, k->name, "12abc", "f", 9, err, sizeof(err)), -EINVAL);
		ck_assert_msg(strstr(err, "is not a number") != NULL, "%s: %s", k->name, err);
		ck_assert_int_eq(tenure_config_set(cfg, scope, k->name, " 1", "f", 9, err, sizeof(err)), -EINVAL);
		ck_assert_int_eq(tenure_config_set(cfg, scope, k->name, "99999999999999999999999", "f", 9,
						   err, sizeof(err)), -EINVAL);
	}
}
END_TEST

START_TEST(every_bool_and_enum_key)
{
	for (size_t i = 0; tenure_config_key(i); i++) {
		const struct tenure_key_info *k = tenure_config_key(i);
		enum tenure_scope scope = (k->users & (TENURE_FE_PAM | TENURE_FE_NSS | TENURE_FE_CTL))
			? TENURE_SCOPE_HOST : TENURE_SCOPE_SYNCD;

		if (k->type == TENURE_T_BOOL) {
			static const char *const ok[] = { "yes", "no", "true", "false", "on", "off", "1", "0", "YES" };
			for (size_t j = 0; j < sizeof(ok) / sizeof(ok[0]); j++)
				ck_assert_msg(tenure_config_set(cfg, scope, k->name, ok[j], "f", 1, err, sizeof(err)) == 0,
					      "%s=%s: %s", k->name, ok[j], err);
			ck_assert_int_eq(tenure_config_set(cfg, scope, k->name, "maybe", "f", 2, err, sizeof(err)), -EINVAL);
			ck_assert_msg(strstr(err, "is not a boolean") != NULL, "%s", err);
		} else if (k->type == TENURE_T_ENUM) {
			for (size_t j = 0; k->names[j]; j++)
				ck_assert_int_eq(tenure_config_set(cfg, scope, k->name, k->names[j], "f", 1, err, sizeof(err)), 0);
			ck_assert_int_eq(tenure_config_set(cfg, scope, k->name, "bogus", "f", 3, err, sizeof(err)), -EINVAL);
			ck_assert_msg(strstr(err, "'bogus' is not one of:") != NULL, "%s", err);
			ck_assert_msg(strstr(err, k->names[0]) != NULL, "%s", err);
		} else if (k->type == TENURE_T_PATH || k->type == TENURE_T_SECRET) {
			ck_assert_int_eq(tenure_config_set(cfg, scope, k->name, "relative/path", "f", 4, err, sizeof(err)), -EINVAL);
			ck_assert_msg(strstr(err, "not an absolute path") != NULL, "%s", err);
			ck_assert_int_eq(tenure_config_set(cfg, scope, k->name, "/abs/path", "f", 4, err, sizeof(err)), 0);
		}
	}
}
END_TEST

START_TEST(file_errors_name_file_line_key)
{
	ck_assert_int_eq(load("# comment\n\nminlen 10\nbogus 1\n"), -EINVAL);
	ck_assert_str_eq(err, "test.conf:4: bogus: unknown key");
	ck_assert_int_eq(cfg->minlen, 10);

	ck_assert_int_eq(load("deny\n"), -EINVAL);
	ck_assert_str_eq(err, "test.conf:1: deny: missing value");

	ck_assert_int_eq(load("ssl maybe\n"), -EINVAL);
	ck_assert_str_eq(err, "test.conf:1: ssl: 'maybe' is not one of: off, on, start_tls");

	ck_assert_int_eq(load("minlen 5\n"), -EINVAL);
	ck_assert_str_eq(err, "test.conf:1: minlen: 5 is out of range (accepted: 6 to 1024)");

	ck_assert_int_eq(load("unlock_time soon\n"), -EINVAL);
	ck_assert_str_eq(err, "test.conf:1: unlock_time: 'soon' is not a number (accepted: 0 to 31536000, or never)");

	ck_assert_int_eq(load("uri http://example.org\n"), -EINVAL);
	ck_assert_str_eq(err, "test.conf:1: uri: 'http://example.org' is not an ldap:// or ldaps:// URI");

	ck_assert_int_eq(load("bindpw hunter2\n"), -EINVAL);
	ck_assert_msg(strstr(err, "test.conf:1: bindpw: secrets are not accepted here") == err, "%s", err);

	ck_assert_int_eq(load("listen 0.0.0.0:1\n"), -EINVAL);
	ck_assert_str_eq(err, "test.conf:1: listen: not a tenure.conf key");

	ck_assert_int_eq(load("validnames abc\n"), -EINVAL);
	ck_assert_str_eq(err, "test.conf:1: validnames: 'abc' is not a /regex/ or /regex/i");

	ck_assert_int_eq(load("base dc=a\x01,dc=b\n"), -EINVAL);
	ck_assert_str_eq(err, "test.conf:1: base: value holds a control character");

	ck_assert_int_eq(load("base dc=\xff\n"), -EINVAL);
	ck_assert_str_eq(err, "test.conf:1: base: value is not valid UTF-8");
}
END_TEST

START_TEST(line_length_and_nul)
{
	size_t n = TENURE_CONF_LINE_MAX + 10;
	char *big = malloc(n + 1);
	static const char withnul[] = "minlen 9\nmin\0len 9\n";

	memset(big, 'a', n);
	memcpy(big, "base ", 5);
	big[n] = '\0';
	ck_assert_int_eq(load(big), -EINVAL);
	ck_assert_str_eq(err, "test.conf:1: line longer than 4095 characters");
	free(big);

	ck_assert_int_eq(tenure_config_load_buffer(cfg, TENURE_SCOPE_HOST, "n.conf", withnul,
						   sizeof(withnul) - 1, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "n.conf:2: line holds a NUL byte");
}
END_TEST

START_TEST(whitespace_comments_crlf)
{
	ck_assert_int_eq(load("  minlen\t 12  \r\n\t# deny 9\nbase   dc=example, dc=org\n"), 0);
	ck_assert_int_eq(cfg->minlen, 12);
	ck_assert_int_eq(cfg->deny, 3);
	ck_assert_str_eq(cfg->base, "dc=example, dc=org");
}
END_TEST

START_TEST(uris)
{
	ck_assert_int_eq(load("uri ldap://a:1/ ldaps://b\nuri ldap://c\n"), 0);
	ck_assert_int_eq(cfg->n_uri, 3);
	ck_assert_str_eq(cfg->uri[0], "ldap://a:1/");
	ck_assert_str_eq(cfg->uri[2], "ldap://c");
	ck_assert_int_eq(load("uri ldap://1 ldap://2 ldap://3 ldap://4 ldap://5 ldap://6\n"), -EINVAL);
	ck_assert_str_eq(err, "test.conf:1: uri: more than 8 URIs");
}
END_TEST

START_TEST(presets_and_precedence)
{
	const char *args[] = { "conf=/x", "minlen=20", "silent", "use_authtok", "deny=7" };
	const char *const pass[] = { "use_authtok", NULL };
	char where[128];

	/* The preset fills what the file does not set, whatever the order. */
	ck_assert_int_eq(load("minlen 14\npolicy classic\n"), 0);
	ck_assert_int_eq(cfg->minlen, 14);
	ck_assert_int_eq(cfg->minclass, 3);
	ck_assert_int_eq(cfg->max_days, 90);
	ck_assert_int_eq(cfg->remember, 5);
	ck_assert_int_eq(tenure_config_source(cfg, "minclass", where, sizeof(where)), TENURE_SRC_PRESET);
	ck_assert_str_eq(where, "policy classic");
	ck_assert_int_eq(tenure_config_source(cfg, "minlen", where, sizeof(where)), TENURE_SRC_FILE);
	ck_assert_str_eq(where, "test.conf:1");
	ck_assert_int_eq(tenure_config_source(cfg, "maxlen", where, sizeof(where)), TENURE_SRC_DEFAULT);

	/* Arguments win over the file. */
	ck_assert_int_eq(tenure_config_parse_args(cfg, 5, args, pass, err, sizeof(err)), 0);
	ck_assert_int_eq(cfg->minlen, 20);
	ck_assert_int_eq(cfg->deny, 7);
	ck_assert_int_eq(cfg->silent, 1);
	ck_assert_int_eq(tenure_config_source(cfg, "deny", where, sizeof(where)), TENURE_SRC_ARG);

	/* Switching preset replaces preset values, keeps explicit ones. */
	ck_assert_int_eq(tenure_config_set(cfg, TENURE_SCOPE_PAMARG, "policy", "nist", NULL, 6, err, sizeof(err)), 0);
	ck_assert_int_eq(cfg->minclass, 0);
	ck_assert_int_eq(cfg->max_days, 99999);
	ck_assert_int_eq(cfg->remember, 0);
	ck_assert_int_eq(cfg->minlen, 20);
	ck_assert_int_eq(cfg->deny, 7);
	ck_assert_int_eq(cfg->unlock_time, 600);
}
END_TEST

START_TEST(nist_preset)
{
	ck_assert_int_eq(load("policy nist\n"), 0);
	ck_assert_int_eq(cfg->minlen, 15);
	ck_assert_int_eq(cfg->minclass, 0);
	ck_assert_int_eq(cfg->dictcheck, 1);
	ck_assert_int_eq(cfg->max_days, 99999);
}
END_TEST

START_TEST(module_args)
{
	const char *bad1[] = { "minlen" };
	const char *bad2[] = { "nosuchkey=1" };
	const char *bad3[] = { "listen=127.0.0.1:1" };
	const char *bad4[] = { "frobnicate" };

	ck_assert_int_eq(tenure_config_parse_args(cfg, 1, bad1, NULL, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "module argument 1: minlen: needs a value (key=value)");
	ck_assert_int_eq(tenure_config_parse_args(cfg, 1, bad2, NULL, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "module argument 1: nosuchkey: unknown key");
	ck_assert_int_eq(tenure_config_parse_args(cfg, 1, bad3, NULL, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "module argument 1: listen: not a pam_tenure argument");
	ck_assert_int_eq(tenure_config_parse_args(cfg, 1, bad4, NULL, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "module argument 1: frobnicate: unknown key");
}
END_TEST

START_TEST(syncd_scope)
{
	static const char text[] = "listen 127.0.0.1:9000\nuri ldap://x\nmax_body 2048\n";

	ck_assert_int_eq(tenure_config_load_buffer(cfg, TENURE_SCOPE_SYNCD, "s.conf", text,
						   sizeof(text) - 1, err, sizeof(err)), 0);
	ck_assert_str_eq(cfg->listen, "127.0.0.1:9000");
	ck_assert_int_eq(cfg->max_body, 2048);
	ck_assert_int_eq(tenure_config_set(cfg, TENURE_SCOPE_SYNCD, "minlen", "9", "s.conf", 4, err, sizeof(err)),
			 -EINVAL);
	ck_assert_str_eq(err, "s.conf:4: minlen: not a tenure-syncd key");
}
END_TEST

START_TEST(cross_checks)
{
	ck_assert_int_eq(load("binddn cn=x\n"), 0);
	ck_assert_int_eq(tenure_config_check(cfg, TENURE_SCOPE_HOST, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "binddn is set but bindpw_file is not");
	ck_assert_int_eq(load("bindpw_file /x\nminlen 300\n"), 0);
	ck_assert_int_eq(tenure_config_check(cfg, TENURE_SCOPE_HOST, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "minlen (300) is above maxlen (256)");
}
END_TEST

static char tmpdir[] = "/tmp/tenure-check-XXXXXX";

static void write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	ck_assert_int_eq(chmod(path, mode), 0);
}

START_TEST(files_on_disk)
{
	char path[PATH_MAX], *secret = NULL;
	size_t len = 0;

	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(path, sizeof(path), "%s/t.conf", tmpdir);
	write_file(path, "deny 4\n", 0644);
	ck_assert_int_eq(tenure_config_load_file(cfg, TENURE_SCOPE_HOST, path, err, sizeof(err)), 0);
	ck_assert_int_eq(cfg->deny, 4);

	snprintf(path, sizeof(path), "%s/missing.conf", tmpdir);
	ck_assert_int_eq(tenure_config_load_file(cfg, TENURE_SCOPE_HOST, path, err, sizeof(err)), -ENOENT);
	ck_assert_msg(strstr(err, "cannot open") != NULL, "%s", err);

	snprintf(path, sizeof(path), "%s/pw", tmpdir);
	write_file(path, "s3cret\n", 0600);
	ck_assert_int_eq(tenure_read_secret_file(path, &secret, &len, err, sizeof(err)), 0);
	ck_assert_str_eq(secret, "s3cret");
	ck_assert_int_eq(len, 6);
	secret_free(secret);

	if (geteuid() == 0) {
		/* Root refuses a secret others can read, and a config others can write. */
		chmod(path, 0640);
		ck_assert_int_eq(tenure_read_secret_file(path, &secret, &len, err, sizeof(err)), -EPERM);
		ck_assert_msg(strstr(err, "must be owned by root and not readable by group or others") != NULL, "%s", err);
		chmod(path, 0600);
		ck_assert_int_eq(chown(path, 1, 1), 0);
		ck_assert_int_eq(tenure_read_secret_file(path, &secret, &len, err, sizeof(err)), -EPERM);
		snprintf(path, sizeof(path), "%s/w.conf", tmpdir);
		write_file(path, "deny 4\n", 0666);
		ck_assert_int_eq(tenure_config_load_file(cfg, TENURE_SCOPE_HOST, path, err, sizeof(err)), -EPERM);
		ck_assert_msg(strstr(err, "writable by root only") != NULL, "%s", err);
	}
	ck_assert_int_eq(system("rm -rf /tmp/tenure-check-*"), 0);
}
END_TEST

START_TEST(env_path)
{
	setenv("TENURE_CONF", "/some/where.conf", 1);
	ck_assert_str_eq(tenure_config_path(), "/some/where.conf");
	unsetenv("TENURE_CONF");
	ck_assert_str_eq(tenure_config_path(), "/etc/tenure.conf");
}
END_TEST

START_TEST(parse_helpers)
{
	long v;
	int b;

	ck_assert_int_eq(tenure_parse_long("42", 0, 100, &v), 0);
	ck_assert_int_eq(v, 42);
	ck_assert_int_eq(tenure_parse_long("", 0, 100, &v), -EINVAL);
	ck_assert_int_eq(tenure_parse_long("4 2", 0, 100, &v), -EINVAL);
	ck_assert_int_eq(tenure_parse_long("101", 0, 100, &v), -ERANGE);
	ck_assert_int_eq(tenure_parse_long("0x10", 0, 100, &v), -EINVAL);
	ck_assert_int_eq(tenure_parse_bool("On", &b), 0);
	ck_assert_int_eq(b, 1);
	ck_assert_int_eq(tenure_parse_bool("2", &b), -EINVAL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("parser");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, defaults);
	tcase_add_test(tc, every_int_key_bounds);
	tcase_add_test(tc, every_bool_and_enum_key);
	tcase_add_test(tc, file_errors_name_file_line_key);
	tcase_add_test(tc, line_length_and_nul);
	tcase_add_test(tc, whitespace_comments_crlf);
	tcase_add_test(tc, uris);
	tcase_add_test(tc, presets_and_precedence);
	tcase_add_test(tc, nist_preset);
	tcase_add_test(tc, module_args);
	tcase_add_test(tc, syncd_scope);
	tcase_add_test(tc, cross_checks);
	tcase_add_test(tc, files_on_disk);
	tcase_add_test(tc, env_path);
	tcase_add_test(tc, parse_helpers);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
