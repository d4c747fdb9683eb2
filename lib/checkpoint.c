/*
 * checkpoint.c: the rounds of a checkpointed stream for consumers
 * (migstream_reader_get_checkpoint, checkpoint.h), followed record by
 * record: which record opens a round, which commits it (spec/format.md
 * section 12, rules.md CKPT-5 and CKPT-7), and what a failover discards.
 */
#include "config.h"

#include <string.h>

#include "checkpoint.h"
#include "reader.h"

void ms_ckpt_next(struct ms_ckpt *k)
{
	k->info.events = 0;
}

static void open_round(migstream_checkpoint_info *i)
{
	i->round++;
	i->state = MIGSTREAM_CKPT_OPEN;
	i->events |= MIGSTREAM_CKPT_EV_BEGIN;
	/* Round 1 holds the headers as well. */
	i->round_offset = i->round == 1 ? 0 : i->commit_offset;
	i->round_octets = 0;
	i->round_pages = 0;
}

static void commit(migstream_checkpoint_info *i, uint64_t end)
{
	i->state = MIGSTREAM_CKPT_COMMITTED;
	i->events |= MIGSTREAM_CKPT_EV_COMMIT;
	i->committed++;
	i->commit_offset = end;
	i->last_committed_pages = i->round_pages;
}

/* The open round is dropped; the stream ended (or the discarding record
 * began) at `at`. */
static void discard(migstream_checkpoint_info *i, uint64_t at)
{
	i->state = MIGSTREAM_CKPT_DISCARDED;
	i->events |= MIGSTREAM_CKPT_EV_DISCARD;
	i->discarded_octets = at - i->commit_offset;
	i->discarded_pages = i->round_pages;
}

void ms_ckpt_record(struct ms_ckpt *k, const struct migstream_record *rec, uint64_t end,
                    int nested, int back)
{
	migstream_checkpoint_info *i = &k->info;
	uint32_t layer = rec->layer, type = rec->type;
	uint64_t offset = rec->offset, pages = 0;
	int xc = layer == MIGSTREAM_LAYER_LIBXC;

	if (xc && type == MIGSTREAM_REC_PAGE_DATA)
		pages = rec->data_pages;
	else if (xc && back && type == MIGSTREAM_REC_CHECKPOINT_DIRTY_PFN_LIST)
		pages = rec->length / 8;

	if (k->ended)
		return;
	k->nested = nested;
	i->back_channel = back ? 1 : 0;

	/* END: the whole of a plain stream commits; in a checkpointed one
	 * the records since the last checkpoint are dropped (CKPT-7).  In a
	 * libxl stream the libxc END hands over to the libxl layer, whose END
	 * finishes the stream. */
	if (type == MIGSTREAM_REC_END && (xc || layer == MIGSTREAM_LAYER_LIBXL)) {
		if (i->checkpointed) {
			k->ended = 1;
			if (i->state == MIGSTREAM_CKPT_OPEN)
				discard(i, offset);
			return;
		}
		if (xc && nested) {
			i->round_octets = end - i->round_offset;
			return;
		}
		if (i->state != MIGSTREAM_CKPT_OPEN)
			open_round(i);
		i->round_octets = end - i->round_offset;
		commit(i, end);
		k->ended = 1;
		return;
	}

	/* COLO: CHECKPOINT_STATE(NEW) after CHECKPOINT_END closes the commit
	 * handshake; the next round begins after it. */
	if (!xc && !back && type == MIGSTREAM_LIBXL_REC_CHECKPOINT_STATE &&
	    i->state == MIGSTREAM_CKPT_COMMITTED) {
		i->commit_offset = end;
		return;
	}

	if (i->state != MIGSTREAM_CKPT_OPEN)
		open_round(i);
	i->round_pages += pages;
	i->round_octets = end - i->round_offset;

	if (back) {
		if (xc && type == MIGSTREAM_REC_CHECKPOINT_DIRTY_PFN_LIST) {
			i->checkpointed = 1;
			commit(i, end);
		}
		return;
	}
	if (xc && type == MIGSTREAM_REC_CHECKPOINT) {
		i->checkpointed = 1;
		if (!nested)
			commit(i, end);
	} else if (!xc && type == MIGSTREAM_LIBXL_REC_CHECKPOINT_END) {
		i->checkpointed = 1;
		commit(i, end);
	}
}

void ms_ckpt_eof(struct ms_ckpt *k, uint64_t eof)
{
	migstream_checkpoint_info *i = &k->info;

	if (k->ended)
		return;
	k->ended = 1;
	if (i->state == MIGSTREAM_CKPT_OPEN) {
		i->round_octets = eof - i->round_offset;
		discard(i, eof);
	} else if (eof > i->commit_offset) {
		/* A round that had not framed a whole record yet. */
		open_round(i);
		i->round_octets = eof - i->round_offset;
		discard(i, eof);
	}
}

int migstream_reader_get_checkpoint(const migstream_reader *r, migstream_checkpoint_info *out,
                                    size_t size)
{
	if (!r || r->magic != MS_READER_MAGIC || !out)
		return MIGSTREAM_E_INVAL;
	memcpy(out, &r->ckpt.info, size < sizeof r->ckpt.info ? size : sizeof r->ckpt.info);
	return 0;
}
