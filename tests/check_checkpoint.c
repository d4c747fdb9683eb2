/*
 * libmigstream - Xen domain save/migration streams
 * Copyright (c) 2026 The libmigstream authors.  MIT licence, see COPYING.
 *
 * check_checkpoint: the checkpoint model (migstream_reader_get_checkpoint)
 * and the page journal, on streams the writer makes (tests/streams.c).
 */
#define _POSIX_C_SOURCE 200809L

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <migstream.h>
#include "streams.h"

struct buf {
	void *data;
	size_t len;
};

static struct buf write_stream(int kind, int colo, int n)
{
	migstream_writer *w = migstream_writer_new();
	const void *p;
	struct buf b;

	ck_assert_ptr_nonnull(w);
	ck_assert_int_eq(migstream_writer_set_option(w, MIGSTREAM_OPT_STREAM_KIND, (uint64_t)kind), 0);
	ck_assert_int_eq(migstream_writer_open_memory(w), 0);
	if (kind == MIGSTREAM_KIND_COLO_BACK)
		ck_assert_msg(ts_write_back_channel(w, n) == 0, "%s", migstream_writer_errmsg(w));
	else
		ck_assert_msg(ts_write_checkpointed(w, colo, n) == 0, "%s", migstream_writer_errmsg(w));
	ck_assert_int_eq(migstream_writer_get_memory(w, &p, &b.len), 0);
	b.data = malloc(b.len);
	ck_assert_ptr_nonnull(b.data);
	memcpy(b.data, p, b.len);
	ck_assert_int_eq(migstream_writer_close(w), 0);
	migstream_writer_free(w);
	return b;
}

static migstream_reader *reader(const struct buf *b, size_t len, int kind)
{
	migstream_reader *r = migstream_reader_new();
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(migstream_reader_set_option(r, MIGSTREAM_OPT_CHANNEL, 1), 0);
	ck_assert_int_eq(migstream_reader_set_option(r, MIGSTREAM_OPT_STREAM_KIND, (uint64_t)kind), 0);
	ck_assert_int_eq(migstream_reader_open_memory(r, b->data, len), 0);
	return r;
}

/* Read to the end; the events of every call, and where each commit ended. */
struct seen {
	uint64_t begins, commits, discards;
	uint64_t commit_end[16];
	int rc;
};

static struct seen read_all(migstream_reader *r, migstream_checkpoint_info *ci)
{
	struct seen s;
	const migstream_record *rec;

	memset(&s, 0, sizeof s);
	do {
		s.rc = migstream_reader_next(r, &rec);
		ck_assert_int_eq(migstream_reader_get_checkpoint(r, ci, sizeof *ci), 0);
		if (ci->events & MIGSTREAM_CKPT_EV_BEGIN)
			s.begins++;
		if (ci->events & MIGSTREAM_CKPT_EV_COMMIT) {
			ck_assert_uint_lt(s.commits, 16);
			s.commit_end[s.commits++] = ci->commit_offset;
			ck_assert_uint_eq(ci->commit_offset, migstream_reader_offset(r));
		}
		if (ci->events & MIGSTREAM_CKPT_EV_DISCARD)
			s.discards++;
	} while (s.rc == 0);
	return s;
}

