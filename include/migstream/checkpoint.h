/*
 * libmigstream - Xen domain save/migration streams
 * Copyright (c) 2026 The libmigstream authors.  MIT licence, see COPYING.
 *
 * checkpoint.h: the checkpoint model for consumers, and the page journal.
 *
 * A checkpointed stream (Remus, COLO) carries a sequence of rounds, each a
 * complete guest state.  A receiver must apply a round only once it is
 * committed, and must drop the open round when the stream stops inside it
 * (failover): Xen's restorer buffers a round's records and applies them at
 * the record that commits it.  The reader follows the rounds as records
 * pass and says, after every migstream_reader_next(), what happened:
 *
 *   - a round opens with the first record after the previous commit (round
 *     1 with the stream's first octet: it holds the headers and the first
 *     full pass over memory);
 *   - it is committed by the record that completes a checkpoint:
 *       bare libxc image          libxc CHECKPOINT;
 *       libxl stream, xl file     libxl CHECKPOINT_END (after the libxc
 *                                 CHECKPOINT and the round's libxl records);
 *       COLO forward stream       CHECKPOINT_END as well; the
 *                                 CHECKPOINT_STATE(NEW) after it is the
 *                                 handshake that closes the commit (it moves
 *                                 the commit offset past it, and opens no
 *                                 round);
 *       COLO back channel         CHECKPOINT_DIRTY_PFN_LIST, the last record
 *                                 of each READY, RESUMED, SUSPENDED, list
 *                                 cycle (its pages: the pfns listed);
 *       plain stream              END of the stream (libxc END of a bare
 *                                 image, libxl END otherwise): the whole
 *                                 stream is one round;
 *   - it is discarded when the stream ends inside it: EOF (a channel's
 *     failover, CKPT-5, or a truncated file), or a libxc END after records
 *     of an unfinished round (CKPT-7).  The discarded octets run from the
 *     end of the last commit (the failover offset) to where the stream
 *     ended, cut records included.
 *
 * Rounds are numbered from 1; round n is committed by the n-th checkpoint.
 *
 * The commit/discard contract, worked example (restore loop that applies
 * only committed pages, with the journal below doing the buffering):
 *
 *   static int apply(void *ctx, uint64_t pfn, uint32_t type, const void *page)
 *   {
 *           memcpy(guest_page(ctx, pfn), page, 4096);
 *           return 0;
 *   }
 *
 *   migstream_journal *j = migstream_journal_new(-1, NULL);  // temp file
 *   migstream_reader_set_option(r, MIGSTREAM_OPT_CHANNEL, 1);
 *   ...open...
 *   while ((rc = migstream_reader_next(r, &rec)) == 0)
 *           if ((rc = migstream_journal_step(j, r, rec, apply, ctx)) < 0)
 *                   break;                       // spool or apply failed
 *   if (rc == MIGSTREAM_EOF)
 *           rc = migstream_journal_step(j, r, NULL, apply, ctx);  // drops the rest
 *   migstream_checkpoint_info ci;
 *   migstream_reader_get_checkpoint(r, &ci, sizeof ci);
 *   // ci.committed rounds applied; ci.discarded_octets dropped at failover
 *
 * Applying pages as PAGE_DATA records pass, without buffering, is wrong for
 * checkpointed streams: at failover the guest would get pages of a round
 * that never completed, mixed with the committed state.
 */
#ifndef MIGSTREAM_CHECKPOINT_H
#define MIGSTREAM_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>
#include <migstream/error.h>
#include <migstream/record.h>
#include <migstream/reader.h>

#ifdef __cplusplus
extern "C" {
#endif

/* State of the current round.  Since: 1.1 */
#define MIGSTREAM_CKPT_NONE       0  /* no record read yet */
#define MIGSTREAM_CKPT_OPEN       1  /* round `round` is open: buffer it */
#define MIGSTREAM_CKPT_COMMITTED  2  /* round `round` is committed: apply it */
#define MIGSTREAM_CKPT_DISCARDED  3  /* round `round` was discarded: drop it */

/* What the last migstream_reader_next() did to the rounds (bits).  Since: 1.1 */
#define MIGSTREAM_CKPT_EV_BEGIN   0x1u  /* its record opened round `round` */
#define MIGSTREAM_CKPT_EV_COMMIT  0x2u  /* its record committed round `round` */
#define MIGSTREAM_CKPT_EV_DISCARD 0x4u  /* round `round` was discarded (at EOF
                                           or at a libxc END, CKPT-7) */

/**
 * The rounds as the reader has seen them so far.  The library fills
 * min(size, sizeof its struct) octets, so the struct may grow at its end.
 *
 * Since: 1.1
 */
