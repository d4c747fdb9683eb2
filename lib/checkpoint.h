/*
 * checkpoint.h: the rounds of a checkpointed stream as the reader sees
 * them (checkpoint.c): which record opens, commits or discards a round.
 * The reader calls ms_ckpt_record() after each record it frames and
 * ms_ckpt_eof() where the stream ends; nothing else in the reader knows
 * about rounds.
 */
#ifndef MIGSTREAM_CHECKPOINT_INT_H
#define MIGSTREAM_CHECKPOINT_INT_H

#ifndef MIGSTREAM_BUILDING
#error "checkpoint.h is private to libmigstream"
#endif

#include <stdint.h>

#include "migstream.h"

struct ms_ckpt {
	migstream_checkpoint_info info;
	int nested;                   /* libxl stream: CHECKPOINT_END commits */
	int ended;                    /* a discard or the final commit was reported */
};

/* A reader starts with the struct zeroed.  Events are per next() call. */
void ms_ckpt_next(struct ms_ckpt *k);
struct migstream_record;
/* One framed record, end the octet after it (padding included); nested:
 * inside a libxl stream; back: a COLO back channel. */
void ms_ckpt_record(struct ms_ckpt *k, const struct migstream_record *rec, uint64_t end,
                    int nested, int back);
/* The stream ended at eof (octets read so far) without its final END. */
void ms_ckpt_eof(struct ms_ckpt *k, uint64_t eof);

#endif /* MIGSTREAM_CHECKPOINT_INT_H */
