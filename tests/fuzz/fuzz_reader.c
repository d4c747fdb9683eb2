/*
 * libmigstream - Xen domain save/migration streams
 * Copyright (c) 2026 The libmigstream authors.  MIT licence, see COPYING.
 *
 * fuzz_reader: the input is a stream, read from a memory source with
 * format auto-detection, walking every record and calling every accessor.
 * Each input is read three ways: default options (restore mode), lax mode
 * (reading goes on past record-level errors), and lax mode as a COLO back
 * channel in channel mode.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include "fuzz.h"

static void run(const uint8_t *data, size_t size, int pass)
{
	migstream_reader *r;

	migstream__test_alloc_fail_at(0);
	r = migstream_reader_new();
	if (r == NULL)
		fz_fail("reader_new failed");
	if (pass >= 1)
		migstream_reader_set_option(r, MIGSTREAM_OPT_MODE, MIGSTREAM_MODE_LAX);
	if (pass == 2) {
		migstream_reader_set_option(r, MIGSTREAM_OPT_STREAM_KIND, MIGSTREAM_KIND_COLO_BACK);
		migstream_reader_set_option(r, MIGSTREAM_OPT_CHANNEL, 1);
	}
	if (migstream_reader_open_memory(r, data, size) == 0)
		fz_read_all(r, (unsigned)pass & 1);
	fz_walk_reader(r);
	migstream_reader_close(r);
	migstream_reader_free(r);
	fz_check_alloc(MIGSTREAM_MAX_RECORD_LEN, FZ_SLACK_MEMORY, "fuzz_reader");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	for (int pass = 0; pass < 3; pass++)
		run(data, size, pass);
	return 0;
}
