/* TSIG, RFC 8945: signing and verifying DNS messages with HMAC-SHA1,
 * -SHA224, -SHA256, -SHA384 and -SHA512 (OpenSSL).
 *
 * One context per transaction (a request and its response, or a request
 * and a multi-message TCP stream). It holds a copy of the key, so
 * dnsd_tsig_ctx_clear() must run when the transaction is over: it wipes
 * the secret and frees the running digest.
 *
 * Server side:
 *   dnsd_tsig_verify_request()  key, then MAC, then truncation, then time,
 *                               then replay; on failure c->rcode and
 *                               c->error say how to answer;
 *   dnsd_tsig_sign_response()   appends the TSIG to the response: signed
 *                               when the request verified (with c->error
 *                               BADTIME or BADTRUNC as the case may be),
 *                               unsigned (MAC size 0) for BADKEY/BADSIG;
 *                               called again for each further message of
 *                               a stream, it chains the prior MAC and
 *                               signs with the timers only (§5.3.1).
 * Client side:
 *   dnsd_tsig_sign_request()    appends a signed TSIG to a request;
 *   dnsd_tsig_verify_response() checks each response message: the first
 *                               must be signed, up to 99 unsigned ones
 *                               may follow a signed one, any bad MAC
 *                               fails the stream;
 *   dnsd_tsig_verify_end()      the last message must have been signed.
 *
 * Names are compared and digested in canonical (lower-case) form; MACs
 * are compared with CRYPTO_memcmp. A MAC shorter than the algorithm's
 * output is FORMERR below max(10, half the output) (§5.2.2.1) and
 * BADTRUNC above it: full length is required. An empty MAC is BADSIG.
 * The Error and Other Data fields of a request are digested but
 * otherwise ignored. Time is seconds since the epoch, passed in (tests
 * and fuzzing use a fixed clock).
 *
 * OpenSSL allocates its HMAC state: signing and verifying allocate, and
 * run only for requests that carry a TSIG. */
#ifndef DNSD_TSIG_H
#define DNSD_TSIG_H

#include <dnsd/keys.h>
#include <dnsd/name.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dnsd_keystore;

#define DNSD_TSIG_FUDGE        300 /* what we sign with */
#define DNSD_TSIG_MAC_MAX      64  /* hmac-sha512 */
#define DNSD_TSIG_UNSIGNED_MAX 99  /* unsigned messages between signed ones */

/* TSIG error codes (the Error field); BADSIG shares 16 with BADVERS. */
enum {
	DNSD_TSIG_NOERROR = 0,
	DNSD_TSIG_BADSIG = 16,
	DNSD_TSIG_BADKEY = 17,
	DNSD_TSIG_BADTIME = 18,
	DNSD_TSIG_BADTRUNC = 22,
};

/* One row per algorithm. */
typedef struct dnsd_tsig_alg {
	uint8_t alg;         /* DNSD_ALG_HMAC_* of keys.h */
	const char *text;    /* "hmac-sha256", the TSIG algorithm name */
	const char *digest;  /* OpenSSL digest name, "SHA256" */
	const uint8_t *name; /* text as a wire-form name */
	uint16_t mac_len;    /* full output length */
	uint16_t min_len;    /* shortest truncation §5.2.2.1 allows */
} dnsd_tsig_alg;

/* The row for DNSD_ALG_HMAC_*, or NULL. */
const dnsd_tsig_alg *dnsd_tsig_alg_get(uint8_t alg);
/* The row for a wire-form algorithm name (any case), or NULL. */
const dnsd_tsig_alg *dnsd_tsig_alg_by_name(const uint8_t *name);

/* "BADSIG", "BADKEY", "BADTIME", "BADTRUNC", "NOERROR", else "TSIG_ERROR";
 * FORMERR etc. for the classic values. */
const char *dnsd_tsig_error_name(uint16_t error);

/* A TSIG record as read from a message; mac and other point into it. */
typedef struct dnsd_tsig_rr {
	uint8_t key[DNSD_NAME_MAX]; /* lower-cased */
	uint8_t alg[DNSD_NAME_MAX]; /* lower-cased */
	uint16_t rclass;
	uint32_t ttl;
	uint64_t time_signed; /* 48 bits */
	uint16_t fudge;
	uint16_t mac_len;
	const uint8_t *mac;
	uint16_t orig_id;
	uint16_t error;
	uint16_t other_len;
	const uint8_t *other;
	size_t end; /* offset just past the record */
} dnsd_tsig_rr;

/* Reads the TSIG record at offset off of pkt (as found by
 * dnsd_query_parse / dnsd_msg_parse). The owner may be compressed, the
 * algorithm name may not; RDATA must fill RDLENGTH exactly.
 * DNSD_EMALFORM or a name error when it does not parse. */
int dnsd_tsig_rr_parse(const uint8_t *pkt, size_t len, size_t off,
                       dnsd_tsig_rr *t);

