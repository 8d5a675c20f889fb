/* Zone files (RFC 1035 §5, as BIND writes and reads them).
 *
 * The parser streams: every record goes to the caller's sink as soon as
 * it is parsed (owner and RDATA in uncompressed wire form, valid only
 * during the call), so loading a zone never holds a second copy of it.
 * Every problem goes to the caller's diagnostic callback as
 * FILE:LINE:COL with a message, the offending line and the column of the
 * caret; parsing goes on after an error (to the next line) until
 * max_errors. The parser never reads outside its input, never recurses
 * without a bound and never loops without consuming input. */
#ifndef DNSD_ZONEFILE_H
#define DNSD_ZONEFILE_H

#include <dnsd/name.h>
#include <dnsd/rrtype.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { DNSD_DIAG_ERROR = 0, DNSD_DIAG_WARNING = 1 };

/* One diagnostic. file/line/col locate it (line and col 1-based; 0 when
 * not tied to a place); text is the whole offending line without its
 * newline (NULL when none). */
typedef struct dnsd_diag {
	int severity;
	const char *file;
	unsigned line, col;
	const char *msg;
	const char *text;
	size_t text_len;
} dnsd_diag;

typedef void (*dnsd_diag_fn)(void *ctx, const dnsd_diag *d);

/* Prints a diagnostic the standard way to f:
 *   FILE:LINE:COL: error: MESSAGE
 *     <the line>
 *     <spaces>^ */
#include <stdio.h>
void dnsd_diag_print(FILE *f, const dnsd_diag *d);

/* A parsed record handed to the sink. `file` and `line` say where it was
 * written (for later diagnostics). Return 0 to go on, a negative error to
 * stop parsing (it is passed back to the caller). */
typedef struct dnsd_zf_rr {
	const uint8_t *owner;
	uint16_t type, rclass;
	uint32_t ttl;
	const uint8_t *rdata;
	uint16_t rdlen;
	const char *file;
	unsigned line;
} dnsd_zf_rr;

typedef int (*dnsd_zf_sink_fn)(void *ctx, const dnsd_zf_rr *rr);

/* Reads a whole file for the parser (top file and $INCLUDEs): the default
 * reads the file system; dnsd-checkzone --git reads git blobs. On success
 * *buf is malloc'd (caller of the parser does not see it) and *len set. */
typedef int (*dnsd_zf_read_fn)(void *ctx, const char *path, char **buf,
                               size_t *len);

typedef struct dnsd_zf_opts {
	const uint8_t *origin;      /* initial $ORIGIN (required) */
	uint32_t default_ttl;       /* used before any $TTL (0: SOA MINIMUM rule
	                               as BIND: error "no TTL" unless SOA seen) */
	const char *root_dir;       /* $INCLUDE may not leave this directory
	                               (NULL: the top file's directory) */
	unsigned max_errors;        /* stop after this many (0: 100) */
	unsigned max_include_depth; /* 0: 8 */
	dnsd_diag_fn diag;          /* NULL: print to stderr */
	void *diag_ctx;
	dnsd_zf_read_fn read; /* NULL: the file system */
	void *read_ctx;
} dnsd_zf_opts;

typedef struct dnsd_zf_result {
	unsigned records;  /* records passed to the sink */
	unsigned errors;   /* error diagnostics reported */
	unsigned warnings; /* warning diagnostics reported */
} dnsd_zf_result;

/* Parses the zone file at path. Returns 0 when no error was reported,
 * DNSD_ESYNTAX when some were (see res->errors), DNSD_EIO when the top
 * file cannot be read, or the sink's error. */
int dnsd_zonefile_parse(const char *path, const dnsd_zf_opts *o,
                        dnsd_zf_sink_fn sink, void *sink_ctx,
                        dnsd_zf_result *res);
/* The same over a buffer; name is used in diagnostics and to resolve
 * $INCLUDE paths (relative to its directory). */
int dnsd_zonefile_parse_mem(const char *name, const char *buf, size_t len,
                            const dnsd_zf_opts *o, dnsd_zf_sink_fn sink,
                            void *sink_ctx, dnsd_zf_result *res);

/* For tools that edit the text of a zone file (zoneedit.h): where each
 * record is written. off/end: octets [off, end) of its file, from the
 * start of the line it starts on to past the newline that ends it (every
 * line of a record in parentheses). generated: made by a $GENERATE (the
 * span is the directive's); included: from an $INCLUDEd file (the span
 * is in that file). owner_written: false when the owner is inherited
 * from the line above (the line starts with a blank). origin: the
 * $ORIGIN in effect. soa[]: for a SOA whose RDATA is written as its 7
 * plain fields, the octets of each token in the file (MNAME, RNAME,
 * SERIAL, REFRESH, RETRY, EXPIRE, MINIMUM); soa_fields is 7 then, else
 * 0. */
typedef struct dnsd_zf_span {
	size_t off, end;
	const uint8_t *origin;
	bool generated, included, owner_written;
	unsigned soa_fields;
	struct {
		size_t off, len;
	} soa[7];
} dnsd_zf_span;

typedef int (*dnsd_zf_span_fn)(void *ctx, const dnsd_zf_rr *rr,
                               const dnsd_zf_span *span);

/* dnsd_zonefile_parse_mem with a sink that also sees each record's span
 * (valid during the call). */
int dnsd_zonefile_parse_spans(const char *name, const char *buf, size_t len,
                              const dnsd_zf_opts *o, dnsd_zf_span_fn sink,
                              void *sink_ctx, dnsd_zf_result *res);

#endif
