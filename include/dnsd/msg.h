/* DNS messages: header, question, the three sections, EDNS OPT (RFC 6891).
 *
 * Two ways in. dnsd_msg_parse() reads a whole message into a dnsd_msg
 * whose records live in an arena (tools, transfers, UPDATE, tests).
 * dnsd_query_parse() reads only what answering a query needs into a
 * fixed struct, without allocating (the query path).
 *
 * One way out: dnsd_msg_builder writes a message straight into a caller's
 * buffer through the wire cursor, with name compression, section counts
 * patched as records go in, and marks to cut back to when a record does
 * not fit (truncation). */
#ifndef DNSD_MSG_H
#define DNSD_MSG_H

#include <dnsd/arena.h>
#include <dnsd/name.h>
#include <dnsd/wire.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DNSD_HDR_LEN 12

/* Header flag bits, as in the second 16-bit word of the header. */
enum {
	DNSD_FLAG_QR = 0x8000,
	DNSD_FLAG_AA = 0x0400,
	DNSD_FLAG_TC = 0x0200,
	DNSD_FLAG_RD = 0x0100,
	DNSD_FLAG_RA = 0x0080,
	DNSD_FLAG_AD = 0x0020,
	DNSD_FLAG_CD = 0x0010,
};
#define DNSD_OPCODE(flags) (((flags) >> 11) & 0xf)
#define DNSD_RCODE(flags)  ((flags)&0xf)

enum {
	DNSD_OPCODE_QUERY = 0,
	DNSD_OPCODE_IQUERY = 1,
	DNSD_OPCODE_STATUS = 2,
	DNSD_OPCODE_NOTIFY = 4,
	DNSD_OPCODE_UPDATE = 5,
};

/* RCODEs, including the extended ones carried by OPT and TSIG. */
enum {
	DNSD_RCODE_NOERROR = 0,
	DNSD_RCODE_FORMERR = 1,
	DNSD_RCODE_SERVFAIL = 2,
	DNSD_RCODE_NXDOMAIN = 3,
	DNSD_RCODE_NOTIMP = 4,
	DNSD_RCODE_REFUSED = 5,
	DNSD_RCODE_YXDOMAIN = 6,
	DNSD_RCODE_YXRRSET = 7,
	DNSD_RCODE_NXRRSET = 8,
	DNSD_RCODE_NOTAUTH = 9,
	DNSD_RCODE_NOTZONE = 10,
	DNSD_RCODE_BADVERS = 16, /* OPT; BADSIG shares the value in TSIG */
	DNSD_RCODE_BADSIG = 16,
	DNSD_RCODE_BADKEY = 17,
	DNSD_RCODE_BADTIME = 18,
	DNSD_RCODE_BADTRUNC = 22,
};

enum { DNSD_SEC_ANSWER = 0, DNSD_SEC_AUTHORITY = 1, DNSD_SEC_ADDITIONAL = 2 };

typedef struct dnsd_hdr {
	uint16_t id, flags, qdcount, ancount, nscount, arcount;
} dnsd_hdr;

/* Reads the 12-octet header; DNSD_EMALFORM when shorter. */
int dnsd_hdr_parse(const uint8_t *pkt, size_t len, dnsd_hdr *h);

#define DNSD_EDNS_DO              0x8000
#define DNSD_EDNS_DEFAULT_PAYLOAD 1232

/* EDNS as read from a request's OPT record. */
typedef struct dnsd_edns {
	bool present;
	uint8_t version;
	uint8_t ext_rcode; /* upper 8 bits of the 12-bit RCODE */
	uint16_t payload;  /* requestor's UDP payload size, raised to 512 */
	uint16_t flags;    /* DO bit and the rest of the flags */
} dnsd_edns;

/* A query as the answer path needs it. Filled without allocating. */
typedef struct dnsd_query {
	dnsd_hdr hdr;
	uint8_t qname[DNSD_NAME_MAX]; /* as the client wrote it (case kept) */
	uint8_t qname_len;
	uint16_t qtype, qclass;
	size_t question_end; /* offset just past the question */
	dnsd_edns edns;
	bool bad_opt;       /* OPT malformed, misplaced or repeated: FORMERR */
	size_t tsig_offset; /* offset of a TSIG RR (last record), or 0 */
	size_t msg_len;
} dnsd_query;

