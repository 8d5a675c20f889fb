/* Editing the text of a zone file to apply a difference, instead of
 * writing the file anew: what dynamic UPDATE commits to git, so that a
 * commit shows the records that changed and nothing else. Pure: no file
 * system access beyond the parser's $INCLUDE reads (o->read). */
#ifndef DNSD_ZONEEDIT_H
#define DNSD_ZONEEDIT_H

#include <dnsd/xfr.h>
#include <dnsd/zonefile.h>
#include <stddef.h>

/* Applies difference d (from the version the text holds to the new one)
 * to the text of a zone file (text/len, named name for diagnostics and
 * $INCLUDE resolution; o as for dnsd_zonefile_parse_mem, o->origin the
 * zone's origin, o->diag unused):
 *
 * - the lines of a deleted record go (all the lines of a record in
 *   parentheses; a comment on a record's line goes with it; a comment
 *   line above it stays); when the lines below inherited their owner
 *   from the deleted line, the first of them that stays gets the owner
 *   written in front;
 * - an added record becomes a new line after the last line that named
 *   its owner in the old text (so a changed record stays in place), else
 *   after the last record of its closest ancestor below the apex, else
 *   at the end of the file: `OWNER TTL IN TYPE RDATA`, the owner relative
 *   to the $ORIGIN in effect there (`www`, `@`) when at or below it,
 *   absolute otherwise; RDATA names absolute; records for one place in
 *   d's canonical order;
 * - a changed SOA field (the serial, as a rule) is rewritten in place:
 *   only that token's characters change;
 * - every other octet stays as it was (comments, blank lines, layout,
 *   directives, line endings).
 *
 * The result is checked: it must parse and build to exactly the records
 * of the new version (d applied to the old text's records), so the call
 * costs two parses and two zone builds of the file.
 *
 * Returns 0 with *out a malloc'd text (NUL-terminated, *outlen octets
 * without the NUL), or an error with a one-line reason in err:
 * DNSD_ENOTSUP for what text editing cannot do (deleting a record made
 * by $GENERATE or read from an $INCLUDEd file, changing a SOA in one, a
 * SOA TTL change, a SOA not written as 7 plain fields, an edit that would
 * change records it does not touch, such as TTLs inherited from the
 * previous record in a file without $TTL); DNSD_EINVAL when the text
 * does not hold the version d starts from (a deleted record is not in
 * it); DNSD_ESYNTAX or DNSD_EZONE when the old text does not parse or
 * build; DNSD_ENOMEM. */
int dnsd_zoneedit_apply(const char *name, const char *text, size_t len,
                        const dnsd_zf_opts *o, const dnsd_zdiff *d, char **out,
                        size_t *outlen, char *err, size_t errcap);

/* The same, checked against a version the caller has: old, the version
 * the text was loaded as (or the result of the edit before). It is not
 * built again from the text (one zone build fewer); the edited text must
 * build to exactly old with d applied, which is what the caller serves,
 * whatever the text held. When built is not NULL, that version, built
 * from the edited text and checked, is given to the caller (one
 * reference) on success: a caller with only the difference (a dynamic
 * UPDATE, update.h dnsd_update_group_diff) serves it. */
int dnsd_zoneedit_apply_known(const char *name, const char *text, size_t len,
                              const dnsd_zf_opts *o, const dnsd_zone *old,
                              const dnsd_zdiff *d, char **out, size_t *outlen,
                              dnsd_zone **built, char *err, size_t errcap);

#endif
