/* RR types as a table (STYLE.md habit 7): one row per type with its name,
 * flags, and the fields that make up its RDATA; text <-> wire for each
 * type goes through that row. Types without a row use the RFC 3597 forms
 * `TYPE65534` and `\# 3 abcdef`.
 *
 * RDATA in memory is its uncompressed wire form with names as written
 * (letter case kept). */
#ifndef DNSD_RRTYPE_H
#define DNSD_RRTYPE_H

#include <dnsd/name.h>
#include <dnsd/wire.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	DNSD_TYPE_A = 1,
	DNSD_TYPE_NS = 2,
	DNSD_TYPE_CNAME = 5,
	DNSD_TYPE_SOA = 6,
	DNSD_TYPE_PTR = 12,
	DNSD_TYPE_HINFO = 13,
	DNSD_TYPE_MX = 15,
	DNSD_TYPE_TXT = 16,
	DNSD_TYPE_RP = 17,
	DNSD_TYPE_AAAA = 28,
	DNSD_TYPE_LOC = 29,
	DNSD_TYPE_SRV = 33,
	DNSD_TYPE_NAPTR = 35,
	DNSD_TYPE_DNAME = 39,
	DNSD_TYPE_OPT = 41,
	DNSD_TYPE_DS = 43,
	DNSD_TYPE_SSHFP = 44,
	DNSD_TYPE_RRSIG = 46,
	DNSD_TYPE_NSEC = 47,
	DNSD_TYPE_DNSKEY = 48,
	DNSD_TYPE_NSEC3 = 50,
	DNSD_TYPE_NSEC3PARAM = 51,
	DNSD_TYPE_TLSA = 52,
	DNSD_TYPE_SMIMEA = 53,
	DNSD_TYPE_CDS = 59,
	DNSD_TYPE_CDNSKEY = 60,
	DNSD_TYPE_OPENPGPKEY = 61,
	DNSD_TYPE_SVCB = 64,
	DNSD_TYPE_HTTPS = 65,
	DNSD_TYPE_TKEY = 249,
	DNSD_TYPE_TSIG = 250,
	DNSD_TYPE_IXFR = 251,
	DNSD_TYPE_AXFR = 252,
	DNSD_TYPE_ANY = 255,
	DNSD_TYPE_URI = 256,
	DNSD_TYPE_CAA = 257,
};

enum {
	DNSD_CLASS_IN = 1,
	DNSD_CLASS_CH = 3,
	DNSD_CLASS_HS = 4,
	DNSD_CLASS_NONE = 254,
	DNSD_CLASS_ANY = 255,
};

/* Row flags. */
enum {
	DNSD_RRF_COMPRESS = 1 << 0,    /* names may be compressed on output
	                                  (RFC 1035 types, RFC 3597 §4) */
	DNSD_RRF_DECOMPRESS = 1 << 1,  /* names may arrive compressed */
	DNSD_RRF_NAMES = 1 << 2,       /* RDATA holds domain names */
	DNSD_RRF_CANON_LOWER = 1 << 3, /* names lowercased in canonical form
	                                 (RFC 4034 §6.2, RFC 6840 §5.1) */
	DNSD_RRF_META = 1 << 4, /* OPT, TSIG, TKEY, AXFR...: not zone data */
	DNSD_RRF_SINGLETON = 1 << 5, /* at most one RR per RRset (SOA, CNAME,
	                                DNAME) */
};

typedef struct dnsd_rrtype_info {
	uint16_t type;
	const char *name;
	uint32_t flags;
} dnsd_rrtype_info;

/* The row for a type, or NULL for a type without one. */
const dnsd_rrtype_info *dnsd_rrtype_info_get(uint16_t type);
/* Mnemonic or "TYPE123" into buf (16 octets suffice); returns buf. */
const char *dnsd_rrtype_to_text(uint16_t type, char buf[16]);
/* "A", "aaaa", "TYPE65534" -> type; DNSD_ESYNTAX when unknown. */
int dnsd_rrtype_from_text(const char *s, size_t len, uint16_t *type);
/* "IN", "CH", "HS", "NONE", "ANY", "CLASS12" -> class. */
int dnsd_rrclass_from_text(const char *s, size_t len, uint16_t *rclass);
const char *dnsd_rrclass_to_text(uint16_t rclass, char buf[16]);