/* Reads header, question and the records after it (to find OPT and TSIG)
 * of a request. Returns 0, or a negative error when the message is
 * malformed; q->hdr is valid whenever len >= 12 (so the caller can still
 * answer FORMERR). Does not judge opcode, QR or QDCOUNT: the caller does. */
int dnsd_query_parse(const uint8_t *pkt, size_t len, dnsd_query *q);

/* One resource record of a parsed message; pointers into the arena. */
typedef struct dnsd_rr {
	const uint8_t *owner;
	uint16_t type, rclass;
	uint32_t ttl;
	uint16_t rdlen;
	const uint8_t *rdata; /* uncompressed wire form */
} dnsd_rr;

typedef struct dnsd_question {
	const uint8_t *qname;
	uint16_t qtype, qclass;
} dnsd_question;

typedef struct dnsd_msg {
	dnsd_hdr hdr;
	dnsd_question *qd;
	dnsd_rr *sec[3]; /* answer, authority, additional (OPT and TSIG
	                    stay in additional, in wire order) */
	uint16_t count[3];
	dnsd_edns edns;
	int opt_index;      /* index of OPT in sec[2], or -1 */
	int tsig_index;     /* index of TSIG in sec[2], or -1 */
	size_t tsig_offset; /* offset of the TSIG RR in the raw message */
} dnsd_msg;

/* Parses a whole message into m, records allocated from a. Returns 0 or a
 * negative error (DNSD_EMALFORM and friends, DNSD_ENOMEM). Names and
 * RDATA are decompressed and checked per type. */
int dnsd_msg_parse(const uint8_t *pkt, size_t len, dnsd_arena *a, dnsd_msg *m);

typedef struct dnsd_msg_builder {
	dnsd_wire w;
	dnsd_compress comp;
	uint16_t count[4]; /* qd, an, ns, ar as written so far */
	int section;       /* the section records go into now (DNSD_SEC_*) */
} dnsd_msg_builder;

/* Starts a message in buf with the given header (counts are ignored and
 * kept by the builder). */
void dnsd_msg_begin(dnsd_msg_builder *b, uint8_t *buf, size_t cap,
                    const dnsd_hdr *h);
void dnsd_msg_question(dnsd_msg_builder *b, const uint8_t *qname,
                       uint16_t qtype, uint16_t qclass);
/* Selects the section for the next records; sections go in order. */
void dnsd_msg_section(dnsd_msg_builder *b, int section);
/* Appends one record, owner and RDATA names compressed where allowed.
 * Returns 0, or DNSD_ESPACE with nothing of the record written (the
 * builder is rewound to before it, so the caller may stop there). */
int dnsd_msg_rr(dnsd_msg_builder *b, const uint8_t *owner, uint16_t type,
                uint16_t rclass, uint32_t ttl, const uint8_t *rdata,
                size_t rdlen);
/* Appends an OPT record: payload size, extended rcode, version, flags
 * (DO), no options. Goes in the additional section. */
int dnsd_msg_opt(dnsd_msg_builder *b, uint16_t payload, uint8_t ext_rcode,
                 uint8_t version, uint16_t flags);
/* A mark to cut back to, and the cut: drops everything written after the
 * mark (records and their counts, compression entries). */
typedef struct dnsd_msg_mark {
	size_t pos;
	uint16_t count[4];
	uint16_t comp_count;
	int section;
} dnsd_msg_mark;
dnsd_msg_mark dnsd_msg_mark_get(const dnsd_msg_builder *b);
void dnsd_msg_rewind(dnsd_msg_builder *b, dnsd_msg_mark m);
void dnsd_msg_set_flags(dnsd_msg_builder *b, uint16_t flags);
/* Patches the counts into the header; returns the message length, or a
 * negative error when something did not fit or went wrong. */
int dnsd_msg_finish(dnsd_msg_builder *b);

#endif
