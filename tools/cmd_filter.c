/* tenurectl filter build|check — the breached-password filter.
 *
 *   tenurectl filter build [--hibp] -o OUT INPUT...
 *       INPUT: one password per line (a trailing CR is dropped), or with
 *       --hibp the Have-I-Been-Pwned download format, SHA1HEX[:count] per
 *       line.  "-" reads stdin.
 *   tenurectl filter check FILTER
 *       reads candidates on stdin, one per line; prints "found" or
 *       "absent" per line; exit 0 when all are absent, 1 when any is found.
 */
#include "ctl.h"
#include "tenure/filter.h"
#include "tenure/secret.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LINE_MAX_LEN 4096

static int add_file(struct ctl *ctl, struct tenure_filter_builder *b, const char *path,
		    int hibp, size_t *bad)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "re");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int rc = 0;

	if (!f) {
		ctl_err(ctl, "%s: %s", path, strerror(errno));
		return -errno;
	}
	while ((n = getline(&line, &cap, f)) >= 0) {
		unsigned char d[TENURE_SHA1_LEN];

		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (n == 0 || n > LINE_MAX_LEN)
			continue;
		if (hibp) {
			if (tenure_filter_parse_hex(line, d) != 0) {
				(*bad)++;
				continue;
			}
		} else {
			tenure_filter_sha1(line, (size_t)n, d);
		}
		rc = tenure_filter_builder_add(b, d);
		if (rc)
			break;
	}
	if (line)
		secret_freezero(line, cap);
	if (f != stdin)
		fclose(f);
	return rc;
}

static int build(struct ctl *ctl, int argc, char **argv)
{
	const char *out = ctl_take_opt(&argc, argv, "-o");
	int hibp = ctl_take_flag(&argc, argv, "--hibp");
	struct tenure_filter_builder *b = NULL;
	size_t bad = 0;
	int rc;

	if (!out || argc < 3) {
		ctl_err(ctl, "usage: filter build [--hibp] -o OUT INPUT...");
		return 2;
	}
	if (tenure_filter_builder_new(&b)) {
		ctl_err(ctl, "out of memory");
		return 1;
	}
	for (int i = 2; i < argc; i++) {
		rc = add_file(ctl, b, argv[i], hibp, &bad);
		if (rc) {
			tenure_filter_builder_free(b);
			return 1;
		}
	}
	rc = tenure_filter_builder_write(b, out);
	if (rc) {
		ctl_err(ctl, "%s: %s", out, strerror(-rc));
		tenure_filter_builder_free(b);
		return 1;
	}
	if (ctl->json)
		printf("{\"output\":\"%s\",\"keys\":%zu,\"skipped\":%zu}\n", out,
		       tenure_filter_builder_count(b), bad);
	else
		printf("%s: %zu keys%s\n", out, tenure_filter_builder_count(b),
		       bad ? " (some lines were not SHA-1 hex and were skipped)" : "");
	tenure_filter_builder_free(b);
	return 0;
}

static int check(struct ctl *ctl, int argc, char **argv)
{
	struct tenure_filter *f;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int rc, any = 0;

	if (argc != 3) {
		ctl_err(ctl, "usage: filter check FILTER < candidates");
		return 2;
	}
	rc = tenure_filter_open(argv[2], &f);
	if (rc) {
		ctl_err(ctl, "%s: %s", argv[2], rc == -EINVAL ? "not a tenure filter file" : strerror(-rc));
		return 2;
	}
	while ((n = getline(&line, &cap, stdin)) >= 0) {
		int hit;

		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		hit = tenure_filter_contains(f, line, (size_t)n);
		any |= hit;
		puts(hit ? "found" : "absent");
	}
	if (line)
		secret_freezero(line, cap);
	tenure_filter_close(f);
	return any ? 1 : 0;
}

int cmd_filter(struct ctl *ctl, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "build") == 0)
		return build(ctl, argc, argv);
	if (argc >= 2 && strcmp(argv[1], "check") == 0)
		return check(ctl, argc, argv);
	ctl_err(ctl, "usage: filter build [--hibp] -o OUT INPUT... | filter check FILTER");
	return 2;
}
