/* Fuzz target: the config parser, in file form and in module-argument form.
 * The first byte picks the form; the rest is the input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tenure/config.h"
#include "tenure/ldap.h"
#include "tenure/names.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void args_form(struct tenure_config *cfg, const char *text, size_t len)
{
	const char *argv[64];
	char *copy = malloc(len + 1), *p, *save = NULL;
	int argc = 0;
	char err[TENURE_ERRLEN];

	if (!copy)
		return;
	memcpy(copy, text, len);
	copy[len] = '\0';
	for (p = strtok_r(copy, "\n ", &save); p && argc < 64; p = strtok_r(NULL, "\n ", &save))
		argv[argc++] = p;
	(void)tenure_config_parse_args(cfg, argc, argv, NULL, err, sizeof(err));
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tenure_config *cfg;
	char err[TENURE_ERRLEN], val[4096];

	if (size < 1)
		return 0;
	cfg = tenure_config_new();
	if (!cfg)
		return 0;
	if (data[0] & 1)
		args_form(cfg, (const char *)data + 1, size - 1);
	else
		(void)tenure_config_load_buffer(cfg, (data[0] & 2) ? TENURE_SCOPE_SYNCD : TENURE_SCOPE_HOST,
						"fuzz.conf", (const char *)data + 1, size - 1, err, sizeof(err));
	(void)tenure_config_check(cfg, TENURE_SCOPE_HOST, err, sizeof(err));
	/* Every key formats without overflow, and validnames compiles or not. */
	for (size_t i = 0; tenure_config_key(i); i++)
		tenure_config_format(cfg, tenure_config_key(i)->name, val, sizeof(val));
	(void)tenure_name_valid(cfg->validnames, "alice");
	if (cfg->base)
		(void)tenure_ldap_escape(cfg->base, val, sizeof(val));
	tenure_config_free(cfg);
	return 0;
}
