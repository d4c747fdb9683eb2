/*
 * libmigstream - Xen domain save/migration streams
 * Copyright (c) 2026 The libmigstream authors.  MIT licence, see COPYING.
 *
 * Shared parts of the libFuzzer targets (tests/fuzz/fuzz_*.c).  The
 * targets link the test build of the library (tests/libmigstream-testing.la)
 * so they can check how much any single allocation asked for.  The same
 * objects, linked with replay.c instead of libFuzzer, replay the committed
 * regression corpus under make check.
 */
#ifndef MIGSTREAM_FUZZ_H
#define MIGSTREAM_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <migstream.h>

/* libFuzzer's entry point, defined by each target. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The allocation-failure hook of tests/libmigstream-testing.la. */
void migstream__test_alloc_fail_at(unsigned long n);
unsigned long migstream__test_alloc_count(void);
size_t migstream__test_alloc_max(void);

/* What a single allocation may ask for beyond the record cap: for memory
 * sources bookkeeping only; fd and callback sources also read ahead in
 * blocks of 1 MiB (lib/private.h MS_READ_BLOCK). */
#define FZ_SLACK_MEMORY ((size_t)64 * 1024)
#define FZ_SLACK_BUFFERED ((size_t)(1024 + 64) * 1024)

/* Abort (so libFuzzer keeps the input) with a message. */
void fz_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* Call every reader-level query and every record accessor on rec (which
 * may be NULL), reading every octet of every pointer handed out.  flags
 * bit 0: take PAGE_DATA contents with migstream_reader_read_pages() before
 * the page views. */
void fz_walk_record(migstream_reader *r, const migstream_record *rec, unsigned flags);
void fz_walk_reader(migstream_reader *r);

/* Read the whole stream on r (already opened): next() until EOF or a
 * fatal error (or 100000 records), walking each record.  Returns the last
 * code next() gave. */
int fz_read_all(migstream_reader *r, unsigned flags);

/* Check that no single allocation since the last
 * migstream__test_alloc_fail_at(0) exceeded cap + slack. */
void fz_check_alloc(uint64_t cap, size_t slack, const char *what);

/* A cursor over the input: values past its end read as zero. */
typedef struct fz_cursor {
	const uint8_t *p;
	size_t n;
} fz_cursor;

uint8_t fz_u8(fz_cursor *c);
uint32_t fz_u32(fz_cursor *c);
uint64_t fz_u64(fz_cursor *c);
/* Up to n octets (fewer at the end): pointer into the input. */
const uint8_t *fz_bytes(fz_cursor *c, size_t n, size_t *got);

#endif /* MIGSTREAM_FUZZ_H */