typedef struct migstream_checkpoint_info {
	uint32_t state;             /* MIGSTREAM_CKPT_* of round `round` */
	uint32_t events;            /* MIGSTREAM_CKPT_EV_* of the last next() */
	uint32_t checkpointed;      /* 1 once a checkpoint was seen (CHECKPOINT,
	                               CHECKPOINT_END or a back-channel cycle) */
	uint32_t back_channel;      /* 1 on a COLO back channel */
	uint64_t round;             /* the current (or last) round, from 1 */
	uint64_t committed;         /* rounds committed so far */
	uint64_t round_offset;      /* first octet of round `round` */
	uint64_t round_octets;      /* its octets so far (to the end of the last record) */
	uint64_t round_pages;       /* its data pages so far (back channel: dirty pfns) */
	uint64_t commit_offset;     /* end of the last commit: the failover offset */
	uint64_t last_committed_pages; /* data pages of the last committed round */
	uint64_t discarded_octets;  /* at a discard: octets from commit_offset to
	                               where the stream ended */
	uint64_t discarded_pages;   /* at a discard: data pages of the dropped
	                               round (complete PAGE_DATA records only) */
} migstream_checkpoint_info;

/**
 * The reader's view of the rounds (see above), valid after any call to
 * migstream_reader_next() on it, also after EOF or a fatal error.
 * Returns 0, MIGSTREAM_E_INVAL (r or out NULL).  Since: 1.1
 */
MIGSTREAM_API int migstream_reader_get_checkpoint(const migstream_reader *r,
                                                  migstream_checkpoint_info *out, size_t size);

/* ---------------------------------------------------------------------
 * The page journal: committed pages only, bounded in memory.  Since: 1.1
 *
 * The journal spools the data pages of the open round to a file and hands
 * them out when the reader reports the round committed; a discarded round
 * is dropped.  Memory use: 8 octets per spooled page (its pfn and type);
 * the page contents live in the file.  Pages are handed out in stream order, so a
 * later copy of a pfn in the same round replaces an earlier one for a
 * caller that writes them in turn.
 * ------------------------------------------------------------------- */

/** Opaque journal.  Since: 1.1 */
typedef struct migstream_journal migstream_journal;

/** Called once per committed page, in stream order, with its
 *  MIGSTREAM_PAGE_* type (page tables of PV guests); a non-zero return
 *  stops the hand-out and is returned by the call that made it. */
typedef int (*migstream_journal_fn)(void *ctx, uint64_t pfn, uint32_t type, const void *page);

/**
 * A new journal.  fd >= 0: the caller's storage (a seekable fd open for
 * reading and writing; the journal writes from offset 0, truncates it after
 * each round and never closes it).  fd < 0: an unnamed temporary file in
 * dir (NULL: $TMPDIR, else /tmp), O_TMPFILE where the system has it, else
 * mkstemp() and unlink().  NULL when out of memory or when the temporary
 * file cannot be made (errno set).
 */
MIGSTREAM_API migstream_journal *migstream_journal_new(int fd, const char *dir);

/**
 * Follow the reader after one migstream_reader_next(): rec is the record it
 * returned (NULL after MIGSTREAM_EOF or an error).  The data pages of a
 * PAGE_DATA record are spooled (read from the record, so call this before
 * anything else reads its pages); then, if the record committed the round,
 * every spooled page goes to fn and the journal empties; if the round was
 * discarded, the spooled pages are dropped.  Returns 1 after a commit, 0
 * otherwise, MIGSTREAM_E_IO when the spool cannot be written or read (errno
 * kept), MIGSTREAM_E_NOMEM, the reader's code when a page cannot be read,
 * or fn's non-zero return.
 */
MIGSTREAM_API int migstream_journal_step(migstream_journal *j, migstream_reader *r,
                                         const migstream_record *rec,
                                         migstream_journal_fn fn, void *ctx);

/** Spool one page (4096 octets) of the open round by hand: pfn below
 *  2^60, type a MIGSTREAM_PAGE_* value.  0, or MIGSTREAM_E_IO /
 *  MIGSTREAM_E_NOMEM / MIGSTREAM_E_INVAL. */
MIGSTREAM_API int migstream_journal_add(migstream_journal *j, uint64_t pfn, uint32_t type,
                                        const void *page);

/** Hand every spooled page to fn in order, then empty the journal.
 *  0, MIGSTREAM_E_IO, or fn's non-zero return. */
MIGSTREAM_API int migstream_journal_commit(migstream_journal *j, migstream_journal_fn fn,
                                           void *ctx);

/** Drop the spooled pages.  0, or MIGSTREAM_E_IO (truncating the file failed). */
MIGSTREAM_API int migstream_journal_discard(migstream_journal *j);

/** Pages spooled and not yet handed out. */
MIGSTREAM_API uint64_t migstream_journal_pending(const migstream_journal *j);

/** Free the journal (closing its temporary file).  NULL is a no-op. */
MIGSTREAM_API void migstream_journal_free(migstream_journal *j);

#ifdef __cplusplus
}
#endif

#endif /* MIGSTREAM_CHECKPOINT_H */
