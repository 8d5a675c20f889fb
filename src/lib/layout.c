/* The repository layout rule (layout.h). */
#include <dnsd/err.h>
#include <dnsd/keys.h>
#include <dnsd/layout.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int dnsd_layout_ignore_parse(const char *text, size_t len,
                             dnsd_layout_ignore *ig)
{
	const char *p = text, *end = text + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		const char *s = p, *e = le;
		p = nl ? nl + 1 : end;
		while (s < e && (*s == ' ' || *s == '\t'))
			s++;
		while (e > s &&
		       (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
			e--;
		if (s == e || *s == '#')
			continue;
		char **a = realloc(ig->globs, (ig->count + 1) * sizeof(*a));
		if (a == NULL)
			return DNSD_ENOMEM;
		ig->globs = a;
		if ((a[ig->count] = strndup(s, (size_t)(e - s))) == NULL)
			return DNSD_ENOMEM;
		ig->count++;
	}
	return 0;
}

void dnsd_layout_ignore_free(dnsd_layout_ignore *ig)
{
	for (size_t i = 0; i < ig->count; i++)
		free(ig->globs[i]);
	free(ig->globs);
	ig->globs = NULL;
	ig->count = 0;
}

static bool layout_suffix(const char *name, size_t len, const char *sfx)
{
	size_t n = strlen(sfx);
	return len >= n && strcasecmp(name + len - n, sfx) == 0;
}

enum dnsd_layout_kind dnsd_layout_classify(const char *name,
                                           const dnsd_layout_ignore *ig,
                                           size_t *zlen)
{
	size_t len = strlen(name);
	const char *zone;

	if (len == 0 || name[0] == '.' || strncasecmp(name, "README", 6) == 0 ||
	    strncasecmp(name, "LICENSE", 7) == 0 ||
	    layout_suffix(name, len, ".md") ||
	    layout_suffix(name, len, ".txt") || strchr(name, '/') != NULL)
		return DNSD_LAYOUT_IGNORED;
	for (size_t i = 0; ig != NULL && i < ig->count; i++)
		if (fnmatch(ig->globs[i], name, 0) == 0)
			return DNSD_LAYOUT_IGNORED;
	if (dnsd_keyfile_name(name, &zone, &len)) {
		if (zlen != NULL)
			*zlen = len;
		return DNSD_LAYOUT_KEYS;
	}
	if (len > 5 && strcmp(name + len - 5, ".zone") == 0)
		len -= 5;
	if (zlen != NULL)
		*zlen = len;
	return DNSD_LAYOUT_ZONE;
}
