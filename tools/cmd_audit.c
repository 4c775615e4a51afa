/* tenurectl audit verify FILE — check the hash chain of tenure-syncd's
 * audit log.  Exit 0 when intact, 1 naming the first bad line. */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "ctl.h"
#include "tenure/audit.h"

int cmd_audit(struct ctl *ctl, int argc, char **argv)
{
	char err[512] = "";
	long lines = 0, bad = 0;
	int rc;

	if (argc != 3 || strcmp(argv[1], "verify")) {
		ctl_err(ctl, "usage: audit verify FILE [--json]");
		return 2;
	}
	rc = tenure_audit_verify(argv[2], &lines, &bad, err, sizeof(err));
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
	if (!ctl->json)
		printf("%s: OK, %ld lines, chain intact\n", argv[2], lines);
	return 0;
}
