/*
 * libmigstream - Xen domain save/migration streams
 * Copyright (c) 2026 The libmigstream authors.  MIT licence, see COPYING.
 *
 * flatten.h: the committed state of a checkpointed capture as a plain save
 * (flatten.c, used by copy --channel).
 */
#ifndef MIGSTREAM_TOOLS_FLATTEN_H
#define MIGSTREAM_TOOLS_FLATTEN_H

#include <stdint.h>
#include <migstream.h>

struct flat;

/* Spool files in dir (NULL: $TMPDIR); state of checkpoint upto (0: the
 * last complete one).  NULL with errno on failure. */
struct flat *flat_new(const char *dir, uint64_t upto);
/* After every migstream_reader_next(): rec, or NULL at the end.  0, or
 * the error that stops the copy (message printed). */
int flat_record(struct flat *f, migstream_reader *r, const migstream_record *rec);
/* The stream turned out checkpointed; the checkpoint its state is from. */
int flat_checkpointed(const struct flat *f);
uint64_t flat_committed(const struct flat *f);
/* Write the save to fd (writer options: plain, deep as given); *pages data
 * pages written; *w the writer, for its errmsg (the caller frees it). */
int flat_write(struct flat *f, migstream_reader *r, int fd, int deep, uint64_t *pages,
               migstream_writer **w);
void flat_free(struct flat *f);

#endif /* MIGSTREAM_TOOLS_FLATTEN_H */
