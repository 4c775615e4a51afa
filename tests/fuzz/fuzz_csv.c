/* Fuzz target: a CSV file of the drop folder of tenure-syncd, the way the
 * daemon takes it in (process() in syncd/spool.c): header check, rows
 * split and validated, the mass-change hold, and the move to done/,
 * failed/ or held/ with its report.
 *
 * The input is the file.  process() is static, so syncd/spool.c is
 * included here rather than listed as a fuzz source.  The file lives in a
 * temporary spool directory under P_tmpdir with a real (SQLite) journal,
 * both removed at exit.  The journal intake (intake.c), the HTTP server and
 * main.c are not linked: this file stands in for them, and its intake
 * checks every event a row turns into.  Besides crashes it checks that the
 * file always ends up in exactly one of done/, failed/ and held/. */
// fuzz-sources: syncd/util.c
#include "../../syncd/spool.c"

#include <ctype.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { if (!(cond)) { \
	fprintf(stderr, "fuzz_csv: check failed: %s (line %d)\n", #cond, __LINE__); \
	abort(); } } while (0)

#define NAME "feed.csv"

/* ---- stand-ins for http.c, intake.c and main.c ---- */

struct syncd S;

const char *req_header(const struct request *rq, const char *name)
{
	return NULL;
}

const char *req_query(const struct request *rq, const char *name)
{
	return NULL;
}

void reply_text(struct reply *r, int status, const char *ctype, const char *text)
{
	free(r->body);
	r->status = status;
	r->ctype = ctype;
	r->body = strdup(text ? text : "");
}

static int intake_calls;

int syncd_intake(struct tenure_event *ev)
{
	CHECK(!strncmp(ev->id, "csv-", 4) && syncd_valid_id(ev->id));
	for (int i = 4; i < 20; i++)
		CHECK(isxdigit((unsigned char)ev->id[i]));
	CHECK(!strcmp(ev->source, "csv"));
	CHECK(ev->type == TENURE_EV_LEAVER || ev->type == TENURE_EV_REHIRE);
	CHECK(ev->user[0] || ev->employee_id[0]);
	CHECK(!ev->user[0] || syncd_valid_user(ev->user));
	CHECK(!strchr(ev->employee_id, ',') && !strchr(ev->employee_id, '\n'));
	CHECK(tenure_utf8_valid(ev->employee_id, strlen(ev->employee_id)));
	intake_calls++;
	/* The journal may be full: a user starting with 'z' gets that answer. */
	return ev->user[0] == 'z' ? -EAGAIN : 0;
}

void syncd_wake_worker(void)
{
}

/* ---- the spool directory ---- */

static char spool[256];

static void rm_tree(void)
{
	static const char *const subs[] = { "done", "failed", "held" };
	char p[512];
	DIR *d;
	struct dirent *de;

	for (int i = 0; i < 4; i++) {
		snprintf(p, sizeof(p), "%s%s%s", spool, i < 3 ? "/" : "", i < 3 ? subs[i] : "");
		d = opendir(p);
		while (d && (de = readdir(d))) {
			char f[800];
			if (de->d_name[0] == '.' || (i == 3 && de->d_type == DT_DIR))
				continue;
			snprintf(f, sizeof(f), "%s/%s", p, de->d_name);
			unlink(f);
		}
		if (d)
			closedir(d);
		if (i < 3)
			rmdir(p);
	}
	rmdir(spool);
}

static void setup(void)
{
	struct syncd_rt *rt = calloc(1, sizeof(*rt));
	char p[512];

	snprintf(spool, sizeof(spool), "%s/tenure-fuzz-csv-XXXXXX", P_tmpdir);
	if (!rt || !(rt->cfg = tenure_config_new()) || !mkdtemp(spool))
		abort();
	atexit(rm_tree);
	for (int i = 0; i < 3; i++) {
		static const char *const subs[] = { "done", "failed", "held" };
		snprintf(p, sizeof(p), "%s/%s", spool, subs[i]);
		if (mkdir(p, 0700) < 0)
			abort();
	}
	snprintf(p, sizeof(p), "%s/journal.db", spool);
	if (tenure_journal_open(p, 0, &S.journal))
		abort();
	atomic_init(&rt->refs, 1);          /* never freed */
	pthread_mutex_init(&S.rt_lock, NULL);
	S.rt = rt;
	S.log.fn = NULL;                    /* dropped */
}

/* Where the file went: removes it (and its report) and counts the places. */
static int collect(void)
{
	static const char *const subs[] = { "done", "failed", "held" };
	char p[512];
	int found = 0;

	for (int i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s/%s/%s", spool, subs[i], NAME);
		if (unlink(p) == 0)
			found++;
		snprintf(p, sizeof(p), "%s/%s/%s.report", spool, subs[i], NAME);
		unlink(p);
	}
	return found;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[512];
	int fd;

	if (!S.rt)
		setup();
	snprintf(path, sizeof(path), "%s/%s", spool, NAME);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		abort();
	if (write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
	intake_calls = 0;
	process(spool, NAME);
	CHECK(access(path, F_OK) != 0);     /* never left in the spool */
	CHECK(collect() == 1);              /* in exactly one place */
	return 0;
}
