/* Error codes of the engine. Every fallible function returns 0 (or a
 * non-negative count) on success and one of these negative codes on
 * failure; dnsd_strerror() names them. */
#ifndef DNSD_ERR_H
#define DNSD_ERR_H

enum {
	DNSD_OK = 0,
	DNSD_ENOMEM = -1,     /* allocation failed */
	DNSD_ESPACE = -2,     /* output buffer too small */
	DNSD_EMALFORM = -3,   /* wire data truncated or inconsistent */
	DNSD_ELABEL = -4,     /* label longer than 63 octets / empty label */
	DNSD_ENAMELEN = -5,   /* name longer than 255 octets */
	DNSD_EPOINTER = -6,   /* compression pointer forward, looping, bad */
	DNSD_ELABELTYPE = -7, /* reserved label type (0x40, 0x80) */
	DNSD_ESYNTAX = -8,    /* text form does not parse */
	DNSD_ERANGE = -9,     /* number out of range */
	DNSD_ENOTFOUND = -10, /* no such name, zone, key, file */
	DNSD_EEXIST = -11,    /* already present */
	DNSD_EINVAL = -12,    /* invalid argument */
	DNSD_EIO = -13,       /* reading or writing a file failed */
	DNSD_ETOOMANY = -14,  /* a limit was reached (errors, depth, records) */
	DNSD_EZONE = -15,     /* zone content check failed */
	DNSD_ENOTSUP = -16,   /* not supported (class, algorithm, opcode) */
	DNSD_EDENIED = -17,   /* access denied (path escape, key scope) */
	DNSD_ETSIG = -18,     /* TSIG verification failed */
};

const char *dnsd_strerror(int err);

#endif
