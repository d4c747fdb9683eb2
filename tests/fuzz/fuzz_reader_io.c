/*
 * libmigstream - Xen domain save/migration streams
 * Copyright (c) 2026 The libmigstream authors.  MIT licence, see COPYING.
 *
 * fuzz_reader_io: the same walk as fuzz_reader, through a callback source
 * whose read (and skip) sizes come from the input.  Input layout:
 *
 *   octet 0   options: bits 0-1 mode (3 = restore), bit 2 deep checks off,
 *             bit 3 no skip callback, bits 4-5 record cap (default, 1 MiB,
 *             64 KiB, 4 KiB), bit 6 channel mode, bit 7 COLO back channel;
 *   octet 1   n = number of read sizes (0-31, low 5 bits); bits 5-7: the
 *             callback fails with EIO after (bits 5-7) x 64 reads (0: never);
 *   n octets  read sizes, used in turn: 0-127 -> 1-128, 128-191 -> 64 x
 *             (1-64), 192-254 -> 4096 x (1-63) - 1, 255 -> 1 MiB;
 *   the rest  the stream.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <errno.h>
#include <string.h>

#include "fuzz.h"

struct src {
	const uint8_t *data;
	size_t len, pos;
	const uint8_t *sizes;
	size_t nsizes, next;
	unsigned long reads, fail_after;
	int closed;
};

static size_t next_size(struct src *s)
{
	uint8_t b;

	if (s->nsizes == 0)
		return 4096;
	b = s->sizes[s->next++ % s->nsizes];
	if (b < 128)
		return (size_t)b + 1;
	if (b < 192)
		return 64 * (size_t)(b - 127);
	if (b < 255)
		return 4096 * (size_t)(b - 191) - 1;
	return 1u << 20;
}

static int64_t src_read(void *ctx, void *buf, size_t len)
{
	struct src *s = ctx;
	size_t n = next_size(s);

	if (s->closed)
		fz_fail("read after close");
	if (s->fail_after && ++s->reads > s->fail_after)
		return -EIO;
	if (n > len)
		n = len;
	if (n > s->len - s->pos)
		n = s->len - s->pos;
	memcpy(buf, s->data + s->pos, n);
	s->pos += n;
	return (int64_t)n;
}

static int64_t src_skip(void *ctx, uint64_t len)
{
	struct src *s = ctx;
	uint64_t n = next_size(s);

	if (s->closed)
		fz_fail("skip after close");
	if (n > len)
		n = len;
	if (n > s->len - s->pos)
		n = s->len - s->pos;
	s->pos += (size_t)n;
	return (int64_t)n;
}

static int src_close(void *ctx)
{
	struct src *s = ctx;

	if (s->closed)
		fz_fail("close called twice");
	s->closed = 1;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint64_t caps[4] = { MIGSTREAM_MAX_RECORD_LEN, 1u << 20, 1u << 16, 4096 };
	migstream_read_io io;
	migstream_reader *r;
	struct src s;
	uint8_t opt, ns;
	uint64_t cap;

	if (size < 2)
		return 0;
	opt = data[0];
	ns = data[1] & 31;
	if ((size_t)ns > size - 2)
		return 0;
	memset(&s, 0, sizeof s);
	s.sizes = data + 2;
	s.nsizes = ns;
	s.fail_after = 64ul * (data[1] >> 5);
	s.data = data + 2 + ns;
	s.len = size - 2 - ns;
	cap = caps[(opt >> 4) & 3];

	migstream__test_alloc_fail_at(0);
	r = migstream_reader_new();
	if (r == NULL)
		fz_fail("reader_new failed");
	if ((opt & 3) != 3)
		migstream_reader_set_option(r, MIGSTREAM_OPT_MODE, opt & 3);
	if (opt & 4)
		migstream_reader_set_option(r, MIGSTREAM_OPT_DEEP, 0);
	if (migstream_reader_set_option(r, MIGSTREAM_OPT_MAX_RECORD_LEN, cap) != 0)
		fz_fail("cap %llu refused", (unsigned long long)cap);
	if (opt & 64)
		migstream_reader_set_option(r, MIGSTREAM_OPT_CHANNEL, 1);
	if (opt & 128)
		migstream_reader_set_option(r, MIGSTREAM_OPT_STREAM_KIND, MIGSTREAM_KIND_COLO_BACK);
	memset(&io, 0, sizeof io);
	io.read = src_read;
	io.skip = (opt & 8) ? NULL : src_skip;
	io.close = src_close;
	if (migstream_reader_open_io(r, &io, sizeof io, &s) != 0)
		fz_fail("open_io failed: %s", migstream_reader_errmsg(r));
	fz_read_all(r, (opt >> 2) & 1);
	fz_walk_reader(r);
	migstream_reader_free(r);
	if (!s.closed)
		fz_fail("close callback not called by free");
	fz_check_alloc(cap, FZ_SLACK_BUFFERED, "fuzz_reader_io");
	return 0;
}
