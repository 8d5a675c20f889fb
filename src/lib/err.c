/* One strerror for the engine's negative error codes (err.h). */
#include <dnsd/err.h>

/* Indexed by -code: a table, so a new code is one new row. */
static const char *const err_text[] = {
    [0] = "success",
    [-DNSD_ENOMEM] = "out of memory",
    [-DNSD_ESPACE] = "output buffer too small",
    [-DNSD_EMALFORM] = "malformed wire data",
    [-DNSD_ELABEL] = "bad label length",
    [-DNSD_ENAMELEN] = "name longer than 255 octets",
    [-DNSD_EPOINTER] = "bad compression pointer",
    [-DNSD_ELABELTYPE] = "reserved label type",
    [-DNSD_ESYNTAX] = "syntax error",
    [-DNSD_ERANGE] = "number out of range",
    [-DNSD_ENOTFOUND] = "not found",
    [-DNSD_EEXIST] = "already exists",
    [-DNSD_EINVAL] = "invalid argument",
    [-DNSD_EIO] = "input/output error",
    [-DNSD_ETOOMANY] = "limit reached",
    [-DNSD_EZONE] = "zone check failed",
    [-DNSD_ENOTSUP] = "not supported",
    [-DNSD_EDENIED] = "access denied",
    [-DNSD_ETSIG] = "TSIG verification failed",
};

const char *dnsd_strerror(int err)
{
	if (err > 0)
		err = 0;
	/* compare as unsigned long long so INT_MIN cannot overflow */
	unsigned long long i = (unsigned long long)-(long long)err;
	if (i >= sizeof err_text / sizeof err_text[0] || !err_text[i])
		return "unknown error";
	return err_text[i];
}
