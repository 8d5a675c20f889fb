/* Which files of a zone directory or a git tree dnsd serves: the one rule
 * that zones-dir, the git primary and dnsd-checkzone --git share.
 *
 * Only top-level regular files count (directories may hold $INCLUDEd
 * files; the caller skips what is not a regular file). Of those:
 *   - ignored: names starting with '.', README*, LICENSE* (any case),
 *     *.md and *.txt (any case), and every name matching a glob of the
 *     top-level `.dnsdignore` (fnmatch(3), one glob a line, blank lines
 *     and lines starting with '#' skipped);
 *   - key files: `_keys` (keys for every zone) and `ZONE._keys`;
 *   - zones: everything else, named after the file with a trailing
 *     ".zone" dropped. */
#ifndef DNSD_LAYOUT_H
#define DNSD_LAYOUT_H

#include <stddef.h>

#define DNSD_LAYOUT_IGNORE_FILE ".dnsdignore"

enum dnsd_layout_kind {
	DNSD_LAYOUT_IGNORED = 0,
	DNSD_LAYOUT_ZONE = 1,
	DNSD_LAYOUT_KEYS = 2,
};

/* The globs of a .dnsdignore. */
typedef struct dnsd_layout_ignore {
	char **globs;
	size_t count;
} dnsd_layout_ignore;

/* Parses the text of a .dnsdignore into ig (appending). 0 or
 * DNSD_ENOMEM. */
int dnsd_layout_ignore_parse(const char *text, size_t len,
                             dnsd_layout_ignore *ig);
void dnsd_layout_ignore_free(dnsd_layout_ignore *ig);

/* What the top-level file `name` is. For a zone, *zlen (when not NULL)
 * gets the length of its zone name's text at name; for a key file, the
 * zone text before "._keys" (0 for `_keys`). ig may be NULL. */
enum dnsd_layout_kind dnsd_layout_classify(const char *name,
                                           const dnsd_layout_ignore *ig,
                                           size_t *zlen);

#endif
