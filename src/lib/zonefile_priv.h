/* Inside the engine only: the zone-file parser as other parsers built on
 * it (keys.c) use it. Their sink sees each record with its tokens, so it
 * can report an error at the exact column of the field that is wrong,
 * through the parser (counted toward max_errors like any other). */
#ifndef DNSD_ZONEFILE_PRIV_H
#define DNSD_ZONEFILE_PRIV_H

#include <dnsd/zonefile.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct dnsd_zf_parser dnsd_zf_parser;

/* A record with the tokens it was written with (valid during the call). */
typedef struct dnsd_zf_rec {
	dnsd_zf_rr rr;
	const dnsd_token *owner; /* NULL when inherited from the line above */
	const dnsd_token *first; /* first token of the record */
	const dnsd_token *type;
	const dnsd_token *rdata;
	size_t nrdata;
} dnsd_zf_rec;

typedef int (*dnsd_zf_rec_fn)(void *ctx, dnsd_zf_parser *p,
                              const dnsd_zf_rec *r);

/* Parses the file name (from_file) or the buffer buf/len named name, as
 * dnsd_zonefile_parse and dnsd_zonefile_parse_mem do. With redact, runs
 * that look like base64 secrets are masked in every diagnostic (message
 * and line). */
int dnsd_zf_parse_rec(const char *name, bool from_file, const char *buf,
                      size_t len, const dnsd_zf_opts *o, bool redact,
                      dnsd_zf_rec_fn sink, void *sink_ctx, dnsd_zf_result *res);

/* Reports an error at token t of the record being handed to the sink. */
void dnsd_zf_error(dnsd_zf_parser *p, const dnsd_token *t, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
