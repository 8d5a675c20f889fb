/* The UPDATE journal, WORKDIR/git/dnsd.journal: what makes a dynamic
 * UPDATE durable before its answer. The UPDATEs a job accepts are
 * appended as one write and one fdatasync; their git commit follows
 * later (primary.c), and the journal is emptied once that commit is
 * durable. At start-up what it still holds is applied again and
 * committed.
 *
 * The file: a 16-octet header ("DNSDJRN1" and a random 64-bit id, made
 * when the file is created and kept for its life), then records:
 *
 *   "DJR1" | length (u32, of what follows the CRC) | seq (u64) |
 *   CRC-32 (u32, of seq and what follows) | key name (wire) | message
 *
 * all big-endian; the message is the UPDATE without its TSIG record.
 * seq numbers the records of one file, 1 up; the commit that holds
 * them says "Dnsd-Journal: ID SEQ" (the id in hex, the last seq), so
 * that a kill between the commit and the emptying does not apply them
 * twice. A record cut short or damaged (a write that was under way when
 * the machine stopped: never acknowledged) ends the journal there; it is
 * cut off at open.
 *
 * One thread at a time. */
#ifndef DNSD_DAEMON_JOURNAL_H
#define DNSD_DAEMON_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

typedef struct journal journal;

typedef struct journal_rec {
	const uint8_t *key; /* the key's name, wire form */
	const uint8_t *msg; /* the UPDATE without its TSIG */
	size_t len;
	uint64_t seq; /* set by journal_append */
} journal_rec;

/* Opens (or creates, with its directory fsync'd) the journal at path.
 * *cut is set to the octets of a damaged tail cut off (0 normally).
 * 0, or -1 with the reason in err. */
int journal_open(const char *path, journal **out, size_t *cut, char *err,
                 size_t cap);

/* The records it holds, oldest first: fn(ctx, seq, key, msg, len) until
 * it returns non-zero. Pointers valid during the call. 0 or -1. */
int journal_read(journal *j,
                 int (*fn)(void *ctx, uint64_t seq, const uint8_t *key,
                           const uint8_t *msg, size_t len),
                 void *ctx);

/* Appends the n records (their seq set) with one write and one
 * fdatasync. On failure (a full disk) the file is cut back to what it
 * held and -1 returned with the reason in err: none of them is
 * durable. */
int journal_append(journal *j, journal_rec *r, size_t n, char *err, size_t cap);

/* Where the journal ends now, to cut it back there (journal_rewind):
 * records appended for UPDATEs that were judged again and are not to be
 * answered as they were. */
typedef struct journal_mark {
	long long size;
	size_t count;
	uint64_t last_seq;
} journal_mark;

void journal_mark_get(const journal *j, journal_mark *m);

/* Cuts off what was appended after m, durably. 0, or -1 with the reason
 * in err (the records stay: the caller must not answer them). */
int journal_rewind(journal *j, const journal_mark *m, char *err, size_t cap);

/* Empties it (after the commit that holds its records), durably: a new
 * file with a new id replaces it, seq starts again at 1. 0 or -1. */
int journal_reset(journal *j, char *err, size_t cap);

/* Writes a copy of the file as it is to path.SUFFIX, durably (records
 * that could not be applied again, kept for the operator); the journal
 * itself does not change. 0 or -1. */
int journal_keep_copy(const journal *j, const char *suffix, char *err,
                      size_t cap);

/* For dnsd -t: the records the file at path holds (and its id), read
 * without changing it; 0 with *count 0 when there is no file, -1 when it
 * cannot be read. */
int journal_peek(const char *path, size_t *count, uint64_t *id);

uint64_t journal_id(const journal *j);
uint64_t journal_last_seq(const journal *j); /* 0 when empty */
size_t journal_count(const journal *j);      /* records held */
const char *journal_path(const journal *j);

void journal_close(journal *j);

#endif