START_TEST(test_remus_end_discards)
{
	/* ts_write_checkpointed: 3 checkpoints, then a round's records and a
	 * libxc END: those records are discarded (CKPT-7). */
	struct buf b = write_stream(MIGSTREAM_KIND_REMUS, 0, 3);
	migstream_reader *r = reader(&b, b.len, MIGSTREAM_KIND_REMUS);
	migstream_checkpoint_info ci;
	struct seen s = read_all(r, &ci);

	ck_assert_int_eq(s.rc, MIGSTREAM_EOF);
	ck_assert_uint_eq(s.commits, 3);
	ck_assert_uint_eq(s.begins, 4);
	ck_assert_uint_eq(s.discards, 1);
	ck_assert_uint_eq(ci.committed, 3);
	ck_assert_uint_eq(ci.round, 4);
	ck_assert_uint_eq(ci.state, MIGSTREAM_CKPT_DISCARDED);
	ck_assert_uint_eq(ci.checkpointed, 1);
	ck_assert_uint_eq(ci.back_channel, 0);
	ck_assert_uint_gt(ci.discarded_octets, 0);
	ck_assert_uint_eq(ci.discarded_pages, 4);   /* page_batch 2 + STORE and CONSOLE */
	ck_assert_uint_eq(ci.last_committed_pages, 4);
	migstream_reader_free(r);

	/* Cut at each commit: nothing discarded; a few octets later: those. */
	for (uint64_t k = 0; k < 3; k++) {
		migstream_checkpoint_info c2;
		r = reader(&b, (size_t)s.commit_end[k], MIGSTREAM_KIND_REMUS);
		struct seen t = read_all(r, &c2);
		ck_assert_int_eq(t.rc, MIGSTREAM_EOF);
		ck_assert_uint_eq(c2.committed, k + 1);
		ck_assert_uint_eq(c2.state, MIGSTREAM_CKPT_COMMITTED);
		ck_assert_uint_eq(t.discards, 0);
		migstream_reader_free(r);
		r = reader(&b, (size_t)s.commit_end[k] + 5, MIGSTREAM_KIND_REMUS);
		t = read_all(r, &c2);
		ck_assert_uint_eq(c2.committed, k + 1);
		ck_assert_uint_eq(c2.state, MIGSTREAM_CKPT_DISCARDED);
		ck_assert_uint_eq(c2.commit_offset, s.commit_end[k]);
		ck_assert_uint_eq(c2.discarded_octets, 5);
		ck_assert_uint_eq(c2.round, k + 2);
		migstream_reader_free(r);
	}
	free(b.data);
}
END_TEST

START_TEST(test_colo_state_closes_commit)
{
	struct buf b = write_stream(MIGSTREAM_KIND_COLO, 1, 2);
	migstream_reader *r = reader(&b, b.len, MIGSTREAM_KIND_COLO);
	migstream_checkpoint_info ci;
	struct seen s = read_all(r, &ci);

	ck_assert_int_eq(s.rc, MIGSTREAM_EOF);
	ck_assert_uint_eq(ci.committed, 2);
	/* The CHECKPOINT_STATE(NEW) after CHECKPOINT_END moves the failover
	 * offset past it: 16 octets. */
	ck_assert_uint_eq(ci.commit_offset, s.commit_end[1] + 16);
	migstream_reader_free(r);
	free(b.data);
}
END_TEST

START_TEST(test_back_channel_cycles)
{
	struct buf b = write_stream(MIGSTREAM_KIND_COLO_BACK, 0, 5);
	migstream_reader *r = reader(&b, b.len, MIGSTREAM_KIND_COLO_BACK);
	migstream_checkpoint_info ci;
	struct seen s = read_all(r, &ci);

	ck_assert_int_eq(s.rc, MIGSTREAM_EOF);
	ck_assert_uint_eq(s.commits, 5);
	ck_assert_uint_eq(ci.committed, 5);
	ck_assert_uint_eq(ci.back_channel, 1);
	ck_assert_uint_eq(ci.state, MIGSTREAM_CKPT_COMMITTED);
	ck_assert_uint_eq(ci.last_committed_pages, 1 + 4 % 3);
	ck_assert_uint_eq(ci.commit_offset, b.len);
	migstream_reader_free(r);
	free(b.data);
}
END_TEST

START_TEST(test_plain_is_one_round)
{
	migstream_writer *w = migstream_writer_new();
	const void *p;
	size_t len;
	migstream_checkpoint_info ci;

	ck_assert_int_eq(migstream_writer_open_memory(w), 0);
	ck_assert_int_eq(ts_write_xl(w), 0);
	ck_assert_int_eq(migstream_writer_get_memory(w, &p, &len), 0);
	struct buf b = { (void *)p, len };
	migstream_reader *r = reader(&b, len, MIGSTREAM_KIND_AUTO);
	struct seen s = read_all(r, &ci);
	ck_assert_int_eq(s.rc, MIGSTREAM_EOF);
	ck_assert_uint_eq(s.commits, 1);
	ck_assert_uint_eq(ci.checkpointed, 0);
	ck_assert_uint_eq(ci.committed, 1);
	ck_assert_uint_eq(ci.round_offset, 0);
	ck_assert_uint_eq(ci.commit_offset, len);
	migstream_reader_free(r);
	ck_assert_int_eq(migstream_writer_close(w), 0);
	migstream_writer_free(w);
	ck_assert_int_eq(migstream_reader_get_checkpoint(NULL, &ci, sizeof ci), MIGSTREAM_E_INVAL);
}
END_TEST

/* ------------------------------------------------------------ journal */

