/* tenure — password policy engine (pwquality's rules, plus a disguise-aware
 * dictionary check and the breached-password filter).
 *
 * No PAM here.  A check returns every rule the candidate fails (explain
 * mode) as reason codes with one number each; the front end turns them into
 * text with tenure_policy_message() (a msgid, translate with dgettext
 * "tenure") and logs tenure_policy_code() (a stable ASCII name).
 *
 * Text is UTF-8; lengths and classes count code points.  Classes: digits
 * (0-9), upper case, lower case (letters without case, e.g. Chinese, count
 * as lower case: they are letters), other (everything else).
 */
#ifndef TENURE_POLICY_H
#define TENURE_POLICY_H

#include <stddef.h>

struct tenure_config;
struct tenure_policy;
struct tenure_dict;

enum tenure_pw_reason {
	TENURE_PW_EMPTY = 1,     /* no password given */
	TENURE_PW_BAD_UTF8,      /* not valid UTF-8 (or holds NUL/control chars) */
	TENURE_PW_TOO_LONG,      /* arg: maxlen */
	TENURE_PW_TOO_SHORT,     /* arg: minlen */
	TENURE_PW_DIGITS,        /* arg: digits required (-dcredit) */
	TENURE_PW_UPPER,         /* arg: upper-case letters required */
	TENURE_PW_LOWER,         /* arg: lower-case letters required */
	TENURE_PW_OTHER,         /* arg: other characters required */
	TENURE_PW_CLASSES,       /* arg: minclass */
	TENURE_PW_REPEAT,        /* arg: maxrepeat */
	TENURE_PW_SEQUENCE,      /* arg: maxsequence */
	TENURE_PW_CLASSREPEAT,   /* arg: maxclassrepeat */
	TENURE_PW_USER,          /* contains the user name */
	TENURE_PW_GECOS,         /* contains a word of the GECOS field */
	TENURE_PW_BADWORD,       /* contains a word from badwords */
	TENURE_PW_DICT,          /* based on dictionary words / common passwords */
	TENURE_PW_BREACHED,      /* listed in the breached-password filter */
	TENURE_PW_SAME,          /* the same as the old password */
	TENURE_PW_DIFOK,         /* arg: difok */
	TENURE_PW_REUSED,        /* arg: remember (added by the history check) */
	TENURE_PW_NREASONS
};

#define TENURE_PW_MAXREASONS TENURE_PW_NREASONS

struct tenure_pw_result {
	int n;                                   /* rules failed; 0 = accepted */
	int reason[TENURE_PW_MAXREASONS];        /* enum tenure_pw_reason */
	int arg[TENURE_PW_MAXREASONS];
};

/* What the check knows about the account. */
struct tenure_pw_account {
	const char *user;    /* NULL: no user check */
	const char *gecos;   /* NULL: no GECOS check */
	const char *oldpw;   /* NULL: no difok / same check */
};

/* Load the word lists (the installed dictionary, dictpath) and map the
 * breached filter named in cfg.  A missing default data file is not an
 * error (the check is skipped; see tenure_policy_status); a file named
 * explicitly that cannot be read is.  Returns 0 or -errno with err set. */
int tenure_policy_open(const struct tenure_config *cfg, struct tenure_policy **out,
		       char *err, size_t errlen);
void tenure_policy_close(struct tenure_policy *p);

/* Which sources are active: bit 0 dictionary, bit 1 dictpath, bit 2 filter. */
unsigned tenure_policy_status(const struct tenure_policy *p);

/* Check pw (len bytes, need not be NUL-terminated).  Fills res with every
 * failed rule; returns res->n. */
int tenure_policy_check(const struct tenure_policy *p, const char *pw, size_t len,
			const struct tenure_pw_account *acct, struct tenure_pw_result *res);

/* Append a reason (used by front ends for history). */
void tenure_policy_result_add(struct tenure_pw_result *res, int reason, int arg);

/* msgid with at most one %d for the reason's argument; never NULL. */
const char *tenure_policy_message(int reason);
/* Stable ASCII name for logs and JSON ("minlen", "dictcheck", ...). */
const char *tenure_policy_code(int reason);
/* Format one reason in the current message catalogue's language. */
void tenure_policy_format(int reason, int arg, char *buf, size_t len);

/* ---- dictionary (common/dict.c) ---- */

/* Word kinds in a dictionary file (one "word\tK" or "word" per line). */
enum tenure_dict_kind { TENURE_DICT_WORD = 'w', TENURE_DICT_COMMON = 'c' };

/* Load a word list.  Lines are lower-cased and sorted when needed.  Words
 * shorter than 3 bytes are ignored.  kind is the kind of lines without a
 * tab.  Returns 0 or -errno. */
int tenure_dict_load(const char *path, int kind, struct tenure_dict **out);
void tenure_dict_free(struct tenure_dict *d);
size_t tenure_dict_count(const struct tenure_dict *d);
size_t tenure_dict_count_kind(const struct tenure_dict *d, int kind);
/* Lookup of an exact key (lower case): 0 absent, else the kind. */
int tenure_dict_find(const struct tenure_dict *d, const char *key, size_t len);
/* 1 when some word starts with prefix. */
int tenure_dict_has_prefix(const struct tenure_dict *d, const char *prefix, size_t len);

/* Estimated guessing cost in bits of pw as dictionary words, common
 * passwords and their disguises (case, leetspeak, reversal, affixes);
 * *words receives the number of word tokens in the cheapest parse.  Used by
 * the dictcheck rule and by benchmarks. */
double tenure_policy_guess_bits(const struct tenure_policy *p, const char *pw, size_t len,
				int *words);

#endif
