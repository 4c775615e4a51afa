/* tenure — name validation with a cached compiled pattern. */
#include "tenure/names.h"
#include "tenure/ldap.h"

#include <pthread.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static char *cached_pattern;
static regex_t cached_re;
static int cached_ok;

static int compile(const char *pattern)
{
	size_t n = strlen(pattern);
	int icase = 0, rc;
	char *body;

	if (n < 2 || pattern[0] != '/')
		return -1;
	if (pattern[n - 1] == 'i' && n >= 3 && pattern[n - 2] == '/') {
		icase = 1;
		n -= 2;
	} else if (pattern[n - 1] == '/') {
		n -= 1;
	} else {
		return -1;
	}
	body = strndup(pattern + 1, n - 1);
	if (!body)
		return -1;
	rc = regcomp(&cached_re, body, REG_EXTENDED | REG_NOSUB | (icase ? REG_ICASE : 0));
	free(body);
	return rc == 0 ? 0 : -1;
}

int tenure_name_valid(const char *pattern, const char *name)
{
	size_t n;
	int ok = 0;

	if (!name || !pattern)
		return 0;
	n = strlen(name);
	if (n == 0 || n > TENURE_NAME_MAX || !tenure_utf8_valid(name, n))
		return 0;
	pthread_mutex_lock(&lock);
	if (!cached_pattern || strcmp(cached_pattern, pattern) != 0) {
		if (cached_ok)
			regfree(&cached_re);
		free(cached_pattern);
		cached_pattern = strdup(pattern);
		cached_ok = cached_pattern && compile(pattern) == 0;
	}
	if (cached_ok)
		ok = regexec(&cached_re, name, 0, NULL, 0) == 0;
	pthread_mutex_unlock(&lock);
	return ok;
}

/* The cache lives as long as the object: free it when a module holding
 * this code is unloaded (PAM dlcloses its modules after every pam_end). */
__attribute__((destructor)) static void names_cache_free(void)
{
	pthread_mutex_lock(&lock);
	if (cached_ok)
		regfree(&cached_re);
	cached_ok = 0;
	free(cached_pattern);
	cached_pattern = NULL;
	pthread_mutex_unlock(&lock);
}
