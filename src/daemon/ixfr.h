/* The IXFR history of the zones served: difference sequences
 * (dnsd_zdiff, xfr.h) by zone and serial step, shared by the transfer
 * writers of every worker (xfrout.c) and fed by the role (a pull or an
 * UPDATE computes the step from the version served to the new one).
 *
 * Thread safety: one mutex, held for a lookup or an insertion, never
 * for I/O or for computing a difference. Entries are reference counted:
 * a stream keeps the steps it sends alive after the cache dropped them. */
#ifndef DNSD_DAEMON_IXFR_H
#define DNSD_DAEMON_IXFR_H

#include <dnsd/xfr.h>
#include <stddef.h>
#include <stdint.h>

typedef struct dnsd_ixfr dnsd_ixfr;
typedef struct dnsd_ixfr_step dnsd_ixfr_step;

/* A cache keeping at most max_steps steps per zone (the newest). */
dnsd_ixfr *dnsd_ixfr_new(unsigned max_steps);
void dnsd_ixfr_free(dnsd_ixfr *h);
/* Keeps d (taken over) as the step of zone origin from its from serial
 * to its to serial, replacing an older step with the same from. */
void dnsd_ixfr_put(dnsd_ixfr *h, const uint8_t *origin, dnsd_zdiff *d);
/* The chain of steps from serial `from` to serial `to` of zone origin,
 * each referenced, into steps[0..*n) (at most max); 0, or
 * DNSD_ENOTFOUND when the history does not reach. */
int dnsd_ixfr_chain(dnsd_ixfr *h, const uint8_t *origin, uint32_t from,
                    uint32_t to, dnsd_ixfr_step **steps, size_t max, size_t *n);
const dnsd_zdiff *dnsd_ixfr_step_diff(const dnsd_ixfr_step *s);
void dnsd_ixfr_step_unref(dnsd_ixfr_step *s);
/* Forgets the zones not in the list (gone from the source). */
void dnsd_ixfr_forget(dnsd_ixfr *h, const uint8_t *origin);

#endif
