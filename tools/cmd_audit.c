/* tenurectl audit verify FILE [--head SEQ:SHA256] — check the hash chain
 * of tenure-syncd's audit log, and against an anchor it logged.  Exit 0
 * when intact, 1 naming the first bad line. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ctl.h"
#include "tenure/audit.h"

/* An anchor as tenure-syncd logs it ("seq=N sha256=HASH", also with
 * "audit head" in front) or as SEQ:HASH.  0 or -1. */
static int parse_head(const char *s, long *seq, char hash[65])
{
	const char *p = strstr(s, "seq=");
	char *end;

	errno = 0;
	*seq = strtol(p ? p + 4 : s, &end, 10);
	if (errno || end == (p ? p + 4 : s) || *seq < 1)
		return -1;
	if (p) {
		if (strncmp(end, " sha256=", 8) != 0)
			return -1;
		end += 8;
	} else if (*end++ != ':') {
		return -1;
	}
	if (strspn(end, "0123456789abcdef") != 64 || end[64] != '\0')
		return -1;
	memcpy(hash, end, 65);
	return 0;
}

int cmd_audit(struct ctl *ctl, int argc, char **argv)
{
	const char *head = ctl_take_opt(&argc, argv, "--head");
	char err[512] = "", hash[65];
	long lines = 0, bad = 0, seq = 0;
	int rc;

	if (argc != 3 || strcmp(argv[1], "verify")) {
		ctl_err(ctl, "usage: audit verify FILE [--head SEQ:SHA256] [--json]");
		return 2;
	}
	if (head && parse_head(head, &seq, hash)) {
		ctl_err(ctl, "--head %s: expected SEQ:SHA256 or \"seq=N sha256=HASH\" as tenure-syncd "
			"logs it", head);
		return 2;
	}
	rc = head ? tenure_audit_verify_anchor(argv[2], seq, hash, &lines, &bad, err, sizeof(err))
		  : tenure_audit_verify(argv[2], &lines, &bad, err, sizeof(err));
	if (ctl->json) {
		json_t *o = json_pack("{s:s,s:b,s:I}", "file", argv[2], "ok", rc == 0,
				      "lines", (json_int_t)lines);
		if (rc == 1)
			json_object_set_new(o, "bad_line", json_integer(bad));
		if (rc)
			json_object_set_new(o, "error", json_string(err));
		json_dumpf(o, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(o);
	}
	if (rc < 0) {
		ctl_err(ctl, "%s", err);
		return 1;
	}
	if (rc == 1) {
		ctl_err(ctl, "%s: chain broken at %s", argv[2], err);
		return 1;
	}
	if (!ctl->json && head)
		printf("%s: OK, %ld lines, chain intact, line %ld matches the anchor\n", argv[2],
		       lines, seq);
	else if (!ctl->json)
		printf("%s: OK, %ld lines, chain intact\n", argv[2], lines);
	return 0;
}