struct got {
	uint64_t n;
	uint64_t pfn[64];
	unsigned char first[64];
};

static int take(void *ctx, uint64_t pfn, uint32_t type, const void *page)
{
	struct got *g = ctx;
	ck_assert_uint_le(type, 15);
	if (g->n < 64) {
		g->pfn[g->n] = pfn;
		g->first[g->n] = *(const unsigned char *)page;
	}
	g->n++;
	return 0;
}

static int refuse(void *ctx, uint64_t pfn, uint32_t type, const void *page)
{
	(void)ctx;
	(void)type;
	(void)pfn;
	(void)page;
	return 42;
}

START_TEST(test_journal_by_hand)
{
	FILE *f = tmpfile();
	ck_assert_ptr_nonnull(f);
	migstream_journal *j = migstream_journal_new(fileno(f), NULL);
	unsigned char page[4096];
	struct got g;

	ck_assert_ptr_nonnull(j);
	memset(&g, 0, sizeof g);
	for (int i = 0; i < 3; i++) {
		memset(page, 0x40 + i, sizeof page);
		ck_assert_int_eq(migstream_journal_add(j, (uint64_t)(100 + i), MIGSTREAM_PAGE_NOTAB, page), 0);
	}
	ck_assert_uint_eq(migstream_journal_pending(j), 3);
	ck_assert_int_eq(migstream_journal_commit(j, refuse, NULL), 42);
	ck_assert_int_eq(migstream_journal_commit(j, take, &g), 0);
	ck_assert_uint_eq(g.n, 3);
	ck_assert_uint_eq(g.pfn[2], 102);
	ck_assert_uint_eq(g.first[2], 0x42);
	ck_assert_uint_eq(migstream_journal_pending(j), 0);
	ck_assert_int_eq(migstream_journal_add(j, 7, MIGSTREAM_PAGE_L1TAB, page), 0);
	ck_assert_int_eq(migstream_journal_discard(j), 0);
	ck_assert_uint_eq(migstream_journal_pending(j), 0);
	ck_assert_int_eq(migstream_journal_add(j, 7, 0, NULL), MIGSTREAM_E_INVAL);
	ck_assert_int_eq(migstream_journal_add(j, UINT64_C(1) << 60, 0, page), MIGSTREAM_E_INVAL);
	migstream_journal_free(j);
	migstream_journal_free(NULL);
	fclose(f);
}
END_TEST

START_TEST(test_journal_step)
{
	/* Round 4 of ts_write_checkpointed never commits: the journal hands
	 * out the pages of rounds 1-3 only. */
	struct buf b = write_stream(MIGSTREAM_KIND_REMUS, 0, 3);
	migstream_reader *r = reader(&b, b.len, MIGSTREAM_KIND_REMUS);
	migstream_journal *j = migstream_journal_new(-1, NULL);
	const migstream_record *rec;
	struct got g;
	int rc, commits = 0;

	ck_assert_ptr_nonnull(j);
	memset(&g, 0, sizeof g);
	while ((rc = migstream_reader_next(r, &rec)) == 0) {
		int k = migstream_journal_step(j, r, rec, take, &g);
		ck_assert_int_ge(k, 0);
		commits += k;
	}
	ck_assert_int_eq(rc, MIGSTREAM_EOF);
	ck_assert_int_eq(migstream_journal_step(j, r, NULL, take, &g), 0);
	ck_assert_int_eq(commits, 3);
	/* Round 1: 6 pages + STORE and CONSOLE; rounds 2, 3: 2 + 2 each. */
	ck_assert_uint_eq(g.n, 8 + 4 + 4);
	ck_assert_uint_eq(migstream_journal_pending(j), 0);
	migstream_journal_free(j);
	migstream_reader_free(r);
	free(b.data);
}
END_TEST

static Suite *checkpoint_suite(void)
{
	Suite *s = suite_create("checkpoint");
	TCase *tc = tcase_create("model");
	tcase_add_test(tc, test_remus_end_discards);
	tcase_add_test(tc, test_colo_state_closes_commit);
	tcase_add_test(tc, test_back_channel_cycles);
	tcase_add_test(tc, test_plain_is_one_round);
	suite_add_tcase(s, tc);
	tc = tcase_create("journal");
	tcase_add_test(tc, test_journal_by_hand);
	tcase_add_test(tc, test_journal_step);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(checkpoint_suite());
	srunner_run_all(sr, CK_ENV);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
