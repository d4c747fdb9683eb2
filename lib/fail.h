/*
 * fail.h: how the reader fails: the fatal state, read errors, truncation
 * (with the checkpoint state it names) and the reporting location of the
 * current record.  Used by the reader and by the page owner (pages.c).
 */
#ifndef MIGSTREAM_FAIL_H
#define MIGSTREAM_FAIL_H

#ifndef MIGSTREAM_BUILDING
#error "fail.h is private to libmigstream"
#endif

#include <stdint.h>

#include "rules.h"

struct migstream_reader;

/* The reader is dead: every later call returns `code`.  Returns code. */
int ms_die(struct migstream_reader *r, int code);
/* A source failure (E_IO, E_AGAIN, E_NOMEM with errno err_no): reported
 * at the source position; the reader dies. */
int ms_io_fail(struct migstream_reader *r, int code, int err_no);
/* Complete checkpoints so far (libxc CHECKPOINT, plus its CHECKPOINT_END
 * in a libxl stream). */
int ms_checkpoints(const struct migstream_reader *r);
/* EOF at stream offset eof_off `what` (e.g. "inside a record body"):
 * rule, or CKPT-5 after a complete checkpoint (a failover on a channel). */
int ms_truncated(struct migstream_reader *r, enum ms_rule_id rule, uint64_t eof_off, const char *what);
/* Report against the current record again. */
void ms_locate(struct migstream_reader *r);

#endif /* MIGSTREAM_FAIL_H */