/* One token of presentation text, as the zone-file lexer cuts it: the raw
 * characters (escapes not processed, surrounding quotes removed), whether
 * it was quoted, and where it stands for error messages. */
typedef struct dnsd_token {
	const char *s;
	uint32_t len;
	uint32_t line; /* 1-based */
	uint32_t col;  /* 1-based */
	bool quoted;
} dnsd_token;

/* What went wrong parsing RDATA text: which token (ntok when a token is
 * missing) and a message saying what was expected and what was found,
 * e.g. "expected an IPv4 address, found '1.2.3'". */
typedef struct dnsd_rdata_error {
	size_t tok;
	char msg[200];
} dnsd_rdata_error;

/* Presentation tokens of one record's RDATA -> wire form in out.
 * Relative names are completed with origin. Handles `\#` for every type.
 * Returns the RDATA length or a negative error with err filled in. */
int dnsd_rdata_from_text(uint16_t type, const dnsd_token *toks, size_t ntok,
                         const uint8_t *origin, uint8_t *out, size_t cap,
                         dnsd_rdata_error *err);

/* Wire form -> presentation text as BIND prints it (absolute names, TXT
 * strings quoted, base64/hex unbroken), NUL-terminated. generic forces
 * the RFC 3597 `\# N hex` form. Returns the text length, DNSD_ESPACE, or
 * DNSD_EMALFORM when rdata does not fit the type. */
int dnsd_rdata_to_text(uint16_t type, const uint8_t *rdata, size_t len,
                       bool generic, char *buf, size_t cap);

/* Reads rdlen octets of RDATA at the cursor, decompressing names where
 * the type allows (DNSD_RRF_DECOMPRESS), checking the type's structure,
 * into out. Returns the uncompressed length or a negative error (also set
 * on the cursor). The cursor ends exactly rdlen octets further. */
int dnsd_rdata_from_wire(uint16_t type, dnsd_wire *w, size_t rdlen,
                         uint8_t *out, size_t cap);

/* Writes RDATA (without the length field) at the cursor, compressing
 * names only for DNSD_RRF_COMPRESS types when c is not NULL. */
void dnsd_rdata_to_wire(uint16_t type, const uint8_t *rdata, size_t len,
                        dnsd_wire *w, dnsd_compress *c);

/* Canonical comparison of two RDATA of the same type (RFC 4034 §6.3, names
 * lowercased per DNSD_RRF_CANON_LOWER): <0, 0, >0. Equal means duplicate. */
int dnsd_rdata_cmp(uint16_t type, const uint8_t *a, size_t alen,
                   const uint8_t *b, size_t blen);

/* The name an answer follows up in the additional section or a chain:
 * NS and CNAME and DNAME and PTR target, MX exchange, SRV target. NULL
 * for other types or malformed rdata. */
const uint8_t *dnsd_rdata_target(uint16_t type, const uint8_t *rdata,
                                 size_t len);

/* RFC 1982 serial arithmetic: true when b is greater than a. */
bool dnsd_serial_gt(uint32_t b, uint32_t a);
/* SOA fields from SOA RDATA; DNSD_EMALFORM when it does not parse. */
int dnsd_soa_fields(const uint8_t *rdata, size_t len, uint32_t *serial,
                    uint32_t *refresh, uint32_t *retry, uint32_t *expire,
                    uint32_t *minimum);

/* TTLs in text: "3600", "1h30m", "2w", "1W2D" -> seconds (at most
 * 2^31-1). DNSD_ESYNTAX or DNSD_ERANGE. */
int dnsd_ttl_from_text(const char *s, size_t len, uint32_t *ttl);

#endif
