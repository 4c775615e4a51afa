/* tenurectl events — tenure-syncd's event journal.
 *
 *   events list [--state pending|applied|dead|failed] [--limit N] [--json]
 *   events show ID [--json]
 *   events retry ID          a dead or failed event back to pending
 *   events release FILE      a CSV file held for a mass change: journal its
 *                            SHA-256 as released and move it back into
 *                            spool_dir, where tenure-syncd picks it up
 *
 * The journal path is the `journal` key (tenurectl --syncd -c syncd.conf).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "ctl.h"
#include "tenure/audit.h"
#include "tenure/journal.h"

static void iso(double t, char *buf, size_t len)
{
	time_t s = (time_t)t;
	struct tm tm;

	if (t <= 0) {
		snprintf(buf, len, "-");
		return;
	}
	gmtime_r(&s, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static json_t *event_json(const struct tenure_event *ev)
{
	char rec[32], app[32], eff[32], nxt[32];
	json_t *o;

	iso(ev->received, rec, sizeof(rec));
	iso(ev->applied, app, sizeof(app));
	iso((double)ev->effective, eff, sizeof(eff));
	iso(ev->next_try, nxt, sizeof(nxt));
	o = json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:i,s:s,s:s,s:s,s:s,s:b}",
		      "seq", (json_int_t)ev->seq, "id", ev->id, "source", ev->source,
		      "type", tenure_ev_type_name(ev->type), "user", ev->user,
		      "employee_id", ev->employee_id, "state", tenure_ev_state_name(ev->state),
		      "received", rec, "effective", ev->effective ? eff : "",
		      "attempts", ev->attempts, "next_try", ev->state == TENURE_ST_PENDING ? nxt : "",
		      "applied", ev->applied > 0 ? app : "", "dn", ev->dn,
		      "last_error", ev->last_error, "prewritten", ev->prewritten);
	if (ev->reason[0])
		json_object_set_new(o, "reason", json_string(ev->reason));
	if (ev->prev[0]) {
		json_t *p = json_loads(ev->prev, 0, NULL);
		if (p)
			json_object_set_new(o, "previous", p);
	}
	return o;
}

struct list_ctx {
	json_t *arr;
	long n;
};

static int list_cb(void *vctx, const struct tenure_event *ev)
{
	struct list_ctx *c = vctx;
	char rec[32];

	c->n++;
	if (c->arr) {
		json_array_append_new(c->arr, event_json(ev));
		return 0;
	}
	iso(ev->received, rec, sizeof(rec));
	printf("%-6lld %-40s %-7s %-6s %-16s %-7s %2d %s %s\n", (long long)ev->seq, ev->id,
	       ev->source, tenure_ev_type_name(ev->type), ev->user[0] ? ev->user : ev->employee_id,
	       tenure_ev_state_name(ev->state), ev->attempts, rec, ev->last_error);
	return 0;
}

static int open_journal(struct ctl *ctl, unsigned flags, struct tenure_journal **j)
{
	struct tenure_config *cfg;
	int rc;

	if (ctl_load_config(ctl, 0, &cfg))
		return -EINVAL;
	rc = tenure_journal_open(cfg->journal, flags, j);
	if (rc)
		ctl_err(ctl, "journal %s: cannot open: %s", cfg->journal, strerror(-rc));
	tenure_config_free(cfg);
	return rc;
}

static int ev_list(struct ctl *ctl, int argc, char **argv)
{
	const char *st = ctl_take_opt(&argc, argv, "--state");
	const char *lim = ctl_take_opt(&argc, argv, "--limit");
	struct tenure_journal *j;
	struct list_ctx c = { 0 };
	long limit = 0;
	int state = -1, rc;

	if (argc != 2 || (st && (state = tenure_ev_state_parse(st)) < 0) ||
	    (lim && tenure_parse_long(lim, 1, 100000000L, &limit))) {
		ctl_err(ctl, "usage: events list [--state pending|applied|dead|failed] [--limit N] [--json]");
		return 2;
	}
	if (open_journal(ctl, TENURE_JOURNAL_RDONLY, &j))
		return 1;
	if (ctl->json)
		c.arr = json_array();
	else
		printf("%-6s %-40s %-7s %-6s %-16s %-7s %2s %-20s %s\n", "SEQ", "ID", "SOURCE",
		       "TYPE", "USER", "STATE", "N", "RECEIVED", "ERROR");
	rc = tenure_journal_list(j, state, (int)limit, list_cb, &c);
	if (rc)
		ctl_err(ctl, "journal: %s", tenure_journal_error(j));
	else if (c.arr)
		json_dumpf(c.arr, stdout, JSON_INDENT(2)), putchar('\n');
	json_decref(c.arr);
	tenure_journal_close(j);
	return rc ? 1 : 0;
}

static int ev_show(struct ctl *ctl, int argc, char **argv)
{
	struct tenure_journal *j;
	struct tenure_event ev;
	json_t *o;
	int rc;

	if (argc != 3) {
		ctl_err(ctl, "usage: events show ID [--json]");
		return 2;
	}
	if (open_journal(ctl, TENURE_JOURNAL_RDONLY, &j))
		return 1;
	rc = tenure_journal_get(j, argv[2], &ev);
	tenure_journal_close(j);
	if (rc) {
		ctl_err(ctl, "%s: %s", argv[2], rc == -ENOENT ? "no such event" : "journal error");
		return 1;
	}
	o = event_json(&ev);
	if (ctl->json) {
		json_dumpf(o, stdout, JSON_INDENT(2));
		putchar('\n');
	} else {
		const char *k;
		json_t *v;
		json_object_foreach(o, k, v) {
			char *s = json_is_string(v) ? NULL : json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
			printf("%-12s %s\n", k, s ? s : json_string_value(v));
			free(s);
		}
	}
	json_decref(o);
	return 0;
}

static int ev_retry(struct ctl *ctl, int argc, char **argv)
{
	struct tenure_journal *j;
	int rc;

	if (argc != 3) {
		ctl_err(ctl, "usage: events retry ID");
		return 2;
	}
	if (open_journal(ctl, 0, &j))
		return 1;
	rc = tenure_journal_retry(j, argv[2]);
	tenure_journal_close(j);
	if (rc) {
		ctl_err(ctl, "%s: %s", argv[2], rc == -ENOENT ? "no dead or failed event with this id"
							      : "journal error");
		return 1;
	}
	printf("%s: pending again\n", argv[2]);
	return 0;
}

static int file_sha256(const char *path, char hex[65])
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	struct stat st;
	char *buf;
	int rc = -EIO;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > (16 << 20)) {
		close(fd);
		return -EINVAL;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (buf && read(fd, buf, (size_t)st.st_size) == st.st_size) {
		tenure_sha256_hex(buf, (size_t)st.st_size, hex);
		rc = 0;
	}
	free(buf);
	close(fd);
	return rc;
}

static int ev_release(struct ctl *ctl, int argc, char **argv)
{
	struct tenure_config *cfg;
	struct tenure_journal *j = NULL;
	const char *name;
	char held[4200], to[4200], sha[65];
	int rc = 1;

	if (argc != 3) {
		ctl_err(ctl, "usage: events release FILE   (a file in SPOOL_DIR/held/)");
		return 2;
	}
	name = strrchr(argv[2], '/') ? strrchr(argv[2], '/') + 1 : argv[2];
	if (!*name || name[0] == '.') {
		ctl_err(ctl, "%s: not a held file name", argv[2]);
		return 2;
	}
	if (ctl_load_config(ctl, 0, &cfg))
		return 1;
	snprintf(held, sizeof(held), "%s/held/%s", cfg->spool_dir, name);
	snprintf(to, sizeof(to), "%s/%s", cfg->spool_dir, name);
	if (file_sha256(held, sha)) {
		ctl_err(ctl, "%s: no such held file", held);
		goto out;
	}
	if (tenure_journal_open(cfg->journal, 0, &j)) {
		ctl_err(ctl, "journal %s: cannot open", cfg->journal);
		goto out;
	}
	if (tenure_journal_release_add(j, sha, name)) {
		ctl_err(ctl, "journal: %s", tenure_journal_error(j));
		goto out;
	}
	if (access(to, F_OK) == 0) {
		ctl_err(ctl, "%s already exists in the spool", name);
		goto out;
	}
	if (rename(held, to) < 0) {
		ctl_err(ctl, "rename %s: %s", held, strerror(errno));
		goto out;
	}
	printf("%s: released (sha256 %s)\n", name, sha);
	rc = 0;
out:
	tenure_journal_close(j);
	tenure_config_free(cfg);
	return rc;
}

int cmd_events(struct ctl *ctl, int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "list"))
		return ev_list(ctl, argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "show"))
		return ev_show(ctl, argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "retry"))
		return ev_retry(ctl, argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "release"))
		return ev_release(ctl, argc, argv);
	ctl_err(ctl, "usage: events list|show ID|retry ID|release FILE [--json]");
	return 2;
}
