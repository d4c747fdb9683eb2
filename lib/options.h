/*
 * options.h: the option table of both handles.
 *
 * One row per key: default, bounds, and which handles take it.  The
 * reader and the writer share the keys they both know (the record cap,
 * deep checks, caller knowledge, MIGSTREAM_OPT_CLOSE_FD ...) with the
 * same default and bounds; migstream_option_bounds() answers every key.
 */
#ifndef MIGSTREAM_OPTIONS_H
#define MIGSTREAM_OPTIONS_H

#ifndef MIGSTREAM_BUILDING
#error "options.h is private to libmigstream"
#endif

#include <stdint.h>

#include "rules.h"

#define MS_OPT_MAX 25                 /* highest key (MIGSTREAM_OPT_ATOMIC) */

/* Which handles take a key. */
#define MS_OPT_READER 1u
#define MS_OPT_WRITER 2u

/* Every key's default for one handle (keys it does not take: 0). */
void ms_opt_defaults(uint64_t opt[MS_OPT_MAX + 1], unsigned who);
/* Whether the handle takes the key. */
int ms_opt_known(int key, unsigned who);
/*
 * Check a set_option call: an unknown key or a value out of bounds is a
 * misuse reported against fn ("unknown reader option 20", "option 2: value
 * 4 outside 8..134217728"); 0 or MIGSTREAM_E_INVAL.
 */
int ms_opt_check(struct ms_ctx *c, const char *fn, unsigned who, int key, uint64_t value);

/* Freeze the options the libxc rules use into their state at open: deep
 * checks, channel mode, stream kind, caller knowledge (guest type, vCPUs,
 * p2m size) and the pfn map's budget.  A writer's options hold 0 for the
 * channel key, which it does not take. */
struct ms_libxc;
void ms_opt_apply_libxc(const uint64_t opt[MS_OPT_MAX + 1], struct ms_libxc *x);

#endif /* MIGSTREAM_OPTIONS_H */