typedef struct dnsd_tsig_ctx {
	dnsd_key key; /* a copy: wiped by dnsd_tsig_ctx_clear */
	const dnsd_tsig_alg *alg;
	bool have_key;  /* key and algorithm known */
	bool verified;  /* the request's MAC verified: responses get signed */
	int rcode;      /* after a failed verify: FORMERR or NOTAUTH */
	uint16_t error; /* TSIG error of the response (server) or the one
	                   the peer sent (client) */
	bool replayed;  /* server: the BADTIME is the replay memory's (the
	                   very same signed request accepted before) */
	int replay_outcome; /* then: the rcode the first one was answered,
	                       -1 while it has none */
	bool remembered;    /* server: the request went into the replay
	                       memory (dnsd_tsig_set_outcome) */
	uint8_t req_key[DNSD_NAME_MAX]; /* as the request named them, */
	uint8_t req_alg[DNSD_NAME_MAX]; /* lower-cased: echoed on errors */
	uint64_t time_signed;           /* of the request */
	uint16_t fudge;                 /* of the request */
	uint16_t orig_id;               /* of the request */
	uint8_t mac[DNSD_TSIG_MAC_MAX]; /* prior MAC: the request's, then */
	uint16_t mac_len;               /* the last one signed or verified */
	unsigned nmsg;         /* messages signed/verified after the request */
	unsigned unsigned_run; /* unsigned messages since the last signed */
	bool last_signed;      /* the last message verified was signed */
	void *run;             /* running digest over unsigned messages */
} dnsd_tsig_ctx;

void dnsd_tsig_ctx_init(dnsd_tsig_ctx *c);
/* Records in the replay memory the rcode a remembered request (see
 * `remembered`) is answered, for a retransmission of it to get the same
 * (keystore.h). Before the response is signed: signing moves c->mac on
 * from the request's MAC. Nothing for a request not remembered. */
void dnsd_tsig_set_outcome(const dnsd_tsig_ctx *c, struct dnsd_keystore *ks,
                           int rcode);
void dnsd_tsig_ctx_clear(dnsd_tsig_ctx *c);

/* Flags of dnsd_tsig_verify_request. */
enum {
	DNSD_TSIG_NO_REPLAY = 1 << 0,   /* skip the replay memory */
	DNSD_TSIG_ALLOW_TRUNC = 1 << 1, /* accept MACs truncated to the
	                                   §5.2.2.1 minimum */
};

/* Verifies the TSIG at tsig_off of a request, looking the key up in ks
 * (NULL: no keys). Returns 0 when it verified (c is ready to sign the
 * response), DNSD_ETSIG when the request must be answered with rcode
 * c->rcode: FORMERR (answer unsigned, no TSIG: MAC size over the output
 * length or under the minimum, TSIG of a class other than ANY, TSIG
 * unreadable) or NOTAUTH with c->error BADKEY, BADSIG (answer with
 * dnsd_tsig_sign_response: unsigned), BADTRUNC or BADTIME (signed, the
 * latter with the server's time in Other Data). */
int dnsd_tsig_verify_request(dnsd_tsig_ctx *c, struct dnsd_keystore *ks,
                             const uint8_t *pkt, size_t len, size_t tsig_off,
                             uint64_t now, unsigned flags);

/* Octets the TSIG record of the next response will take (0 when c has
 * no TSIG to answer with, i.e. rcode FORMERR): what to keep free. */
size_t dnsd_tsig_reserve(const dnsd_tsig_ctx *c);

/* Appends the response TSIG to the message in buf (len octets, room for
 * cap) and bumps ARCOUNT. Signed when the request verified (the first
 * message with the request MAC and all TSIG variables, later ones with
 * the prior MAC and the timers), MAC size 0 after BADKEY/BADSIG.
 * Returns the new length, or DNSD_ESPACE, DNSD_EINVAL (nothing to answer
 * with), DNSD_ENOMEM. */
int dnsd_tsig_sign_response(dnsd_tsig_ctx *c, uint8_t *buf, size_t len,
                            size_t cap, uint64_t now);

/* Client: signs the request in buf with k (copied into c), Original ID
 * the message's ID, error 0. Returns the new length or an error. */
int dnsd_tsig_sign_request(dnsd_tsig_ctx *c, const dnsd_key *k, uint8_t *buf,
                           size_t len, size_t cap, uint64_t now,
                           uint16_t fudge);

/* Client: verifies one response message. 0 when it verified (signed:
 * c->last_signed, with the peer's TSIG error, if any, in c->error) or
 * is an unsigned message allowed inside a stream; DNSD_ETSIG when it
 * fails (unsigned first message, more than 99 unsigned in a row, other
 * key or algorithm, bad or truncated MAC, time outside the fudge,
 * c->error says which; an unsigned BADKEY/BADSIG answer of the peer
 * also lands here with c->error its error); DNSD_EMALFORM when the
 * message does not parse. A failed stream stays failed. */
int dnsd_tsig_verify_response(dnsd_tsig_ctx *c, const uint8_t *pkt, size_t len,
                              uint64_t now);
/* Client: after the last message of a stream: 0 when it was signed,
 * DNSD_ETSIG otherwise. */
int dnsd_tsig_verify_end(const dnsd_tsig_ctx *c);

#endif
